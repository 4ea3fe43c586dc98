//! Generated Rust clients against generated Rust servers (`serve` with a trait
//! implementation) over the local transport, blocking and async; and the server's answers
//! to requests it must refuse. Every test checks its space for leaks.

mod support;
use support::{runtime, until};

use migz::OolBuffer;
use migz::abi::*;
use migz::ffi::{CallError, MsgBuf};
use migz::rights::PolyRight;
use migz::rights::{PortSet, allocate_pair};
use migz::{MachMsgHeader, Space};
use migz_rust_e2e::array_test::{self, ArrayTestClient, ArrayTestServer};
use migz_rust_e2e::ports_ool::{
    self, AnyRight, PortsOolClient, PortsOolServer, SendRight, ServeResult,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Summer;

impl ArrayTestServer for Summer {
    async fn sum_array(&self, data: &[i32]) -> array_test::ServeResult<i32> {
        if data.is_empty() {
            return Err(KERN_INVALID_ARGUMENT);
        }
        Ok(data.iter().sum())
    }
}

/// A name service: `register_port` keeps a send right, `lookup_port` moves one back.
#[derive(Default)]
struct Names {
    ports: Mutex<HashMap<Vec<u8>, SendRight>>,
    logged: AtomicUsize,
    /// Whether routines answer with an error after taking what they were sent.
    fail: AtomicBool,
}

impl PortsOolServer for Names {
    async fn register_port(&self, name: &[u8], port: SendRight) -> ServeResult<()> {
        self.ports.lock().unwrap().insert(name.to_vec(), port);
        Ok(())
    }

    async fn lookup_port(&self, name: &[u8]) -> ServeResult<SendRight> {
        self.ports
            .lock()
            .unwrap()
            .remove(name)
            .ok_or(KERN_INVALID_NAME)
    }

    async fn pass_right(&self, right: AnyRight) -> ServeResult<Vec<u8>> {
        // Dropping the right releases it, whichever kind it is, on success or failure.
        let label: &[u8] = match right {
            AnyRight::Send(_) => b"send",
            AnyRight::SendOnce(_) => b"send-once",
            AnyRight::Receive(_) => b"receive",
        };
        if self.fail.load(Ordering::SeqCst) {
            return Err(KERN_FAILURE);
        }
        Ok(label.to_vec())
    }

    async fn reverse(&self, data: OolBuffer<i32>) -> ServeResult<OolBuffer<i32>> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(KERN_FAILURE);
        }
        let mut out = OolBuffer::from_slice(&data);
        out.reverse();
        Ok(out)
    }

    async fn upload(&self, blob: OolBuffer<u8>) -> ServeResult<i32> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(KERN_FAILURE);
        }
        Ok(blob.iter().map(|&b| i32::from(b)).sum())
    }

    async fn stats(&self, values_max: usize) -> ServeResult<Vec<i32>> {
        if self.fail.load(Ordering::SeqCst) {
            // More than the caller has room for.
            return Ok((0..16).collect());
        }
        Ok((0..values_max.min(16) as i32).map(|i| i * 10).collect())
    }

    async fn count_ports(&self, list: Vec<SendRight>) -> ServeResult<i32> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(KERN_FAILURE);
        }
        Ok(list.len() as i32)
    }

    async fn whoami(&self, atoken: [u32; 8]) -> ServeResult<i32> {
        // The sender's pid (word 5 of an audit token): a value the test knows.
        Ok(atoken[5] as i32)
    }

    async fn log_message(&self, message: &[u8]) -> ServeResult<()> {
        assert_eq!(message, b"note");
        self.logged.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn async_client_and_server() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = ArrayTestClient::new(send_right);
        let (total, refused) =
            runtime().block_on(until(array_test::serve(&Summer, &service, 4), async {
                let total = client.sum_array_async(&[1, 2, 3, 4], None).await;
                let refused = client.sum_array_async(&[], None).await;
                (total, refused)
            }));
        assert_eq!(total.unwrap(), 10);
        assert_eq!(
            refused.unwrap_err(),
            CallError::Server(KERN_INVALID_ARGUMENT)
        );
    }
    space.assert_no_leaks();
}

