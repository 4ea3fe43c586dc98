//! The `stream` suite: a Zig producer feeding a Rust `Stream` through a `migz::stream`
//! ring, against one thread and against tokio's mpsc.
//!
//! - `zigstream_vs_one_thread`: 1 GiB of `i32` made by the Zig generator
//!   (`zig/stream.zig`) straight into a 1 MiB ring on one CPU and summed by a Rust
//!   consumer on the other, against one thread that generates 64 KiB with the same
//!   generator and sums it with the same code, block after block. Reference time over
//!   candidate time: above 1 when two cores pay off.
//! - `zigstream_vs_tokio_mpsc_chunks`: the same candidate against the same values sent as
//!   64 KiB `Vec` chunks through a tokio mpsc channel of 16 (1 MiB in flight) and summed
//!   from a `Stream` over it.
//! - `zigstream_sparse_p50_vs_tokio_mpsc_{same,split}`: one `i64` at a time with a pause
//!   after each, so the consumer (a task on a current-thread tokio runtime) parks every
//!   time; the median latency from before the push to the task seeing the item, Zig ring
//!   over tokio mpsc, with both threads on one CPU (`same`) or two (`split`).
//!
//! Reference and candidate alternate in the same process; each ratio compares medians.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::ffi;
use crate::report::{self, Goal};

/// The chunk of the reference paths and the most the Zig producer commits at once.
const CHUNK_BYTES: usize = 64 * 1024;
const CHUNK_ITEMS: usize = CHUNK_BYTES / 4;
/// The ring of the candidate, and what the mpsc reference has in flight.
const RING_BYTES: u64 = 1 << 20;

fn pin(cpu: usize) {
    // Pinning can fail in a restricted container; the figures are then less controlled.
    let _ = migz::sys::os::pin_current_thread(cpu);
}

fn sum(xs: &[i32]) -> i64 {
    xs.iter().map(|&x| i64::from(x)).sum()
}

/// One thread: generate a block, sum it, repeat.
fn one_thread(items: u64) -> (f64, i64) {
    pin(0);
    let t = Instant::now();
    let mut buf = vec![0i32; CHUNK_ITEMS];
    let mut total = 0i64;
    let mut next = 0u64;
    while next < items {
        let n = (items - next).min(CHUNK_ITEMS as u64) as usize;
        ffi::fill_i32(&mut buf[..n], next);
        total += sum(&buf[..n]);
        next += n as u64;
    }
    (t.elapsed().as_secs_f64(), std::hint::black_box(total))
}

/// The Zig producer on CPU 1, the Rust stream consumer on CPU 0.
fn zig_stream(items: u64) -> (f64, i64) {
    pin(0);
    let t = Instant::now();
    let (mut stream, end) = migz::stream::from_zig::<i32>(RING_BYTES).expect("a ring");
    let producer = std::thread::spawn(move || {
        pin(1);
        ffi::zig_produce_i32(end, items, CHUNK_BYTES as u32)
    });
    let total = futures::executor::block_on(async {
        let mut total = 0i64;
        while let Some(chunk) = stream.next().await {
            total += sum(&chunk.expect("a clean stream"));
        }
        total
    });
    assert_eq!(producer.join().expect("the producer"), 0);
    (t.elapsed().as_secs_f64(), total)
}

