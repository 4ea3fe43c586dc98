//! The `transport` suite: the local Mach port emulation against plain channels.
//!
//! - `local_rtt_vs_crossbeam_{same,split}`: a 64-byte request/reply round trip between two
//!   threads through `migz1_mach_msg`, against a crossbeam `bounded(1)` ping-pong, with both
//!   threads pinned to one CPU (`same`) or to two (`split`).
//! - `local_rtt_vs_spin_split`: the same round trip against the physical limit of a
//!   hand-off between the two CPUs: one cache line bounced by two spinning threads. Unlike
//!   crossbeam, which sometimes parks on a futex and sometimes spins (a twentyfold jump
//!   here), this reference does not change with the scheduler's mood. The spinning echo
//!   thread blocks between its own batches: left spinning, it would share the server's CPU
//!   with the threads measured in the other batches, and a server woken there waits for the
//!   scheduler to preempt the spinner (a 4 ms tick on this VM), which once read as a 4 ms
//!   migz round trip.
//! - `local_rtt_rust_vs_spin_split`: the same round trip through `Space::mach_msg` from
//!   Rust instead of the C ABI, whose checked copy of the receive buffer costs a system
//!   call a receive (`pread` from a memory file): the transport alone against the same
//!   limit.
//! - `local_async_rtt_vs_tokio_mpsc_{same,split}`: the same with async client and server,
//!   each on a current-thread tokio runtime, against a tokio mpsc ping-pong.
//! - `ool_1mib_vs_memcpy`: sending and receiving a 1 MiB out-of-line region (moved, not
//!   copied) against a 1 MiB memcpy.
//!
//! Reference and candidate run in alternating batches in the same process, and each ratio
//! is the median candidate batch over the median reference batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use futures::StreamExt;
use migz::Space;
use migz::abi::*;

use crate::ffi;
use crate::report::{self, Goal};

/// The request and reply size on the wire (header included).
const MSG_SIZE: usize = 64;
/// Receive buffers leave room for the default trailer.
const RCV_SIZE: usize = MSG_SIZE + 8;
/// The message id that tells a server to stop.
const STOP_ID: i32 = 9999;

fn pin(cpu: usize) {
    // Pinning can fail in a restricted container; the figures are then still printed,
    // only less controlled.
    let _ = migz::sys::os::pin_current_thread(cpu);
}

fn header(bits: u32, remote: u32, local: u32, id: i32) -> [u8; MSG_SIZE] {
    let mut b = [0u8; MSG_SIZE];
    MachMsgHeader {
        msgh_bits: bits,
        msgh_size: MSG_SIZE as u32,
        msgh_remote_port: remote,
        msgh_local_port: local,
        msgh_voucher_port: 0,
        msgh_id: id,
    }
    .write(&mut b);
    b
}

/// Runs `f` for `iters` round trips and returns nanoseconds per round trip.
fn time(iters: u32, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// Which `mach_msg` a round trip goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    /// `migz1_mach_msg`, as C, Zig and generated stubs call it: the receive buffer is
    /// written through a checked copy (system calls), as the kernel checks it.
    C,
    /// `Space::mach_msg` from Rust: the transport alone.
    Rust,
}

impl Api {
    /// `mach_msg` on the space of `task` (which the C ABI knows as the thread's current
    /// space), through this interface.
    fn mach_msg(
        self,
        task: u32,
        buf: &mut [u8],
        option: i32,
        send: u32,
        rcv: u32,
        name: u32,
    ) -> i32 {
        match self {
            Api::C => ffi::mach_msg(buf, option, send, rcv, name),
            Api::Rust => {
                thread_local! {
                    static SPACE: std::cell::RefCell<Option<Space>> =
                        const { std::cell::RefCell::new(None) };
                }
                SPACE.with(|s| {
                    let mut s = s.borrow_mut();
                    if s.as_ref().is_none_or(|s| s.task() != task) {
                        *s = Space::from_task(task);
                    }
                    let space = s.as_ref().expect("a live space");
                    space.mach_msg(buf, option, send, rcv, name, 0, 0)
                })
            }
        }
    }
}

