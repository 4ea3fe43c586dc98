//! Channels of byte messages between any number of senders and receivers, in Rust and
//! (through `migz1_channel_*` of `bridge/migz.h`) in Zig, bounded or unbounded.
//!
//! A message is a copy of 0..=`message_size_max` bytes; fixed-size items travel as their
//! bytes (`zerocopy`'s `as_bytes` and `read_from_bytes`). Senders block (thread), wait
//! (task) or fail at once (`try_send`) while a bounded channel is full; receivers the same
//! while it is empty. A [`Receiver`] is a `futures::Stream` of messages.
//!
//! The channel closes when [`Sender::close`] or [`Receiver::close`] is called, when every
//! sender is gone (receivers still drain what is queued, then see the end) or when every
//! receiver is gone (sends fail).
//!
//! ```
//! use futures::StreamExt;
//!
//! let (tx, mut rx) = migz::channel::bounded(16, 64);
//! std::thread::spawn(move || {
//!     for i in 0u32..10 {
//!         tx.send(&i.to_le_bytes()).unwrap();
//!     }
//! });
//! let total: u32 = futures::executor::block_on(async {
//!     let mut total = 0;
//!     while let Some(m) = rx.next().await {
//!         total += u32::from_le_bytes(m.try_into().unwrap());
//!     }
//!     total
//! });
//! assert_eq!(total, 45);
//! ```

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Why a send failed; the message comes back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The channel is full (`try_send`, or a timeout).
    #[error("the channel is full")]
    Full,
    /// The channel is closed, or every receiver is gone.
    #[error("the channel is closed")]
    Closed,
    /// The message is longer than the channel's `message_size_max`.
    #[error("the message is longer than {max} bytes")]
    TooLarge {
        /// The channel's limit.
        max: usize,
    },
}

/// Why a receive got no message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// Nothing is queued now (`try_recv`, or a timeout).
    #[error("the channel is empty")]
    Empty,
    /// The channel is closed (or every sender gone) and drained.
    #[error("the channel is closed")]
    Closed,
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Vec<u8>>,
    closed: bool,
    senders: usize,
    receivers: usize,
    next_id: u64,
    /// Tasks waiting to receive, each under the id of its receiver.
    recv_wakers: Vec<(u64, Waker)>,
    /// Tasks waiting to send.
    send_wakers: Vec<(u64, Waker)>,
}

impl State {
    fn is_closed(&self) -> bool {
        self.closed || self.senders == 0
    }

