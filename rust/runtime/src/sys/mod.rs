//! The only place in the runtime with `unsafe`: raw memory for out-of-line regions and the
//! few OS calls std does not wrap. Everything above this module is safe code.

#[cfg(target_vendor = "apple")]
pub mod bootstrap;
#[cfg(target_vendor = "apple")]
pub mod mach;
pub mod mem;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod memfd_copy;
pub mod os;
