//! Compiles the runtime's kernel transport, which only Apple targets build and which this
//! repository's Linux machines cannot build for (no Apple std), as part of this crate, so
//! that `cargo build`, `cargo test` and `cargo clippy` check it everywhere: its
//! `Transport` impl against the trait, its calls against `mach2`'s signatures (through a
//! stand-in of the three items it uses) and its `unsafe` blocks against the lints. The
//! modules are the runtime's own files, mounted where their `crate::` paths expect them.
//! `tests/kernel.rs` runs them against a kernel simulated by the emulation (see
//! `build.rs`).

pub use migz::{abi, error, transport};

pub mod sys;

// `rust/runtime/src/mach.rs` (documented by its inner docs).
#[path = "../../../rust/runtime/src/mach.rs"]
pub mod mach;

/// The kernel transport implements everything generated clients need.
pub fn kernel_is_a_transport() -> impl migz::Transport {
    mach::Kernel::task_self()
}
