//! The `stream` suite: a Zig producer feeding a Rust `Stream` through a `migz::stream`
//! ring, against one thread and against tokio's mpsc.
//!
//! - `zigstream_vs_one_thread`: 1 GiB of `i32` made by the Zig generator
//!   (`zig/stream.zig`) straight into a 1 MiB ring on one CPU and summed by a Rust
//!   consumer on the other, against one thread that generates 64 KiB with the same
//!   generator and sums it with the same code, block after block. Reference time over
//!   candidate time: above 1 when two cores pay off.
//! - `zigstream_efficiency`: that speed-up over the most two cores can give this split of
//!   work, (generate + sum) / max(generate, sum), with both phases timed apart inside the
//!   one-thread run of the same round: 1.0 is a stream that costs nothing.
//! - `zigstream_balanced_{vs_one_thread,efficiency}`: the same two figures when the
//!   consumer mixes every value (a finalizer as costly as the generator's) before summing,
//!   so producing and consuming cost about the same and two cores can nearly halve the time.
//! - `zigstream{,_balanced}_blocks_efficiency`: the efficiency figures again, with the
//!   consumer reading each chunk in 4 KiB blocks through `Chunk::blocks`, which asks the
//!   CPU to load the next block while the consumer works on the current one.
//! - `zigstream{,_balanced}_vs_plain_ring`: the stream's time over a hand-written ring
//!   of the same size moving the same chunks, both threads spinning (no waking, no
//!   `Stream`): what the stream adds to the cost of handing the data from one CPU to the
//!   other, which the efficiency figures' ideal leaves out. At most 1.1 is the goal.
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

/// What the consumer does with each value.
#[derive(Clone, Copy, Debug)]
enum Work {
    /// Sums the values: far cheaper than generating them.
    Sum,
    /// Mixes each value as the generator did, then sums: about as costly as generating.
    MixSum,
}

/// The Rust consumer's per-value mix for [`Work::MixSum`]: a finalizer of the same shape
/// and cost as the Zig generator's.
fn mix(x: i32) -> i64 {
    let mut x = x as u32;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^= x >> 16;
    i64::from(x)
}

fn consume(xs: &[i32], work: Work) -> i64 {
    match work {
        Work::Sum => xs.iter().map(|&x| i64::from(x)).sum(),
        Work::MixSum => xs.iter().map(|&x| mix(x)).sum(),
    }
}

/// The times of one run.
#[derive(Clone, Copy, Debug)]
struct Times {
    /// The whole run, in seconds.
    total: f64,
    /// Of which generating (one thread only), in seconds.
    generate: f64,
    /// Of which consuming (one thread only), in seconds.
    consume: f64,
}

/// One thread: generate a block, consume it, repeat; the two phases are timed apart.
fn one_thread(items: u64, work: Work) -> (Times, i64) {
    pin(0);
    let t = Instant::now();
    let mut buf = vec![0i32; CHUNK_ITEMS];
    let mut total = 0i64;
    let mut next = 0u64;
    let (mut generate, mut consuming) = (0.0, 0.0);
    while next < items {
        let n = (items - next).min(CHUNK_ITEMS as u64) as usize;
        let g = Instant::now();
        ffi::fill_i32(&mut buf[..n], next);
        let c = Instant::now();
        total += consume(&buf[..n], work);
        let done = Instant::now();
        generate += (c - g).as_secs_f64();
        consuming += (done - c).as_secs_f64();
        next += n as u64;
    }
    let times = Times {
        total: t.elapsed().as_secs_f64(),
        generate,
        consume: consuming,
    };
    (times, std::hint::black_box(total))
}

/// The Zig producer on CPU 1, the Rust stream consumer on CPU 0.
fn zig_stream(items: u64, work: Work) -> (Times, i64) {
    zig_stream_reading(items, work, None)
}

