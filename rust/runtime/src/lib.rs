//! The migz runtime: typed Mach port rights, messages and transports.
//!
//! Messages are byte buffers in the xnu LP64 wire format (`abi`: constants, return codes
//! and `zerocopy` wire structs). Two transports implement one `transport::Transport`
//! trait: `local`, an in-process emulation of Mach port spaces used on every system and
//! in every test, and `mach`, the macOS kernel through `mach2` (Apple targets only).
//! `rights` gives move-only typed rights over either; `asynk` gives tokio-friendly streams
//! and sends over `local`.
//!
//! ```
//! use migz::Space;
//! use migz::abi::*;
//! use migz::rights::allocate_pair;
//!
//! // Each test can use a space of its own and check that it leaked nothing.
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let mut msg = [0u8; 32];
//!     MachMsgHeader {
//!         msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0),
//!         msgh_size: 24,
//!         msgh_remote_port: send.name(),
//!         msgh_id: 1000,
//!         ..Default::default()
//!     }
//!     .write(&mut msg);
//!     assert_eq!(space.mach_msg(&mut msg, MACH_SEND_MSG, 24, 0, 0, 0, 0), MACH_MSG_SUCCESS);
//!     assert_eq!(space.mach_msg(&mut msg, MACH_RCV_MSG, 0, 32, port.name(), 0, 0), MACH_MSG_SUCCESS);
//!     assert_eq!(MachMsgHeader::read(&msg).unwrap().msgh_id, 1000);
//! }
//! space.assert_no_leaks();
//! ```
//!
//! `ffi` holds the C ABI types shared with generated Zig, and the hidden `private` module
//! the one macro generated Rust calls them through.
//!
//! All `unsafe` code lives in `sys` (raw memory for out-of-line regions, thread pinning,
//! and on Apple systems the kernel calls), `ffi` and the `private` macro (calls into the
//! generated Zig).

pub mod abi;
pub mod asynk;
pub mod bridge;
pub mod channel;
pub mod error;
pub mod ffi;
pub mod local;
#[cfg(target_vendor = "apple")]
pub mod mach;
pub mod ool;
/// What generated code reaches (the export wrappers live in `ffi`, with the other
/// `unsafe`); not a public API.
#[doc(hidden)]
pub mod private {
    pub use crate::ffi::private::*;
}
pub mod rights;
pub mod server;
/// Streams between Rust and Zig over a bounded ring (`migz1_ring_t` of `bridge/migz.h`):
/// [`RingStream`](stream::RingStream) reads a Zig (or Rust) producer as a
/// `futures::Stream` of borrowed chunks, [`RingSink`](stream::RingSink) writes for a Zig
/// (or Rust) consumer.
pub mod stream {
    pub use crate::ffi::ring::{
        Chunk, ConsumerEnd, Item, ProducerEnd, PushError, RING_CAPACITY_MAX, RING_CAPACITY_MIN,
        RING_ITEM_SIZE_MAX, RingError, RingSink, RingStream, STREAM_ABANDONED, STREAM_CLOSED,
        STREAM_FAILURE, STREAM_INVALID_ARGUMENT, STREAM_OK, STREAM_WOULD_BLOCK, StreamError,
        create_raw, from_zig, ring, to_zig,
    };
}
pub mod sys;
pub mod transport;

pub use abi::{
    KernReturn, MachMsgBody, MachMsgHeader, MachMsgOolDescriptor, MachMsgOolPortsDescriptor,
    MachMsgPortDescriptor, MigReplyError, NdrRecord,
};
pub use error::Error;
pub use local::Space;
pub use ool::{Ool, OolBuffer};
pub use transport::Transport;
pub use zerocopy;
