//! Rings between Rust and Zig: a Zig producer read by a Rust `Stream` (zero copy, wakes
//! only when waiting, backpressure, close and error ends), and a Rust producer read by a
//! Zig consumer that blocks or polls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures::{Stream, StreamExt};
use migz::stream::{
    PushError, STREAM_ABANDONED, STREAM_CLOSED, STREAM_OK, STREAM_WOULD_BLOCK, StreamError,
};
use migz_rust_stream::*;

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicU64);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter::default());
    (c.clone(), Waker::from(c))
}

fn poll<S: Stream + Unpin>(s: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    s.poll_next_unpin(&mut Context::from_waker(waker))
}

fn ints(xs: &[i32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

#[test]
fn zig_producer_to_rust_stream_in_order() {
    let (stream, end) = migz::stream::from_zig::<i32>(4096).unwrap();
    let count = 1_000_000u64;
    let producer = std::thread::spawn(move || zig_produce_i32(end, -5, count, 1000));
    let mut expect = -5i32;
    let mut seen = 0u64;
    for chunk in futures::executor::block_on_stream(stream) {
        for &x in chunk.unwrap().iter() {
            assert_eq!(x, expect);
            expect = expect.wrapping_add(1);
            seen += 1;
        }
    }
    assert_eq!(producer.join().unwrap(), STREAM_OK);
    assert_eq!(seen, count);
}

#[test]
fn chunks_are_the_ring_itself() {
    // Zero copy: two chunks that follow each other in the ring are adjacent in memory.
    let (mut stream, end) = migz::stream::from_zig::<i32>(1024).unwrap();
    let mut zig = ZigStepper::new(end);
    let w = Waker::noop();
    assert_eq!(zig.try_push(&ints(&[1, 2])), STREAM_OK);
    let Poll::Ready(Some(Ok(a))) = poll(&mut stream, w) else {
        panic!("a chunk")
    };
    assert_eq!(zig.try_push(&ints(&[3])), STREAM_OK);
    let Poll::Ready(Some(Ok(b))) = poll(&mut stream, w) else {
        panic!("a chunk")
    };
    assert_eq!((&*a, &*b), (&[1, 2][..], &[3][..]));
    assert_eq!(a.as_ptr().wrapping_add(2), b.as_ptr());
    drop((a, b));
    zig.finish(0, false);
}

#[test]
fn wakes_only_a_waiting_consumer() {
    let (mut stream, end) = migz::stream::from_zig::<i32>(1 << 16).unwrap();
    let mut zig = ZigStepper::new(end);
    let (count, waker) = counting();

    // N pushes while the consumer is not waiting: no wake call at all.
    for i in 0..100 {
        assert_eq!(zig.try_push(&ints(&[i])), STREAM_OK);
    }
    assert_eq!(stream.wake_calls(), 0);
    let Poll::Ready(Some(Ok(chunk))) = poll(&mut stream, &waker) else {
        panic!("data")
    };
    assert_eq!(chunk.len(), 100);
    drop(chunk);
    assert_eq!(count.0.load(Ordering::SeqCst), 0);

    // Each park then push: exactly one call, however many pushes follow the first.
    for round in 1..=5u64 {
        assert!(poll(&mut stream, &waker).is_pending());
        for i in 0..3 {
            assert_eq!(zig.try_push(&ints(&[i])), STREAM_OK);
        }
        assert_eq!(stream.wake_calls(), round);
        assert_eq!(count.0.load(Ordering::SeqCst), round);
        let Poll::Ready(Some(Ok(c))) = poll(&mut stream, &waker) else {
            panic!("data")
        };
        assert_eq!(&*c, &[0, 1, 2]);
    }
    // The close wakes a waiting consumer once, and the stream ends with None.
    assert!(poll(&mut stream, &waker).is_pending());
    zig.finish(0, false);
    assert_eq!(count.0.load(Ordering::SeqCst), 6);
    assert!(matches!(poll(&mut stream, &waker), Poll::Ready(None)));
    assert!(matches!(poll(&mut stream, &waker), Poll::Ready(None)));
}

#[test]
fn try_push_would_block_until_chunks_are_dropped() {
    let (mut stream, end) = migz::stream::from_zig::<i32>(64).unwrap();
    let mut zig = ZigStepper::new(end);
    let w = Waker::noop();
    assert_eq!(zig.try_push(&ints(&[7; 16])), STREAM_OK);
    assert_eq!(zig.try_push(&ints(&[8])), STREAM_WOULD_BLOCK);
    let Poll::Ready(Some(Ok(held))) = poll(&mut stream, w) else {
        panic!("data")
    };
    // Read but still held: still no room.
    assert_eq!(zig.try_push(&ints(&[8])), STREAM_WOULD_BLOCK);
    drop(held);
    assert_eq!(zig.try_push(&ints(&[8])), STREAM_OK);
    // A consumer that goes away fails the producer's pushes instead of hanging them.
    drop(stream);
    assert_eq!(zig.try_push(&ints(&[9])), STREAM_CLOSED);
    zig.finish(0, false);
}

#[test]
fn blocking_zig_push_parks_until_room_frees() {
    let (mut stream, end) = migz::stream::from_zig::<u8>(64).unwrap();
    let payload: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let expected = payload.clone();
    let producer = std::thread::spawn(move || zig_produce_bytes(end, &payload, 0, false));
    let got = futures::executor::block_on(async {
        let mut got = Vec::new();
        while let Some(c) = stream.next().await {
            got.extend_from_slice(&c.unwrap());
        }
        got
    });
    assert_eq!(producer.join().unwrap(), STREAM_OK);
    assert_eq!(got, expected);
}

#[test]
fn stream_ends_with_the_producers_error_or_abandoned() {
    let (stream, end) = migz::stream::from_zig::<u8>(64).unwrap();
    assert_eq!(zig_produce_bytes(end, b"partial", -42, false), STREAM_OK);
    let items: Vec<_> = futures::executor::block_on_stream(stream).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().as_bytes(), b"partial");
    assert_eq!(items[1].as_ref().unwrap_err(), &StreamError::Failed(-42));

    let (stream, end) = migz::stream::from_zig::<u8>(64).unwrap();
    assert_eq!(zig_produce_bytes(end, b"x", 0, true), STREAM_OK);
    let items: Vec<_> = futures::executor::block_on_stream(stream).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_ref().unwrap_err().code(), STREAM_ABANDONED);

    // A producer end that never reaches Zig ends the stream as abandoned too.
    let (mut stream, end) = migz::stream::from_zig::<u8>(64).unwrap();
    drop(end);
    let r = futures::executor::block_on(stream.next());
    assert_eq!(r.unwrap().unwrap_err(), StreamError::Abandoned);
}