/// A MIG-style server: receive a request, reply through its send-once right and wait for
/// the next request in the same `mach_msg` call.
fn mig_server(api: Api, task: u32, port: u32, cpu: usize) {
    pin(cpu);
    migz_ffi::migz1_task_set_current(task);
    let mut buf = [0u8; RCV_SIZE];
    let mut r = api.mach_msg(task, &mut buf, MACH_RCV_MSG, 0, RCV_SIZE as u32, port);
    loop {
        assert_eq!(r, 0, "server receive");
        let h = MachMsgHeader::read(&buf).expect("a header");
        if h.msgh_id == STOP_ID {
            return;
        }
        MachMsgHeader {
            msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
            msgh_size: MSG_SIZE as u32,
            msgh_remote_port: h.msgh_remote_port,
            msgh_local_port: 0,
            msgh_voucher_port: 0,
            msgh_id: h.msgh_id + 100,
        }
        .write(&mut buf);
        r = api.mach_msg(
            task,
            &mut buf,
            MACH_SEND_MSG | MACH_RCV_MSG,
            MSG_SIZE as u32,
            RCV_SIZE as u32,
            port,
        );
    }
}

/// One cache line of its own, bounced between two spinning threads.
#[repr(align(128))]
#[derive(Debug, Default)]
struct Line(AtomicU64);

/// The value that ends one batch of [`spin_echo`].
const SPIN_PAUSE: u64 = u64::MAX;

/// For every batch announced on `go`, answers every odd value written to `line` with the
/// next even one, spinning, until [`SPIN_PAUSE`] (answered with 0); between batches it blocks on `go`, so
/// it takes no CPU time from the threads measured in the other batches. Returns when
/// `go` closes.
fn spin_echo(line: &Line, go: &mpsc::Receiver<()>, cpu: usize) {
    pin(cpu);
    while go.recv().is_ok() {
        loop {
            match line.0.load(Ordering::Acquire) {
                SPIN_PAUSE => {
                    // Tells the client the batch is over and the line ready for the next.
                    line.0.store(0, Ordering::Release);
                    break;
                }
                v if v % 2 == 1 => line.0.store(v + 1, Ordering::Release),
                _ => std::hint::spin_loop(),
            }
        }
    }
}

/// The median and the 99th percentile of some batches, for the figures' detail lines.
fn spread(batches: &[f64]) -> (f64, f64) {
    let mut v = batches.to_vec();
    (report::median(&mut v), report::percentile(&mut v, 99))
}

/// Round-trip figures of one `sync_rtt` run, nanoseconds per round trip.
#[derive(Debug)]
struct SyncRtt {
    /// migz over crossbeam, medians of batches.
    vs_crossbeam: f64,
    /// migz over the spinning cache line, medians of batches (only across two CPUs).
    vs_spin: Option<f64>,
}

