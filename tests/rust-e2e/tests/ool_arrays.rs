//! Arrays of out-of-line types (`tests/conformance/ool_arrays.defs`) through the generated
//! Rust: a typed client sends slices of buffers (or of rights) and gets owned buffers (or
//! owned rights) back, a typed server owns what it receives, and malformed requests and
//! replies get Apple's answers with nothing leaked. The generated Zig makes the same
//! checks (`tests/conformance/ool_arrays_test.zig`).

mod support;
use support::{runtime, until};

use migz::abi::*;
use migz::ffi::{CallError, MsgBuf};
use migz::private::{Given, ool_slices};
use migz::rights::allocate_pair;
use migz::{MachMsgHeader, Ool, OolBuffer, Space};
use migz_rust_e2e::ool_arrays::{
    self, AnyRight, EchoBufsIn, EchoBufsRequest, EchoSmallIn, EchoSmallOut, EchoSmallReply,
    EchoSmallRequest, OolArraysClient, OolArraysServer, PolyRight, SendRight, ServeResult,
};
use std::sync::Mutex;
use std::thread;

/// Answers every buffer reversed; keeps the buffers and rights it is given last.
#[derive(Default)]
struct Echo {
    given: Mutex<Vec<Vec<i32>>>,
}

fn reversed(b: &OolBuffer<i32>) -> OolBuffer<i32> {
    let mut v = b.to_vec();
    v.reverse();
    OolBuffer::from_slice(&v)
}

impl OolArraysServer for Echo {
    async fn echo_bufs(
        &self,
        fixed: Vec<OolBuffer<i32>>,
        listed: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        assert_eq!(fixed.len(), 2);
        Ok((
            fixed.iter().map(reversed).collect(),
            listed.iter().map(reversed).collect(),
        ))
    }

    async fn echo_small(
        &self,
        smalls: Vec<OolBuffer<i32>>,
        quads: Vec<OolBuffer<i32>>,
        qlist: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        assert_eq!((smalls.len(), quads.len()), (2, 2));
        // The quads and the listed quads back, then the small ones reversed.
        let rquads = quads.into_iter().chain(qlist).take(2).collect();
        Ok((rquads, smalls.iter().map(reversed).collect()))
    }

    async fn swap_ports(&self, mut ports: Vec<Vec<SendRight>>) -> ServeResult<Vec<Vec<SendRight>>> {
        assert_eq!(ports.len(), 2);
        ports.reverse();
        Ok(ports)
    }

    async fn pass_poly(&self, rights: Vec<Vec<AnyRight>>) -> ServeResult<i32> {
        Ok(rights.iter().map(Vec::len).sum::<usize>() as i32)
    }

    async fn give_maybe(&self, listed: Vec<OolBuffer<i32>>) -> ServeResult<i32> {
        Ok(listed.iter().map(|b| b.len() as i32).sum())
    }

    async fn give_bufs(&self, fixed: Vec<OolBuffer<i32>>) -> ServeResult<()> {
        *self.given.lock().unwrap() = fixed.iter().map(|b| b.to_vec()).collect();
        Ok(())
    }
}

fn contents(buffers: &[OolBuffer<i32>]) -> Vec<Vec<i32>> {
    buffers.iter().map(|b| b.to_vec()).collect()
}

