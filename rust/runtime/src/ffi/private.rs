//! What generated code reaches and nothing else does: [`exports!`] declares the Zig pack
//! and unpack exports of one message and wraps them in safe functions, so generated files
//! contain no `unsafe` (as cxx's generated code reaches its runtime through one hidden
//! module). Not a stable API.

pub use crate::__migz_exports as exports;
pub use crate::ffi::{
    AlignedBuf, CallError, CodecError, ConstSlice, FromName, Given, Handled, IntoRaw,
    MIG_ARRAY_TOO_LARGE, MIG_BAD_ARGUMENTS, MIG_BAD_ID, MIG_TYPE_ERROR, Mode, Named, OolSlice,
    Refusal, any_right, any_rights, block_on, c_string, call_as, capacity, check_capacity,
    check_len, discard, fill, fill_c_string, fill_names, fill_same, finish, fits, guarded,
    inline_names, into_raw_all, into_raw_each, items, names, ool_any_rights, ool_any_rights_each,
    ool_buffer, ool_buffers, ool_copies, ool_copy, ool_count, ool_names_each, ool_rights,
    ool_rights_each, ool_slice, ool_slices, poly_disposition, poly_disposition_each, prefix,
    receive_right, release_reply_right, reply_ool_copies, reply_ool_copy, reply_ool_names_each,
    reply_ool_slice, reply_ool_slices, reply_poly_disposition, reply_poly_disposition_each,
    reply_port, reply_slice, request_buf, request_header, request_id, requests, rights, same_count,
    send_as, send_once_right, send_right, simple_requests, slice, take_ool, take_ools, was_sent,
};
pub use crate::ool::OolBuffer;
pub use core::mem::offset_of;
pub use futures::StreamExt;

/// Declares the Zig exports of one message struct and gives it safe `pack` and `unpack`
/// associated functions over byte buffers.
///
/// `request Msg, In, pack_symbol, unpack_symbol;` for a request and
/// `reply Msg, Out, pack_symbol, unpack_symbol;` for a reply; `borrowing In` (or `Out`)
/// when the arguments struct borrows, and so takes a lifetime.
#[doc(hidden)]
#[macro_export]
macro_rules! __migz_exports {
    ($side:ident $msg:ident, borrowing $args:ident, $pack:ident, $unpack:ident;) => {
        $crate::__migz_exports!(@$side $msg, $args<'m>, 'm, $pack, $unpack;);
    };
    ($side:ident $msg:ident, $args:ident, $pack:ident, $unpack:ident;) => {
        $crate::__migz_exports!(@$side $msg, $args, 'm, $pack, $unpack;);
    };
    (@request $msg:ty, $args:ty, $lt:lifetime, $pack:ident, $unpack:ident;) => {
        impl $msg {
            /// Packs the request into `buf` (4-byte aligned, at least the struct's size)
            /// and returns its wire size. `reply_port` is the reply port to send.
            pub fn pack<$lt>(
                buf: &mut [u8],
                input: &$args,
                reply_port: u32,
            ) -> ::core::result::Result<usize, $crate::private::CodecError> {
                unsafe extern "C" {
                    fn $pack(msg: *mut u8, input: *const u8, reply_port: u32, size: *mut u32) -> i32;
                }
                if !$crate::private::fits(buf, 0, ::core::mem::size_of::<$msg>()) {
                    return Err($crate::private::CodecError { code: $crate::private::MIG_BAD_ARGUMENTS });
                }
                let mut size = 0u32;
                // SAFETY: `buf` is aligned and large enough for the message struct, which is
                // all the export writes; `input` is a live `In` whose layout the generated
                // code asserts to be the Zig one, and its slices borrow live memory.
                let code = unsafe {
                    $pack(buf.as_mut_ptr(), (input as *const $args).cast(), reply_port, &mut size)
                };
                if code == 0 { Ok(size as usize) } else { Err($crate::private::CodecError { code }) }
            }

            /// Checks and unpacks a received request from the first `len` bytes of `bytes`
            /// (message and trailer). Slices in `input` borrow `bytes`.
            pub fn unpack<$lt>(
                bytes: &$lt [u8],
                len: usize,
                input: &mut $args,
            ) -> ::core::result::Result<(), $crate::private::CodecError> {
                unsafe extern "C" {
                    fn $unpack(msg: *const u8, len: usize, input: *mut u8) -> i32;
                }
                if !$crate::private::fits(bytes, len, ::core::mem::size_of::<$msg>()) {
                    return Err($crate::private::CodecError { code: $crate::private::MIG_BAD_ARGUMENTS });
                }
                // SAFETY: `bytes` is aligned, holds the whole struct and `len` valid bytes,
                // and the export reads no further than `len`; it writes only `input`, whose
                // layout is asserted, and its slices point into `bytes`, borrowed for the
                // same lifetime.
                let code = unsafe { $unpack(bytes.as_ptr(), len, (input as *mut $args).cast()) };
                if code == 0 { Ok(()) } else { Err($crate::private::CodecError { code }) }
            }
        }
    };
    (@reply $msg:ty, $args:ty, $lt:lifetime, $pack:ident, $unpack:ident;) => {
        impl $msg {
            /// Packs the reply to the request whose header is `request` into `buf`
            /// (4-byte aligned, at least the struct's size) and returns its wire size.
            pub fn pack<$lt>(
                buf: &mut [u8],
                output: &$args,
                request: &$crate::MachMsgHeader,
            ) -> ::core::result::Result<usize, $crate::private::CodecError> {
                unsafe extern "C" {
                    fn $pack(msg: *mut u8, output: *const u8, request: *const u8, size: *mut u32) -> i32;
                }
                if !$crate::private::fits(buf, 0, ::core::mem::size_of::<$msg>()) {
                    return Err($crate::private::CodecError { code: $crate::private::MIG_BAD_ARGUMENTS });
                }
                let mut size = 0u32;
                // SAFETY: as for the request; `request` is a live header of the same layout
                // as Zig's (both are asserted to be 24 bytes of 4-byte-aligned integers).
                let code = unsafe {
                    $pack(
                        buf.as_mut_ptr(),
                        (output as *const $args).cast(),
                        (request as *const $crate::MachMsgHeader).cast(),
                        &mut size,
                    )
                };
                if code == 0 { Ok(size as usize) } else { Err($crate::private::CodecError { code }) }
            }

            /// Checks and unpacks a received reply from the first `len` bytes of `bytes`.
            /// A reply carrying an error `RetCode` is `Err` with that code.
            pub fn unpack<$lt>(
                bytes: &$lt [u8],
                len: usize,
                output: &mut $args,
            ) -> ::core::result::Result<(), $crate::private::CodecError> {
                unsafe extern "C" {
                    fn $unpack(msg: *const u8, len: usize, output: *mut u8) -> i32;
                }
                if !$crate::private::fits(bytes, len, ::core::mem::size_of::<$msg>()) {
                    return Err($crate::private::CodecError { code: $crate::private::MIG_BAD_ARGUMENTS });
                }
                // SAFETY: as for the request.
                let code = unsafe { $unpack(bytes.as_ptr(), len, (output as *mut $args).cast()) };
                if code == 0 { Ok(()) } else { Err($crate::private::CodecError { code }) }
            }
        }
    };
}
