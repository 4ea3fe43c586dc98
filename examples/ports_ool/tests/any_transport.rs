//! The generated client over a transport that is not the local `Space`: `Recorder`
//! forwards the kernel calls to a space and counts messages. It leaves reply-port pooling
//! and async calls to the `Transport` trait's defaults, as the kernel transport on macOS
//! does: no reply port is pooled and the `_async` methods make their call in place. It
//! hands out-of-line regions to the space (the emulation, like the kernel, reads only
//! memory the task maps) unless told to send copies, which the emulation cannot read.
//! The servers are the usual ones, on the same space, and the space must hold nothing
//! afterwards.

mod common;

use std::time::Duration;

use futures::StreamExt;
use migz::abi::*;
use migz::bridge;
use migz::ffi::CallError;
use migz::rights::{ReceiveRight, SendRight, allocate_pair};
use migz::zerocopy::IntoBytes;
use migz::{OolBuffer, Space};
use migz_example_ports_ool::ports_ool::{self, PolyRight, PortsOolClient, PortsOolMessage};
use migz_example_ports_ool::service::{self, Mode, Registry, STATS_LEN};
use migz_example_ports_ool::zig;

use common::{Recorder, multi_thread, serve_while};

/// The client end of a fresh port of `space`, on the recorder, and the server's end.
fn recorded_pair(space: &Space, recorder: &Recorder) -> (ReceiveRight<Space>, SendRight<Recorder>) {
    let (port, send) = allocate_pair(space).unwrap();
    (port, SendRight::from_raw(recorder.clone(), send.into_raw()))
}

/// Serves `registry` on `port` while `client` runs on a tokio task, on a multi-thread
/// runtime (so the client's in-place calls use `block_in_place`).
fn against_rust_server<T: Send + 'static>(
    registry: &Registry,
    port: ReceiveRight<Space>,
    client: impl Future<Output = T> + Send + 'static,
) -> T {
    multi_thread().block_on(async {
        let serving = service::serve(registry, port);
        let calling = tokio::spawn(client);
        let (served, value) = tokio::join!(serving, calling);
        assert_eq!(served, Ok(()));
        value.unwrap()
    })
}

#[test]
fn every_routine_over_another_transport_against_the_rust_server() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    let registry = Registry::new(Mode::Answer);
    let (port, send) = recorded_pair(&space, &recorder);
    against_rust_server(&registry, port, async move {
        tokio::task::spawn_blocking(move || service::every_routine(&PortsOolClient::new(send)))
            .await
            .unwrap()
    })
    .unwrap();
    // 3 `stats`, 3 `register_port`, 3 `lookup_port`, 6 `pass_right`, 2 `reverse`,
    // 2 `upload`, 1 `count_ports` and 2 `whoami` went out and came back; one
    // `log_message` went out, which has no reply, and the one too long never left.
    assert_eq!(recorder.count(|s| &s.sends), 23);
    assert_eq!(recorder.count(|s| &s.receives), 22);
    // One answer carried a region: the reversed array (the empty one is a null address).
    // The two error replies (`KERN_NAME_EXISTS`, `KERN_INVALID_NAME`) were destroyed.
    assert_eq!(recorder.count(|s| &s.regions), 1);
    assert_eq!(recorder.count(|s| &s.destroyed), 2);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn every_routine_refused_over_another_transport() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    let registry = Registry::new(Mode::Fail);
    let (port, send) = recorded_pair(&space, &recorder);
    against_rust_server(&registry, port, async move {
        tokio::task::spawn_blocking(move || {
            service::every_routine_refused(&PortsOolClient::new(send))
        })
        .await
        .unwrap()
    })
    .unwrap();
    // The failing routines took the copies they were sent and released them.
    assert_eq!(registry.snapshot(), [0; STATS_LEN]);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn async_calls_over_another_transport_block_in_place() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    let registry = Registry::new(Mode::Answer);
    let (port, send) = recorded_pair(&space, &recorder);
    let task = recorder.clone();
    against_rust_server(&registry, port, async move {
        let client = PortsOolClient::new(send);
        let (moved, moved_send) = allocate_pair(&task).unwrap();
        let label = client
            .pass_right_async(PolyRight::MoveReceive(moved), None)
            .await;
        assert_eq!(label.unwrap(), b"receive");
        drop(moved_send);
        let reversed = client.reverse_async(&[1, 2, 3], None).await.unwrap();
        assert_eq!(&*reversed, &[3, 2, 1]);
        // An owned buffer goes as a copy on this transport, and is freed after the send.
        let owned = OolBuffer::from(vec![7u8; 5000]);
        assert_eq!(client.upload_async(owned, None).await, Ok(7 * 5000));
        let stats = client.stats_async(STATS_LEN, None).await.unwrap();
        assert_eq!(stats.len(), STATS_LEN);
        // A timeout on this transport is `mach_msg`'s own.
        let timed = client
            .whoami_async(Some(Duration::from_secs(5)))
            .await
            .map(|_| ());
        assert_eq!(timed, Ok(()));
    });
    assert_eq!(recorder.count(|s| &s.sends), 5);
    assert_eq!(recorder.count(|s| &s.receives), 5);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn a_client_over_another_transport_against_the_zig_server() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    {
        let (port, send) = recorded_pair(&space, &recorder);
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        let client = PortsOolClient::new(send);
        service::every_routine(&client).unwrap();
        // On a current-thread runtime the in-place call blocks the runtime's one thread,
        // which is fine when the server runs elsewhere.
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let reversed = current.block_on(client.reverse_async(&[4, 5], None));
        assert_eq!(&*reversed.unwrap(), &[5, 4]);
        // Straight from a multi-thread runtime's `block_on`, outside its workers.
        let reversed = multi_thread().block_on(client.reverse_async(&[6, 7], None));
        assert_eq!(&*reversed.unwrap(), &[7, 6]);
        drop(client);
        assert_eq!(server.join().unwrap(), Ok(()));
    }
    assert!(recorder.count(|s| &s.sends) > 20);
    space.assert_no_leaks();
}

