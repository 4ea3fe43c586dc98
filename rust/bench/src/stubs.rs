//! The `stubs` suite: an async call through the generated Rust client and server against
//! the same round trip written by hand with the runtime's raw async send and receive.
//!
//! - `stub_rtt_vs_raw_{same,split}`: `BenchClient::sum_array_async` with 1024 integers
//!   (the Zig pack and unpack on both sides, a reply port per call, the generated `serve`
//!   and `dispatch`) against the same 4132-byte request and 40-byte reply sent with
//!   `Space::send_async` and received from a `MessageStream`, with a reused reply port and
//!   a hand-written server that sums the same integers. Client and server each run a
//!   current-thread tokio runtime on their own thread, both pinned to one CPU (`same`) or
//!   to two (`split`), as in the `transport` suite.
//!
//! Reference and candidate run in alternating batches on the same two threads, and the
//! ratio is the median candidate batch over the median reference batch.

use std::time::Instant;

use futures::StreamExt;
use migz::Space;
use migz::abi::*;
use migz::ffi::MsgBuf;
use migz::rights::allocate_pair;

use crate::report::{self, Goal};

/// The generated Rust of `defs/bench.defs`. The suite uses part of its API, and in a binary
/// crate the rest would be dead code.
#[allow(dead_code)]
mod bench {
    include!(concat!(env!("OUT_DIR"), "/bench.rs"));
}

/// The integers each call sends: `sum_array`'s bound.
const COUNT: usize = 1024;
/// The request on the wire: header, NDR, count, the integers.
const REQUEST_SIZE: usize = 36 + 4 * COUNT;
/// The reply on the wire: header, NDR, `RetCode`, the total.
const REPLY_SIZE: usize = 40;
/// The id that tells the hand-written server to stop.
const STOP_ID: i32 = 9999;

/// Sums, as the generated server trait asks.
struct Summer;

impl bench::BenchServer for Summer {
    async fn mach_port_allocate(&self, _right: u32) -> bench::ServeResult<u32> {
        Err(KERN_FAILURE)
    }

    async fn sum_array(&self, data: &[i32]) -> bench::ServeResult<i32> {
        Ok(data.iter().sum())
    }
}

