//! The static library behind `bridge/migz.h` (shipped in this package as
//! `include/migz.h`): the C ABI of the local Mach port emulation, `migz1_`-prefixed
//! functions with the signatures and return codes of the kernel calls they mirror, built as
//! `libmigz_ffi.a` for Zig and C programs. Every entry point catches panics and answers
//! with a return code, so nothing unwinds into C or Zig.
//!
//! The functions themselves are in the `migz` crate ([`migz::ffi::capi`]), so that a Rust
//! program depending on `migz` links them without naming this crate; this crate is what a
//! Zig or C program links.

pub use migz::ffi::capi::*;
