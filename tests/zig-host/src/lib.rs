//! The umbrella Rust static library of the Zig binaries in `build.zig` (one per binary,
//! so Rust's standard library and runtime are linked once): the local transport's
//! `migz1_*` functions (`migz-ffi`) and the examples' Rust clients and servers, exported
//! as bridge entries that Zig declares with `migz.bridge.rustEntry`.
//!
//! | entry                                      | what it does                              |
//! |--------------------------------------------|-------------------------------------------|
//! | `migz_example_array_test_rust_server`      | takes a receive right, serves `array_test` until its last send right goes |
//! | `migz_example_array_test_rust_client`      | borrows a send right, sums 1..=arg through it and checks the answer |
//! | `migz_example_ports_ool_rust_server`       | takes a receive right, serves `ports_ool` until its last send right goes |
//! | `migz_example_ports_ool_rust_failing_server` | the same, with every routine failing after taking its arguments |
//! | `migz_example_ports_ool_rust_client`       | borrows a send right, runs the scenario `arg` (0: answered, 1: refused) |
//! | `migz_example_bootstrap_rust_server`       | checks in under the example's Rust name, tells the borrowed send right, serves until stopped |
//! | `migz_example_bootstrap_rust_client`       | looks up the example's Zig name, makes `arg` calls and stops the server |
//! | `migz_test_ool_arrays_rust_server`         | takes a receive right, serves `ool_arrays` until its last send right goes |
//! | `migz_test_ool_arrays_rust_client`         | borrows a send right, calls every `ool_arrays` routine and checks the answers |

#![forbid(unsafe_code)]

pub use migz_ffi;

/// The stubs generated from `examples/defs/array_test.defs`.
pub mod array_test {
    include!(concat!(env!("OUT_DIR"), "/array_test.rs"));
}

// The Rust half of the array_test example, the same source its crate uses (documented
// by its own inner docs, whose links resolve there).
#[path = "../../../examples/array_test/src/service.rs"]
pub mod array_test_service;

migz::export_entry!(migz_example_array_test_rust_server => array_test_service::server_entry);
migz::export_entry!(migz_example_array_test_rust_client => array_test_service::client_entry);

/// The stubs generated from `examples/defs/ports_ool.defs`.
pub mod ports_ool {
    include!(concat!(env!("OUT_DIR"), "/ports_ool.rs"));
}

// The Rust half of the ports_ool example, the same source its crate uses.
#[path = "../../../examples/ports_ool/src/service.rs"]
pub mod ports_ool_service;

migz::export_entry!(migz_example_ports_ool_rust_server => ports_ool_service::server_entry);
migz::export_entry!(
    migz_example_ports_ool_rust_failing_server => ports_ool_service::failing_server_entry
);
migz::export_entry!(migz_example_ports_ool_rust_client => ports_ool_service::client_entry);

/// The stubs generated from `examples/bootstrap/defs/adder.defs`.
pub mod adder {
    include!(concat!(env!("OUT_DIR"), "/adder.rs"));
}

// The Rust half of the bootstrap example, the same source its crate uses.
#[path = "../../../examples/bootstrap/src/service.rs"]
pub mod bootstrap_service;

migz::export_entry!(migz_example_bootstrap_rust_server => bootstrap_service::server_entry);
migz::export_entry!(migz_example_bootstrap_rust_client => bootstrap_service::client_entry);

/// The stubs generated from `tests/conformance/ool_arrays.defs`: arrays of out-of-line
/// types, across languages (`zig/tests/ool_arrays_matrix.zig`).
pub mod ool_arrays {
    include!(concat!(env!("OUT_DIR"), "/ool_arrays.rs"));
}

pub mod ool_arrays_service;

migz::export_entry!(migz_test_ool_arrays_rust_server => ool_arrays_service::server_entry);
migz::export_entry!(migz_test_ool_arrays_rust_client => ool_arrays_service::client_entry);
