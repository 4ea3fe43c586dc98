//! The `ports_ool` example: a small name service whose routines carry port rights of
//! every disposition, a polymorphic right, out-of-line memory both ways, a CountInOut
//! array, an out-of-line port array, the sender's audit token and a simpleroutine. The
//! stubs are generated from `examples/defs/ports_ool.defs` by `migz-build` in `build.rs`,
//! which also builds the Zig half of the stubs and this example's Zig client and server
//! (`zig/service.zig`) into the crate.
//!
//! - [`ports_ool`]: the generated Rust stubs (client, server trait, messages);
//! - [`service`]: the Rust server ([`service::Registry`]) and the client scenarios;
//! - [`zig`]: the Zig servers and client, as safe functions over bridge entries.
//!
//! Both languages implement the same server and the same client scenarios, so either
//! client can check either server; `tests/matrix.rs` runs all four pairs.

#![forbid(unsafe_code)]

/// The stubs generated from `ports_ool.defs`.
pub mod ports_ool {
    include!(concat!(env!("OUT_DIR"), "/ports_ool.rs"));
}

pub mod service;

/// The Zig servers and client of `zig/service.zig`, as bridge entries: run a server with
/// [`migz::bridge::serve_in_zig`] and the client with [`migz::bridge::call_zig`].
pub mod zig {
    migz::zig_entry! {
        /// The Zig server: takes a receive right and answers every routine until the
        /// port's last send right is gone (`arg`: at most that many requests, 0 for no
        /// limit), then releases every right it still holds.
        pub fn server = migz_example_ports_ool_zig_server;
    }
    migz::zig_entry! {
        /// The failing Zig server: as [`server`], but every routine answers with an error
        /// (and `stats` with more values than most callers have room for).
        pub fn failing_server = migz_example_ports_ool_zig_failing_server;
    }
    migz::zig_entry! {
        /// The Zig client: runs the scenario `arg` ([`crate::service::SCENARIO_ANSWERED`]
        /// or [`crate::service::SCENARIO_REFUSED`]) against the server behind the borrowed
        /// send right; returns `KERN_SUCCESS`, the first unexpected code, or
        /// `KERN_FAILURE` for a wrong answer.
        pub fn client = migz_example_ports_ool_zig_client;
    }
}
