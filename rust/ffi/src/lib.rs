//! The C ABI of the local Mach port emulation (see `bridge/migz.h`): `migz1_`-prefixed
//! functions with the signatures and return codes of the kernel calls they mirror, built
//! as `libmigz_ffi.a`. Every entry point catches panics and answers with a return code,
//! so nothing unwinds into C or Zig. `stream` adds the rings and channels shared with Zig.

pub mod ffi;
pub mod stream;

pub use ffi::*;
pub use stream::*;
