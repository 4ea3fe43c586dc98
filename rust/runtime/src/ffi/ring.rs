//! The ring of `bridge/migz.h` (`migz1_ring_t`), mirrored by hand with the same sizes and
//! offsets asserted, and the Rust ends of it: [`RingStream`] (a consumer that is a
//! `futures::Stream` of borrowed [`Chunk`]s) and [`RingSink`] (a producer). The other end
//! of a ring can be Zig (`migz.stream` in the Zig runtime) or Rust.
//!
//! The protocol is the header's: positions count bytes and never wrap, the producer
//! publishes `head` and the consumer `tail`, and an end that is about to sleep raises its
//! `waiting` word first, so the other end calls the wake function only when someone waits.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use core::task::{Context, Poll};
use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use futures::task::AtomicWaker;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `MIGZ1_STREAM_OK`.
pub const STREAM_OK: i32 = 0;
/// `MIGZ1_STREAM_WOULD_BLOCK`.
pub const STREAM_WOULD_BLOCK: i32 = 1;
/// `MIGZ1_STREAM_CLOSED`.
pub const STREAM_CLOSED: i32 = 2;
/// `MIGZ1_STREAM_INVALID_ARGUMENT`.
pub const STREAM_INVALID_ARGUMENT: i32 = 3;
/// `MIGZ1_STREAM_ABANDONED`.
pub const STREAM_ABANDONED: i32 = 4;
/// `MIGZ1_STREAM_FAILURE`.
pub const STREAM_FAILURE: i32 = 5;

/// `MIGZ1_RING_OPEN`.
const RING_OPEN: u32 = 0;
/// `MIGZ1_RING_CLOSED`.
const RING_CLOSED: u32 = 1;
/// `MIGZ1_RING_ABANDONED`.
const RING_ABANDONED: u32 = 2;

/// The smallest ring, in bytes.
pub const RING_CAPACITY_MIN: u64 = 64;
/// The largest ring, in bytes.
pub const RING_CAPACITY_MAX: u64 = 1 << 32;
/// The largest item.
pub const RING_ITEM_SIZE_MAX: u32 = 4096;

/// `migz1_wake_fn`.
pub type WakeFn = unsafe extern "C" fn(context: *mut c_void);

/// `migz1_ring_waiter_t`.
#[repr(C)]
#[derive(Debug)]
struct RawWaiter {
    waiting: AtomicU32,
    reserved: u32,
    /// Written by the end that waits, before its first wait; read by the other end only
    /// after it took `waiting` from 1 to 0 (which orders the write before the read).
    wake: UnsafeCell<Option<WakeFn>>,
    context: UnsafeCell<*mut c_void>,
}

/// `migz1_ring_t`: what a Zig end receives as a pointer. Its fields are private; the
/// header documents them.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct RawRing {
    data: *mut u8,
    capacity: u64,
    item_size: u32,
    refs: AtomicU32,
    destroy: Option<unsafe extern "C" fn(ring: *mut RawRing)>,
    reserved0: [u8; 32],
    head: AtomicU64,
    closed: AtomicU32,
    status: AtomicI32,
    producer: RawWaiter,
    reserved1: [u8; 24],
    tail: AtomicU64,
    consumer_closed: AtomicU32,
    reserved2: u32,
    consumer: RawWaiter,
    reserved3: [u8; 24],
}

// The same numbers as the `_Static_assert`s of bridge/migz.h.
const _: () = assert!(size_of::<RawWaiter>() == 24);
const _: () = assert!(size_of::<RawRing>() == 192);
const _: () = assert!(core::mem::offset_of!(RawRing, refs) == 20);
const _: () = assert!(core::mem::offset_of!(RawRing, destroy) == 24);
const _: () = assert!(core::mem::offset_of!(RawRing, head) == 64);
const _: () = assert!(core::mem::offset_of!(RawRing, closed) == 72);
const _: () = assert!(core::mem::offset_of!(RawRing, producer) == 80);
const _: () = assert!(core::mem::offset_of!(RawRing, tail) == 128);
const _: () = assert!(core::mem::offset_of!(RawRing, consumer) == 144);

/// How a Rust end waits: the task to wake, and how many times the other end called.
#[derive(Debug, Default)]
struct Signal {
    waker: AtomicWaker,
    calls: AtomicU64,
}