/// As [`zig_stream`], with the consumer taking each chunk in prefetched blocks
/// ([`migz::stream::Chunk::blocks`]) of [`BLOCK_ITEMS`].
fn zig_stream_blocks(items: u64, work: Work) -> (Times, i64) {
    zig_stream_reading(items, work, Some(BLOCK_ITEMS))
}

/// The Zig producer on CPU 1 and the Rust stream consumer on CPU 0, which reads each
/// chunk whole or in prefetched blocks of `blocks` items.
fn zig_stream_reading(items: u64, work: Work, blocks: Option<usize>) -> (Times, i64) {
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
            let chunk = chunk.expect("a clean stream");
            total += match blocks {
                None => consume(&chunk, work),
                Some(n) => chunk.blocks(n).map(|b| consume(b, work)).sum::<i64>(),
            };
        }
        total
    });
    assert_eq!(producer.join().expect("the producer"), 0);
    (only_total(t.elapsed().as_secs_f64()), total)
}

/// The block of [`zig_stream_blocks`]: 4 KiB, a page.
const BLOCK_ITEMS: usize = 1024;

/// The same chunks through a hand-written ring of sixteen 64 KiB slots (1 MiB, as the
/// candidate's), with both threads spinning for each other: about the least a hand-off of
/// the data between the two CPUs costs, so the reference that says what the stream itself
/// adds. Each slot's lock is only ever taken by one side at a time.
fn plain_ring(items: u64, work: Work) -> (Times, i64) {
    const SLOTS: usize = (RING_BYTES as usize) / CHUNK_BYTES;
    struct Ring {
        slots: Vec<std::sync::Mutex<Vec<i32>>>,
        /// Chunks filled.
        head: AtomicU64,
        /// Chunks consumed.
        tail: AtomicU64,
    }
    let chunks = items.div_ceil(CHUNK_ITEMS as u64);
    let chunk_len = move |c: u64| (items - c * CHUNK_ITEMS as u64).min(CHUNK_ITEMS as u64) as usize;
    pin(0);
    let t = Instant::now();
    let ring = Arc::new(Ring {
        slots: (0..SLOTS)
            .map(|_| std::sync::Mutex::new(vec![0i32; CHUNK_ITEMS]))
            .collect(),
        head: AtomicU64::new(0),
        tail: AtomicU64::new(0),
    });
    let theirs = Arc::clone(&ring);
    let producer = std::thread::spawn(move || {
        pin(1);
        for c in 0..chunks {
            while c - theirs.tail.load(Ordering::Acquire) >= SLOTS as u64 {
                std::hint::spin_loop();
            }
            let mut slot = theirs.slots[c as usize % SLOTS].lock().expect("a slot");
            ffi::fill_i32(&mut slot[..chunk_len(c)], c * CHUNK_ITEMS as u64);
            drop(slot);
            theirs.head.store(c + 1, Ordering::Release);
        }
    });
    let mut total = 0i64;
    for c in 0..chunks {
        while ring.head.load(Ordering::Acquire) <= c {
            std::hint::spin_loop();
        }
        let slot = ring.slots[c as usize % SLOTS].lock().expect("a slot");
        total += consume(&slot[..chunk_len(c)], work);
        drop(slot);
        ring.tail.store(c + 1, Ordering::Release);
    }
    producer.join().expect("the producer");
    (only_total(t.elapsed().as_secs_f64()), total)
}

/// 64 KiB `Vec`s through a tokio mpsc channel, read as a `Stream`.
fn tokio_chunks(items: u64, work: Work) -> (Times, i64) {
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
    let total =
        futures::executor::block_on(stream.fold(0i64, |a, v| async move { a + consume(&v, work) }));
    producer.join().expect("the producer");
    (only_total(t.elapsed().as_secs_f64()), total)
}

/// The times of a run whose phases overlap and are not timed apart.
fn only_total(total: f64) -> Times {
    Times {
        total,
        generate: 0.0,
        consume: 0.0,
    }
}

