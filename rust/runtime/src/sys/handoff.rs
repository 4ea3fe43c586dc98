//! A cell that passes one value from a thread to a waiting one through a single atomic
//! state word, without a lock: the waiter arms it, one producer claims it, fills it and
//! marks it full, and the waiter takes the value out. Each step is one atomic operation on
//! the state's cache line, so a hand-off between two CPUs moves that line and the value's
//! lines once each way, where a mutex would add its own transfers.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, Ordering};

/// Nothing is waiting.
const IDLE: u32 = 0;
/// A waiter waits: a producer may claim the cell.
const ARMED: u32 = 1;
/// A producer claimed the cell and is writing the value.
const FILLING: u32 = 2;
/// The value waits to be taken.
const FULL: u32 = 3;
/// A taker is moving the value out.
const TAKING: u32 = 4;

/// See the module documentation. The value is only ever touched by the one thread that
/// moved the state into `FILLING` or `TAKING`, each reached by a successful
/// compare-and-swap and left by that thread alone.
#[derive(Debug)]
pub struct HandoffCell<T> {
    state: AtomicU32,
    value: UnsafeCell<Option<T>>,
}

impl<T> Default for HandoffCell<T> {
    fn default() -> HandoffCell<T> {
        HandoffCell::new()
    }
}

// SAFETY: the value moves between threads (so `T: Send`), and `&HandoffCell` gives access
// to it only to the single thread that holds the `FILLING` or `TAKING` state, so shared
// references never touch it concurrently.
unsafe impl<T: Send> Sync for HandoffCell<T> {}

impl<T> HandoffCell<T> {
    /// An idle, empty cell.
    pub const fn new() -> HandoffCell<T> {
        HandoffCell {
            state: AtomicU32::new(IDLE),
            value: UnsafeCell::new(None),
        }
    }

    /// Arms an idle cell; false when it was not idle.
    pub fn arm(&self) -> bool {
        // Acquire: ordered after the last take, whose thread emptied the value.
        self.state
            .compare_exchange(IDLE, ARMED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether the cell is armed (a producer would be let in).
    pub fn is_armed(&self) -> bool {
        self.state.load(Ordering::Acquire) == ARMED
    }

    /// Whether a value waits in the cell.
    pub fn is_full(&self) -> bool {
        self.state.load(Ordering::Acquire) == FULL
    }

    /// Claims an armed cell for filling: the waiter can no longer disarm it without the
    /// value, and no other producer gets in. `None` when the cell was not armed (or
    /// another producer got there first).
    pub fn claim(&self) -> Option<Claim<'_, T>> {
        self.state
            .compare_exchange(ARMED, FILLING, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        Some(Claim { cell: self })
    }

    /// Gives `v` to the armed cell's waiter; hands `v` back when the cell was not armed.
    pub fn put(&self, v: T) -> Result<(), T> {
        match self.claim() {
            Some(c) => {
                c.fill(v);
                Ok(())
            }
            None => Err(v),
        }
    }

    /// Takes the value of a full cell, leaving it idle.
    pub fn take(&self) -> Option<T> {
        self.state
            .compare_exchange(FULL, TAKING, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        // SAFETY: this thread moved the state from FULL to TAKING, which no other thread
        // leaves and in which no other thread touches the value.
        let v = unsafe { (*self.value.get()).take() };
        self.state.store(IDLE, Ordering::Release);
        v
    }

    /// Disarms the cell: `None` when it was idle or still armed (now idle), otherwise the
    /// value a producer gave it, waiting for the producer to finish writing it.
    pub fn disarm(&self) -> Option<T> {
        loop {
            match self
                .state
                .compare_exchange(ARMED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) | Err(IDLE) => return None,
                Err(FULL) => {
                    if let Some(v) = self.take() {
                        return Some(v);
                    }
                }
                // FILLING (a producer is writing) or TAKING (another taker): brief.
                Err(_) => std::hint::spin_loop(),
            }
        }
    }
}

/// A claimed cell, to be filled; dropped unfilled, the cell is armed again.
#[derive(Debug)]
#[must_use = "a claimed cell waits for its value"]
pub struct Claim<'a, T> {
    cell: &'a HandoffCell<T>,
}

impl<T> Claim<'_, T> {
    /// Stores the value and marks the cell full.
    pub fn fill(self, v: T) {
        // SAFETY: the claim exists only while this thread holds the FILLING state, which
        // no other thread leaves and in which no other thread touches the value.
        unsafe { *self.cell.value.get() = Some(v) };
        // Release: the taker that sees FULL sees the value.
        self.cell.state.store(FULL, Ordering::Release);
        std::mem::forget(self);
    }
}

impl<T> Drop for Claim<'_, T> {
    fn drop(&mut self) {
        self.cell.state.store(ARMED, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_value_passes_only_through_an_armed_cell_and_is_taken_once() {
        let c = HandoffCell::new();
        assert_eq!(c.put(1), Err(1), "idle: refused");
        assert!(c.arm());
        assert!(!c.arm(), "armed already");
        assert!(c.is_armed());
        assert_eq!(c.take(), None, "armed but empty");
        assert_eq!(c.put(2), Ok(()));
        assert_eq!(c.put(3), Err(3), "full: refused");
        assert!(c.is_full());
        assert_eq!(c.take(), Some(2));
        assert_eq!(c.take(), None);
        assert!(c.arm());
        assert_eq!(c.disarm(), None);
        assert_eq!(c.put(4), Err(4), "disarmed: refused");
        assert!(c.arm());
        assert_eq!(c.put(5), Ok(()));
        assert_eq!(
            c.disarm(),
            Some(5),
            "disarming a full cell yields its value"
        );
        assert!(c.arm());
        drop(c.claim().expect("armed"));
        assert!(c.is_armed(), "an unfilled claim leaves the cell armed");
        assert_eq!(c.disarm(), None);
        // A value left in a cell is dropped with it.
        let v = Arc::new(());
        let c = HandoffCell::new();
        assert!(c.arm());
        assert!(c.put(v.clone()).is_ok());
        drop(c);
        assert_eq!(Arc::strong_count(&v), 1);
    }

    #[test]
    fn racing_producers_hand_each_value_to_exactly_one_arming() {
        const ROUNDS: u32 = 20_000;
        let c = Arc::new(HandoffCell::new());
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let c = c.clone();
                std::thread::spawn(move || {
                    let mut given = 0u32;
                    let mut i = 0u32;
                    while given < ROUNDS / 4 {
                        if c.put(p * ROUNDS + i).is_ok() {
                            given += 1;
                            i += 1;
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                    given
                })
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut taken = 0;
        while taken < 3 * (ROUNDS / 4) {
            assert!(c.arm());
            loop {
                if let Some(v) = c.take() {
                    assert!(seen.insert(v), "value {v} taken twice");
                    taken += 1;
                    break;
                }
                std::hint::spin_loop();
            }
        }
        let given: u32 = producers.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(given, taken);
        assert_eq!(c.disarm(), None);
    }
}