/// Releases of chunks that were dropped before an older one: they free their room only
/// once every older chunk has been dropped too.
#[derive(Debug, Default)]
struct Releases {
    tail: u64,
    pending: BTreeMap<u64, u64>,
}

/// What Rust allocates for a ring: the shared header first (so a `*mut RawRing` is a
/// `*mut RingAlloc`), then what only the Rust ends use.
#[repr(C)]
#[derive(Debug)]
struct RingAlloc {
    raw: RawRing,
    consumer_signal: Signal,
    producer_signal: Signal,
    releases: Mutex<Releases>,
    data_layout: Layout,
}

// SAFETY: the shared fields are atomics; `data` is touched only in the ranges the protocol
// gives each end; the waiter cells are written by one end before it publishes `waiting`.
unsafe impl Send for RingAlloc {}
// SAFETY: as for Send.
unsafe impl Sync for RingAlloc {}

impl Drop for RingAlloc {
    fn drop(&mut self) {
        // SAFETY: `data` came from `alloc_zeroed` with `data_layout` in `RingRef::new`.
        unsafe { std::alloc::dealloc(self.raw.data, self.data_layout) };
    }
}

/// `destroy` of rings Rust made.
unsafe extern "C" fn destroy_ring(ring: *mut RawRing) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `destroy` is only called with the ring it belongs to, once its last
        // reference is gone; Rust made that ring as a `Box<RingAlloc>` whose first field is
        // the header.
        drop(unsafe { Box::from_raw(ring.cast::<RingAlloc>()) })
    }));
}

/// The wake function Rust ends install: wakes the task registered in a `Signal`.
unsafe extern "C" fn wake_signal(context: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: a Rust end installs a pointer to a `Signal` of its own `RingAlloc`, which
        // the calling end keeps alive by its reference for the duration of the call.
        let signal = unsafe { &*context.cast::<Signal>() };
        signal.calls.fetch_add(1, Ordering::Relaxed);
        signal.waker.wake();
    }));
}

/// One counted reference to a ring.
#[derive(Debug)]
struct RingRef(NonNull<RingAlloc>);

// SAFETY: `RingAlloc` is Send and Sync, and the reference count is atomic.
unsafe impl Send for RingRef {}
// SAFETY: as for Send.
unsafe impl Sync for RingRef {}

impl RingRef {
    /// A new ring with `refs` references, of which this is one.
    fn new(capacity: u64, item_size: u32, refs: u32) -> Result<Self, i32> {
        if !capacity.is_power_of_two()
            || !(RING_CAPACITY_MIN..=RING_CAPACITY_MAX).contains(&capacity)
            || item_size == 0
            || item_size > RING_ITEM_SIZE_MAX
            || !capacity.is_multiple_of(u64::from(item_size))
        {
            return Err(STREAM_INVALID_ARGUMENT);
        }
        let size = usize::try_from(capacity).map_err(|_| STREAM_INVALID_ARGUMENT)?;
        let data_layout = Layout::from_size_align(size, 64).map_err(|_| STREAM_INVALID_ARGUMENT)?;
        // SAFETY: the layout has a non-zero size (at least RING_CAPACITY_MIN).
        let data = unsafe { std::alloc::alloc_zeroed(data_layout) };
        if data.is_null() {
            return Err(STREAM_FAILURE);
        }
        let waiter = || RawWaiter {
            waiting: AtomicU32::new(0),
            reserved: 0,
            wake: UnsafeCell::new(None),
            context: UnsafeCell::new(core::ptr::null_mut()),
        };
        let alloc = Box::new(RingAlloc {
            raw: RawRing {
                data,
                capacity,
                item_size,
                refs: AtomicU32::new(refs),
                destroy: Some(destroy_ring),
                reserved0: [0; 32],
                head: AtomicU64::new(0),
                closed: AtomicU32::new(RING_OPEN),
                status: AtomicI32::new(0),
                producer: waiter(),
                reserved1: [0; 24],
                tail: AtomicU64::new(0),
                consumer_closed: AtomicU32::new(0),
                reserved2: 0,
                consumer: waiter(),
                reserved3: [0; 24],
            },
            consumer_signal: Signal::default(),
            producer_signal: Signal::default(),
            releases: Mutex::default(),
            data_layout,
        });
        Ok(RingRef(NonNull::from(Box::leak(alloc))))
    }

    fn get(&self) -> &RingAlloc {
        // SAFETY: this reference keeps the allocation alive.
        unsafe { self.0.as_ref() }
    }