#[test]
fn one_server_serves_a_port_set() {
    let space = Space::new();
    {
        // Two services in one set: the serve loop receives through the set.
        let set = PortSet::allocate(&space).unwrap();
        let (first, first_send) = allocate_pair(&space).unwrap();
        let (second, second_send) = allocate_pair(&space).unwrap();
        set.insert(&first).unwrap();
        set.insert(&second).unwrap();
        let a = ArrayTestClient::new(first_send);
        let b = ArrayTestClient::new(second_send);
        let (x, y, refused) =
            runtime().block_on(until(array_test::serve(&Summer, &set, 2), async {
                let x = a.sum_array_async(&[1, 2, 3], None).await;
                let y = b.sum_array_async(&[10, 20], None).await;
                let refused = b.sum_array_async(&[], None).await;
                (x, y, refused)
            }));
        assert_eq!(x, Ok(6));
        assert_eq!(y, Ok(30));
        assert_eq!(refused, Err(CallError::Server(KERN_INVALID_ARGUMENT)));
        drop((first, second));
    }
    space.assert_no_leaks();
}

#[test]
fn blocking_client_against_async_server() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = ArrayTestClient::new(send_right);
        let rt = runtime();
        let data: Vec<i32> = (0..1024).collect();
        let total = rt.block_on(until(array_test::serve(&Summer, &service, 1), async {
            // The blocking call runs on its own thread while the runtime serves.
            tokio::task::spawn_blocking(move || client.sum_array(&data, None))
                .await
                .unwrap()
        }));
        assert_eq!(total.unwrap(), 1023 * 1024 / 2);
    }
    space.assert_no_leaks();
}

#[test]
fn rights_travel_both_ways_and_nothing_leaks() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = PortsOolClient::new(send_right);
        let names = Names::default();
        let (registered, _keep) = allocate_pair(&space).unwrap();
        let (found, missing, word) =
            runtime().block_on(until(ports_ool::serve(&names, &service, 2), async {
                client
                    .register_port_async("a", &registered, None)
                    .await
                    .unwrap();
                let found = client.lookup_port_async("a", None).await;
                let missing = client.lookup_port_async("a", None).await;
                let word = client.whoami_async(None).await;
                client.log_message_async("note", None).await.unwrap();
                // A second round trip, so the simpleroutine was handled before the end.
                let again = client.whoami_async(None).await;
                assert_eq!(again, Ok(std::process::id() as i32));
                (found, missing, word)
            }));
        assert_eq!(found.unwrap().name(), registered.name());
        assert_eq!(missing.unwrap_err(), CallError::Server(KERN_INVALID_NAME));
        assert_eq!(word, Ok(std::process::id() as i32));
        assert_eq!(names.logged.load(Ordering::SeqCst), 1);
        drop(names);
    }
    space.assert_no_leaks();
}

#[test]
fn unknown_and_malformed_requests_get_mig_errors() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let (reply, _keep) = allocate_pair(&space).unwrap();
        let (carried, carried_send) = allocate_pair(&space).unwrap();
        let answers = runtime().block_on(until(array_test::serve(&Summer, &service, 1), async {
            let mut answers = Vec::new();
            // An unknown id (with a right in it, which the server must destroy), then a
            // `sum_array` request too short for its count.
            for (id, size) in [(999, 40u32), (2000, 36)] {
                let mut buf = MsgBuf::<256>::new();
                let complex = if id == 999 { MACH_MSGH_BITS_COMPLEX } else { 0 };
                MachMsgHeader {
                    msgh_bits: mach_msgh_bits(
                        MACH_MSG_TYPE_COPY_SEND,
                        MACH_MSG_TYPE_MAKE_SEND_ONCE,
                    ) | complex,
                    msgh_size: size,
                    msgh_remote_port: send_right.name(),
                    msgh_local_port: reply.name(),
                    msgh_id: id,
                    ..Default::default()
                }
                .write(&mut buf.0);
                if id == 999 {
                    write_u32(&mut buf.0, 24, 1);
                    write_u32(&mut buf.0, 28, carried_send.name());
                    write_u32(
                        &mut buf.0,
                        36,
                        port_descriptor_word(MACH_MSG_TYPE_COPY_SEND),
                    );
                } else {
                    write_u32(&mut buf.0, 32, 5);
                }
                space.send_async(&buf.0[..size as usize]).await.unwrap();
                let mut stream = reply.messages().unwrap();
                let msg = stream.recv().await.unwrap();
                let bytes = msg.bytes();
                assert_eq!(MachMsgHeader::read(bytes).unwrap().msgh_id, id + 100);
                answers.push(i32::from_ne_bytes(bytes[32..36].try_into().unwrap()));
            }
            answers
        }));
        assert_eq!(answers, [-303, -304]);
        drop((carried, carried_send));
    }
    space.assert_no_leaks();
}

