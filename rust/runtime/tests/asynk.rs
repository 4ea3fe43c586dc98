//! Async sends and message streams: wakeups through the port's own wait lists, queue
//! backpressure, timeouts, and cancellation that loses no message and moves no right.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::*;
use futures::{FutureExt, StreamExt};
use migz::Space;
use migz::abi::*;
use migz::rights::*;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_waiting_stream_is_woken_once_a_message_arrives() {
    let s = Space::new();
    {
        let (r, snd) = allocate_pair(&s).unwrap();
        let mut stream = r.messages().unwrap();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(stream.poll_next_unpin(&mut cx).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        assert_eq!(
            send(
                &s,
                &simple(snd.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 5, b"abcd"),
                None
            ),
            0
        );
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken exactly once");
        let Poll::Ready(Some(m)) = stream.poll_next_unpin(&mut cx) else {
            panic!("a message is ready")
        };
        assert_eq!(m.header().msgh_id, 5);
        assert_eq!(&m.bytes()[24..], b"abcd");
        assert_eq!(m.trailer().len(), 8);
    }
    s.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_reply_between_tasks() {
    let s = Space::new();
    {
        let (server, server_send) = allocate_pair(&s).unwrap();
        let srv = {
            let mut stream = server.messages().unwrap();
            let s = s.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    let m = stream.next().await.unwrap();
                    let h = m.header();
                    let rep = simple(
                        h.msgh_remote_port,
                        MACH_MSG_TYPE_MOVE_SEND_ONCE,
                        0,
                        0,
                        h.msgh_id + 100,
                        &m.bytes()[24..],
                    );
                    s.send_async(&rep).await.unwrap();
                }
            })
        };
        let reply = ReceiveRight::allocate(&s).unwrap();
        let mut replies = reply.messages().unwrap();
        for i in 0..100u32 {
            let req = simple(
                server_send.name(),
                MACH_MSG_TYPE_COPY_SEND,
                reply.name(),
                MACH_MSG_TYPE_MAKE_SEND_ONCE,
                7,
                &i.to_ne_bytes(),
            );
            s.send_async(&req).await.unwrap();
            let m = replies.next().await.unwrap();
            assert_eq!(m.header().msgh_id, 107);
            assert_eq!(&m.bytes()[24..28], &i.to_ne_bytes());
        }
        srv.await.unwrap();
    }
    s.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_send_waits_for_room_and_times_out_cleanly() {
    let s = Space::new();
    {
        let (r, snd) = allocate_pair(&s).unwrap();
        let msg = simple(snd.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[]);
        for _ in 0..5 {
            s.send_async(&msg).await.unwrap();
        }
        let t = tokio::time::timeout(Duration::from_millis(20), s.send_async(&msg)).await;
        assert!(t.is_err(), "the queue is full");
        assert_eq!(
            s.send_async_timeout(&msg, Duration::from_millis(5)).await,
            Err(migz::Error::SendTimedOut)
        );
        let mut stream = r.messages().unwrap();
        let s2 = s.clone();
        let name = snd.name();
        let sender = tokio::spawn(async move {
            let msg = simple(name, MACH_MSG_TYPE_COPY_SEND, 0, 0, 2, &[]);
            s2.send_async(&msg).await.unwrap();
        });
        let mut ids = Vec::new();
        for _ in 0..6 {
            ids.push(stream.next().await.unwrap().header().msgh_id);
        }
        sender.await.unwrap();
        assert_eq!(
            ids,
            [1, 1, 1, 1, 1, 2],
            "the timed-out send left nothing behind"
        );
        assert!(stream.next().now_or_never().is_none());
    }
    s.assert_no_leaks();
}

#[test]
fn a_dropped_send_future_moves_no_right() {
    let s = Space::new();
    {
        let (r, snd) = allocate_pair(&s).unwrap();
        let (_other, carried) = allocate_pair(&s).unwrap();
        let fill = simple(snd.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[]);
        for _ in 0..5 {
            assert_eq!(send(&s, &fill, None), 0);
        }
        let msg = complex(
            snd.name(),
            MACH_MSG_TYPE_COPY_SEND,
            0,
            0,
            2,
            &[Desc::Port(carried.name(), MACH_MSG_TYPE_MOVE_SEND)],
            &[],
        );
        let before = s
            .port_get_refs(carried.name(), MACH_PORT_RIGHT_SEND)
            .unwrap();
        let mut fut = s.send_async(&msg);
        let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        assert!(fut.poll_unpin(&mut cx).is_pending());
        drop(fut);
        assert_eq!(
            s.port_get_refs(carried.name(), MACH_PORT_RIGHT_SEND)
                .unwrap(),
            before
        );
        let mut stream = r.messages().unwrap();
        for _ in 0..5 {
            assert_eq!(
                stream
                    .next()
                    .now_or_never()
                    .flatten()
                    .unwrap()
                    .header()
                    .msgh_id,
                1
            );
        }
        assert!(stream.next().now_or_never().is_none(), "nothing half-sent");
    }
    s.assert_no_leaks();
}

#[test]
fn a_dropped_receive_future_loses_no_message() {
    let s = Space::new();
    {
        let (r, snd) = allocate_pair(&s).unwrap();
        let mut stream = r.messages().unwrap();
        let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        for i in 0..50 {
            {
                let mut next = stream.next();
                assert!(next.poll_unpin(&mut cx).is_pending());
                // Dropped while registered as a waiter.
            }
            assert_eq!(
                send(
                    &s,
                    &simple(snd.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, i, &[]),
                    None
                ),
                0
            );
            let got = stream.next().now_or_never().flatten().unwrap();
            assert_eq!(got.header().msgh_id, i);
        }
        drop(stream);
        drop((r, snd));
    }
    s.assert_no_leaks();
}

#[test]
fn the_stream_ends_when_the_port_dies_and_port_sets_stream_too() {
    let s = Space::new();
    {
        let set = PortSet::allocate(&s).unwrap();
        let (a, sa) = allocate_pair(&s).unwrap();
        let (b, sb) = allocate_pair(&s).unwrap();
        set.insert(&a).unwrap();
        set.insert(&b).unwrap();
        let mut stream = s.messages(set.name()).unwrap();
        assert_eq!(
            send(
                &s,
                &simple(sa.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[]),
                None
            ),
            0
        );
        assert_eq!(
            send(
                &s,
                &simple(sb.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 2, &[]),
                None
            ),
            0
        );
        let mut ids: Vec<i32> = (0..2)
            .map(|_| {
                stream
                    .next()
                    .now_or_never()
                    .flatten()
                    .unwrap()
                    .header()
                    .msgh_id
            })
            .collect();
        ids.sort();
        assert_eq!(ids, [1, 2]);
        let mut one = a.messages().unwrap();
        drop((a, sa));
        drop(set);
        assert_eq!(stream.next().now_or_never(), Some(None), "the set died");
        assert_eq!(one.next().now_or_never(), Some(None), "the port died");
        drop((b, sb));
    }
    s.assert_no_leaks();
}