    fn raw(&self) -> &RawRing {
        &self.get().raw
    }

    /// Another reference.
    fn share(&self) -> RingRef {
        self.raw().refs.fetch_add(1, Ordering::Relaxed);
        RingRef(self.0)
    }

    /// Gives the reference away as a pointer for the other language.
    fn into_raw(self) -> *mut RawRing {
        let p = self.0.as_ptr().cast::<RawRing>();
        core::mem::forget(self);
        p
    }

    /// Installs a Rust `Signal` as how one end waits.
    fn install(&self, consumer: bool) {
        let a = self.get();
        let (w, s) = if consumer {
            (&a.raw.consumer, &a.consumer_signal)
        } else {
            (&a.raw.producer, &a.producer_signal)
        };
        // SAFETY: this end has not waited yet, so the other end does not read the cells.
        unsafe {
            *w.wake.get() = Some(wake_signal);
            *w.context.get() = core::ptr::from_ref(s).cast_mut().cast();
        }
    }

    /// Copies `bytes` to position `at` (which may wrap).
    fn write_at(&self, at: u64, bytes: &[u8]) {
        let r = self.raw();
        let off = (at % r.capacity) as usize;
        let first = bytes.len().min(r.capacity as usize - off);
        // SAFETY: the producer owns [head, tail + capacity), which holds these bytes (the
        // callers checked the room); the two copies stay inside the data buffer.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), r.data.add(off), first);
            core::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), r.data, bytes.len() - first);
        }
    }

    /// The bytes at position `at`, not wrapping.
    ///
    /// # Safety
    /// `[at, at + len)` is held by the consumer and does not cross the end of the buffer.
    unsafe fn bytes_at(&self, at: u64, len: usize) -> &[u8] {
        let r = self.raw();
        // SAFETY: the caller promised the range is inside the buffer and the consumer's.
        unsafe { core::slice::from_raw_parts(r.data.add((at % r.capacity) as usize), len) }
    }
}

impl Drop for RingRef {
    fn drop(&mut self) {
        let raw = self.0.as_ptr().cast::<RawRing>();
        if self.raw().refs.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(destroy) = self.raw().destroy
        {
            // SAFETY: this was the last reference, and `destroy` frees the ring it is in.
            unsafe { destroy(raw) };
        }
    }
}

/// Takes `waiter` from 1 to 0 and, when it was 1, calls its wake function.
fn wake(waiter: &RawWaiter) {
    if waiter.waiting.load(Ordering::SeqCst) == 0 || waiter.waiting.swap(0, Ordering::SeqCst) == 0 {
        return;
    }
    // SAFETY: `waiting` was 1, so the waiting end installed both cells before raising it
    // (the swap orders those writes before these reads), and never changes them again.
    let (wake, context) = unsafe { (*waiter.wake.get(), *waiter.context.get()) };
    if let Some(wake) = wake {
        // SAFETY: the waiting end promised the function takes this context and does not
        // unwind; the ring, where a Rust end's context lives, is kept alive by the caller.
        unsafe { wake(context) };
    }
}

/// Items a ring can carry: plain data of a power-of-two size, at most
/// [`RING_ITEM_SIZE_MAX`] bytes, that any bytes are a valid value of.
pub trait Item:
    FromBytes + IntoBytes + Immutable + KnownLayout + Copy + Send + Sync + 'static
{
}
impl<T: FromBytes + IntoBytes + Immutable + KnownLayout + Copy + Send + Sync + 'static> Item for T {}

fn item_size<T: Item>() -> Result<u32, i32> {
    u32::try_from(size_of::<T>()).map_err(|_| STREAM_INVALID_ARGUMENT)
}

/// How a stream ended badly: the producer's error code, or a producer that went away
/// without closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The producer closed the stream with this error code.
    #[error("the producer failed with code {0}")]
    Failed(i32),
    /// The producer released the ring without closing it.
    #[error("the producer went away without closing the stream")]
    Abandoned,
}

impl StreamError {
    /// The status code: the producer's, or `MIGZ1_STREAM_ABANDONED`.
    pub fn code(&self) -> i32 {
        match self {
            StreamError::Failed(c) => *c,
            StreamError::Abandoned => STREAM_ABANDONED,
        }
    }
}

