//! Generates the Zig stubs of `defs/bench.defs` with migz-build and builds them, with the
//! migz Zig runtime, into a static library the `pack` suite calls through the generated
//! C-ABI exports.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The bench declares the exports it calls itself (`src/ffi.rs`), so only the Zig half
    // is generated.
    migz_build::Config::new()
        .lib_name("migzbench")
        .emit_rust(false)
        .compile(&["defs/bench.defs"])?;
    Ok(())
}
