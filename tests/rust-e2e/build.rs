//! Generates the Rust and Zig stubs of both examples, of `tests/conformance` and of `defs/` with migz-build, as a user's crate
//! would, and links the Zig half.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new().compile(&[
        "../../examples/defs/array_test.defs",
        "../../examples/defs/ports_ool.defs",
        "../conformance/aggregates.defs",
        "../conformance/checks.defs",
        "defs/task_special.defs",
        "../conformance/ool_arrays.defs",
        "../conformance/renamed.defs",
    ])?;
    Ok(())
}