/// Why a ring could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RingError {
    /// The capacity is not a power of two in 64..=2^32 bytes, or not a multiple of a
    /// non-zero item size of at most 4096 bytes.
    #[error("invalid ring capacity or item size")]
    InvalidArgument,
    /// The memory could not be allocated.
    #[error("out of memory")]
    OutOfMemory,
}

fn ring_error(code: i32) -> RingError {
    if code == STREAM_FAILURE {
        RingError::OutOfMemory
    } else {
        RingError::InvalidArgument
    }
}

/// Makes a ring of `capacity` bytes for the C ABI (`migz1_ring_create`): two references,
/// no waiter installed.
pub fn create_raw(capacity: u64, item_size: u32) -> Result<*mut RawRing, i32> {
    let r = RingRef::new(capacity, item_size, 2)?;
    Ok(r.into_raw())
}

/// A ring of `capacity_bytes` from a Zig producer to a Rust [`RingStream`]: the stream,
/// and the producer's end to hand to Zig with [`ProducerEnd::into_raw`].
pub fn from_zig<T: Item>(capacity_bytes: u64) -> Result<(RingStream<T>, ProducerEnd), RingError> {
    let ring = RingRef::new(capacity_bytes, item_size::<T>().map_err(ring_error)?, 1)
        .map_err(ring_error)?;
    let other = ring.share();
    Ok((RingStream::attach(other), ProducerEnd(Some(ring))))
}

/// A ring of `capacity_bytes` from a Rust [`RingSink`] to a Zig consumer: the sink, and
/// the consumer's end to hand to Zig with [`ConsumerEnd::into_raw`].
pub fn to_zig<T: Item>(capacity_bytes: u64) -> Result<(RingSink<T>, ConsumerEnd), RingError> {
    let ring = RingRef::new(capacity_bytes, item_size::<T>().map_err(ring_error)?, 1)
        .map_err(ring_error)?;
    let other = ring.share();
    Ok((RingSink::attach(ring), ConsumerEnd(Some(other))))
}

/// A ring between two Rust ends (a thread or task producing, another consuming).
pub fn ring<T: Item>(capacity_bytes: u64) -> Result<(RingSink<T>, RingStream<T>), RingError> {
    let ring = RingRef::new(capacity_bytes, item_size::<T>().map_err(ring_error)?, 1)
        .map_err(ring_error)?;
    let other = ring.share();
    Ok((RingSink::attach(ring), RingStream::attach(other)))
}

/// The producer's end of a ring, for a Zig producer (`migz.stream.Producer.init`).
/// Dropped without being handed over, it ends the stream as abandoned.
#[derive(Debug)]
pub struct ProducerEnd(Option<RingRef>);

impl ProducerEnd {
    /// The `migz1_ring_t *` to give to Zig, which now owns this end's reference.
    pub fn into_raw(mut self) -> *mut RawRing {
        self.0
            .take()
            .map_or(core::ptr::null_mut(), RingRef::into_raw)
    }
}

impl Drop for ProducerEnd {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            abandon(&r);
        }
    }
}

/// The consumer's end of a ring, for a Zig consumer (`migz.stream.Consumer.init`).
/// Dropped without being handed over, it closes the consumer side.
#[derive(Debug)]
pub struct ConsumerEnd(Option<RingRef>);

impl ConsumerEnd {
    /// The `migz1_ring_t *` to give to Zig, which now owns this end's reference.
    pub fn into_raw(mut self) -> *mut RawRing {
        self.0
            .take()
            .map_or(core::ptr::null_mut(), RingRef::into_raw)
    }
}

impl Drop for ConsumerEnd {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            consumer_gone(&r);
        }
    }
}

/// Marks the producer closed with `how` and `status` unless it already was, and wakes a
/// waiting consumer.
fn close_producer(r: &RingRef, how: u32, status: i32) {
    let raw = r.raw();
    if raw.closed.load(Ordering::Acquire) != RING_OPEN {
        return;
    }
    raw.status.store(status, Ordering::Relaxed);
    raw.closed.store(how, Ordering::SeqCst);
    wake(&raw.consumer);
}

fn abandon(r: &RingRef) {
    close_producer(r, RING_ABANDONED, 0);
}

fn consumer_gone(r: &RingRef) {
    let raw = r.raw();
    raw.consumer_closed.store(1, Ordering::SeqCst);
    wake(&raw.producer);
}