fn sync_rtt(api: Api, cpus: (usize, usize), rounds: usize, iters: u32) -> SyncRtt {
    // Client and server are separate tasks, as a MIG client and server would be.
    let (task, client_task) = (ffi::task_create(), ffi::task_create());
    let space = Space::from_task(task).expect("just created");
    let client_space = Space::from_task(client_task).expect("just created");
    let port = space
        .port_allocate(MACH_PORT_RIGHT_RECEIVE)
        .expect("a port");
    let server_send = 0x5003;
    client_space
        .port_insert_right(server_send, &space, port, MACH_MSG_TYPE_MAKE_SEND)
        .expect("a send right");
    let server = std::thread::spawn(move || mig_server(api, task, port, cpus.1));

    let (req_tx, req_rx) = crossbeam_channel::bounded::<[u8; MSG_SIZE]>(1);
    let (rep_tx, rep_rx) = crossbeam_channel::bounded::<[u8; MSG_SIZE]>(1);
    let echo = std::thread::spawn(move || {
        pin(cpus.1);
        while let Ok(mut m) = req_rx.recv() {
            m[0] ^= 1;
            if rep_tx.send(m).is_err() {
                return;
            }
        }
    });

    // Spinning on one CPU would only measure the scheduler's time slice.
    let spin_line = (cpus.0 != cpus.1).then(|| Arc::new(Line::default()));
    let (spin_go, spin_go_rx) = mpsc::channel::<()>();
    let spinner = spin_line.clone().map(|line| {
        let cpu = cpus.1;
        std::thread::spawn(move || spin_echo(&line, &spin_go_rx, cpu))
    });

    let (out_tx, out_rx) = mpsc::channel();
    let client = std::thread::spawn(move || {
        pin(cpus.0);
        migz_ffi::migz1_task_set_current(client_task);
        let reply = migz_ffi::migz1_mig_get_reply_port();
        let port = server_send;
        let bits = mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
        let mut buf = [0u8; RCV_SIZE];
        let mut rtt_migz = || {
            buf[..MSG_SIZE].copy_from_slice(&header(bits, port, reply, 1));
            let r = api.mach_msg(
                client_task,
                &mut buf,
                MACH_SEND_MSG | MACH_RCV_MSG,
                MSG_SIZE as u32,
                RCV_SIZE as u32,
                reply,
            );
            assert_eq!(r, 0);
        };
        let msg = [7u8; MSG_SIZE];
        let rtt_cb = || {
            req_tx.send(msg).expect("echo thread alive");
            let _ = rep_rx.recv().expect("echo thread alive");
        };
        // One batch of the spinning reference: the echo thread starts spinning, is given
        // a first round trip outside the timing (so its wake-up is not measured), and
        // blocks again once the batch ends.
        let mut sent = 0u64;
        let mut spin_batch = |line: &Line| {
            let mut rtt = || {
                sent += 2;
                line.0.store(sent - 1, Ordering::Release);
                while line.0.load(Ordering::Acquire) != sent {
                    std::hint::spin_loop();
                }
            };
            spin_go.send(()).expect("spinner alive");
            rtt();
            let t = time(iters, rtt);
            line.0.store(SPIN_PAUSE, Ordering::Release);
            sent = 0;
            // The spinner leaves the batch only after seeing the pause; it resets the
            // line for the next batch once it has.
            while line.0.load(Ordering::Acquire) == SPIN_PAUSE {
                std::hint::spin_loop();
            }
            t
        };
        // Warm all up before measuring.
        time(iters, &mut rtt_migz);
        time(iters, rtt_cb);
        if let Some(line) = &spin_line {
            spin_batch(line);
        }
        let mut reference = Vec::new();
        let mut spin = Vec::new();
        let mut candidate = Vec::new();
        for _ in 0..rounds {
            reference.push(time(iters, rtt_cb));
            if let Some(line) = &spin_line {
                spin.push(spin_batch(line));
            }
            candidate.push(time(iters, &mut rtt_migz));
        }
        drop(spin_go);
        let stop = header(mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0), port, 0, STOP_ID);
        let mut b = stop;
        let rc = ffi::mach_msg(&mut b, MACH_SEND_MSG, MSG_SIZE as u32, 0, 0);
        assert_eq!(rc, 0);
        migz_ffi::migz1_mig_dealloc_reply_port(reply);
        drop(req_tx);
        let _ = out_tx.send((reference, spin, candidate));
    });
    client.join().expect("client");
    if let Some(spinner) = spinner {
        spinner.join().expect("spinner");
    }
    server.join().expect("server");
    echo.join().expect("echo");
    let (reference, spin, candidate) = out_rx.recv().expect("figures");
    client_space
        .port_deallocate(server_send)
        .expect("send right");
    space
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .expect("receive right");
    space.assert_no_leaks();
    client_space.assert_no_leaks();
    drop((space, client_space));
    assert_eq!(migz_ffi::migz1_task_destroy(task), 0);
    assert_eq!(migz_ffi::migz1_task_destroy(client_task), 0);
    let ((r, r99), (c, c99)) = (spread(&reference), spread(&candidate));
    eprintln!(
        "  sync rtt ({api:?} API) cpus {cpus:?}, batches of {iters}: crossbeam median {r:.0} ns p99 {r99:.0} ns, \
         migz median {c:.0} ns p99 {c99:.0} ns"
    );
    let vs_spin = (!spin.is_empty()).then(|| {
        let (s, s99) = spread(&spin);
        eprintln!("  sync rtt ({api:?} API) cpus {cpus:?}: spinning cache line median {s:.0} ns p99 {s99:.0} ns");
        c / s
    });
    SyncRtt {
        vs_crossbeam: c / r,
        vs_spin,
    }
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