/// A server whose calls each wait until `n` of them are in progress at once.
struct Gathering {
    barrier: tokio::sync::Barrier,
}

impl ArrayTestServer for Gathering {
    async fn sum_array(&self, data: &[i32]) -> array_test::ServeResult<i32> {
        self.barrier.wait().await;
        Ok(data.iter().sum())
    }
}

#[test]
fn serve_runs_requests_concurrently_up_to_its_limit() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = ArrayTestClient::new(send_right);
        let server = Gathering {
            barrier: tokio::sync::Barrier::new(3),
        };
        // Three calls that can only finish together: with a limit of 3 they do (a limit of
        // 2 would leave them waiting for ever).
        let (a, b, c) = runtime().block_on(until(array_test::serve(&server, &service, 3), async {
            futures::join!(
                client.sum_array_async(&[1], None),
                client.sum_array_async(&[2, 2], None),
                client.sum_array_async(&[3, 3, 3], None),
            )
        }));
        assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (1, 4, 9));
    }
    space.assert_no_leaks();
}

/// Every `ports_ool` routine, async, against a `Names` server.
async fn every_routine_async(client: &PortsOolClient, space: &Space) {
    let (mine, _mine_send) = allocate_pair(space).unwrap();
    client
        .register_port_async("mine", &mine, None)
        .await
        .unwrap();
    let found = client.lookup_port_async("mine", None).await.unwrap();
    assert_eq!(found.name(), mine.name());
    drop(found);
    // Polymorphic rights of every kind the caller can send.
    let send = mine.make_send().unwrap();
    let label = client
        .pass_right_async(PolyRight::MoveSend(send), None)
        .await;
    assert_eq!(label.unwrap(), b"send");
    let label = client
        .pass_right_async(PolyRight::MakeSendOnce(&mine), None)
        .await;
    assert_eq!(label.unwrap(), b"send-once");
    let label = client
        .pass_right_async(PolyRight::MakeSend(&mine), None)
        .await;
    assert_eq!(label.unwrap(), b"send");
    let (moved, _moved_send) = allocate_pair(space).unwrap();
    let label = client
        .pass_right_async(PolyRight::MoveReceive(moved), None)
        .await;
    assert_eq!(label.unwrap(), b"receive");
    assert_eq!(
        client.whoami_async(None).await,
        Ok(std::process::id() as i32)
    );
    let data: Vec<i32> = (1..=7).collect();
    let reversed = client.reverse_async(&data, None).await.unwrap();
    assert_eq!(&*reversed, &[7, 6, 5, 4, 3, 2, 1]);
    assert!(client.reverse_async(&[], None).await.unwrap().is_empty());
    let blob: Vec<u8> = (0..100).map(|i| (i % 3) as u8).collect();
    assert_eq!(client.upload_async(&blob, None).await.unwrap(), 99);
    let owned = OolBuffer::from_slice(&blob);
    assert_eq!(client.upload_async(owned, None).await.unwrap(), 99);
    assert_eq!(client.stats_async(4, None).await.unwrap(), [0, 10, 20, 30]);
    assert_eq!(client.stats_async(100, None).await.unwrap().len(), 16);
    let a = mine.make_send().unwrap();
    let counted = client
        .count_ports_async(&[&a, &a, client.server()], None)
        .await;
    assert_eq!(counted.unwrap(), 3);
    client.log_message_async("note", None).await.unwrap();
    // A round trip after the simpleroutine, so it was handled before the end.
    assert_eq!(
        client.whoami_async(None).await,
        Ok(std::process::id() as i32)
    );
}

/// Every `ports_ool` routine, blocking.
fn every_routine_blocking(client: &PortsOolClient, space: &Space) {
    let (mine, _mine_send) = allocate_pair(space).unwrap();
    client.register_port("mine", &mine, None).unwrap();
    assert_eq!(
        client.lookup_port("mine", None).unwrap().name(),
        mine.name()
    );
    let once = mine.make_send_once().unwrap();
    let label = client.pass_right(PolyRight::MoveSendOnce(once), None);
    assert_eq!(label.unwrap(), b"send-once");
    let send = mine.make_send().unwrap();
    assert_eq!(
        client.pass_right(PolyRight::CopySend(&send), None).unwrap(),
        b"send"
    );
    assert_eq!(client.whoami(None), Ok(std::process::id() as i32));
    let reversed = client.reverse(&[1, 2, 3], None).unwrap();
    assert_eq!(&*reversed, &[3, 2, 1]);
    assert_eq!(client.upload(&[1u8, 2, 3][..], None).unwrap(), 6);
    assert_eq!(client.stats(2, None).unwrap(), [0, 10]);
    assert_eq!(client.count_ports(&[&send], None).unwrap(), 1);
    client.log_message("note", None).unwrap();
    assert_eq!(client.whoami(None), Ok(std::process::id() as i32));
}