/// A piece of a ring's contents, borrowed in place (no copy): it derefs to `[T]` and hands
/// its room back to the producer when dropped. Holding chunks holds their room (and, for
/// a chunk dropped early, the room of every older chunk still held).
#[derive(Debug)]
pub struct Chunk<T: Item> {
    ring: RingRef,
    start: u64,
    len: usize,
    item: PhantomData<fn() -> T>,
}

impl<T: Item> Chunk<T> {
    /// The bytes of the chunk.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the consumer handed out [start, start + len) without crossing the end of
        // the buffer, and the producer does not write it until this chunk releases it.
        unsafe { self.ring.bytes_at(self.start, self.len) }
    }
}

impl<T: Item> Chunk<T> {
    /// The chunk in blocks of at most `items` items (at least one), in order. Handing out
    /// a block, the iterator asks the CPU to start loading the next one
    /// ([`crate::sys::prefetch::prefetch`]), so a consumer that works through each block
    /// before taking the next reads data written on the producer's core without waiting
    /// for it line by line. With a costly per-item step, one to a few KiB per block suits:
    /// the next block must arrive while this one is worked on.
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut sink, mut stream) = migz::stream::ring::<u32>(4096)?;
    /// sink.push(&[1, 2, 3, 4, 5])?;
    /// sink.close();
    /// let chunk = futures::executor::block_on(stream.next()).expect("a chunk")?;
    /// let sums: Vec<u32> = chunk.blocks(2).map(|b| b.iter().sum()).collect();
    /// assert_eq!(sums, [3, 7, 5]);
    /// # Ok(()) }
    /// ```
    pub fn blocks(&self, items: usize) -> Blocks<'_, T> {
        Blocks {
            rest: self,
            items: items.max(1),
        }
    }
}

/// The blocks of a [`Chunk`], each yielded after the next one's prefetch was started
/// (see [`Chunk::blocks`]).
#[derive(Debug)]
pub struct Blocks<'a, T> {
    rest: &'a [T],
    items: usize,
}

impl<'a, T: Item> Iterator for Blocks<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        if self.rest.is_empty() {
            return None;
        }
        let (block, rest) = self.rest.split_at(self.items.min(self.rest.len()));
        self.rest = rest;
        crate::sys::prefetch::prefetch(rest[..self.items.min(rest.len())].as_bytes());
        Some(block)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().div_ceil(self.items);
        (n, Some(n))
    }
}

impl<T: Item> ExactSizeIterator for Blocks<'_, T> {}

impl<T: Item> core::ops::Deref for Chunk<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        // The buffer is 64-byte aligned and chunks start and end on item boundaries.
        <[T]>::ref_from_bytes(self.as_bytes()).unwrap_or(&[])
    }
}

impl<T: Item> Drop for Chunk<T> {
    fn drop(&mut self) {
        let a = self.ring.get();
        let Ok(mut rel) = a.releases.lock() else {
            return;
        };
        if self.start != rel.tail {
            rel.pending.insert(self.start, self.len as u64);
            return;
        }
        rel.tail += self.len as u64;
        loop {
            let at = rel.tail;
            let Some(len) = rel.pending.remove(&at) else {
                break;
            };
            rel.tail += len;
        }
        a.raw.tail.store(rel.tail, Ordering::SeqCst);
        drop(rel);
        wake(&a.raw.producer);
    }
}

