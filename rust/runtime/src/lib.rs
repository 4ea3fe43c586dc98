//! The migz runtime: typed Mach port rights, messages and transports.
//!
//! Messages are byte buffers in the xnu LP64 wire format (see `abi`). The `local`
//! transport is an in-process emulation of a Mach port space, used everywhere except on
//! Apple systems' kernel transport (`mach`), and in every test. `rights` gives move-only
//! typed rights over either, and `asynk` gives tokio streams and futures over `local`.

pub mod abi;
pub mod asynk;
pub mod error;
pub mod local;
#[cfg(target_vendor = "apple")]
pub mod mach;
pub mod rights;
pub mod sys;
pub mod transport;

pub use abi::{
    KernReturn, MachMsgBody, MachMsgHeader, MachMsgOolDescriptor, MachMsgOolPortsDescriptor,
    MachMsgPortDescriptor, MigReplyError, NdrRecord,
};
pub use error::Error;
pub use local::Space;
pub use zerocopy;
