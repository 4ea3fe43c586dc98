//! The client half of a generated routine call over the local transport: a request buffer
//! goes out with a fresh reply port and the reply comes back into the same buffer, blocking
//! or async, with an optional deadline. Generated client methods pack and unpack through
//! the Zig exports and call these for the traffic in between. No `unsafe` here.

use crate::abi::*;
use crate::error::Error;
use crate::local::Space;
use crate::rights::ReceiveRight;
use crate::transport::{Transport, received_len, timeout_ms};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use zerocopy::IntoBytes;

/// Why a generated call failed, keeping the `kern_return_t`, `mach_msg` or MIG code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Sending the request failed (`MACH_SEND_*`); nothing was sent, so rights the call
    /// took by value were released and borrowed ones are untouched.
    #[error("sending the request failed with {}", crate::abi::Code(*.0))]
    Send(MachMsgReturn),
    /// Receiving the reply failed (`MACH_RCV_*`, `MACH_RCV_TIMED_OUT` after the deadline);
    /// the request was sent.
    #[error("receiving the reply failed with {}", crate::abi::Code(*.0))]
    Receive(MachMsgReturn),
    /// The request could not be packed or the reply was malformed (`MIG_*` codes such as
    /// `MIG_ARRAY_TOO_LARGE`, `MIG_TYPE_ERROR`, `MIG_REPLY_MISMATCH`); a malformed reply
    /// is destroyed with every right it carried.
    #[error("MIG error {}", crate::abi::Code(*.0))]
    Mig(KernReturn),
    /// The server answered with this `kern_return_t`.
    #[error("the server answered {}", crate::abi::Code(*.0))]
    Server(KernReturn),
    /// The reply port could not be allocated.
    #[error("no reply port: {0}")]
    ReplyPort(Error),
    /// An array argument has the wrong number of elements (a fixed-size array, or one
    /// that shares another's count through MIG's `SameCount`); nothing was sent.
    #[error("argument `{arg}` has {len} elements where {expected} are needed")]
    Count {
        /// The argument, as the `.defs` names it, with a `_` appended where the name clashes
        /// with a field of the message itself (`head`, `body`, `ndr`, `ret_code`), as the
        /// method's parameter is named.
        arg: &'static str,
        /// How many elements it has.
        len: usize,
        /// How many it must have.
        expected: usize,
    },
}

impl CallError {
    /// The code as Apple's stubs would return it.
    pub fn code(&self) -> i32 {
        match *self {
            CallError::Send(c) | CallError::Receive(c) => c,
            CallError::Mig(c) | CallError::Server(c) => c,
            CallError::ReplyPort(e) => e.code(),
            CallError::Count { .. } => super::MIG_BAD_ARGUMENTS,
        }
    }
}

impl From<super::CodecError> for CallError {
    fn from(e: super::CodecError) -> Self {
        // MIG's own codes are -300 to -399; anything else in a reply is the server's.
        if (-399..=-300).contains(&e.code) {
            CallError::Mig(e.code)
        } else {
            CallError::Server(e.code)
        }
    }
}

/// A zeroed, 8-byte aligned message buffer on the heap (generated messages can be
/// hundreds of kilobytes).
///
/// Every generated call and every served request takes one or two of these, so their
/// memory is recycled: a dropped buffer of at most `SPARE_BYTES_MAX` bytes waits, with
/// at most `SPARE_COUNT_MAX` others, in a list of its thread for the next `new`. Taking
/// a kilobytes-sized block from glibc's allocator and giving it back on every call made it
/// consolidate its free lists each time, about a tenth of a local round trip.
#[derive(Clone, Debug)]
pub struct AlignedBuf {
    words: Vec<u64>,
}

/// The largest buffer kept for reuse when dropped.
pub const SPARE_BYTES_MAX: usize = 64 * 1024;
/// How many dropped buffers each thread keeps for reuse.
pub const SPARE_COUNT_MAX: usize = 4;