/// The consumer end of a ring as a `futures::Stream` of [`Chunk`]s: each item is all the
/// contiguous data the producer has committed since the last one. The stream ends with
/// `None` after the producer closed it cleanly, or with one `Some(Err(..))` after it
/// failed or went away. The task is woken only when it waited (returned `Pending`).
///
/// Timeouts, select, retry and rate limiting compose with the usual tools. With a Zig
/// producer (`no_run`: the Zig side is not linked into doctests):
///
/// ```no_run
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// # extern "C" fn zig_produce(_ring: *mut migz::ffi::RawRing) {}
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut stream, producer) = migz::stream::from_zig::<i32>(1 << 20)?;
/// zig_produce(producer.into_raw()); // a Zig export that starts the producer thread
/// // Give up when the producer is silent for a second.
/// while let Some(chunk) = tokio::time::timeout(Duration::from_secs(1), stream.next()).await? {
///     let sum: i64 = chunk?.iter().map(|&x| i64::from(x)).sum();
///     println!("{sum}");
/// }
/// # Ok(()) }
/// ```
///
/// The same tools with a Rust producer ([`ring`]), compiled and run:
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut sink, mut stream) = migz::stream::ring::<u32>(1024)?;
///
/// // Timeout: nothing was pushed, so waiting gives up.
/// assert!(tokio::time::timeout(Duration::from_millis(5), stream.next()).await.is_err());
///
/// // Retry: a full ring refuses with `WouldBlock`; try again once the consumer has read.
/// sink.try_push(&[7; 256])?;
/// let mut held = Vec::new();
/// loop {
///     match sink.try_push(&[8; 4]) {
///         Err(migz::stream::PushError::WouldBlock) => {
///             held.clear(); // Dropping chunks hands their room back.
///             held.push(stream.next().await.unwrap()?);
///             drop(held.pop());
///         }
///         other => break other?,
///     }
/// }
///
/// // Select: the next chunk or a deadline, whichever comes first.
/// tokio::select! {
///     chunk = stream.next() => assert_eq!(&*chunk.unwrap()?, &[8; 4]),
///     _ = tokio::time::sleep(Duration::from_secs(5)) => panic!("the data was there"),
/// }
///
/// // Rate limiting: at most one chunk per millisecond.
/// sink.try_push(&[1])?;
/// sink.close();
/// let mut tick = tokio::time::interval(Duration::from_millis(1));
/// while let Some(chunk) = stream.next().await {
///     tick.tick().await;
///     assert_eq!(&*chunk?, &[1]);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RingStream<T: Item> {
    ring: RingRef,
    read: u64,
    done: bool,
    item: PhantomData<fn() -> T>,
}

impl<T: Item> RingStream<T> {
    fn attach(ring: RingRef) -> Self {
        ring.install(true);
        RingStream {
            ring,
            read: 0,
            done: false,
            item: PhantomData,
        }
    }

    /// How many times the producer called this stream's wake function: once per time the
    /// stream waited and data or the end came (diagnostics, and the proof of the elision).
    pub fn wake_calls(&self) -> u64 {
        self.ring
            .get()
            .consumer_signal
            .calls
            .load(Ordering::Relaxed)
    }

    /// The next chunk without waiting: `Ready(None)` is the end, `Pending` means nothing
    /// yet (and registers no waker).
    pub fn try_next(&mut self) -> Poll<Option<Result<Chunk<T>, StreamError>>> {
        self.ready()
    }

    fn ready(&mut self) -> Poll<Option<Result<Chunk<T>, StreamError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let raw = self.ring.raw();
        let closed = raw.closed.load(Ordering::Acquire);
        let head = raw.head.load(Ordering::Acquire);
        if head != self.read {
            let off = self.read % raw.capacity;
            let len = (head - self.read).min(raw.capacity - off);
            let chunk = Chunk {
                ring: self.ring.share(),
                start: self.read,
                len: len as usize,
                item: PhantomData,
            };
            self.read += len;
            return Poll::Ready(Some(Ok(chunk)));
        }
        match closed {
            RING_OPEN => Poll::Pending,
            RING_CLOSED => {
                self.done = true;
                match raw.status.load(Ordering::Relaxed) {
                    0 => Poll::Ready(None),
                    code => Poll::Ready(Some(Err(StreamError::Failed(code)))),
                }
            }
            _ => {
                self.done = true;
                Poll::Ready(Some(Err(StreamError::Abandoned)))
            }
        }
    }
}

impl<T: Item> futures::Stream for RingStream<T> {
    type Item = Result<Chunk<T>, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Poll::Ready(r) = this.ready() {
            return Poll::Ready(r);
        }
        let a = this.ring.get();
        a.consumer_signal.waker.register(cx.waker());
        a.raw.consumer.waiting.store(1, Ordering::SeqCst);
        // Checked again after raising `waiting`: a commit before it is seen here, one after
        // it sees `waiting` and wakes.
        let r = this.ready();
        if r.is_ready() {
            this.ring.raw().consumer.waiting.store(0, Ordering::SeqCst);
        }
        r
    }
}

impl<T: Item> futures::stream::FusedStream for RingStream<T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T: Item> Drop for RingStream<T> {
    fn drop(&mut self) {
        consumer_gone(&self.ring);
    }
}

/// Why a push failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// No room for all the items now (`try_push` only).
    #[error("the ring is full")]
    WouldBlock,
    /// The consumer went away.
    #[error("the consumer closed the ring")]
    Closed,
    /// More items than the ring holds (`try_push` only: `push` streams any number).
    #[error("more items than the ring holds")]
    TooLarge,
}

