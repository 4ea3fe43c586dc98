//! Generates the stubs of `defs/rights.defs`, one routine per right disposition a client
//! can send, with migz-build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    migz_build::Config::new().compile(&["defs/rights.defs"])?;
    Ok(())
}