fn pin(cpu: usize) {
    // Pinning can fail in a restricted container; the figures are then still printed,
    // only less controlled.
    let _ = migz::sys::os::pin_current_thread(cpu);
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

fn read_i32(bytes: &[u8], offset: usize) -> i32 {
    i32::from_ne_bytes(bytes[offset..offset + 4].try_into().expect("4 bytes"))
}

/// The hand-written server: sums each request's integers and answers through its
/// send-once right, until told to stop.
async fn raw_server(space: &Space, port: MachPortName) {
    let mut stream = space.messages(port).expect("a stream");
    while let Some(m) = stream.next().await {
        let h = m.header();
        if h.msgh_id == STOP_ID {
            return;
        }
        let bytes = m.bytes();
        assert_eq!(bytes.len(), REQUEST_SIZE, "the raw request");
        let total: i32 = bytes[36..]
            .chunks_exact(4)
            .map(|c| i32::from_ne_bytes(c.try_into().expect("4 bytes")))
            .sum();
        let mut reply = MsgBuf::<REPLY_SIZE>::new();
        MachMsgHeader {
            msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
            msgh_size: REPLY_SIZE as u32,
            msgh_remote_port: h.msgh_remote_port,
            msgh_id: h.msgh_id + 100,
            ..Default::default()
        }
        .write(&mut reply.0);
        reply.0[24..32].copy_from_slice(&m.bytes()[24..32]);
        reply.0[36..40].copy_from_slice(&total.to_ne_bytes());
        space.send_async(&reply.0).await.expect("raw reply");
    }
}

/// Nanoseconds per round trip of the hand-written calls and of the generated ones, the
/// medians of `rounds` alternating batches of `iters` calls, with the client on `cpus.0`
/// and the server on `cpus.1`.
fn rtt(cpus: (usize, usize), rounds: usize, iters: u32) -> (f64, f64) {
    let space = Space::new();
    let result = {
        let (stub_service, stub_send) = allocate_pair(&space).expect("a port");
        let (raw_service, raw_send) = allocate_pair(&space).expect("a port");
        let raw_port = raw_send.name();
        let server = {
            let space = space.clone();
            std::thread::spawn(move || {
                pin(cpus.1);
                let rt = current_thread_runtime();
                // Both servers are tasks of the runtime, so that their wake-ups take the same
                // path. The generated one is dropped with the runtime when the hand-written
                // one is told to stop.
                rt.spawn(async move {
                    let served = bench::serve(&Summer, &stub_service, 1).await;
                    panic!("the generated server stopped: {served:?}");
                });
                let raw = rt.spawn(async move {
                    raw_server(&space, raw_service.name()).await;
                    raw_service
                });
                let raw_service = rt.block_on(raw).expect("the raw server ends");
                drop(rt);
                drop(raw_service);
            })
        };
        let client = {
            let space = space.clone();
            std::thread::spawn(move || {
                pin(cpus.0);
                let data: Vec<i32> = (1..=COUNT as i32).collect();
                let expected: i32 = data.iter().sum();
                let client = bench::BenchClient::new(stub_send);
                let (reply_port, _reply_send) = allocate_pair(&space).expect("a reply port");
                // The same bytes the stub sends, packed once, to the raw server's port and
                // with a reused reply port.
                let mut request = MsgBuf::<{ REQUEST_SIZE + 64 }>::new();
                let input = bench::SumArrayIn {
                    server_port: raw_port,
                    data: migz::ffi::ConstSlice::new(&data).expect("1024 integers"),
                };
                let size = bench::SumArrayRequest::pack(&mut request.0, &input, reply_port.name())
                    .expect("the request packs");
                assert_eq!(size, REQUEST_SIZE);
                let request = &request.0[..REQUEST_SIZE];
                current_thread_runtime().block_on(async {
                    let mut replies = reply_port.messages().expect("a stream");
                    let mut reference = Vec::new();
                    let mut candidate = Vec::new();
                    for round in 0..=rounds {
                        let t = Instant::now();
                        for _ in 0..iters {
                            space.send_async(request).await.expect("raw request");
                            let reply = replies.next().await.expect("raw reply");
                            assert_eq!(read_i32(reply.bytes(), 36), expected);
                        }
                        let r = t.elapsed().as_nanos() as f64 / f64::from(iters);
                        let t = Instant::now();
                        for _ in 0..iters {
                            let total = client
                                .sum_array_async(std::hint::black_box(&data), None)
                                .await;
                            assert_eq!(total, Ok(expected));
                        }
                        let c = t.elapsed().as_nanos() as f64 / f64::from(iters);
                        // Round 0 warms up.
                        if round > 0 {
                            reference.push(r);
                            candidate.push(c);
                        }
                    }
                    let mut stop = MsgBuf::<24>::new();
                    MachMsgHeader {
                        msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0),
                        msgh_size: 24,
                        msgh_remote_port: raw_port,
                        msgh_id: STOP_ID,
                        ..Default::default()
                    }
                    .write(&mut stop.0);
                    space.send_async(&stop.0).await.expect("stop");
                    (
                        report::median(&mut reference),
                        report::median(&mut candidate),
                    )
                })
            })
        };
        let result = client.join().expect("the client ends");
        server.join().expect("the server ends");
        drop(raw_send);
        result
    };
    space.assert_no_leaks();
    result
}

/// Runs the suite.
pub fn run(quick: bool) {
    let (rounds, iters) = if quick { (5, 1_000) } else { (21, 5_000) };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let split = (0, if cpus > 1 { 1 } else { 0 });
    for (name, placement) in [
        ("stub_rtt_vs_raw_same", (0, 0)),
        ("stub_rtt_vs_raw_split", split),
    ] {
        let (raw_ns, stub_ns) = rtt(placement, rounds, iters);
        eprintln!(
            "  sum_array x{COUNT} cpus {placement:?}: generated stubs {stub_ns:.0} ns, hand-written {raw_ns:.0} ns"
        );
        // The goal: the stubs add at most 30% to a round trip.
        report::ratio(name, stub_ns / raw_ns, Goal::AtMost(1.3));
    }
}