/// The producer end of a ring in Rust. `try_push` copies all the items or none;
/// `push` and `push_async` copy as room frees, waiting (parking the thread, or the task)
/// when the ring is full. End the stream with [`close`](Self::close) or
/// [`fail`](Self::fail); dropping the sink ends it as abandoned.
#[derive(Debug)]
pub struct RingSink<T: Item> {
    ring: RingRef,
    head: u64,
    tail: u64,
    item: PhantomData<fn() -> T>,
}

impl<T: Item> RingSink<T> {
    fn attach(ring: RingRef) -> Self {
        ring.install(false);
        RingSink {
            ring,
            head: 0,
            tail: 0,
            item: PhantomData,
        }
    }

    /// The room, in bytes, re-reading the consumer's position.
    fn room(&mut self) -> u64 {
        let raw = self.ring.raw();
        self.tail = raw.tail.load(Ordering::Acquire);
        raw.capacity - (self.head - self.tail)
    }

    fn commit(&mut self, bytes: &[u8]) {
        self.ring.write_at(self.head, bytes);
        self.head += bytes.len() as u64;
        let raw = self.ring.raw();
        raw.head.store(self.head, Ordering::SeqCst);
        wake(&raw.consumer);
    }

    fn consumer_closed(&self) -> bool {
        self.ring.raw().consumer_closed.load(Ordering::Acquire) != 0
    }

    /// Copies all of `items` into the ring, or fails without copying any.
    pub fn try_push(&mut self, items: &[T]) -> Result<(), PushError> {
        if self.consumer_closed() {
            return Err(PushError::Closed);
        }
        let bytes = items.as_bytes();
        let raw = self.ring.raw();
        if bytes.len() as u64 > raw.capacity {
            return Err(PushError::TooLarge);
        }
        if (raw.capacity - (self.head - self.tail)) < bytes.len() as u64
            && self.room() < bytes.len() as u64
        {
            return Err(PushError::WouldBlock);
        }
        if !bytes.is_empty() {
            self.commit(bytes);
        }
        Ok(())
    }

    /// Copies `items` into the ring, waiting for room as often as needed.
    pub async fn push_async(&mut self, items: &[T]) -> Result<(), PushError> {
        let mut rest = items.as_bytes();
        loop {
            if self.consumer_closed() {
                return Err(PushError::Closed);
            }
            let room = self.room() as usize;
            let n = room.min(rest.len());
            if n > 0 {
                let (now, later) = rest.split_at(n);
                self.commit(now);
                rest = later;
            }
            if rest.is_empty() {
                return Ok(());
            }
            futures::future::poll_fn(|cx| self.poll_room(cx)).await;
        }
    }

