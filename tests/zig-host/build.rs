//! Generates the Rust stubs of the examples (and of `tests/conformance/ool_arrays.defs`). The Zig half is not built here: the Zig
//! binary that links this library compiles the same stubs itself and provides their
//! exports, which would otherwise be defined twice.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new().skip_zig_build(true).compile(&[
        "../../examples/defs/array_test.defs",
        "../../examples/defs/ports_ool.defs",
        "../../examples/bootstrap/defs/adder.defs",
        "../conformance/ool_arrays.defs",
    ])?;
    Ok(())
}
