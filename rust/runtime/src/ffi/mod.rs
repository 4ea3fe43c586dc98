//! The C ABI shared with the generated Zig: the slice type its `In`/`Out` structs carry,
//! and (in [`crate::private`]) the one macro through which generated Rust declares and
//! calls the Zig pack and unpack exports, so that generated code holds no `unsafe`.

use core::marker::PhantomData;

mod bridge;
pub use bridge::EntryFn;
mod call;
pub mod capi;
mod carry;
#[doc(hidden)]
pub mod private;
pub(crate) mod ring;
mod serve;
pub use call::{
    AlignedBuf, CallError, Mode, ReplyPort, ReplyTo, block_on, c_string, call, call_as, call_async,
    discard, prefix, receive_right, reply_port, send, send_as, send_async, send_once_right,
    send_right, slice, was_sent,
};
pub use carry::{
    FromName, Given, IntoRaw, MIG_ARRAY_TOO_LARGE, MIG_TYPE_ERROR, Named, any_right, any_rights,
    capacity, check_capacity, check_len, fill_names, fill_same, inline_names, into_raw_all,
    into_raw_each, names, ool_any_rights, ool_any_rights_each, ool_buffer, ool_buffers, ool_copies,
    ool_copy, ool_count, ool_names_each, ool_rights, ool_rights_each, ool_slice, ool_slices,
    poly_disposition, poly_disposition_each, reply_ool_copies, reply_ool_copy,
    reply_ool_names_each, reply_ool_slice, reply_ool_slices, reply_poly_disposition,
    reply_poly_disposition_each, reply_slice, rights, same_count, take_ool, take_ools,
};
pub use ring::{RawRing, WakeFn};
pub use serve::{
    Handled, MIG_BAD_ID, Refusal, Requests, Take, fill, fill_c_string, finish, guarded, items,
    release_reply_right, request_buf, request_header, request_id, requests, simple_requests,
};

/// `migz.ConstSlice(T)` of the Zig runtime: a borrowed slice that crosses the C ABI as a
/// pointer and a `u32` element count.
#[repr(C)]
#[derive(Debug)]
pub struct ConstSlice<'a, T> {
    ptr: *const T,
    len: u32,
    borrow: PhantomData<&'a [T]>,
}

// SAFETY: a `ConstSlice<'a, T>` is a `&'a [T]` in C layout: it only ever reads the `T`s
// it borrows (`get` hands out `&'a [T]`), so it may cross threads exactly when `&[T]` may,
// which is when `T: Sync`. Without this, a generated server's future that holds an
// unpacked request across an `await`, or a client's `_async` future that holds its `In`
// struct, is not `Send` and cannot be spawned on tokio.
unsafe impl<T: Sync> Send for ConstSlice<'_, T> {}
// SAFETY: as for `Send`: shared access to a `ConstSlice` is shared access to `&[T]`.
unsafe impl<T: Sync> Sync for ConstSlice<'_, T> {}

impl<T> Clone for ConstSlice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ConstSlice<'_, T> {}

impl<T> Default for ConstSlice<'_, T> {
    fn default() -> Self {
        Self {
            ptr: core::ptr::null(),
            len: 0,
            borrow: PhantomData,
        }
    }
}

impl<'a, T> ConstSlice<'a, T> {
    /// Borrows `items`. Returns `None` when there are more than `u32::MAX` of them, which
    /// no Mach message can carry.
    pub fn new(items: &'a [T]) -> Option<Self> {
        Some(Self {
            ptr: items.as_ptr(),
            len: u32::try_from(items.len()).ok()?,
            borrow: PhantomData,
        })
    }

    /// The address of the first element (0 when there is none).
    pub(crate) fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// The number of elements.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements, or `None` when the Zig side left a pointer that Rust cannot view as a
    /// slice (misaligned for `T`, which can happen for 64-bit elements at 4-byte message
    /// offsets).
    pub fn get(&self) -> Option<&'a [T]> {
        if self.len == 0 {
            return Some(&[]);
        }
        if self.ptr.is_null() || self.ptr.align_offset(align_of::<T>()) != 0 {
            return None;
        }
        // SAFETY: the pointer is non-null and aligned, and it was made either by `new` from
        // a slice borrowed for 'a, or by a Zig unpack export from message bytes borrowed for
        // 'a (the wrappers in `private` tie the lifetimes), with `len` elements in bounds.
        Some(unsafe { core::slice::from_raw_parts(self.ptr, self.len as usize) })
    }
}