/// 64 KiB `Vec`s through a tokio mpsc channel, read as a `Stream`.
fn tokio_chunks(items: u64) -> (f64, i64) {
    pin(0);
    let t = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<i32>>((RING_BYTES as usize) / CHUNK_BYTES);
    let producer = std::thread::spawn(move || {
        pin(1);
        let mut next = 0u64;
        while next < items {
            let n = (items - next).min(CHUNK_ITEMS as u64) as usize;
            let mut v = vec![0i32; n];
            ffi::fill_i32(&mut v, next);
            next += n as u64;
            if tx.blocking_send(v).is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let total = futures::executor::block_on(stream.fold(0i64, |a, v| async move { a + sum(&v) }));
    producer.join().expect("the producer");
    (t.elapsed().as_secs_f64(), total)
}

fn median_of(mut v: Vec<f64>) -> f64 {
    report::median(&mut v)
}

/// Runs reference and candidate alternately `rounds` times; returns their median times.
fn interleave(
    rounds: usize,
    items: u64,
    reference: fn(u64) -> (f64, i64),
    candidate: fn(u64) -> (f64, i64),
) -> (f64, f64) {
    let (mut r, mut c) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (tr, sr) = reference(items);
        let (tc, sc) = candidate(items);
        assert_eq!(sr, sc, "both sum the same values");
        r.push(tr);
        c.push(tc);
    }
    (median_of(r), median_of(c))
}

/// The time base both sides of a latency measurement read.
fn nanos_since(base: Instant) -> u64 {
    base.elapsed().as_nanos() as u64
}

/// Sends `count` items with `pause` after each from a thread on `cpus.1` to a task on a
/// current-thread runtime on `cpus.0`; returns the median latency in nanoseconds.
fn sparse(cpus: (usize, usize), count: usize, pause: Duration, zig: bool) -> f64 {
    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sent_p = sent.clone();
    let send_loop = move |mut push: Box<dyn FnMut(i64) -> bool>| {
        pin(cpus.1);
        for i in 0..count {
            sent_p[i].store(nanos_since(base), Ordering::Release);
            if !push(i as i64) {
                return;
            }
            std::thread::sleep(pause);
        }
    };
    let mut latencies = Vec::with_capacity(count);
    pin(cpus.0);
    if zig {
        let (mut stream, end) = migz::stream::from_zig::<i64>(4096).expect("a ring");
        let producer = std::thread::spawn(move || {
            let mut z = ffi::ZigStepper::new(end);
            send_loop(Box::new(move |i| z.push(i)));
        });
        runtime.block_on(async {
            while let Some(chunk) = stream.next().await {
                let now = nanos_since(base);
                for &i in chunk.expect("a clean stream").iter() {
                    latencies.push((now - sent[i as usize].load(Ordering::Acquire)) as f64);
                }
            }
        });
        producer.join().expect("the producer");
    } else {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<i64>(512);
        let producer = std::thread::spawn(move || {
            send_loop(Box::new(move |i| tx.blocking_send(i).is_ok()));
        });
        runtime.block_on(async {
            while let Some(i) = rx.recv().await {
                let now = nanos_since(base);
                latencies.push((now - sent[i as usize].load(Ordering::Acquire)) as f64);
            }
        });
        producer.join().expect("the producer");
    }
    report::median(&mut latencies)
}

/// Runs the suite.
pub fn run(quick: bool) {
    let (items, rounds) = if quick {
        ((64u64 << 20) / 4, 3)
    } else {
        ((1u64 << 30) / 4, 5)
    };
    let (one, zig) = interleave(rounds, items, one_thread, zig_stream);
    println!(
        "one thread {:.1} ms, zig stream {:.1} ms ({} MiB, median of {rounds})",
        one * 1e3,
        zig * 1e3,
        (items * 4) >> 20
    );
    let (tokio, zig2) = interleave(rounds, items, tokio_chunks, zig_stream);
    println!(
        "tokio mpsc chunks {:.1} ms, zig stream {:.1} ms",
        tokio * 1e3,
        zig2 * 1e3
    );
    report::ratio("zigstream_vs_one_thread", one / zig, Goal::AtLeast(1.2));
    report::ratio(
        "zigstream_vs_tokio_mpsc_chunks",
        tokio / zig2,
        Goal::AtLeast(1.3),
    );

    let (count, pause) = if quick {
        (200, Duration::from_micros(50))
    } else {
        (1000, Duration::from_micros(50))
    };
    for (name, cpus) in [("same", (0, 0)), ("split", (0, 1))] {
        let (mut r, mut c) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            r.push(sparse(cpus, count, pause, false));
            c.push(sparse(cpus, count, pause, true));
        }
        let (r, c) = (median_of(r), median_of(c));
        println!("sparse {name}: tokio mpsc p50 {r:.0} ns, zig stream p50 {c:.0} ns");
        report::ratio(
            &format!("zigstream_sparse_p50_vs_tokio_mpsc_{name}"),
            c / r,
            Goal::AtMost(1.2),
        );
    }
}
