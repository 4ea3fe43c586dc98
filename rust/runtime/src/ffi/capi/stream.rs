//! The stream and channel entry points of `bridge/migz.h`: `migz1_ring_create` and the
//! `migz1_channel_*` calls over `migz::channel`. Handles are boxed Rust channel ends; every
//! entry point checks its pointers and catches panics (`MIGZ1_STREAM_FAILURE`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::channel::{self, Receiver, RecvError, SendError, Sender};
use crate::ffi::RawRing;
use crate::stream::{
    STREAM_CLOSED, STREAM_FAILURE, STREAM_INVALID_ARGUMENT, STREAM_OK, STREAM_WOULD_BLOCK,
};

/// `migz1_channel_sender_t`.
#[derive(Debug)]
pub struct ChannelSender(Sender);
/// `migz1_channel_receiver_t`.
#[derive(Debug)]
pub struct ChannelReceiver(Receiver);

fn guard(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(STREAM_FAILURE)
}

/// `migz1_ring_create`: a ring with one reference per end.
///
/// # Safety
/// `ring` is null or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_ring_create(
    capacity: u64,
    item_size: u32,
    ring: *mut *mut RawRing,
) -> i32 {
    if ring.is_null() {
        return STREAM_INVALID_ARGUMENT;
    }
    guard(|| match crate::stream::create_raw(capacity, item_size) {
        Ok(r) => {
            // SAFETY: checked non-null; the caller promised it is valid for a write.
            unsafe { ring.write_unaligned(r) };
            STREAM_OK
        }
        Err(code) => code,
    })
}

/// `migz1_channel_create`.
///
/// # Safety
/// `sender` and `receiver` are null or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_create(
    capacity: usize,
    message_size_max: usize,
    sender: *mut *mut ChannelSender,
    receiver: *mut *mut ChannelReceiver,
) -> i32 {
    if sender.is_null() || receiver.is_null() {
        return STREAM_INVALID_ARGUMENT;
    }
    guard(|| {
        let (tx, rx) = if capacity == 0 {
            channel::unbounded(message_size_max)
        } else {
            channel::bounded(capacity, message_size_max)
        };
        // SAFETY: both checked non-null; the caller promised they are valid for writes.
        unsafe {
            sender.write_unaligned(Box::into_raw(Box::new(ChannelSender(tx))));
            receiver.write_unaligned(Box::into_raw(Box::new(ChannelReceiver(rx))));
        }
        STREAM_OK
    })
}

/// Borrows a handle made by this file.
///
/// # Safety
/// `p` is null or a live handle from `migz1_channel_create` or a clone.
unsafe fn handle<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller promised a live handle or null.
    unsafe { p.as_ref() }
}

/// `migz1_channel_sender_clone`.
///
/// # Safety
/// `sender` is null or a live sender handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_sender_clone(
    sender: *const ChannelSender,
) -> *mut ChannelSender {
    // SAFETY: the caller promised a live handle or null.
    let Some(s) = (unsafe { handle(sender) }) else {
        return core::ptr::null_mut();
    };
    catch_unwind(AssertUnwindSafe(|| {
        Box::into_raw(Box::new(ChannelSender(s.0.clone())))
    }))
    .unwrap_or(core::ptr::null_mut())
}

/// `migz1_channel_receiver_clone`.
///
/// # Safety
/// `receiver` is null or a live receiver handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_receiver_clone(
    receiver: *const ChannelReceiver,
) -> *mut ChannelReceiver {
    // SAFETY: the caller promised a live handle or null.
    let Some(r) = (unsafe { handle(receiver) }) else {
        return core::ptr::null_mut();
    };
    catch_unwind(AssertUnwindSafe(|| {
        Box::into_raw(Box::new(ChannelReceiver(r.0.clone())))
    }))
    .unwrap_or(core::ptr::null_mut())
}

/// `migz1_channel_sender_release`.
///
/// # Safety
/// `sender` is null or a live sender handle, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_sender_release(sender: *mut ChannelSender) {
    if sender.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller gives back a handle made by `Box::into_raw` here.
        drop(unsafe { Box::from_raw(sender) })
    }));
}

/// `migz1_channel_receiver_release`.
///
/// # Safety
/// `receiver` is null or a live receiver handle, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_receiver_release(receiver: *mut ChannelReceiver) {
    if receiver.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller gives back a handle made by `Box::into_raw` here.
        drop(unsafe { Box::from_raw(receiver) })
    }));
}

/// `migz1_channel_close`.
///
/// # Safety
/// `sender` is null or a live sender handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_close(sender: *const ChannelSender) {
    // SAFETY: the caller promised a live handle or null.
    if let Some(s) = unsafe { handle(sender) } {
        let _ = catch_unwind(AssertUnwindSafe(|| s.0.close()));
    }
}

