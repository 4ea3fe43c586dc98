//! The migz runtime: typed Mach port rights, messages and transports, and the Rust side of
//! the stubs `migz-build` generates from MIG `.defs` files.
//!
//! Messages are byte buffers in the xnu LP64 wire format ([`abi`]: constants, return codes
//! and `zerocopy` wire structs). Two transports implement one [`Transport`] trait:
//! [`local`], an in-process emulation of Mach port spaces ([`Space`]) used on every system
//! and in every test, and `mach`, the macOS kernel through `mach2` (Apple targets only).
//! [`rights`] gives move-only typed rights over either; [`asynk`] gives tokio-friendly
//! streams and sends over `local`.
//!
//! # The way in
//!
//! **Stubs.** A crate depends on `migz` (and `tokio`), build-depends on `migz-build`, and
//! generates its stubs in `build.rs`; nothing else is needed to link them:
//!
//! ```text
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     migz_build::Config::new().compile(&["defs/array_test.defs"])?;
//!     Ok(())
//! }
//! // src/lib.rs
//! pub mod array_test {
//!     include!(concat!(env!("OUT_DIR"), "/array_test.rs"));
//! }
//! ```
//!
//! The examples below use the stubs of `examples/defs/array_test.defs` in the migz
//! repository, generated exactly so by the `migz-example-array-test` crate:
//!
//! ```text
//! subsystem array_test 2000;
//! type int32_t = MACH_MSG_TYPE_INTEGER_32;
//! type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
//! routine sum_array(server_port : mach_port_t; in data : array[*:1024] of int32_t;
//!                   out total : int32_t);
//! ```
//!
//! **A port.** A receive right and a send right to it, in a space of the local transport
//! (each test can have a space of its own and check that it leaked nothing):
//!
//! ```
//! use migz::Space;
//! use migz::rights::allocate_pair;
//!
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let another = send.copy_send().unwrap(); // a second send right, for a second client
//!     drop((port, send, another)); // every right is released exactly once, on drop
//! }
//! space.assert_no_leaks();
//! ```
//!
//! **A server.** Implement the generated trait, one `async fn` per routine, and serve a
//! receive right: `serve_until_no_senders` returns once the last client's send right is
//! gone (`serve` runs until the port dies; see [`server`]). **A client.** The generated
//! client wraps a send right, with a blocking and an `async` method per routine:
//!
//! ```
//! use migz::Space;
//! use migz::rights::allocate_pair;
//! use migz_example_array_test::array_test::{self, ArrayTestClient, ArrayTestServer, ServeResult};
//!
//! struct Summer;
//!
//! impl ArrayTestServer for Summer {
//!     async fn sum_array(&self, data: &[i32]) -> ServeResult<i32> {
//!         Ok(data.iter().sum())
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let space = Space::new();
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let (port, send) = allocate_pair(&space)?;
//!     let client = ArrayTestClient::new(send);
//!     let server = tokio::spawn(array_test::serve_until_no_senders(&Summer, port, 4));
//!     assert_eq!(client.sum_array_async(&[1, 2, 3], None).await?, 6);
//!     drop(client); // the last client goes: the server returns
//!     server.await??;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! space.assert_no_leaks();
//! # Ok(()) }
//! ```
//!
//! **A stream.** A producer (a Zig one through [`stream::from_zig`], here a Rust one
//! through [`stream::ring`]) writes into a bounded ring; the consumer reads it as a
//! `futures::Stream` of borrowed chunks, without a copy. A consumer with costly work per
//! item reads a chunk faster through [`Chunk::blocks`](stream::Chunk::blocks), which
//! has the next block loaded while it works on one:
//!
//! ```
//! use futures::StreamExt;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (mut sink, mut stream) = migz::stream::ring::<i32>(4096)?;
//! let producer = std::thread::spawn(move || {
//!     for i in 0..1000 {
//!         sink.push(&[i]).unwrap(); // waits while the ring is full
//!     }
//!     sink.close();
//! });
//! let sum = futures::executor::block_on(async {
//!     let mut sum = 0i64;
//!     while let Some(chunk) = stream.next().await {
//!         sum += chunk?.iter().map(|&x| i64::from(x)).sum::<i64>(); // the chunk is the ring
//!     }
//!     Ok::<i64, migz::stream::StreamError>(sum)
//! })?;
//! producer.join().unwrap();
//! assert_eq!(sum, 499_500);
//! # Ok(()) }
//! ```
//!
//! Raw messages work too, as with `mach_msg`:
//!
//! ```
//! use migz::Space;
//! use migz::abi::*;
//! use migz::rights::allocate_pair;
//!
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
//! the lock-free cell the local transport hands messages over in, and on Apple systems
//! the kernel calls), `ffi` and the `private` macro (calls into the generated Zig).

pub mod abi;
pub mod asynk;
pub mod bootstrap;
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
        Blocks, Chunk, ConsumerEnd, Item, ProducerEnd, PushError, RING_CAPACITY_MAX,
        RING_CAPACITY_MIN, RING_ITEM_SIZE_MAX, RingError, RingSink, RingStream, STREAM_ABANDONED,
        STREAM_CLOSED, STREAM_FAILURE, STREAM_INVALID_ARGUMENT, STREAM_OK, STREAM_WOULD_BLOCK,
        StreamError, create_raw, from_zig, ring, to_zig,
    };
}
pub mod sys;
pub mod task;
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