#[test]
fn typed_client_and_server_exchange_arrays_of_buffers() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let client = OolArraysClient::new(service_send);
        let echo = Echo::default();
        let (bufs, small, too_many, bad_quad, big_small, given) =
            runtime().block_on(until(ool_arrays::serve(&echo, &service, 1), async {
                let bufs = client
                    .echo_bufs_async(&[&[1, 2], &[3, 4, 5]], &[&[6], &[], &[7, 8, 9, 10]], None)
                    .await;
                let small = client
                    .echo_small_async(
                        &[&[1], &[2, 3, 4, 5]],
                        &[&[1, 2, 3, 4], &[5, 6, 7, 8]],
                        &[&[9, 9, 9, 9]],
                        None,
                    )
                    .await;
                // Four listed buffers where the bound is three.
                let too_many = client
                    .echo_bufs_async(&[&[1], &[2]], &[&[1], &[2], &[3], &[4]], None)
                    .await;
                // A fixed element of three items where four are declared.
                let bad_quad = client
                    .echo_small_async(&[&[], &[]], &[&[1, 2, 3], &[1, 2, 3, 4]], &[], None)
                    .await;
                // A bounded element of five items where four is the bound.
                let big_small = client
                    .echo_small_async(
                        &[&[1, 2, 3, 4, 5], &[]],
                        &[&[1, 2, 3, 4], &[1, 2, 3, 4]],
                        &[],
                        None,
                    )
                    .await;
                let moved = vec![
                    OolBuffer::from_slice(&[1, 2, 3]),
                    OolBuffer::from_slice(&[4]),
                ];
                client.give_bufs_async(moved, None).await.unwrap();
                let given = client
                    .echo_bufs_async(&[&[0], &[0]], &[], None)
                    .await
                    .map(|_| ());
                // Dealloc[]: a borrowed slice goes as a copy, an owned buffer moves.
                let owned = OolBuffer::from_slice(&[3, 4, 5]);
                let maybe = client
                    .give_maybe_async(vec![Ool::Borrowed(&[1, 2]), owned.into()], None)
                    .await;
                assert_eq!(maybe.unwrap(), 5);
                (bufs, small, too_many, bad_quad, big_small, given)
            }));
        let (rfixed, rlisted) = bufs.unwrap();
        assert_eq!(contents(&rfixed), [vec![2, 1], vec![5, 4, 3]]);
        assert_eq!(contents(&rlisted), [vec![6], vec![], vec![10, 9, 8, 7]]);
        let (rquads, rsmalls) = small.unwrap();
        assert_eq!(contents(&rquads), [vec![1, 2, 3, 4], vec![5, 6, 7, 8]]);
        assert_eq!(contents(&rsmalls), [vec![1], vec![5, 4, 3, 2]]);
        assert_eq!(too_many.unwrap_err(), CallError::Mig(MIG_ARRAY_TOO_LARGE));
        assert_eq!(bad_quad.unwrap_err(), CallError::Mig(MIG_BAD_ARGUMENTS));
        assert_eq!(big_small.unwrap_err(), CallError::Mig(MIG_ARRAY_TOO_LARGE));
        given.unwrap();
        assert_eq!(*echo.given.lock().unwrap(), [vec![1, 2, 3], vec![4]]);
        drop((rfixed, rlisted, rquads, rsmalls));
        drop(client);
    }
    space.assert_no_leaks();
}

#[test]
fn blocking_client_swaps_arrays_of_port_arrays() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let client = OolArraysClient::new(service_send);
        let ports: Vec<_> = (0..3).map(|_| allocate_pair(&space).unwrap()).collect();
        let names: Vec<u32> = ports.iter().map(|(_, s)| s.name()).collect();
        let echo = Echo::default();
        let client = std::sync::Arc::new(client);
        let caller = client.clone();
        let (back, wrong) =
            runtime().block_on(until(ool_arrays::serve(&echo, &service, 1), async {
                // The blocking calls run on their own thread while the runtime serves.
                tokio::task::spawn_blocking(move || {
                    let rights: Vec<&SendRight> = ports.iter().map(|(_, s)| s).collect();
                    let back = caller.swap_ports(&[&rights[..1], &rights[1..]], None);
                    // Polymorphic: one disposition for every right of both arrays.
                    let copies = vec![
                        vec![PolyRight::CopySend(rights[0])],
                        vec![
                            PolyRight::CopySend(rights[1]),
                            PolyRight::CopySend(rights[2]),
                        ],
                    ];
                    assert_eq!(caller.pass_poly(copies, None).unwrap(), 3);
                    let made = vec![vec![PolyRight::MakeSend(&ports[0].0)], Vec::new()];
                    assert_eq!(caller.pass_poly(made, None).unwrap(), 1);
                    let mixed = vec![
                        vec![PolyRight::CopySend(rights[0])],
                        vec![PolyRight::MakeSend(&ports[1].0)],
                    ];
                    assert_eq!(
                        caller.pass_poly(mixed, None).unwrap_err(),
                        CallError::Mig(MIG_TYPE_ERROR)
                    );
                    let wrong = caller.swap_ports(&[&rights[..1]], None);
                    (back, wrong)
                })
                .await
                .unwrap()
            }));
        assert!(matches!(wrong.unwrap_err(), CallError::Count { .. }));
        let back = back.unwrap();
        // The arrays come back swapped, each right moved back as a send right of its own
        // (the caller's copied right and the returned one name the same port).
        assert_eq!(back.len(), 2);
        let names_back: Vec<Vec<u32>> = back
            .iter()
            .map(|l| l.iter().map(SendRight::name).collect())
            .collect();
        assert_eq!(names_back, [vec![names[1], names[2]], vec![names[0]]]);
        drop(back);
        drop(client);
    }
    space.assert_no_leaks();
}