thread_local! {
    /// This thread's dropped buffers, waiting for reuse.
    static SPARE: std::cell::RefCell<Vec<Vec<u64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl AlignedBuf {
    /// A buffer of at least `bytes` bytes.
    pub fn new(bytes: usize) -> Self {
        let len = bytes.div_ceil(8);
        // The smallest spare buffer that is large enough, if any.
        let spare = SPARE
            .try_with(|spare| {
                let mut spare = spare.try_borrow_mut().ok()?;
                let best = (0..spare.len())
                    .filter(|&i| spare[i].capacity() >= len)
                    .min_by_key(|&i| spare[i].capacity())?;
                Some(spare.swap_remove(best))
            })
            .ok()
            .flatten();
        let words = match spare {
            Some(mut words) => {
                words.clear();
                words.resize(len, 0);
                words
            }
            None => vec![0; len],
        };
        AlignedBuf { words }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.words.as_bytes()
    }

    /// The bytes, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.words.as_mut_bytes()
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        let words = std::mem::take(&mut self.words);
        if words.capacity() == 0 || words.capacity() * 8 > SPARE_BYTES_MAX {
            return;
        }
        // During thread exit the list may be gone already; the buffer is then freed.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut()
                && spare.len() < SPARE_COUNT_MAX
            {
                spare.push(words);
            }
        });
    }
}

/// The reply port of one call: a receive right that only this call names. After a call
/// that received its reply (the one send-once right it made is used up) the port goes back
/// to the transport's pool for the next call; after any failure (a timeout, a send error,
/// a dropped future) it is destroyed, so a late reply goes to a dead port rather than to
/// the next call, as Apple's stubs destroy their reply port after an error.
#[derive(Debug)]
pub struct ReplyPort<T: Transport = Space> {
    right: Option<ReceiveRight<T>>,
    received: AtomicBool,
}

impl<T: Transport> ReplyPort<T> {
    /// The port's name in its space.
    pub fn name(&self) -> MachPortName {
        self.right().name()
    }
}

impl<T: Transport> Drop for ReplyPort<T> {
    fn drop(&mut self) {
        let Some(right) = self.right.take() else {
            return;
        };
        if self.received.load(Ordering::Relaxed) {
            let task = right.task().clone();
            if let Err(name) = task.pool_reply_port(right.into_raw()) {
                drop(ReceiveRight::from_raw(task, name));
            }
        }
    }
}

/// What a call receives its reply on: a pooled [`ReplyPort`] or, for a routine with an
/// explicit reply port argument, the caller's own receive right.
pub trait ReplyTo<T: Transport> {
    /// The receive right.
    fn right(&self) -> &ReceiveRight<T>;
    /// Told that the call's reply (or send-once notification) arrived.
    fn received(&self) {}
}

impl<T: Transport> ReplyTo<T> for ReceiveRight<T> {
    fn right(&self) -> &ReceiveRight<T> {
        self
    }
}

impl<T: Transport> ReplyTo<T> for ReplyPort<T> {
    fn right(&self) -> &ReceiveRight<T> {
        // Only `drop` takes the right out.
        self.right.as_ref().unwrap_or_else(|| unreachable!())
    }

    fn received(&self) {
        self.received.store(true, Ordering::Relaxed);
    }
}

/// The reply port of one call, from the transport's pool or newly allocated (see
/// [`ReplyPort`]).
pub fn reply_port<T: Transport>(task: &T) -> Result<ReplyPort<T>, CallError> {
    let right = match task.take_pooled_reply_port() {
        Some(name) => ReceiveRight::from_raw(task.clone(), name),
        None => ReceiveRight::allocate(task).map_err(CallError::ReplyPort)?,
    };
    Ok(ReplyPort {
        right: Some(right),
        received: AtomicBool::new(false),
    })
}

/// A failed `mach_msg` code of a call as the error: receive errors share the
/// `0x1000_4000` bit, everything else failed the send.
fn call_error(rc: MachMsgReturn) -> CallError {
    if rc & 0x0000_4000 != 0 {
        CallError::Receive(rc)
    } else {
        CallError::Send(rc)
    }
}

