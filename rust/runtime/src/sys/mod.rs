//! The only place in the runtime with `unsafe`: raw memory for out-of-line regions, the
//! few OS calls std does not wrap, a cache prefetch hint, and the lock-free cell the local
//! transport hands messages over in. Everything above this module is safe code.

#[cfg(target_vendor = "apple")]
pub mod bootstrap;
pub mod handoff;
#[cfg(target_vendor = "apple")]
pub mod mach;
pub mod mem;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod memfd_copy;
pub mod os;
pub mod prefetch;