fn write_u32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_ne_bytes());
}

/// Sends an `echo_bufs` request with real buffers, changed by `corrupt` after packing, to
/// the typed server and returns the RetCode of the error reply.
async fn refused(space: &Space, service: &SendRight, corrupt: impl Fn(&mut [u8])) -> i32 {
    let (reply, _reply_send) = allocate_pair(space).unwrap();
    let fixed = vec![
        OolBuffer::from_slice(&[1i32, 2]),
        OolBuffer::from_slice(&[3, 4, 5]),
    ];
    let listed = vec![
        OolBuffer::from_slice(&[6i32]),
        OolBuffer::from_slice(&[7, 8]),
    ];
    let input = EchoBufsIn {
        server: service.name(),
        fixed: ool_slices(&fixed).unwrap(),
        listed: ool_slices(&listed).unwrap(),
        listed_cnt: 2,
    };
    let mut buf = MsgBuf::<512>::new();
    let size = EchoBufsRequest::pack(&mut buf.0, &input, reply.name()).unwrap();
    assert_eq!(size, 136);
    let mut given = Given::new(space);
    given
        .ools(
            &mut buf.0,
            core::mem::offset_of!(EchoBufsRequest, fixed),
            fixed,
        )
        .unwrap();
    given
        .ools(
            &mut buf.0,
            core::mem::offset_of!(EchoBufsRequest, listed),
            listed,
        )
        .unwrap();
    corrupt(&mut buf.0);
    space.send_async(&buf.0[..size]).await.unwrap();
    given.keep();
    let mut stream = reply.messages().unwrap();
    let msg = stream.recv().await.unwrap();
    let bytes = msg.bytes();
    assert_eq!(MachMsgHeader::read(bytes).unwrap().msgh_id, 4400);
    i32::from_ne_bytes(bytes[32..36].try_into().unwrap())
}

#[test]
fn malformed_requests_get_apple_answers_and_leak_nothing() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let echo = Echo::default();
        let answers = runtime().block_on(until(ool_arrays::serve(&echo, &service, 1), async {
            vec![
                // fixedSubs[1] (at 120) disagrees with its descriptor's 12 bytes.
                refused(&space, &service_send, |b| write_u32(b, 120, 2)).await,
                // listedSubsCnt (at 124) above the bound of 3.
                refused(&space, &service_send, |b| write_u32(b, 124, 4)).await,
                // listedSubsCnt 1: the message is longer than its counts say.
                refused(&space, &service_send, |b| write_u32(b, 124, 1)).await,
                // listedSubs[1] (at 132) disagrees with its descriptor.
                refused(&space, &service_send, |b| write_u32(b, 132, 1)).await,
            ]
        }));
        assert_eq!(
            answers,
            [
                MIG_TYPE_ERROR,
                MIG_BAD_ARGUMENTS,
                MIG_BAD_ARGUMENTS,
                MIG_TYPE_ERROR
            ]
        );
        drop(service_send);
    }
    space.assert_no_leaks();
}