    fn send_closed(&self) -> bool {
        self.closed || self.receivers == 0
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: Option<usize>,
    message_size_max: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the queue itself consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn full(&self, s: &State) -> bool {
        self.capacity.is_some_and(|c| s.queue.len() >= c)
    }

    /// Wakes everyone waiting: after a close, or after the last sender or receiver left.
    fn wake_all(&self, s: &mut State) -> Vec<Waker> {
        self.not_empty.notify_all();
        self.not_full.notify_all();
        let mut w: Vec<Waker> = s.recv_wakers.drain(..).map(|(_, w)| w).collect();
        w.extend(s.send_wakers.drain(..).map(|(_, w)| w));
        w
    }

    fn try_send(&self, msg: &[u8]) -> Result<(), SendError> {
        if msg.len() > self.message_size_max {
            return Err(SendError::TooLarge {
                max: self.message_size_max,
            });
        }
        let mut s = self.lock();
        self.push(&mut s, msg)
    }

    fn push(&self, s: &mut MutexGuard<'_, State>, msg: &[u8]) -> Result<(), SendError> {
        if s.send_closed() {
            return Err(SendError::Closed);
        }
        if self.full(s) {
            return Err(SendError::Full);
        }
        s.queue.push_back(msg.to_vec());
        self.not_empty.notify_one();
        // Every waiting task is woken: one that was woken but then dropped its future
        // would otherwise swallow the message's wake-up.
        let wakers: Vec<Waker> = s.recv_wakers.drain(..).map(|(_, w)| w).collect();
        drop_and_wake(s, wakers);
        Ok(())
    }

    fn pop(&self, s: &mut MutexGuard<'_, State>) -> Result<Vec<u8>, RecvError> {
        match s.queue.pop_front() {
            Some(m) => {
                self.not_full.notify_one();
                let wakers: Vec<Waker> = s.send_wakers.drain(..).map(|(_, w)| w).collect();
                drop_and_wake(s, wakers);
                Ok(m)
            }
            None if s.is_closed() => Err(RecvError::Closed),
            None => Err(RecvError::Empty),
        }
    }

    fn send_deadline(&self, msg: &[u8], deadline: Option<Instant>) -> Result<(), SendError> {
        if msg.len() > self.message_size_max {
            return Err(SendError::TooLarge {
                max: self.message_size_max,
            });
        }
        let mut s = self.lock();
        loop {
            match self.push(&mut s, msg) {
                Err(SendError::Full) => {}
                r => return r,
            }
            s = match deadline {
                None => self.not_full.wait(s).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(SendError::Full);
                    }
                    self.not_full
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    fn recv_deadline(&self, deadline: Option<Instant>) -> Result<Vec<u8>, RecvError> {
        let mut s = self.lock();
        loop {
            match self.pop(&mut s) {
                Err(RecvError::Empty) => {}
                r => return r,
            }
            s = match deadline {
                None => self.not_empty.wait(s).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(RecvError::Empty);
                    }
                    self.not_empty
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

/// Wakes `wakers` with the lock held (the guard is the caller's): waking a task only
/// schedules it, it does not run it here.
fn drop_and_wake(_s: &mut MutexGuard<'_, State>, wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

fn register(list: &mut Vec<(u64, Waker)>, id: u64, waker: &Waker) {
    match list.iter_mut().find(|(i, _)| *i == id) {
        Some((_, w)) => w.clone_from(waker),
        None => list.push((id, waker.clone())),
    }
}

/// A channel holding at most `capacity` messages (at least 1) of at most
/// `message_size_max` bytes.
pub fn bounded(capacity: usize, message_size_max: usize) -> (Sender, Receiver) {
    make(Some(capacity.max(1)), message_size_max)
}

/// A channel without a limit on queued messages, of at most `message_size_max` bytes each.
pub fn unbounded(message_size_max: usize) -> (Sender, Receiver) {
    make(None, message_size_max)
}

fn make(capacity: Option<usize>, message_size_max: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            closed: false,
            senders: 1,
            receivers: 1,
            next_id: 2,
            recv_wakers: Vec::new(),
            send_wakers: Vec::new(),
        }),
        not_empty: Condvar::new(),
        not_full: Condvar::new(),
        capacity,
        message_size_max,
    });
    (
        Sender {
            shared: shared.clone(),
            id: 0,
        },
        Receiver { shared, id: 1 },
    )
}

/// The sending half of a channel; clone it for more senders.
#[derive(Debug)]
pub struct Sender {
    shared: Arc<Shared>,
    id: u64,
}

impl Sender {
    /// Sends a copy of `msg`, blocking the thread while the channel is full.
    pub fn send(&self, msg: &[u8]) -> Result<(), SendError> {
        self.shared.send_deadline(msg, None)
    }

    /// Sends without waiting.
    pub fn try_send(&self, msg: &[u8]) -> Result<(), SendError> {
        self.shared.try_send(msg)
    }

    /// Sends, blocking at most `timeout` (then `SendError::Full`).
    pub fn send_timeout(&self, msg: &[u8], timeout: Duration) -> Result<(), SendError> {
        self.shared
            .send_deadline(msg, Some(Instant::now() + timeout))
    }

    /// Sends, waiting as a task while the channel is full.
    pub async fn send_async(&self, msg: &[u8]) -> Result<(), SendError> {
        std::future::poll_fn(|cx| {
            let mut s = self.shared.lock();
            if msg.len() > self.shared.message_size_max {
                return Poll::Ready(Err(SendError::TooLarge {
                    max: self.shared.message_size_max,
                }));
            }
            match self.shared.push(&mut s, msg) {
                Err(SendError::Full) => {
                    register(&mut s.send_wakers, self.id, cx.waker());
                    Poll::Pending
                }
                r => Poll::Ready(r),
            }
        })
        .await
    }

    /// Closes the channel for every handle.
    pub fn close(&self) {
        close(&self.shared);
    }

    /// Whether the channel is closed for senders.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().send_closed()
    }

    /// The largest message.
    pub fn message_size_max(&self) -> usize {
        self.shared.message_size_max
    }
}

fn close(shared: &Shared) {
    let mut s = shared.lock();
    s.closed = true;
    let w = shared.wake_all(&mut s);
    drop(s);
    w.into_iter().for_each(Waker::wake);
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        let mut s = self.shared.lock();
        s.senders += 1;
        s.next_id += 1;
        let id = s.next_id;
        drop(s);
        Sender {
            shared: self.shared.clone(),
            id,
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.senders -= 1;
        let id = self.id;
        s.send_wakers.retain(|(i, _)| *i != id);
        if s.senders == 0 {
            let w = self.shared.wake_all(&mut s);
            drop(s);
            w.into_iter().for_each(Waker::wake);
        }
    }
}

/// The receiving half of a channel; clone it for more receivers (each message goes to
/// one of them). It is a `futures::Stream` of messages that ends once the channel is
/// closed and drained.
///
/// Timeouts, select, retry and rate limiting compose with tokio and futures:
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, mut rx) = migz::channel::unbounded(16);
/// let (stop_tx, mut stop_rx) = migz::channel::bounded(1, 0);
/// tx.send(b"hello").unwrap();
///
/// // Timeout: nothing else arrives within 10 ms.
/// assert_eq!(rx.recv_async().await.as_deref(), Some(&b"hello"[..]));
/// assert!(tokio::time::timeout(Duration::from_millis(10), rx.recv_async()).await.is_err());
///
/// // Select: whichever comes first, a message or a stop signal.
/// stop_tx.send(b"").unwrap();
/// tokio::select! {
///     m = rx.next() => panic!("no message was sent: {m:?}"),
///     _ = stop_rx.next() => {}
/// }
///
/// // Retry: a full bounded channel refuses, so try again after a pause.
/// let (btx, brx) = migz::channel::bounded(1, 8);
/// btx.try_send(b"a").unwrap();
/// let mut attempts = 0;
/// while let Err(migz::channel::SendError::Full) = btx.try_send(b"b") {
///     attempts += 1;
///     let _ = brx.try_recv(); // In real code, another task drains the channel.
///     tokio::time::sleep(Duration::from_millis(1)).await;
/// }
/// assert_eq!(attempts, 1);
///
/// // Rate limiting: at most one message per 2 ms.
/// for i in 0u8..3 {
///     tx.send(&[i]).unwrap();
/// }
/// drop(tx);
/// let mut ticks = tokio::time::interval(Duration::from_millis(2));
/// let mut paced = Vec::new();
/// while let Some(m) = rx.next().await {
///     ticks.tick().await;
///     paced.push(m[0]);
/// }
/// assert_eq!(paced, [0, 1, 2]);
/// # }
/// ```
#[derive(Debug)]
pub struct Receiver {
    shared: Arc<Shared>,
    id: u64,
}

impl Receiver {
    /// Receives the oldest message, blocking the thread while the channel is empty.
    pub fn recv(&self) -> Result<Vec<u8>, RecvError> {
        self.shared.recv_deadline(None)
    }

