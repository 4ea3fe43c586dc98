//! Generates the Zig and Rust stubs of `defs/bench.defs` with migz-build and builds the Zig,
//! with the migz Zig runtime, into a static library the `pack` suite calls through the
//! generated C-ABI exports and the `stubs` suite through the generated Rust; and the
//! `stream` suite's Zig producers (`zig/stream.zig`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The `pack` suite declares the exports it calls itself (`src/ffi.rs`); the `stubs`
    // suite uses the generated Rust.
    migz_build::Config::new()
        .lib_name("migzbench")
        // Inlines the Zig pack functions into Rust when built with `-Clinker-plugin-lto`.
        .cross_language_lto(true)
        // The `stream` suite's Zig producers.
        .zig_source("zig/stream.zig")
        .compile(&["defs/bench.defs"])?;
    Ok(())
}
