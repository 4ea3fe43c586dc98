//! OS parking for threads blocked in `mach_msg`, kept in one small file: a waiter spins
//! briefly, then yields, then parks, because a futex round trip costs tens of
//! microseconds while a ping-pong partner usually answers within one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;
use std::thread::Thread;
use std::time::Instant;

/// How many times a waiter re-checks with a CPU spin hint before yielding.
pub const SPIN_LIMIT: u32 = 200;
/// How many times a waiter yields its CPU before parking.
pub const YIELD_LIMIT: u32 = 20;

/// A parked thread and whether someone has woken it.
#[derive(Debug)]
pub struct ThreadWaiter {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaiter {
    /// A waiter for the calling thread.
    pub fn current() -> Arc<ThreadWaiter> {
        Arc::new(ThreadWaiter {
            thread: std::thread::current(),
            notified: AtomicBool::new(false),
        })
    }

    /// Marks the waiter notified and unparks its thread.
    pub fn wake(&self) {
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }

    /// Parks until woken or until `deadline`; returns false on timeout. Clears the flag so
    /// the waiter can be registered again.
    pub fn park(&self, deadline: Option<Instant>) -> bool {
        loop {
            if self.notified.swap(false, Ordering::Acquire) {
                return true;
            }
            match deadline {
                None => std::thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return self.notified.swap(false, Ordering::Acquire);
                    }
                    std::thread::park_timeout(d - now);
                }
            }
        }
    }
}

/// Something waiting for a port queue to change: a blocked thread or an async task.
#[derive(Debug, Clone)]
pub enum Waiter {
    /// A thread parked in `mach_msg`.
    Thread(Arc<ThreadWaiter>),
    /// A task polling a future or stream.
    Task(Waker),
}

impl Waiter {
    /// Wakes it.
    pub fn wake(self) {
        match self {
            Waiter::Thread(t) => t.wake(),
            Waiter::Task(w) => w.wake(),
        }
    }
}

/// The waiters of one queue, each with an id so a waiter that gives up can leave.
#[derive(Debug, Default)]
pub struct WaitList {
    next_id: u64,
    list: Vec<(u64, Waiter)>,
}

impl WaitList {
    /// Adds a waiter and returns its id.
    pub fn add(&mut self, w: Waiter) -> u64 {
        self.next_id += 1;
        self.list.push((self.next_id, w));
        self.next_id
    }

    /// Removes a waiter that gave up (timed out or was dropped).
    pub fn remove(&mut self, id: u64) {
        self.list.retain(|(i, _)| *i != id);
    }

    /// Takes every waiter, to be woken once the lock is released.
    pub fn take(&mut self) -> Vec<Waiter> {
        if self.list.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut self.list).into_iter().map(|(_, w)| w).collect()
    }

    /// How many are waiting.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Wakes every waiter in `ws` (called with no lock held).
pub fn wake_all(ws: Vec<Waiter>) {
    for w in ws {
        w.wake();
    }
}

/// Runs the spin-then-yield phase: calls `ready` until it returns true or the budget is
/// spent. Returns whether it became ready. Skipped entirely when the caller polls.
pub fn spin_until(mut ready: impl FnMut() -> bool) -> bool {
    for _ in 0..SPIN_LIMIT {
        if ready() {
            return true;
        }
        std::hint::spin_loop();
    }
    for _ in 0..YIELD_LIMIT {
        if ready() {
            return true;
        }
        std::thread::yield_now();
    }
    ready()
}
