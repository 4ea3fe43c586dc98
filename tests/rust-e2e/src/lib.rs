//! The generated stubs of `examples/defs/array_test.defs` and `ports_ool.defs`, built by
//! migz-build; the tests in `tests/` drive them over the local transport.

#![deny(warnings)]
#![forbid(unsafe_code)]

// The Zig half's local transport calls the `migz1_*` functions this crate provides.
use migz_ffi as _;

/// `examples/defs/array_test.defs`.
pub mod array_test {
    include!(concat!(env!("OUT_DIR"), "/array_test.rs"));
}

/// `examples/defs/ports_ool.defs`.
pub mod ports_ool {
    include!(concat!(env!("OUT_DIR"), "/ports_ool.rs"));
}
