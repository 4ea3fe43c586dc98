//! Generates the Zig stubs of `defs/bench.defs` and builds them, with the migz Zig runtime,
//! into a static library the `pack` suite calls through the generated C-ABI exports.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    let defs = manifest.join("defs/bench.defs");
    println!("cargo:rerun-if-changed={}", defs.display());
    println!("cargo:rerun-if-changed={}", root.join("zig/src").display());
    println!("cargo:rerun-if-env-changed=ZIG");

    let front = migz_defs::run(&defs, &migz_defs::Options::default());
    if front.has_errors() {
        for d in &front.diagnostics {
            println!("cargo:warning={}", migz_defs::diag::one_line(&front.map, d));
        }
        panic!("defs/bench.defs has errors");
    }
    let zig_file = out.join("bench.zig");
    let generated = migz_codegen::zig::generate(&front.subsystems[0], "bench.defs");
    std::fs::write(&zig_file, generated.contents).expect("OUT_DIR is writable");

    let target = zig_target(&std::env::var("TARGET").expect("cargo sets it"));
    let lib = out.join("libmigzbench.a");
    let mut zig = zig_command();
    let status = zig
        .args([
            "build-lib",
            "-static",
            "-O",
            "ReleaseFast",
            "-fPIC",
            "-target",
            &target,
        ])
        .args(["--name", "migzbench", "--dep", "migz"])
        .arg(format!("-Mroot={}", zig_file.display()))
        .arg(format!(
            "-Mmigz={}",
            root.join("zig/src/migz.zig").display()
        ))
        .arg(format!("-femit-bin={}", lib.display()))
        .current_dir(&out)
        .status()
        .expect("Zig runs: install it with scripts/setup (pip install ziglang==0.17.1) or set ZIG");
    assert!(status.success(), "zig build-lib failed");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=migzbench");
}

/// The pinned Zig: `$ZIG`, `zig` on PATH, else `python3 -m ziglang`.
fn zig_command() -> Command {
    if let Some(z) = std::env::var_os("ZIG") {
        return Command::new(z);
    }
    if Command::new("zig")
        .arg("version")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0.17.1"))
    {
        return Command::new("zig");
    }
    let mut c = Command::new("python3");
    c.args(["-m", "ziglang"]);
    c
}

/// Zig's name for a Rust target triple.
fn zig_target(rust: &str) -> String {
    let arch = rust.split('-').next().unwrap_or("x86_64");
    if rust.contains("apple") {
        format!("{arch}-macos.11.0")
    } else if rust.contains("musl") {
        format!("{arch}-linux-musl")
    } else {
        format!("{arch}-linux-gnu")
    }
}