fn async_rtt(cpus: (usize, usize), rounds: usize, iters: u32) -> f64 {
    let space = Space::new();
    let port = space
        .port_allocate(MACH_PORT_RIGHT_RECEIVE)
        .expect("a port");
    space
        .port_insert_right(port, &space, port, MACH_MSG_TYPE_MAKE_SEND)
        .expect("a send right");
    let reply = space
        .port_allocate(MACH_PORT_RIGHT_RECEIVE)
        .expect("a reply port");

    let (req_tx, mut req_rx) = tokio::sync::mpsc::channel::<[u8; MSG_SIZE]>(1);
    let (rep_tx, mut rep_rx) = tokio::sync::mpsc::channel::<[u8; MSG_SIZE]>(1);

    let server = {
        let space = space.clone();
        std::thread::spawn(move || {
            pin(cpus.1);
            current_thread_runtime().block_on(async move {
                let echo = async {
                    while let Some(mut m) = req_rx.recv().await {
                        m[0] ^= 1;
                        if rep_tx.send(m).await.is_err() {
                            return;
                        }
                    }
                };
                let serve = async {
                    let mut stream = space.messages(port).expect("a stream");
                    while let Some(m) = stream.next().await {
                        let h = m.header();
                        if h.msgh_id == STOP_ID {
                            return;
                        }
                        let rep = header(
                            mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                            h.msgh_remote_port,
                            0,
                            h.msgh_id + 100,
                        );
                        space.send_async(&rep).await.expect("reply");
                    }
                };
                futures::join!(echo, serve);
            });
        })
    };

    let client = {
        let space = space.clone();
        std::thread::spawn(move || {
            pin(cpus.0);
            current_thread_runtime().block_on(async move {
                let mut replies = space.messages(reply).expect("a stream");
                let req = header(
                    mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                    port,
                    reply,
                    1,
                );
                let msg = [7u8; MSG_SIZE];
                let mut reference = Vec::new();
                let mut candidate = Vec::new();
                for round in 0..=rounds {
                    let t = Instant::now();
                    for _ in 0..iters {
                        req_tx.send(msg).await.expect("echo alive");
                        rep_rx.recv().await.expect("echo alive");
                    }
                    let r = t.elapsed().as_nanos() as f64 / f64::from(iters);
                    let t = Instant::now();
                    for _ in 0..iters {
                        space.send_async(&req).await.expect("request");
                        replies.next().await.expect("reply");
                    }
                    let c = t.elapsed().as_nanos() as f64 / f64::from(iters);
                    // Round 0 warms up.
                    if round > 0 {
                        reference.push(r);
                        candidate.push(c);
                    }
                }
                let stop = header(mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0), port, 0, STOP_ID);
                space.send_async(&stop).await.expect("stop");
                drop(req_tx);
                (
                    report::median(&mut reference),
                    report::median(&mut candidate),
                )
            })
        })
    };
    let (r, c) = client.join().expect("client");
    server.join().expect("server");
    space.port_deallocate(port).expect("send right");
    space
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .expect("receive right");
    space
        .port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1)
        .expect("reply port");
    space.assert_no_leaks();
    eprintln!("  async rtt cpus {cpus:?}: tokio mpsc {r:.0} ns, migz {c:.0} ns");
    c / r
}