fn median_of(mut v: Vec<f64>) -> f64 {
    report::median(&mut v)
}

/// A run of the suite: items and work in, times and checksum out.
type Run = fn(u64, Work) -> (Times, i64);

/// Runs reference and candidate alternately `rounds` times; returns their median times
/// (each field the median of its own samples).
fn interleave(
    rounds: usize,
    items: u64,
    work: Work,
    reference: Run,
    candidate: Run,
) -> (Times, Times) {
    let (mut r, mut c) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (tr, sr) = reference(items, work);
        let (tc, sc) = candidate(items, work);
        assert_eq!(sr, sc, "both consume the same values");
        r.push(tr);
        c.push(tc);
    }
    (medians(&r), medians(&c))
}

fn medians(runs: &[Times]) -> Times {
    Times {
        total: median_of(runs.iter().map(|t| t.total).collect()),
        generate: median_of(runs.iter().map(|t| t.generate).collect()),
        consume: median_of(runs.iter().map(|t| t.consume).collect()),
    }
}

/// How much of the overlap two cores allow the stream reaches: the speed-up over one
/// thread divided by the ideal speed-up, (generate + consume) / max(generate, consume),
/// every time from the same run.
fn efficiency(one: Times, stream: Times) -> f64 {
    let ideal = (one.generate + one.consume) / one.generate.max(one.consume);
    (one.total / stream.total) / ideal
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
    let mib = (items * 4) >> 20;
    for (work, prefix, speedup_goal) in [
        (Work::Sum, "zigstream", 1.2),
        (Work::MixSum, "zigstream_balanced", 1.6),
    ] {
        let (one, zig) = interleave(rounds, items, work, one_thread, zig_stream);
        eprintln!(
            "{prefix}: one thread {:.1} ms (generate {:.1} ms, consume {:.1} ms), \
             zig stream {:.1} ms ({mib} MiB, median of {rounds})",
            one.total * 1e3,
            one.generate * 1e3,
            one.consume * 1e3,
            zig.total * 1e3,
        );
        report::ratio(
            &format!("{prefix}_vs_one_thread"),
            one.total / zig.total,
            Goal::AtLeast(speedup_goal),
        );
        report::ratio(
            &format!("{prefix}_efficiency"),
            efficiency(one, zig),
            Goal::AtLeast(0.9),
        );
        let (one, blocks) = interleave(rounds, items, work, one_thread, zig_stream_blocks);
        eprintln!(
            "{prefix}: one thread {:.1} ms, zig stream read in prefetched 4 KiB blocks {:.1} ms",
            one.total * 1e3,
            blocks.total * 1e3,
        );
        report::ratio(
            &format!("{prefix}_blocks_efficiency"),
            efficiency(one, blocks),
            Goal::AtLeast(0.9),
        );
        let (plain, zig) = interleave(rounds, items, work, plain_ring, zig_stream);
        eprintln!(
            "{prefix}: hand-written spinning ring {:.1} ms, zig stream {:.1} ms",
            plain.total * 1e3,
            zig.total * 1e3,
        );
        report::ratio(
            &format!("{prefix}_vs_plain_ring"),
            zig.total / plain.total,
            Goal::AtMost(1.1),
        );
    }
    let (tokio, zig) = interleave(rounds, items, Work::Sum, tokio_chunks, zig_stream);
    eprintln!(
        "tokio mpsc chunks {:.1} ms, zig stream {:.1} ms",
        tokio.total * 1e3,
        zig.total * 1e3
    );
    report::ratio(
        "zigstream_vs_tokio_mpsc_chunks",
        tokio.total / zig.total,
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
        eprintln!("sparse {name}: tokio mpsc p50 {r:.0} ns, zig stream p50 {c:.0} ns");
        report::ratio(
            &format!("zigstream_sparse_p50_vs_tokio_mpsc_{name}"),
            c / r,
            Goal::AtMost(1.2),
        );
    }
}