#[test]
fn the_dispatcher_checks_every_descriptor() {
    let space = Space::new();
    let echo = Echo::default();
    let code = |bytes: &[u8], len: usize| {
        let mut reply = MsgBuf::<256>::new();
        let handled = futures::executor::block_on(ool_arrays::dispatch(
            &echo,
            &space,
            bytes,
            len,
            &mut reply.0,
        ));
        let refusal = handled.unwrap_err();
        assert!(refusal.destroy_request);
        refusal.code
    };
    let trailer = MAX_TRAILER_SIZE as usize;
    let mut req = MsgBuf::<512>::new();
    let empty = EchoSmallIn {
        server: 1,
        ..Default::default()
    };
    // Fixed elements of four items, sent empty: their size is checked with the type.
    let size = EchoSmallRequest::pack(&mut req.0, &empty, 0).unwrap_err();
    assert_eq!(size.code, MIG_BAD_ARGUMENTS);
    let quads = [
        OolBuffer::from_slice(&[1i32, 2, 3, 4]),
        OolBuffer::from_slice(&[5, 6, 7, 8]),
    ];
    let input = EchoSmallIn {
        quads: ool_slices(&quads).unwrap(),
        ..empty
    };
    let size = EchoSmallRequest::pack(&mut req.0, &input, 0).unwrap();
    assert_eq!(size, 144);
    // The second quad (descriptor at 44, size at 56) of 12 bytes: MIG_TYPE_ERROR.
    write_u32(&mut req.0, 72, 12);
    assert_eq!(code(&req.0, size + trailer), MIG_TYPE_ERROR);
    // A descriptor of the wrong type past the variable array's count (the second of
    // `qlist`, at 108): Apple checks every descriptor's type.
    let size = EchoSmallRequest::pack(&mut req.0, &input, 0).unwrap();
    let word = read_u32(&req.0, 116).unwrap();
    write_u32(
        &mut req.0,
        116,
        (word & 0x00ff_ffff) | (MACH_MSG_OOL_PORTS_DESCRIPTOR << 24),
    );
    assert_eq!(code(&req.0, size + trailer), MIG_TYPE_ERROR);
    // qlistCnt (at 140) above its bound of 2: Apple's server would walk past the array.
    let size = EchoSmallRequest::pack(&mut req.0, &input, 0).unwrap();
    write_u32(&mut req.0, 140, 3);
    assert_eq!(code(&req.0, size + trailer), MIG_BAD_ARGUMENTS);
    // A bounded element whose count (smallsSubs[0], at 132) is above its bound of 4,
    // its descriptor (size at 40) agreeing.
    let size = EchoSmallRequest::pack(&mut req.0, &input, 0).unwrap();
    write_u32(&mut req.0, 132, 5);
    write_u32(&mut req.0, 40, 20);
    assert_eq!(code(&req.0, size + trailer), MIG_TYPE_ERROR);
    drop(echo);
    space.assert_no_leaks();
}