fn ool(rounds: usize, iters: u32) -> f64 {
    const SIZE: usize = 1 << 20;
    let space = Space::new();
    let port = space
        .port_allocate(MACH_PORT_RIGHT_RECEIVE)
        .expect("a port");
    let mut addr = space.vm_allocate(SIZE).expect("a region");
    space.with_region(addr, |m| m.fill(0x5a)).expect("owned");
    let src = vec![0x5au8; SIZE];
    let mut dst = vec![0u8; SIZE];
    let mut buf = vec![0u8; 256];
    let mut ool_once = |addr: &mut usize| {
        let mut m = vec![0u8; 44];
        MachMsgHeader {
            msgh_bits: MACH_MSGH_BITS_COMPLEX | mach_msgh_bits(MACH_MSG_TYPE_MAKE_SEND, 0),
            msgh_size: 44,
            msgh_remote_port: port,
            msgh_local_port: 0,
            msgh_voucher_port: 0,
            msgh_id: 1,
        }
        .write(&mut m);
        write_u32(&mut m, 24, 1);
        write_u64(&mut m, 28, *addr as u64);
        write_u32(&mut m, 36, ool_descriptor_word(true, MACH_MSG_VIRTUAL_COPY));
        write_u32(&mut m, 40, SIZE as u32);
        assert_eq!(space.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0), 0);
        assert_eq!(
            space.mach_msg(&mut buf, MACH_RCV_MSG, 0, 256, port, 0, 0),
            0
        );
        *addr = read_u64(&buf, 28).expect("descriptor") as usize;
    };
    let mut reference = Vec::new();
    let mut candidate = Vec::new();
    for round in 0..=rounds {
        let t = Instant::now();
        for _ in 0..iters {
            dst.copy_from_slice(std::hint::black_box(&src));
            std::hint::black_box(&mut dst);
        }
        let r = t.elapsed().as_nanos() as f64 / f64::from(iters);
        let t = Instant::now();
        for _ in 0..iters {
            ool_once(&mut addr);
        }
        let c = t.elapsed().as_nanos() as f64 / f64::from(iters);
        if round > 0 {
            reference.push(r);
            candidate.push(c);
        }
    }
    assert_eq!(
        space.with_region(addr, |m| m[SIZE - 1]).expect("owned"),
        0x5a
    );
    space.vm_deallocate(addr, SIZE).expect("owned");
    space
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .expect("receive right");
    space.assert_no_leaks();
    let (r, c) = (
        report::median(&mut reference),
        report::median(&mut candidate),
    );
    eprintln!("  1 MiB: memcpy {r:.0} ns, OOL send+receive {c:.0} ns");
    c / r
}

/// Runs the suite.
pub fn run(quick: bool) {
    let (rounds, iters) = if quick { (5, 2_000) } else { (15, 10_000) };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let split = (0, if cpus > 1 { 1 } else { 0 });
    report::ratio(
        "local_rtt_vs_crossbeam_same",
        sync_rtt(Api::C, (0, 0), rounds, iters).vs_crossbeam,
        Goal::AtMost(1.5),
    );
    let split_rtt = sync_rtt(Api::C, split, rounds, iters);
    report::ratio(
        "local_rtt_vs_crossbeam_split",
        split_rtt.vs_crossbeam,
        Goal::AtMost(1.5),
    );
    match split_rtt.vs_spin {
        Some(vs_spin) => report::ratio("local_rtt_vs_spin_split", vs_spin, Goal::AtMost(3.0)),
        None => eprintln!("  local_rtt_vs_spin_split: one CPU only, no figure"),
    }
    if let Some(vs_spin) = sync_rtt(Api::Rust, split, rounds, iters).vs_spin {
        report::ratio("local_rtt_rust_vs_spin_split", vs_spin, Goal::AtMost(3.0));
    }
    report::ratio(
        "local_async_rtt_vs_tokio_mpsc_same",
        async_rtt((0, 0), rounds, iters / 2),
        Goal::AtMost(1.5),
    );
    report::ratio(
        "local_async_rtt_vs_tokio_mpsc_split",
        async_rtt(split, rounds, iters / 2),
        Goal::AtMost(1.5),
    );
    report::ratio(
        "ool_1mib_vs_memcpy",
        ool(rounds, if quick { 50 } else { 200 }),
        Goal::AtMost(0.1),
    );
}
