//! The generated client over a transport that is not the local `Space`: `Recorder`
//! forwards the kernel calls to a space and counts messages. It leaves reply-port pooling
//! and async calls to the `Transport` trait's defaults, as the kernel transport on macOS
//! does: no reply port is pooled and the `_async` methods make their call in place. It
//! hands out-of-line regions to the space (the emulation, like the kernel, reads only
//! memory the task maps) unless told to send copies, which the emulation cannot read.
//! The servers are the usual ones, on the same space, and the space must hold nothing
//! afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use migz::abi::*;
use migz::bridge;
use migz::ffi::CallError;
use migz::rights::{ReceiveRight, SendRight, allocate_pair};
use migz::sys::mem::Region;
use migz::zerocopy::IntoBytes;
use migz::{Error, OolBuffer, Space, Transport};
use migz_example_ports_ool::ports_ool::{self, PolyRight, PortsOolClient, PortsOolMessage};
use migz_example_ports_ool::service::{self, Mode, Registry, STATS_LEN};
use migz_example_ports_ool::zig;

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
struct Seen {
    sends: AtomicUsize,
    receives: AtomicUsize,
    destroyed: AtomicUsize,
    regions: AtomicUsize,
    /// Receives that failed (a dead port, say).
    failed_receives: AtomicUsize,
}

/// A transport that forwards to `space` and counts, with the trait's defaults for
/// pooling and async calls.
#[derive(Clone, Debug)]
struct Recorder {
    space: Space,
    seen: Arc<Seen>,
    /// Send out-of-line arrays as copies (the trait's default) rather than moving them.
    copies: bool,
}

impl Recorder {
    fn new(space: &Space) -> Self {
        Recorder {
            space: space.clone(),
            seen: Arc::default(),
            copies: false,
        }
    }

    fn count(&self, which: fn(&Seen) -> &AtomicUsize) -> usize {
        which(&self.seen).load(Ordering::Relaxed)
    }
}

impl Transport for Recorder {
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn {
        if option & MACH_SEND_MSG != 0 {
            self.seen.sends.fetch_add(1, Ordering::Relaxed);
        }
        let rc = self
            .space
            .mach_msg(buf, option, send_size, rcv_size, rcv_name, timeout, notify);
        if option & MACH_RCV_MSG != 0 {
            match rc {
                MACH_MSG_SUCCESS => self.seen.receives.fetch_add(1, Ordering::Relaxed),
                _ => self.seen.failed_receives.fetch_add(1, Ordering::Relaxed),
            };
        }
        rc
    }
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        self.space.port_allocate(right)
    }
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error> {
        Transport::port_construct(&self.space, flags, qlimit, context)
    }
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        self.space.port_destruct(name, srdelta, guard)
    }
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        self.space.port_mod_refs(name, right, delta)
    }
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        self.space.port_get_refs(name, right)
    }
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        self.space.port_type(name)
    }
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        Transport::port_insert_right(&self.space, name, poly, disp)
    }
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        Transport::port_extract_right(&self.space, name, disp)
    }
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        self.space.port_get_context(name)
    }
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        self.space.port_set_context(name, context)
    }
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        self.space.port_guard(name, guard, strict)
    }
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        self.space.port_unguard(name, guard)
    }
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        self.space.port_set_mscount(name, mscount)
    }
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        self.space.port_get_attributes(name, flavor, info)
    }
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        self.space.port_set_attributes(name, flavor, info)
    }
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        self.space.port_move_member(member, after)
    }
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        self.space
            .port_request_notification(name, msgid, sync, notify, disp)
    }
    fn msg_destroy(&self, msg: &[u8]) {
        self.seen.destroyed.fetch_add(1, Ordering::Relaxed);
        self.space.msg_destroy(msg);
    }
    fn take_region(&self, addr: usize, size: usize) -> Option<Region> {
        self.seen.regions.fetch_add(1, Ordering::Relaxed);
        Transport::take_region(&self.space, addr, size)
    }
    fn give_region(&self, region: Region) -> Result<usize, Region> {
        if self.copies {
            return Err(region);
        }
        self.space.give_region(region)
    }
    fn take_back_region(&self, addr: usize, size: usize) {
        self.space.take_back_region(addr, size);
    }
}

/// The client end of a fresh port of `space`, on the recorder, and the server's end.
fn recorded_pair(space: &Space, recorder: &Recorder) -> (ReceiveRight<Space>, SendRight<Recorder>) {
    let (port, send) = allocate_pair(space).unwrap();
    (port, SendRight::from_raw(recorder.clone(), send.into_raw()))
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
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
    let value = multi_thread().block_on(async {
        let serving = ports_ool::serve(registry, &port, 4);
        let calling = tokio::task::spawn_blocking(move || client(PortsOolClient::new(send)));
        tokio::select! {
            served = serving => panic!("the server stopped: {served:?}"),
            value = calling => value.unwrap(),
        }
    });
    drop(port);
    // The receiving thread sees the port die; waiting for it bounds nothing in time.
    while recorder.count(|s| &s.failed_receives) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
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
        while recorder.count(|s| &s.failed_receives) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    space.assert_no_leaks();
}