#[test]
fn zig_producer_stops_when_the_rust_stream_is_dropped() {
    let (mut stream, end) = migz::stream::from_zig::<i32>(256).unwrap();
    let producer = std::thread::spawn(move || zig_produce_i32(end, 0, u64::MAX, 64));
    let first = futures::executor::block_on(stream.next()).unwrap().unwrap();
    assert_eq!(first[0], 0);
    drop(first);
    drop(stream);
    // The blocked producer is woken and told the consumer is gone.
    assert_eq!(producer.join().unwrap(), STREAM_CLOSED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_task_reads_a_zig_producer() {
    let (stream, end) = migz::stream::from_zig::<i32>(1 << 12).unwrap();
    let producer = tokio::task::spawn_blocking(move || zig_produce_i32(end, 1, 100_000, 512));
    let sum: i64 = stream
        .map(|c| c.unwrap().iter().map(|&x| i64::from(x)).sum::<i64>())
        .fold(0, |a, b| async move { a + b })
        .await;
    assert_eq!(producer.await.unwrap(), STREAM_OK);
    assert_eq!(sum, 100_000 * 100_001 / 2);
}

#[test]
fn rust_producer_to_blocking_and_polling_zig_consumers() {
    for poll in [false, true] {
        let (mut sink, end) = migz::stream::to_zig::<i32>(1024).unwrap();
        let consumer = std::thread::spawn(move || zig_consume_i32(end, 10, poll, 0));
        let items: Vec<i32> = (10..200_010).collect();
        for part in items.chunks(777) {
            sink.push(part).unwrap();
        }
        sink.close();
        let s = consumer.join().unwrap();
        assert_eq!(s.status, 0);
        assert_eq!(s.count, 200_000);
        assert_eq!(s.sum, items.iter().map(|&x| i64::from(x)).sum::<i64>());
    }
}

#[test]
fn rust_producer_error_and_abandon_reach_zig() {
    let (mut sink, end) = migz::stream::to_zig::<i32>(256).unwrap();
    sink.try_push(&[1, 2, 3]).unwrap();
    sink.fail(99);
    let s = zig_consume_i32(end, 1, false, 0);
    assert_eq!((s.count, s.sum, s.status), (3, 6, 99));

    let (sink, end) = migz::stream::to_zig::<i32>(256).unwrap();
    drop(sink);
    assert_eq!(zig_consume_i32(end, 0, true, 0).status, STREAM_ABANDONED);
}

#[test]
fn rust_producer_backpressure_from_a_zig_consumer() {
    let (mut sink, end) = migz::stream::to_zig::<i32>(64).unwrap();
    let items: Vec<i32> = (0..1_000_000).collect();
    sink.try_push(&items[..16]).unwrap();
    assert_eq!(sink.try_push(&items[16..17]), Err(PushError::WouldBlock));
    assert_eq!(sink.try_push(&items[16..33]), Err(PushError::TooLarge));
    // The Zig consumer gives up after 20 items; the blocked Rust push then fails.
    let consumer = std::thread::spawn(move || zig_consume_i32(end, 0, false, 20));
    let r = sink.push(&items[16..]);
    assert_eq!(r, Err(PushError::Closed));
    assert!(consumer.join().unwrap().count >= 20);
    assert!(sink.wake_calls() <= 1_000_000 / 16);
}
