//! The `local` transport: an in-process Mach port emulation. A `Space` is one task's port
//! name space; ports, port sets, queues, notifications and messages behave as xnu's do,
//! with xnu's constants and return codes, so code written against it runs unchanged on
//! the kernel.

pub mod kmsg;
pub mod msg;
pub mod park;
pub mod port;
pub mod space;
pub mod vm;

pub use msg::Memory;
pub use space::{Leaks, PortOptions, Space};
