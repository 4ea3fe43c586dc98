//! Safe wrappers over the Zig ends in `zig/ends.zig` (built by `build.rs`), for the
//! tests in `tests/`: Zig producers and consumers of `migz::stream` rings, and a Zig
//! service on `migz::channel` channels. Each wrapper gives the Zig side the end it owns.

use core::ffi::c_void;
use migz::channel::{Receiver, Sender};
use migz::ffi::RawRing;
use migz::stream::{ConsumerEnd, ProducerEnd};

/// What a Zig consumer saw (`Summary` in `zig/ends.zig`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The sum of every item.
    pub sum: i64,
    /// How many items counted up by one from the first.
    pub count: u64,
    /// 0 for a clean end, the producer's code, or `MIGZ1_STREAM_ABANDONED`.
    pub status: i32,
    /// How often a polling consumer found the ring empty.
    pub empty_polls: u64,
}

#[repr(C)]
struct Stepper {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn migz_test_produce_i32(ring: *mut RawRing, first: i32, count: u64, commit_bytes: u32) -> i32;
    fn migz_test_produce_bytes(
        ring: *mut RawRing,
        bytes: *const u8,
        len: usize,
        code: i32,
        abandon: bool,
    ) -> i32;
    fn migz_test_stepper_new(ring: *mut RawRing) -> *mut Stepper;
    fn migz_test_stepper_try_push(s: *mut Stepper, bytes: *const u8, len: usize) -> i32;
    fn migz_test_stepper_finish(s: *mut Stepper, code: i32, abandon: bool);
    fn migz_test_consume_i32(
        ring: *mut RawRing,
        first: i32,
        poll: bool,
        stop_after: u64,
        out: *mut Summary,
    );
    fn migz_test_echo(rx: *mut c_void, tx: *mut c_void) -> u64;
    fn migz_test_send_u64(tx: *mut c_void, base: u64, count: u64, try_only: bool) -> u64;
}

/// A Zig producer writes `count` consecutive `i32`s from `first` in place, at most
/// `commit_bytes` per commit, then closes; blocks while the ring is full.
pub fn zig_produce_i32(end: ProducerEnd, first: i32, count: u64, commit_bytes: u32) -> i32 {
    // SAFETY: the ring pointer carries the producer's reference, which the Zig takes over.
    unsafe { migz_test_produce_i32(end.into_raw(), first, count, commit_bytes) }
}

/// A Zig producer pushes `bytes` (blocking), then closes with `code`, or lets go without
/// closing when `abandon`.
pub fn zig_produce_bytes(end: ProducerEnd, bytes: &[u8], code: i32, abandon: bool) -> i32 {
    // SAFETY: as above; `bytes` is valid for its length during the call.
    unsafe { migz_test_produce_bytes(end.into_raw(), bytes.as_ptr(), bytes.len(), code, abandon) }
}

/// A Zig producer driven one call at a time.
#[derive(Debug)]
pub struct ZigStepper(*mut Stepper);

// SAFETY: the Zig producer is plain data that may move between threads.
unsafe impl Send for ZigStepper {}

impl ZigStepper {
    /// A Zig producer on `end`.
    pub fn new(end: ProducerEnd) -> Self {
        // SAFETY: as for `zig_produce_i32`.
        let s = unsafe { migz_test_stepper_new(end.into_raw()) };
        assert!(!s.is_null(), "the Zig allocator failed");
        ZigStepper(s)
    }

    /// `Producer.tryPush`: a `MIGZ1_STREAM_*` code.
    pub fn try_push(&mut self, bytes: &[u8]) -> i32 {
        // SAFETY: the stepper is live (freed only by `finish`); `bytes` is valid.
        unsafe { migz_test_stepper_try_push(self.0, bytes.as_ptr(), bytes.len()) }
    }

    /// Closes with `code` (or abandons) and frees the producer.
    pub fn finish(self, code: i32, abandon: bool) {
        // SAFETY: the stepper is live and not used again (`self` is consumed).
        unsafe { migz_test_stepper_finish(self.0, code, abandon) }
    }
}

/// A Zig consumer reads `i32`s until the end (blocking, or polling with `poll`); with
/// `stop_after` non-zero it lets go after that many.
pub fn zig_consume_i32(end: ConsumerEnd, first: i32, poll: bool, stop_after: u64) -> Summary {
    let mut out = Summary::default();
    // SAFETY: the ring pointer carries the consumer's reference, which the Zig takes over;
    // `out` is valid for a write.
    unsafe { migz_test_consume_i32(end.into_raw(), first, poll, stop_after, &mut out) };
    out
}

/// A Zig service: receives on `rx` until the channel closes and sends each message back
/// reversed on `tx`; returns how many it echoed.
pub fn zig_echo(rx: Receiver, tx: Sender) -> u64 {
    let (rx, tx) = (
        migz_ffi::receiver_into_raw(rx),
        migz_ffi::sender_into_raw(tx),
    );
    // SAFETY: both handles were just made and the Zig takes them over.
    unsafe { migz_test_echo(rx.cast(), tx.cast()) }
}

/// A Zig sender of `count` little-endian `u64`s from `base`, blocking or with `trySend`
/// only; returns how many it sent.
pub fn zig_send_u64(tx: Sender, base: u64, count: u64, try_only: bool) -> u64 {
    // SAFETY: the handle was just made and the Zig takes it over.
    unsafe { migz_test_send_u64(migz_ffi::sender_into_raw(tx).cast(), base, count, try_only) }
}
