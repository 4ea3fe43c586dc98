//! The `array_test` example: a client sends up to 1024 integers, the server answers with
//! their sum. The stubs are generated from `examples/defs/array_test.defs` by
//! `migz-build` in `build.rs`, which also builds the Zig half of the stubs and this
//! example's Zig client and server (`zig/service.zig`) into the crate.
//!
//! - [`array_test`]: the generated Rust stubs (client, server trait, messages);
//! - [`service`]: the Rust server ([`service::Summer`]) and client;
//! - [`zig`]: the Zig server and client, as safe functions over bridge entries;
//! - [`patterns`]: timeouts, select, retry and rate limiting around calls to the Zig
//!   server, with tokio's tools.
//!
//! Either client talks to either server over the local transport; `src/main.rs` shows it
//! and `tests/matrix.rs` tests all four pairs.

#![forbid(unsafe_code)]

/// The stubs generated from `array_test.defs`.
pub mod array_test {
    include!(concat!(env!("OUT_DIR"), "/array_test.rs"));
}

pub mod patterns;
pub mod service;

/// The Zig client and server of `zig/service.zig`, as bridge entries: run the server
/// with [`migz::bridge::serve_in_zig`] and the client with [`migz::bridge::call_zig`].
pub mod zig {
    migz::zig_entry! {
        /// The Zig server: takes a receive right and answers `sum_array` until the port's
        /// last send right is gone (`arg`: at most that many requests, 0 for no limit).
        pub fn server = migz_example_array_test_zig_server;
    }
    migz::zig_entry! {
        /// The Zig client: asks the server behind the borrowed send right for the sum of
        /// 1, 2, ..., `arg` and checks it; returns the call's code (`KERN_FAILURE` for a
        /// wrong answer).
        pub fn client = migz_example_array_test_zig_client;
    }
}
