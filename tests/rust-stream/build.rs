//! Builds the Zig ends of the tests (`zig/ends.zig`) with migz-build, as a user's crate
//! would: Zig code on the runtime alone, without any `.defs`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new()
        .lib_name("migzstream")
        .zig_source("zig/ends.zig")
        .compile_zig()?;
    Ok(())
}