#[test]
fn memory_the_transport_cannot_read_is_refused_and_nothing_leaks() {
    let space = Space::new();
    let mut recorder = Recorder::new(&space);
    recorder.copies = true;
    {
        let (port, send) = recorded_pair(&space, &recorder);
        let client = PortsOolClient::new(send);
        // The copies stay the caller's; the emulation cannot read them and refuses the
        // send, as the kernel refuses memory that is not mapped; they are freed with the
        // refusal.
        let sent = client.reverse(&[1, 2, 3], None).err();
        assert_eq!(sent, Some(CallError::Send(MACH_SEND_INVALID_MEMORY)));
        let owned = OolBuffer::from(vec![1u8; 100]);
        let sent = client.upload(owned, None);
        assert_eq!(sent, Err(CallError::Send(MACH_SEND_INVALID_MEMORY)));
        // Nothing reached the server's port.
        let mut buf = [0u64; 64];
        let rc = space.mach_msg(
            buf.as_mut_bytes(),
            MACH_RCV_MSG | MACH_RCV_TIMEOUT,
            0,
            512,
            port.name(),
            0,
            0,
        );
        assert_eq!(rc, MACH_RCV_TIMED_OUT);
        drop(client);
    }
    space.assert_no_leaks();
}

/// Serves `registry` on the recorder's `port` while the scenario `client` runs on a
/// blocking thread against a send right to it on the local space; then destroys the port,
/// which ends the server's receiving thread.
fn serve_on_recorder<R: Send + 'static>(
    space: &Space,
    recorder: &Recorder,
    registry: &Registry<Recorder>,
    client: impl FnOnce(PortsOolClient) -> R + Send + 'static,
) -> R {
    let (port, send) = allocate_pair(recorder).unwrap();
    let send = SendRight::from_raw(space.clone(), send.into_raw());
    let value = serve_while(registry, &port, 4, move || {
        client(PortsOolClient::new(send))
    });
    drop(port);
    wait_for_the_receiving_thread(recorder);
    value
}

#[test]
fn a_rust_server_over_another_transport_answers_every_routine() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    let registry = Registry::<Recorder>::new(Mode::Answer);
    serve_on_recorder(&space, &recorder, &registry, |client| {
        service::every_routine(&client)
    })
    .unwrap();
    // The server received the 23 requests of the scenario and sent 22 replies (the
    // simpleroutine has none).
    assert_eq!(recorder.count(|s| &s.receives), 23);
    assert_eq!(recorder.count(|s| &s.sends), 22);
    assert_eq!(recorder.count(|s| &s.failed_receives), 1);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn a_failing_rust_server_over_another_transport_releases_what_it_was_sent() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    let registry = Registry::<Recorder>::new(Mode::Fail);
    serve_on_recorder(&space, &recorder, &registry, |client| {
        service::every_routine_refused(&client)
    })
    .unwrap();
    assert_eq!(registry.snapshot(), [0; STATS_LEN]);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn a_server_whose_transport_only_copies_refuses_out_of_line_results() {
    let space = Space::new();
    let mut recorder = Recorder::new(&space);
    recorder.copies = true;
    let registry = Registry::<Recorder>::new(Mode::Answer);
    let reversed = serve_on_recorder(&space, &recorder, &registry, |client| {
        client.reverse(&[1, 2, 3], None).map(|b| b.to_vec())
    });
    // A copy could not outlive the routine, so the reply is Apple's error instead, and
    // the request's region and the result's were both freed.
    assert_eq!(reversed.map_err(|e| e.code()), Err(MIG_TYPE_ERROR));
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn the_simpleroutine_stream_over_another_transport() {
    let space = Space::new();
    let recorder = Recorder::new(&space);
    {
        let (port, send) = allocate_pair(&recorder).unwrap();
        let client = PortsOolClient::new(SendRight::from_raw(space.clone(), send.into_raw()));
        client.log_message("one", None).unwrap();
        client.log_message("two", None).unwrap();
        let (first, second, refused, call) = std::thread::scope(|s| {
            // A routine's request does not belong on the stream: refused with MIG_BAD_ID.
            let call = s.spawn(|| client.whoami(Some(Duration::from_secs(30))));
            let got = multi_thread().block_on(async {
                let mut stream = ports_ool::messages(&port).unwrap();
                let first = stream.next().await;
                let second = stream.next().await;
                let refused = stream.next().await;
                (first, second, refused)
            });
            (got.0, got.1, got.2, call.join().unwrap())
        });
        let text = |m: Option<Result<PortsOolMessage, KernReturn>>| match m {
            Some(Ok(PortsOolMessage::LogMessage { message })) => message,
            other => panic!("not a log_message: {other:?}"),
        };
        assert_eq!(text(first), b"one");
        assert_eq!(text(second), b"two");
        assert!(matches!(refused, Some(Err(MIG_BAD_ID))));
        assert_eq!(call.map_err(|e| e.code()), Err(MIG_BAD_ID));
        drop(port);
        wait_for_the_receiving_thread(&recorder);
    }
    space.assert_no_leaks();
}

/// Waits until the recorder's receiving thread has seen its port die (a bound of a minute
/// turns a thread that never wakes into a failure instead of a hang).
fn wait_for_the_receiving_thread(recorder: &Recorder) {
    for _ in 0..60_000 {
        if recorder.count(|s| &s.failed_receives) > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the receiving thread did not see its port die");
}