/// An out-of-line array in an `In`/`Out` struct: it crosses the C ABI exactly as a
/// [`ConstSlice`] (an address and a count), but the memory it names lies outside the
/// message (a region a received message brought, or one a message to send will carry), so
/// nothing can view it: unpacking crafted bytes may leave any address here. Only a
/// transport, which checks the address against the regions it knows, takes what it names
/// ([`private::take_ool`]).
///
/// ```compile_fail
/// fn view(s: migz::private::OolSlice<'_, u32>) -> Option<&[u32]> {
///     s.get() // there is no way to read the memory behind an address a message names
/// }
/// ```
///
/// ```compile_fail
/// fn view(s: migz::private::OolSlice<'_, u32>) -> Option<&[u32]> {
///     migz::private::items(s).ok() // nor through the helpers that read in-line arrays
/// }
/// ```
///
/// Nor can one be made to name memory that is not an out-of-line buffer, so a transport is
/// never asked to take (and free) a borrowed slice:
///
/// ```compile_fail
/// let space = migz::Space::new();
/// let mine = [1u32, 2, 3];
/// let slice = migz::private::ConstSlice::new(&mine[..]).unwrap();
/// let _ = migz::private::take_ool(&space, slice);
/// ```
///
/// ```compile_fail
/// let mine = [1u32, 2, 3];
/// let _ = migz::private::OolSlice::new(&mine[..]);
/// ```
///
/// The same with an out-of-line buffer compiles:
///
/// ```
/// let buffer = migz::OolBuffer::from_slice(&[1u32, 2, 3]);
/// assert_eq!(migz::private::OolSlice::new(&buffer).unwrap().len(), 3);
/// ```
#[repr(transparent)]
#[derive(Debug)]
pub struct OolSlice<'a, T>(ConstSlice<'a, T>);

impl<T> Default for OolSlice<'_, T> {
    fn default() -> Self {
        OolSlice(ConstSlice::default())
    }
}

impl<T> Clone for OolSlice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OolSlice<'_, T> {}

impl<'a, T> OolSlice<'a, T> {
    /// Points at the memory of `buffer`, which a message to send will carry. `None` past
    /// `u32::MAX` elements.
    pub fn new(buffer: &'a crate::ool::OolBuffer<T>) -> Option<Self>
    where
        T: crate::ool::OolElement,
    {
        ConstSlice::new(buffer).map(OolSlice)
    }

    /// The address of the first element (0 when there is none).
    pub(crate) fn addr(&self) -> usize {
        self.0.addr()
    }

    /// The number of elements.
    pub fn len(&self) -> u32 {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A pack or unpack export refused a message: `code` is the MIG or server return code
/// (`MIG_BAD_ARGUMENTS`, `MIG_BAD_ID`, `MIG_ARRAY_TOO_LARGE`, a reply's `RetCode`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("message refused with code {code}")]
pub struct CodecError {
    /// The `kern_return_t` or MIG code.
    pub code: i32,
}

/// `MIG_BAD_ARGUMENTS`: what a wrapper answers when the buffer it is given cannot hold the
/// message struct, before any Zig runs.
pub use crate::abi::MIG_BAD_ARGUMENTS;

/// A message buffer aligned as the generated message structs need (4 bytes; 8 given).
#[repr(C, align(8))]
#[derive(Clone, Debug)]
pub struct MsgBuf<const N: usize>(pub [u8; N]);

impl<const N: usize> MsgBuf<N> {
    /// A zeroed buffer.
    pub fn new() -> Self {
        Self([0; N])
    }
}

impl<const N: usize> Default for MsgBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `bytes` can stand for a message struct of `size` bytes and 4-byte alignment,
/// with `len` valid bytes.
pub fn fits(bytes: &[u8], len: usize, size: usize) -> bool {
    bytes.len() >= size && len <= bytes.len() && bytes.as_ptr().align_offset(4) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let xs = [1i32, 2, 3];
        let s = ConstSlice::new(&xs).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.get().unwrap(), &xs);
        let empty: ConstSlice<'_, u64> = ConstSlice::default();
        assert!(empty.is_empty());
        assert_eq!(empty.get().unwrap(), &[] as &[u64]);
        assert_eq!(size_of::<ConstSlice<'_, u8>>(), 2 * size_of::<usize>());
    }
}
