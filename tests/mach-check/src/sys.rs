//! The runtime's `sys` module, as the kernel transport sees it.

pub use migz::sys::mem;

// `rust/runtime/src/sys/mach.rs` (documented by its inner docs).
#[path = "../../../rust/runtime/src/sys/mach.rs"]
pub mod mach;

// `rust/runtime/src/sys/bootstrap.rs` (documented by its inner docs).
#[path = "../../../rust/runtime/src/sys/bootstrap.rs"]
pub mod bootstrap;
