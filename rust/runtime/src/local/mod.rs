//! The `local` transport: an in-process Mach port emulation. A `Space` is one task's port
//! name space; ports, port sets, queues, notifications and messages behave as xnu's do,
//! with xnu's constants and return codes, so code written against it runs unchanged on
//! the kernel.

pub mod bootstrap;
pub(crate) mod kmsg;
pub mod kserver;
pub(crate) mod msg;
pub(crate) mod park;
pub(crate) mod port;
pub(crate) mod space;
pub(crate) mod task;
pub(crate) mod vm;

pub use bootstrap::Bootstrap;
pub use msg::Memory;
pub use space::{Leaks, NAME_LIMIT_DEFAULT, PortOptions, Space};
