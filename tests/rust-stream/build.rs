//! Builds the Zig ends of the tests (`zig/ends.zig`) with migz-build, as a user's crate
//! would. migz-build builds Zig next to the stubs of at least one `.defs`, so the
//! `array_test` example comes along.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new()
        .lib_name("migzstream")
        .emit_rust(false)
        .zig_source("zig/ends.zig")
        .compile(&["../../examples/defs/array_test.defs"])?;
    Ok(())
}
