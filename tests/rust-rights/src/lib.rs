//! The stubs of `defs/rights.defs`: one routine per disposition of a port right sent by a
//! client. `tests/rights.rs` calls each with the right it takes; `tests/compile-fail`
//! holds the calls that must not compile (the wrong kind of right, a borrowed right where
//! one is consumed, a right used after it was moved), checked by trybuild.

#![deny(warnings)]
#![forbid(unsafe_code)]

/// `defs/rights.defs`.
pub mod rights {
    include!(concat!(env!("OUT_DIR"), "/rights.rs"));
}
