//! OS parking for threads blocked in `mach_msg`, kept in one small file: a waiter spins
//! briefly, then yields, then parks, because a futex round trip costs tens of
//! microseconds while a ping-pong partner usually answers within one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;
use std::thread::Thread;
use std::time::Instant;

/// The fewest and most spin checks a waiter makes before it starts yielding. Each thread
/// adapts between the two: spinning pays off when the partner runs on another CPU and
/// wastes the time slice when it shares this one. What the yields did tells the two apart:
/// a wait that one yield satisfied was waiting for a partner on this CPU, so the budget
/// halves; one that yields kept returning from unsatisfied was waiting for a partner busy
/// on another CPU, where a longer spin would have caught the answer without a system call,
/// so the budget doubles, as it does when spinning alone sufficed.
pub const SPIN_MIN: u32 = 16;
/// See `SPIN_MIN`.
pub const SPIN_MAX: u32 = 2048;
/// How many times a waiter yields its CPU before parking.
pub const YIELD_LIMIT: u32 = 100;

thread_local! {
    static SPIN_BUDGET: std::cell::Cell<u32> = const { std::cell::Cell::new(256) };
}

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
        std::mem::take(&mut self.list)
            .into_iter()
            .map(|(_, w)| w)
            .collect()
    }
}

/// Wakes every waiter in `ws` (called with no lock held).
pub fn wake_all(ws: Vec<Waiter>) {
    for w in ws {
        w.wake();
    }
}

/// Runs the spin-then-yield phase: whenever `ready` says the operation may succeed, tries
/// it with `attempt`; gives up (returning `None`) once the spin and yield budgets are spent.
pub fn spin<T>(ready: impl Fn() -> bool, mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
    let budget = SPIN_BUDGET.with(|b| b.get());
    let mut spins = 0;
    let mut yields = 0;
    let outcome = loop {
        if ready()
            && let Some(v) = attempt()
        {
            break Some(v);
        }
        if spins < budget {
            spins += 1;
            std::hint::spin_loop();
        } else if yields < YIELD_LIMIT {
            yields += 1;
            std::thread::yield_now();
        } else {
            break None;
        }
    };
    SPIN_BUDGET.with(|b| b.set(next_budget(budget, outcome.is_some(), yields)));
    outcome
}

/// The spin budget after a wait that spent `budget` spins and `yields` yields and then
/// succeeded (`done`) or went on to park (see `SPIN_MIN`).
fn next_budget(budget: u32, done: bool, yields: u32) -> u32 {
    if done && yields != 1 {
        (budget * 2).min(SPIN_MAX)
    } else {
        (budget / 2).max(SPIN_MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_grows_when_spinning_or_futile_yields_answer_and_shrinks_otherwise() {
        // Spinning alone sufficed.
        assert_eq!(next_budget(256, true, 0), 512);
        // One yield sufficed: the partner shared this CPU.
        assert_eq!(next_budget(256, true, 1), 128);
        // Yields kept returning unsatisfied: the partner was busy on another CPU.
        assert_eq!(next_budget(256, true, 2), 512);
        assert_eq!(next_budget(256, true, YIELD_LIMIT), 512);
        // The wait went on to park.
        assert_eq!(next_budget(256, false, YIELD_LIMIT), 128);
        // The bounds hold.
        assert_eq!(next_budget(SPIN_MAX, true, 0), SPIN_MAX);
        assert_eq!(next_budget(SPIN_MIN, true, 1), SPIN_MIN);
        assert_eq!(next_budget(SPIN_MIN, false, YIELD_LIMIT), SPIN_MIN);
    }

    #[test]
    fn spin_returns_what_the_attempt_gives_once_ready() {
        let calls = std::cell::Cell::new(0);
        let got = spin(
            || {
                calls.set(calls.get() + 1);
                calls.get() >= 3
            },
            || Some(7),
        );
        assert_eq!(got, Some(7));
        assert_eq!(calls.get(), 3);
        // Never ready: gives up after the spin and yield budgets.
        assert_eq!(spin(|| false, || Some(1)), None);
    }
}
