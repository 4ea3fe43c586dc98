//! Channels between Rust and Zig in both directions: Rust senders to Zig receivers and
//! back to an async Rust receiver, several of each, bounded and unbounded, and the ends
//! that close them.

use futures::StreamExt;
use migz::channel::{RecvError, SendError};
use migz_rust_stream::{zig_echo, zig_send_u64};

#[test]
fn rust_to_zig_to_async_rust_with_several_of_each() {
    for capacity in [Some(2), None] {
        let make = |max| match capacity {
            Some(c) => migz::channel::bounded(c, max),
            None => migz::channel::unbounded(max),
        };
        let (to_zig, from_rust) = make(64);
        let (to_rust, mut from_zig) = make(64);
        // Two Zig services share the receiving and the sending side.
        let services: Vec<_> = (0..2)
            .map(|_| {
                let (rx, tx) = (from_rust.clone(), to_rust.clone());
                std::thread::spawn(move || zig_echo(rx, tx))
            })
            .collect();
        drop((from_rust, to_rust));
        // Three Rust senders.
        let senders: Vec<_> = (0..3u32)
            .map(|p| {
                let tx = to_zig.clone();
                std::thread::spawn(move || {
                    for i in 0..500u32 {
                        tx.send(format!("{p}:{i}").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        drop(to_zig);
        let mut got: Vec<String> = futures::executor::block_on(async {
            let mut got = Vec::new();
            while let Some(m) = from_zig.next().await {
                got.push(String::from_utf8(m.into_iter().rev().collect()).unwrap());
            }
            got
        });
        senders.into_iter().for_each(|s| s.join().unwrap());
        let echoed: u64 = services.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(echoed, 1500);
        got.sort();
        let mut want: Vec<String> = (0..3)
            .flat_map(|p| (0..500).map(move |i| format!("{p}:{i}")))
            .collect();
        want.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn zig_senders_and_closing() {
    let (tx, rx) = migz::channel::bounded(4, 8);
    // try-only: the Zig sender stops at the first full refusal.
    assert_eq!(zig_send_u64(tx.clone(), 0, 10, true), 4);
    let threads: Vec<_> = (1..=2u64)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || zig_send_u64(tx, p * 1000, 100, false))
        })
        .collect();
    drop(tx);
    let mut sum = 0u64;
    while let Ok(m) = rx.recv() {
        sum += u64::from_le_bytes(m.try_into().unwrap());
    }
    let sent: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(sent, 200);
    assert_eq!(
        sum,
        6 + (1000..1100).sum::<u64>() + (2000..2100).sum::<u64>()
    );
    assert_eq!(rx.try_recv(), Err(RecvError::Closed));

    // A receiver that closes the channel stops a blocked Zig sender.
    let (tx, rx) = migz::channel::bounded(1, 8);
    let t = std::thread::spawn(move || zig_send_u64(tx, 0, u64::MAX, false));
    assert_eq!(rx.recv().unwrap(), 0u64.to_le_bytes());
    rx.close();
    assert!(t.join().unwrap() >= 1);
    drop(rx);

    // Messages over the limit are refused.
    let (tx, _rx) = migz::channel::unbounded(2);
    assert_eq!(tx.send(b"abc"), Err(SendError::TooLarge { max: 2 }));
}