/// Sends the request in `buf[..size]` and receives the reply on `reply` into `buf`,
/// waiting at most `timeout` for each. Returns the reply's valid length.
pub fn call<T: Transport>(
    task: &T,
    buf: &mut [u8],
    size: usize,
    reply: &(impl ReplyTo<T> + ?Sized),
    timeout: Option<Duration>,
) -> Result<usize, CallError> {
    let mut option = MACH_SEND_MSG | MACH_RCV_MSG;
    if timeout.is_some() {
        option |= MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT;
    }
    let rcv_size = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    let rc = task.mach_msg(
        buf,
        option,
        size as u32,
        rcv_size,
        reply.right().name(),
        timeout_ms(timeout),
        0,
    );
    match rc {
        MACH_MSG_SUCCESS => {
            reply.received();
            Ok(received_len(buf))
        }
        rc => Err(call_error(rc)),
    }
}

/// Sends a simpleroutine's request in `buf[..size]`, waiting at most `timeout` for room.
pub fn send<T: Transport>(
    task: &T,
    buf: &mut [u8],
    size: usize,
    timeout: Option<Duration>,
) -> Result<(), CallError> {
    let mut option = MACH_SEND_MSG;
    if timeout.is_some() {
        option |= MACH_SEND_TIMEOUT;
    }
    match task.mach_msg(buf, option, size as u32, 0, 0, timeout_ms(timeout), 0) {
        MACH_MSG_SUCCESS => Ok(()),
        rc => Err(CallError::Send(rc)),
    }
}

/// [`send`] without blocking the thread.
pub async fn send_async<T: Transport>(
    task: &T,
    buf: &mut AlignedBuf,
    size: usize,
    timeout: Option<Duration>,
) -> Result<(), CallError> {
    match task.msg_send_async(buf.bytes_mut(), size, timeout).await {
        MACH_MSG_SUCCESS => Ok(()),
        rc => Err(CallError::Send(rc)),
    }
}

/// [`call`] without blocking the thread (see [`Transport::msg_call_async`]).
pub async fn call_async<T: Transport>(
    task: &T,
    buf: &mut AlignedBuf,
    size: usize,
    reply: &(impl ReplyTo<T> + ?Sized + Sync),
    timeout: Option<Duration>,
) -> Result<usize, CallError> {
    let name = reply.right().name();
    let len = task
        .msg_call_async(buf.bytes_mut(), size, name, timeout)
        .await
        .map_err(call_error)?;
    reply.received();
    Ok(len)
}

/// How a generated client method waits: blocking its thread, or as a future. Both
/// methods of a routine run one body, its `call_<id>` function, which waits as told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The thread blocks in `mach_msg`; the body's future finishes on its first poll.
    Blocking,
    /// The future waits for the reply without blocking the thread.
    Async,
}

/// [`call`] or [`call_async`], as `mode` says.
pub async fn call_as<T: Transport>(
    mode: Mode,
    task: &T,
    buf: &mut AlignedBuf,
    size: usize,
    reply: &(impl ReplyTo<T> + ?Sized + Sync),
    timeout: Option<Duration>,
) -> Result<usize, CallError> {
    match mode {
        Mode::Blocking => call(task, buf.bytes_mut(), size, reply, timeout),
        Mode::Async => call_async(task, buf, size, reply, timeout).await,
    }
}

/// [`send`] or [`send_async`], as `mode` says.
pub async fn send_as<T: Transport>(
    mode: Mode,
    task: &T,
    buf: &mut AlignedBuf,
    size: usize,
    timeout: Option<Duration>,
) -> Result<(), CallError> {
    match mode {
        Mode::Blocking => send(task, buf.bytes_mut(), size, timeout),
        Mode::Async => send_async(task, buf, size, timeout).await,
    }
}

