//! Generates four subsystems of Apple's xnu corpus (`../shared/corpus` beside the checkout)
//! with migz-build in the user view, as a crate using them would. Without the corpus
//! (outside CI) nothing is generated and the crate is empty.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    println!("cargo:rerun-if-changed={}", corpus.display());
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(migz_corpus)");
    if !corpus.is_dir() {
        if std::env::var_os("CI").is_some() {
            return Err(format!("the shared corpus is missing at {}", corpus.display()).into());
        }
        println!("cargo:warning=the shared corpus is missing; nothing generated");
        return Ok(());
    }
    migz_build::Config::new()
        .define("LIBSYSCALL_INTERFACE", None)
        .include_dir(corpus.join("xnu/osfmk"))
        .include_dir(corpus.join("include"))
        .compile(&[
            corpus.join("xnu/libsyscall/mach/clock.defs"),
            corpus.join("xnu/libsyscall/mach/mach_port.defs"),
            corpus.join("xnu/osfmk/mach/exc.defs"),
            corpus.join("xnu/osfmk/mach/notify.defs"),
        ])?;
    println!("cargo:rustc-cfg=migz_corpus");
    Ok(())
}
