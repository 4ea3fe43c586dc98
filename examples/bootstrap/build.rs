//! Generates the Rust and Zig stubs of `defs/adder.defs` and builds the Zig half together
//! with this example's Zig server and client (`zig/service.zig`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new()
        .zig_source("zig/service.zig")
        .compile(&["defs/adder.defs"])?;
    Ok(())
}