    /// Receives without waiting.
    pub fn try_recv(&self) -> Result<Vec<u8>, RecvError> {
        let mut s = self.shared.lock();
        self.shared.pop(&mut s)
    }

    /// Receives, blocking at most `timeout` (then `RecvError::Empty`).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Vec<u8>, RecvError> {
        self.shared.recv_deadline(Some(Instant::now() + timeout))
    }

    /// Receives as a task; `None` once the channel is closed and drained.
    pub async fn recv_async(&mut self) -> Option<Vec<u8>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        let mut s = self.shared.lock();
        match self.shared.pop(&mut s) {
            Ok(m) => Poll::Ready(Some(m)),
            Err(RecvError::Closed) => Poll::Ready(None),
            Err(RecvError::Empty) => {
                register(&mut s.recv_wakers, self.id, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Closes the channel for every handle.
    pub fn close(&self) {
        close(&self.shared);
    }

    /// The largest message.
    pub fn message_size_max(&self) -> usize {
        self.shared.message_size_max
    }
}

impl Clone for Receiver {
    fn clone(&self) -> Self {
        let mut s = self.shared.lock();
        s.receivers += 1;
        s.next_id += 1;
        let id = s.next_id;
        drop(s);
        Receiver {
            shared: self.shared.clone(),
            id,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.receivers -= 1;
        let id = self.id;
        s.recv_wakers.retain(|(i, _)| *i != id);
        // Another waiting receiver takes over a wake-up this one may have swallowed.
        let mut w: Vec<Waker> = s.recv_wakers.drain(..).map(|(_, w)| w).collect();
        if s.receivers == 0 {
            w.extend(self.shared.wake_all(&mut s));
        }
        drop(s);
        w.into_iter().for_each(Waker::wake);
    }
}

impl futures::Stream for Receiver {
    type Item = Vec<u8>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        self.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[test]
    fn bounded_backpressure_and_close() {
        let (tx, rx) = bounded(2, 4);
        tx.try_send(b"a").unwrap();
        tx.try_send(b"bb").unwrap();
        assert_eq!(tx.try_send(b"c"), Err(SendError::Full));
        assert_eq!(tx.try_send(b"toolong"), Err(SendError::TooLarge { max: 4 }));
        assert_eq!(rx.try_recv().unwrap(), b"a");
        tx.try_send(b"c").unwrap();
        rx.close();
        assert_eq!(tx.try_send(b"d"), Err(SendError::Closed));
        // What was queued before the close is still delivered.
        assert_eq!(rx.recv().unwrap(), b"bb");
        assert_eq!(rx.recv().unwrap(), b"c");
        assert_eq!(rx.recv(), Err(RecvError::Closed));
    }

    #[test]
    fn dropped_ends_close() {
        let (tx, rx) = unbounded(8);
        drop(rx);
        assert_eq!(tx.send(b"x"), Err(SendError::Closed));
        let (tx, rx) = unbounded(8);
        tx.send(b"x").unwrap();
        drop(tx);
        assert_eq!(rx.recv().unwrap(), b"x");
        assert_eq!(rx.recv(), Err(RecvError::Closed));
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvError::Closed)
        );
    }

    #[test]
    fn many_producers_many_consumers() {
        let (tx, rx) = bounded(4, 8);
        let producers: Vec<_> = (0..4u64)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..1000u64 {
                        tx.send(&(p * 1000 + i).to_le_bytes()).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let mut rx = rx.clone();
                std::thread::spawn(move || {
                    futures::executor::block_on(async {
                        let mut sum = 0u64;
                        while let Some(m) = rx.next().await {
                            sum += u64::from_le_bytes(m.try_into().unwrap());
                        }
                        sum
                    })
                })
            })
            .collect();
        drop(rx);
        producers.into_iter().for_each(|p| p.join().unwrap());
        let total: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, (0..4000u64).sum::<u64>());
    }

    #[test]
    fn async_send_waits_for_room() {
        let (tx, rx) = bounded(1, 8);
        let t = std::thread::spawn(move || {
            futures::executor::block_on(async {
                for i in 0u8..50 {
                    tx.send_async(&[i]).await.unwrap();
                }
            })
        });
        let got: Vec<u8> = (0..50).map(|_| rx.recv().unwrap()[0]).collect();
        t.join().unwrap();
        assert_eq!(got, (0u8..50).collect::<Vec<_>>());
    }
}