/// Runs a `Names` server on a thread of its own while `f` runs on this one.
fn with_names_server<T>(space: &Space, names: &Names, f: impl FnOnce(&PortsOolClient) -> T) -> T {
    let (service, send_right) = allocate_pair(space).unwrap();
    let client = PortsOolClient::new(send_right);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::scope(|s| {
        let server =
            s.spawn(|| runtime().block_on(until(ports_ool::serve(names, &service, 2), stopped)));
        let value = f(&client);
        stop.send(()).unwrap();
        server.join().unwrap().unwrap();
        value
    })
}

#[test]
fn every_ports_ool_routine_async() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = PortsOolClient::new(send_right);
        let names = Names::default();
        runtime().block_on(until(
            ports_ool::serve(&names, &service, 2),
            every_routine_async(&client, &space),
        ));
        assert_eq!(names.logged.load(Ordering::SeqCst), 1);
    }
    space.assert_no_leaks();
}

#[test]
fn every_ports_ool_routine_blocking() {
    let space = Space::new();
    {
        let names = Names::default();
        with_names_server(&space, &names, |client| {
            every_routine_blocking(client, &space)
        });
        assert_eq!(names.logged.load(Ordering::SeqCst), 1);
    }
    space.assert_no_leaks();
}

/// A server routine that fails after it was given rights and memory releases them (they
/// were its arguments); a client whose call fails keeps nothing either.
#[test]
fn failing_routines_leak_nothing() {
    let space = Space::new();
    {
        let names = Names::default();
        names.fail.store(true, Ordering::SeqCst);
        with_names_server(&space, &names, |client| {
            let (mine, _send) = allocate_pair(&space).unwrap();
            let failed = CallError::Server(KERN_FAILURE);
            let moved = mine.make_send().unwrap();
            assert_eq!(
                client
                    .pass_right(PolyRight::MoveSend(moved), None)
                    .unwrap_err(),
                failed
            );
            let (receive, _) = allocate_pair(&space).unwrap();
            let r = client.pass_right(PolyRight::MoveReceive(receive), None);
            assert_eq!(r.unwrap_err(), failed);
            assert_eq!(client.reverse(&[1, 2, 3], None).unwrap_err(), failed);
            let owned = OolBuffer::from_slice(&[7u8; 5000]);
            assert_eq!(client.upload(owned, None).unwrap_err(), failed);
            let a = mine.make_send().unwrap();
            assert_eq!(client.count_ports(&[&a, &a], None).unwrap_err(), failed);
            // CountInOut: the server answers more than the caller has room for.
            assert_eq!(
                client.stats(3, None).unwrap_err(),
                CallError::Mig(migz::private::MIG_ARRAY_TOO_LARGE)
            );
        });
    }
    space.assert_no_leaks();
}

/// A request that cannot be sent gives back its memory and the rights it would have moved.
#[test]
fn unsent_requests_leak_nothing() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = PortsOolClient::new(send_right);
        // The port dies: every send fails.
        drop(service);
        let (mine, _send) = allocate_pair(&space).unwrap();
        let moved = mine.make_send().unwrap();
        let err = client
            .pass_right(PolyRight::MoveSend(moved), None)
            .unwrap_err();
        assert_eq!(err, CallError::Send(MACH_SEND_INVALID_DEST));
        assert_eq!(
            client.reverse(&[1], None).map(drop),
            Err(CallError::Send(MACH_SEND_INVALID_DEST))
        );
        let owned = OolBuffer::from_slice(&[1u8; 10]);
        assert_eq!(
            client.upload(owned, None),
            Err(CallError::Send(MACH_SEND_INVALID_DEST))
        );
        assert_eq!(
            client.count_ports(&[client.server()], None),
            Err(CallError::Send(MACH_SEND_INVALID_DEST))
        );
    }
    space.assert_no_leaks();
}

