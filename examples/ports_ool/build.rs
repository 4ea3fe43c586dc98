//! Generates the Rust and Zig stubs of `ports_ool.defs` and builds the Zig half together
//! with this example's own Zig client and server (`zig/service.zig`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new()
        .zig_source("zig/service.zig")
        .compile(&["../defs/ports_ool.defs"])?;
    Ok(())
}
