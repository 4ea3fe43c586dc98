//! Generates the Rust and Zig stubs of `defs/chunk_stream.defs` (the Mach-level stream)
//! and builds the Zig half together with the example's Zig producers (`zig/producer.zig`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new()
        .zig_source("zig/producer.zig")
        .compile(&["defs/chunk_stream.defs"])?;
    Ok(())
}