/// `migz1_channel_close_receiver`.
///
/// # Safety
/// `receiver` is null or a live receiver handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_close_receiver(receiver: *const ChannelReceiver) {
    // SAFETY: the caller promised a live handle or null.
    if let Some(r) = unsafe { handle(receiver) } {
        let _ = catch_unwind(AssertUnwindSafe(|| r.0.close()));
    }
}

fn send_code(r: Result<(), SendError>) -> i32 {
    match r {
        Ok(()) => STREAM_OK,
        Err(SendError::Full) => STREAM_WOULD_BLOCK,
        Err(SendError::Closed) => STREAM_CLOSED,
        Err(SendError::TooLarge { .. }) => STREAM_INVALID_ARGUMENT,
    }
}

/// Runs a send with the message `data[..len]`.
///
/// # Safety
/// As for `migz1_channel_send`.
unsafe fn with_message(
    sender: *const ChannelSender,
    data: *const u8,
    len: usize,
    f: impl FnOnce(&Sender, &[u8]) -> Result<(), SendError>,
) -> i32 {
    // SAFETY: the caller promised a live handle or null.
    let Some(s) = (unsafe { handle(sender) }) else {
        return STREAM_INVALID_ARGUMENT;
    };
    if data.is_null() && len != 0 {
        return STREAM_INVALID_ARGUMENT;
    }
    let msg: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: non-null, and the caller promised `len` readable bytes.
        unsafe { core::slice::from_raw_parts(data, len) }
    };
    guard(|| send_code(f(&s.0, msg)))
}

/// `migz1_channel_send`.
///
/// # Safety
/// `sender` is null or a live sender handle; `data` is valid for `len` bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_send(
    sender: *const ChannelSender,
    data: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: the caller's promises are this function's.
    unsafe { with_message(sender, data, len, Sender::send) }
}

/// `migz1_channel_try_send`.
///
/// # Safety
/// As for `migz1_channel_send`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_try_send(
    sender: *const ChannelSender,
    data: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: the caller's promises are this function's.
    unsafe { with_message(sender, data, len, Sender::try_send) }
}

/// Runs a receive into `buffer`.
///
/// # Safety
/// As for `migz1_channel_recv`.
unsafe fn with_buffer(
    receiver: *const ChannelReceiver,
    buffer: *mut u8,
    buffer_size: usize,
    len: *mut usize,
    f: impl FnOnce(&Receiver) -> Result<Vec<u8>, RecvError>,
) -> i32 {
    // SAFETY: the caller promised a live handle or null.
    let Some(r) = (unsafe { handle(receiver) }) else {
        return STREAM_INVALID_ARGUMENT;
    };
    let max = r.0.message_size_max();
    if len.is_null() || buffer_size < max || (buffer.is_null() && max != 0) {
        return STREAM_INVALID_ARGUMENT;
    }
    guard(|| match f(&r.0) {
        Ok(m) => {
            // SAFETY: `buffer` holds `buffer_size >= max >= m.len()` bytes and `len` is
            // valid for a write, as the caller promised (both checked non-null).
            unsafe {
                if !m.is_empty() {
                    core::ptr::copy_nonoverlapping(m.as_ptr(), buffer, m.len());
                }
                len.write_unaligned(m.len());
            }
            STREAM_OK
        }
        Err(RecvError::Empty) => STREAM_WOULD_BLOCK,
        Err(RecvError::Closed) => STREAM_CLOSED,
    })
}

/// `migz1_channel_recv`.
///
/// # Safety
/// `receiver` is null or a live receiver handle; `buffer` is valid for `buffer_size`
/// bytes and `len` for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_recv(
    receiver: *const ChannelReceiver,
    buffer: *mut u8,
    buffer_size: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: the caller's promises are this function's.
    unsafe { with_buffer(receiver, buffer, buffer_size, len, Receiver::recv) }
}

/// `migz1_channel_try_recv`.
///
/// # Safety
/// As for `migz1_channel_recv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_channel_try_recv(
    receiver: *const ChannelReceiver,
    buffer: *mut u8,
    buffer_size: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: the caller's promises are this function's.
    unsafe { with_buffer(receiver, buffer, buffer_size, len, Receiver::try_recv) }
}

/// Hands a Rust sender to C or Zig as a `migz1_channel_sender_t *` (released there with
/// `migz1_channel_sender_release`).
pub fn sender_into_raw(sender: Sender) -> *mut ChannelSender {
    Box::into_raw(Box::new(ChannelSender(sender)))
}

/// Hands a Rust receiver to C or Zig as a `migz1_channel_receiver_t *`.
pub fn receiver_into_raw(receiver: Receiver) -> *mut ChannelReceiver {
    Box::into_raw(Box::new(ChannelReceiver(receiver)))
}
