//! The generated stubs of `examples/defs/array_test.defs` and `ports_ool.defs`, built by
//! migz-build; the tests in `tests/` drive them over the local transport.
//!
//! The typed API refuses the wrong right at compile time. `register_port` makes a send
//! right from the caller's receive right (`MAKE_SEND`), so a send right does not do:
//!
//! ```compile_fail,E0308
//! use migz_rust_e2e::ports_ool::{PortsOolClient, SendRight};
//! fn register(client: &PortsOolClient, right: &SendRight) {
//!     let _ = client.register_port("name", right, None);
//! }
//! ```
//!
//! while a receive right does:
//!
//! ```
//! use migz_rust_e2e::ports_ool::{PortsOolClient, ReceiveRight};
//! fn register(client: &PortsOolClient, right: &ReceiveRight) {
//!     let _ = client.register_port("name", right, None);
//! }
//! ```
//!
//! A right the API consumed cannot be used again: the client owns the server's send right.
//!
//! ```compile_fail,E0382
//! use migz_rust_e2e::array_test::{ArrayTestClient, SendRight};
//! fn connect(server: SendRight) -> (ArrayTestClient, u32) {
//!     let client = ArrayTestClient::new(server);
//!     (client, server.name())
//! }
//! ```
//!
//! A server method is given owned rights: an implementation cannot take a borrowed one
//! where the request moved the right to it.
//!
//! ```compile_fail,E0053
//! use migz_rust_e2e::ports_ool::{PortsOolServer, SendRight, ServeResult};
//! struct Names;
//! impl PortsOolServer for Names {
//!     async fn register_port(&self, name: &[u8], port: &SendRight) -> ServeResult<()> {
//!         Ok(())
//!     }
//!     async fn lookup_port(&self, name: &[u8]) -> ServeResult<SendRight> {
//!         Err(5)
//!     }
//!     async fn whoami(&self, atoken: [u32; 8]) -> ServeResult<i32> {
//!         Ok(0)
//!     }
//!     async fn log_message(&self, message: &[u8]) -> ServeResult<()> {
//!         Ok(())
//!     }
//! }
//! ```

#![deny(warnings)]
#![forbid(unsafe_code)]

/// `examples/defs/array_test.defs`.
pub mod array_test {
    include!(concat!(env!("OUT_DIR"), "/array_test.rs"));
}

/// `examples/defs/ports_ool.defs`.
pub mod ports_ool {
    include!(concat!(env!("OUT_DIR"), "/ports_ool.rs"));
}

/// `tests/conformance/aggregates.defs`: arrays of arrays of ports.
pub mod aggregates {
    include!(concat!(env!("OUT_DIR"), "/aggregates.rs"));
}

/// `tests/conformance/checks.defs`: the checks Apple's stubs make, one routine per rule.
pub mod checks {
    include!(concat!(env!("OUT_DIR"), "/checks.rs"));
}

/// `defs/task_special.defs`: `task.defs`' special-port routines, which the emulation's task
/// port answers as xnu does.
pub mod task {
    include!(concat!(env!("OUT_DIR"), "/task.rs"));
}

/// `tests/conformance/ool_arrays.defs`: arrays of out-of-line types.
pub mod ool_arrays {
    include!(concat!(env!("OUT_DIR"), "/ool_arrays.rs"));
}

/// `tests/conformance/renamed.defs`: arguments renamed for a clash with the message's own
/// fields, one of them the target of a SameCount.
pub mod renamed {
    include!(concat!(env!("OUT_DIR"), "/renamed.rs"));
}