#[test]
fn a_reply_with_more_elements_than_the_bound_is_array_too_large() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let server = thread::spawn(move || {
            let space = service.task().clone();
            let mut buf = MsgBuf::<512>::new();
            let rc = space.mach_msg(&mut buf.0, MACH_RCV_MSG, 0, 512, service.name(), 0, 0);
            assert_eq!(rc, MACH_MSG_SUCCESS);
            let head = MachMsgHeader::read(&buf.0).unwrap();
            // The request's quads go; its reply right answers it below.
            write_u32(&mut buf.0, 8, MACH_PORT_NULL);
            space.msg_destroy(&buf.0);
            let quads = vec![
                OolBuffer::from_slice(&[1i32, 2, 3, 4]),
                OolBuffer::from_slice(&[5, 6, 7, 8]),
            ];
            let mut reply = MsgBuf::<512>::new();
            let out = EchoSmallOut {
                rquads: ool_slices(&quads).unwrap(),
                rquads_cnt: 2,
                ..Default::default()
            };
            let size = EchoSmallReply::pack(&mut reply.0, &out, &head).unwrap();
            let mut given = Given::new(&space);
            given
                .ools(
                    &mut reply.0,
                    core::mem::offset_of!(EchoSmallReply, rquads),
                    quads,
                )
                .unwrap();
            // Three quads where the bound is two (rquadsCnt after the NDR, at 100).
            write_u32(&mut reply.0, 100, 3);
            let rc = space.mach_msg(&mut reply.0, MACH_SEND_MSG, size as u32, 0, 0, 0, 0);
            assert_eq!(rc, MACH_MSG_SUCCESS);
            given.keep();
            service
        });
        let client = OolArraysClient::new(service_send);
        let quad: &[i32] = &[1, 2, 3, 4];
        assert_eq!(
            client
                .echo_small(&[&[], &[]], &[quad, quad], &[], None)
                .unwrap_err(),
            CallError::Mig(MIG_ARRAY_TOO_LARGE)
        );
        drop(server.join().unwrap());
        drop(client);
    }
    space.assert_no_leaks();
}

/// A server whose answers do not fit their arrays.
struct Misfit;

impl OolArraysServer for Misfit {
    async fn echo_bufs(
        &self,
        _fixed: Vec<OolBuffer<i32>>,
        _listed: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        // Three buffers for an array of two.
        let three = (0..3).map(|i| OolBuffer::from_slice(&[i])).collect();
        Ok((three, Vec::new()))
    }

    async fn echo_small(
        &self,
        _smalls: Vec<OolBuffer<i32>>,
        _quads: Vec<OolBuffer<i32>>,
        _qlist: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        // A bounded element of five items where the bound is four.
        let small = vec![OolBuffer::from_slice(&[1, 2, 3, 4, 5]), OolBuffer::new()];
        Ok((Vec::new(), small))
    }

    async fn swap_ports(&self, ports: Vec<Vec<SendRight>>) -> ServeResult<Vec<Vec<SendRight>>> {
        // Three arrays of rights where the bound is two.
        let mut all = ports;
        all.push(Vec::new());
        Ok(all)
    }

    async fn pass_poly(&self, _rights: Vec<Vec<AnyRight>>) -> ServeResult<i32> {
        Ok(0)
    }

    async fn give_maybe(&self, _listed: Vec<OolBuffer<i32>>) -> ServeResult<i32> {
        Ok(0)
    }

    async fn give_bufs(&self, _fixed: Vec<OolBuffer<i32>>) -> ServeResult<()> {
        Ok(())
    }
}

#[test]
fn results_that_do_not_fit_are_refused_by_the_server_and_released() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let client = OolArraysClient::new(service_send);
        let ports: Vec<_> = (0..2).map(|_| allocate_pair(&space).unwrap()).collect();
        let rights: Vec<&SendRight> = ports.iter().map(|(_, s)| s).collect();
        let (bufs, small, swapped) =
            runtime().block_on(until(ool_arrays::serve(&Misfit, &service, 1), async {
                let bufs = client.echo_bufs_async(&[&[1], &[2]], &[], None).await;
                let quad: &[i32] = &[1, 2, 3, 4];
                let small = client
                    .echo_small_async(&[&[], &[]], &[quad, quad], &[], None)
                    .await;
                let swapped = client
                    .swap_ports_async(&[&rights[..1], &rights[1..]], None)
                    .await;
                (bufs, small, swapped)
            }));
        // A fixed array of the wrong length is the server's MIG_BAD_ARGUMENTS, an element
        // or a variable array above its bound its MIG_ARRAY_TOO_LARGE: error replies.
        assert_eq!(bufs.unwrap_err(), CallError::Mig(MIG_BAD_ARGUMENTS));
        assert_eq!(small.unwrap_err(), CallError::Mig(MIG_ARRAY_TOO_LARGE));
        assert_eq!(swapped.unwrap_err(), CallError::Mig(MIG_ARRAY_TOO_LARGE));
        drop(client);
    }
    space.assert_no_leaks();
}