/// The Rust dispatcher refuses malformed requests as the Zig server does: size, id, count
/// over the bound, disposition, truncation, complex bit, descriptor type, missing trailer.
#[test]
fn the_dispatcher_refuses_malformed_requests() {
    use migz::ffi::MsgBuf;
    use migz_rust_e2e::ports_ool::{
        LookupPortIn, LookupPortRequest, RegisterPortIn, RegisterPortRequest, ReverseIn,
        ReverseRequest, WhoamiIn, WhoamiRequest,
    };
    let space = Space::new();
    let names = Names::default();
    let code = |bytes: &[u8], len: usize| {
        let mut reply = MsgBuf::<256>::new();
        let handled = futures::executor::block_on(ports_ool::dispatch(
            &names,
            &space,
            bytes,
            len,
            &mut reply.0,
        ));
        let refusal = handled.unwrap_err();
        assert!(refusal.destroy_request);
        refusal.code
    };
    let good = RegisterPortIn {
        server: 1,
        name: migz::private::ConstSlice::new(b"abc").unwrap(),
        port: 0,
    };
    let trailer = MAX_TRAILER_SIZE as usize;
    // The port descriptor as a receiver sees it: a made send right arrives moved.
    let as_received =
        |buf: &mut [u8]| write_u32(buf, 36, port_descriptor_word(MACH_MSG_TYPE_MOVE_SEND));
    let mut req = MsgBuf::<512>::new();
    let size = RegisterPortRequest::pack(&mut req.0, &good, 0).unwrap();
    as_received(&mut req.0);
    // Size: four bytes more than the string needs.
    write_u32(&mut req.0, 4, size as u32 + 4);
    assert_eq!(code(&req.0, size + 4 + trailer), -304);
    // Id: not a routine of the subsystem.
    let size = RegisterPortRequest::pack(&mut req.0, &good, 0).unwrap();
    as_received(&mut req.0);
    write_u32(&mut req.0, 20, 3099);
    assert_eq!(code(&req.0, size + trailer), -303);
    // Count over the bound: a 65-byte name where 64 is the limit.
    let size = RegisterPortRequest::pack(&mut req.0, &good, 0).unwrap();
    as_received(&mut req.0);
    write_u32(&mut req.0, 52, 65);
    assert_eq!(code(&req.0, size + trailer), -304);
    // Disposition: a send-once right where a send right is expected.
    let size = RegisterPortRequest::pack(&mut req.0, &good, 0).unwrap();
    as_received(&mut req.0);
    write_u32(
        &mut req.0,
        36,
        port_descriptor_word(MACH_MSG_TYPE_MOVE_SEND_ONCE),
    );
    assert_eq!(code(&req.0, size + trailer), -300);
    // Truncated: fewer valid bytes than the header says.
    let size = RegisterPortRequest::pack(&mut req.0, &good, 0).unwrap();
    as_received(&mut req.0);
    assert_eq!(code(&req.0, size - 8), -304);
    // Complex bit on a request that must be simple.
    let lookup = LookupPortIn {
        server: 1,
        name: migz::private::ConstSlice::new(b"abc").unwrap(),
    };
    let size = LookupPortRequest::pack(&mut req.0, &lookup, 0).unwrap();
    let bits = read_u32(&req.0, 0).unwrap();
    write_u32(&mut req.0, 0, bits | MACH_MSGH_BITS_COMPLEX);
    assert_eq!(code(&req.0, size + trailer), -304);
    // Descriptor type: out-of-line ports where out-of-line memory is expected.
    let size = ReverseRequest::pack(
        &mut req.0,
        &ReverseIn {
            server: 1,
            ..Default::default()
        },
        0,
    )
    .unwrap();
    let word = read_u32(&req.0, 36).unwrap();
    write_u32(
        &mut req.0,
        36,
        (word & 0x00ff_ffff) | (MACH_MSG_OOL_PORTS_DESCRIPTOR << 24),
    );
    assert_eq!(code(&req.0, size + trailer), -300);
    // A routine that reads the trailer refuses a request without one (MIG_TRAILER_ERROR).
    let size = WhoamiRequest::pack(
        &mut req.0,
        &WhoamiIn {
            server: 1,
            ..Default::default()
        },
        0,
    )
    .unwrap();
    assert_eq!(code(&req.0, size), -309);
    assert!(names.ports.lock().unwrap().is_empty());
    drop(names);
    space.assert_no_leaks();
}