    /// `Ready` once there is room or the consumer is gone.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let ready = |s: &mut Self| s.consumer_closed() || s.room() > 0;
        if ready(self) {
            return Poll::Ready(());
        }
        let a = self.ring.get();
        a.producer_signal.waker.register(cx.waker());
        a.raw.producer.waiting.store(1, Ordering::SeqCst);
        if ready(self) {
            self.ring.raw().producer.waiting.store(0, Ordering::SeqCst);
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// [`push_async`](Self::push_async), parking the thread while the ring is full.
    pub fn push(&mut self, items: &[T]) -> Result<(), PushError> {
        futures::executor::block_on(self.push_async(items))
    }

    /// Ends the stream cleanly: the consumer reads what is in the ring, then the end.
    pub fn close(self) {
        close_producer(&self.ring, RING_CLOSED, 0);
    }

    /// Ends the stream with an error `code` (not 0), which the consumer gets after what is
    /// in the ring. A `code` of 0 closes cleanly.
    pub fn fail(self, code: i32) {
        close_producer(&self.ring, RING_CLOSED, code);
    }

    /// How many times the consumer called this sink's wake function (once per wait for
    /// room that ended).
    pub fn wake_calls(&self) -> u64 {
        self.ring
            .get()
            .producer_signal
            .calls
            .load(Ordering::Relaxed)
    }
}

impl<T: Item> Drop for RingSink<T> {
    fn drop(&mut self) {
        abandon(&self.ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(ring::<i32>(100).err(), Some(RingError::InvalidArgument));
        assert_eq!(ring::<i32>(32).err(), Some(RingError::InvalidArgument));
        assert_eq!(
            ring::<[u8; 3]>(1024).err(),
            Some(RingError::InvalidArgument)
        );
        assert_eq!(ring::<()>(1024).err(), Some(RingError::InvalidArgument));
        assert!(ring::<u64>(64).is_ok());
    }

    #[test]
    fn rust_to_rust_in_order_and_out_of_order_release() {
        let (mut tx, mut rx) = ring::<u32>(64).unwrap();
        tx.try_push(&[1, 2, 3, 4]).unwrap();
        let a = futures::executor::block_on(rx.next()).unwrap().unwrap();
        tx.try_push(&[5, 6]).unwrap();
        let b = futures::executor::block_on(rx.next()).unwrap().unwrap();
        assert_eq!(&*a, &[1, 2, 3, 4]);
        assert_eq!(&*b, &[5, 6]);
        // 16 items fit; 6 are held by chunks.
        assert_eq!(tx.try_push(&[0; 11]), Err(PushError::WouldBlock));
        drop(b);
        // b was dropped before a: its room is not free yet.
        assert_eq!(tx.try_push(&[0; 11]), Err(PushError::WouldBlock));
        drop(a);
        tx.try_push(&[7; 16]).unwrap();
        assert_eq!(tx.try_push(&[8]), Err(PushError::WouldBlock));
        assert_eq!(tx.try_push(&[0; 17]), Err(PushError::TooLarge));
        tx.close();
        let mut got = Vec::new();
        for c in futures::executor::block_on_stream(rx) {
            got.extend_from_slice(&c.unwrap());
        }
        assert_eq!(got, vec![7; 16]);
    }

    #[test]
    fn blocks_cover_a_chunk_in_order() {
        let (mut tx, mut rx) = ring::<u16>(256).unwrap();
        let items: Vec<u16> = (0..100).collect();
        tx.try_push(&items).unwrap();
        let c = futures::executor::block_on(rx.next()).unwrap().unwrap();
        for n in [0, 1, 3, 7, 99, 100, 101, usize::MAX] {
            let blocks: Vec<&[u16]> = c.blocks(n).collect();
            let want = n.clamp(1, 100);
            assert_eq!(blocks.len(), 100usize.div_ceil(want), "blocks of {n}");
            assert_eq!(c.blocks(n).len(), blocks.len(), "exact size of {n}");
            assert!(blocks.iter().all(|b| !b.is_empty() && b.len() <= want));
            assert_eq!(blocks.concat(), items, "blocks of {n} in order");
        }
    }

    #[test]
    fn ends_with_error_or_abandoned() {
        let (mut tx, mut rx) = ring::<u8>(64).unwrap();
        tx.try_push(b"abc").unwrap();
        tx.fail(42);
        let first = futures::executor::block_on(rx.next()).unwrap().unwrap();
        assert_eq!(first.as_bytes(), b"abc");
        let err = futures::executor::block_on(rx.next()).unwrap().unwrap_err();
        assert_eq!(err, StreamError::Failed(42));
        assert!(futures::executor::block_on(rx.next()).is_none());

        let (tx, mut rx) = ring::<u8>(64).unwrap();
        drop(tx);
        let err = futures::executor::block_on(rx.next()).unwrap().unwrap_err();
        assert_eq!(err, StreamError::Abandoned);
        assert_eq!(err.code(), STREAM_ABANDONED);
    }

    #[test]
    fn dropped_consumer_fails_pushes() {
        let (mut tx, rx) = ring::<u8>(64).unwrap();
        drop(rx);
        assert_eq!(tx.try_push(b"x"), Err(PushError::Closed));
        assert_eq!(tx.push(&[0; 1000]), Err(PushError::Closed));
    }

    #[test]
    fn blocking_push_streams_more_than_the_capacity() {
        let (mut tx, rx) = ring::<u64>(256).unwrap();
        let n = 100_000u64;
        let producer = std::thread::spawn(move || {
            let items: Vec<u64> = (0..n).collect();
            for part in items.chunks(1000) {
                tx.push(part).unwrap();
            }
            tx.close();
        });
        let mut next = 0u64;
        for c in futures::executor::block_on_stream(rx) {
            for &x in c.unwrap().iter() {
                assert_eq!(x, next);
                next += 1;
            }
        }
        producer.join().unwrap();
        assert_eq!(next, n);
    }
}