/// Runs a generated call body in [`Mode::Blocking`] on this thread. Nothing in such a body
/// waits on a future, so it finishes on the first poll, which needs no waker of its own;
/// should a future still be pending, the thread parks until it is woken. Unlike an
/// executor's `block_on` this may run inside another executor (a server method making a
/// blocking call), as the blocking transport call itself does.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    if let Poll::Ready(value) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return value;
    }
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

/// Whether the request of a finished call left, so that rights it carried by value now
/// belong to the message (a pack refusal or a send error leaves them with the caller).
pub fn was_sent<T>(result: &Result<T, CallError>) -> bool {
    !matches!(
        result,
        Err(CallError::Send(_) | CallError::ReplyPort(_) | CallError::Count { .. })
    )
}

/// Borrows an argument's elements for a request (`MIG_ARRAY_TOO_LARGE` past `u32::MAX`,
/// the bound itself being checked by the pack export).
pub fn slice<T>(items: &[T]) -> Result<super::ConstSlice<'_, T>, CallError> {
    super::ConstSlice::new(items).ok_or(CallError::Mig(MIG_ARRAY_TOO_LARGE))
}

/// Takes management of a send right a reply brought under `name`.
pub fn send_right<T: Transport>(task: &T, name: MachPortName) -> crate::rights::SendRight<T> {
    crate::rights::SendRight::from_raw(task.clone(), name)
}

/// Takes management of a send-once right a reply brought under `name`.
pub fn send_once_right<T: Transport>(
    task: &T,
    name: MachPortName,
) -> crate::rights::SendOnceRight<T> {
    crate::rights::SendOnceRight::from_raw(task.clone(), name)
}

/// Takes management of a receive right a reply brought under `name`.
pub fn receive_right<T: Transport>(task: &T, name: MachPortName) -> ReceiveRight<T> {
    ReceiveRight::from_raw(task.clone(), name)
}

/// The bytes of a NUL-terminated reply string, without the NUL.
pub fn c_string(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

/// The first `count` elements of a reply's array (all of them if `count` is larger, which
/// the unpack export has already refused).
pub fn prefix<T: Copy>(items: &[T], count: u32) -> Vec<T> {
    items[..(count as usize).min(items.len())].to_vec()
}

/// Releases every right and region a reply that failed to unpack carried.
pub fn discard<T: Transport>(task: &T, msg: &[u8]) {
    task.msg_destroy(msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pending on its first `n` polls, waking its waker from another thread each time.
    struct WokenLater(u32);

    impl Future for WokenLater {
        type Output = u32;
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 == 0 {
                return Poll::Ready(7);
            }
            self.0 -= 1;
            let waker = cx.waker().clone();
            std::thread::spawn(move || waker.wake());
            Poll::Pending
        }
    }

    #[test]
    fn block_on_finishes_ready_and_pending_futures_inside_another_executor() {
        assert_eq!(block_on(async { 5 }), 5);
        assert_eq!(block_on(WokenLater(3)), 7);
        // A server method may make a blocking call from inside an executor.
        let nested = futures::executor::block_on(async { block_on(WokenLater(1)) });
        assert_eq!(nested, 7);
    }

    #[test]
    fn recycled_buffers_are_zeroed_and_large_enough() {
        let mut big = AlignedBuf::new(4200);
        big.bytes_mut().fill(0xff);
        drop(big);
        let small = AlignedBuf::new(40);
        assert_eq!(small.bytes().len(), 40);
        assert!(small.bytes().iter().all(|&b| b == 0));
        let again = AlignedBuf::new(4200);
        assert!(again.bytes().len() >= 4200);
        assert!(again.bytes().iter().all(|&b| b == 0));
        assert_eq!(again.bytes().as_ptr().align_offset(8), 0);
    }

    #[test]
    fn reply_values() {
        assert_eq!(c_string(b"ab\0cd"), b"ab");
        assert_eq!(c_string(b"abc"), b"abc");
        assert_eq!(prefix(&[1, 2, 3], 2), [1, 2]);
        assert_eq!(prefix(&[1, 2, 3], 9), [1, 2, 3]);
    }

    #[test]
    fn codes_sort_into_variants() {
        assert_eq!(
            CallError::from(super::super::CodecError {
                code: MIG_ARRAY_TOO_LARGE
            }),
            CallError::Mig(MIG_ARRAY_TOO_LARGE)
        );
        assert_eq!(
            CallError::from(super::super::CodecError { code: 5 }),
            CallError::Server(5)
        );
        assert_eq!(
            CallError::Send(MACH_SEND_TIMED_OUT).code(),
            MACH_SEND_TIMED_OUT
        );
    }

    #[test]
    fn a_call_to_a_silent_server_times_out_and_leaks_nothing() {
        let space = Space::new();
        {
            let (service, send) = crate::rights::allocate_pair(&space).unwrap();
            let reply = reply_port(&space).unwrap();
            let mut buf = request(&send, &reply);
            let err = call(
                &space,
                buf.bytes_mut(),
                24,
                &reply,
                Some(Duration::from_millis(1)),
            )
            .unwrap_err();
            assert_eq!(err, CallError::Receive(MACH_RCV_TIMED_OUT));
            drop(service);
        }
        space.assert_no_leaks();
    }

    /// A request to `send` with a send-once right to `reply`, as a client packs one.
    fn request(send: &crate::rights::SendRight<Space>, reply: &ReplyPort) -> AlignedBuf {
        let mut buf = AlignedBuf::new(256);
        MachMsgHeader {
            msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
            msgh_size: 24,
            msgh_remote_port: send.name(),
            msgh_local_port: reply.name(),
            msgh_id: 1,
            ..Default::default()
        }
        .write(buf.bytes_mut());
        buf
    }

    #[test]
    fn answered_calls_reuse_their_reply_port_and_failed_ones_destroy_it() {
        let space = Space::new();
        {
            let (service, send) = crate::rights::allocate_pair(&space).unwrap();
            let answer = |space: &Space| {
                // The server: receive the request and answer on its send-once right.
                let mut msg = AlignedBuf::new(256);
                let rc = space.mach_msg(
                    msg.bytes_mut(),
                    MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                    0,
                    256,
                    service.name(),
                    5_000,
                    0,
                );
                assert_eq!(rc, MACH_MSG_SUCCESS);
                let head = MachMsgHeader::read(msg.bytes()).unwrap();
                MachMsgHeader {
                    msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                    msgh_size: 24,
                    msgh_remote_port: head.msgh_remote_port,
                    msgh_id: 101,
                    ..Default::default()
                }
                .write(msg.bytes_mut());
                assert_eq!(
                    space.mach_msg(msg.bytes_mut(), MACH_SEND_MSG, 24, 0, 0, 0, 0),
                    0
                );
            };
            let first = std::thread::scope(|s| {
                let server = s.spawn(|| answer(&space));
                let reply = reply_port(&space).unwrap();
                let name = reply.name();
                let mut buf = request(&send, &reply);
                assert!(call(&space, buf.bytes_mut(), 24, &reply, None).is_ok());
                server.join().unwrap();
                name
            });
            // The answered call's port went to the pool: the next call gets it back, and
            // the pool does not count as a leak.
            let held = space.leaks();
            let names: Vec<_> = held.names.iter().map(|(n, _, _)| *n).collect();
            assert_eq!(names, [service.name()]);
            assert_eq!(held.live_ports, 1);
            let reply = reply_port(&space).unwrap();
            assert_eq!(reply.name(), first);
            // This call times out: its port is destroyed, not pooled.
            let mut buf = request(&send, &reply);
            let err = call(
                &space,
                buf.bytes_mut(),
                24,
                &reply,
                Some(Duration::from_millis(1)),
            );
            assert_eq!(err, Err(CallError::Receive(MACH_RCV_TIMED_OUT)));
            drop(reply);
            let next = reply_port(&space).unwrap();
            assert_ne!(next.name(), first);
            drop((next, service, send));
        }
        space.assert_no_leaks();
    }
}
