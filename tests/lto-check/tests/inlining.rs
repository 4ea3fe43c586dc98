//! Cross-language LTO, proved on the machine code: the fixture project is built twice.
//! Without LTO its `pack_once` (generated Rust calling the generated Zig export) makes
//! calls and the export is a symbol of the binary; with LTO `pack_once` calls nothing and
//! the export is gone, inlined into its one caller. (The calls go through the GOT, which
//! objdump names only by address, so the export's name is looked up with `nm`.)
//!
//! Each build compiles the fixture's dependencies once (about a minute on two cores) in
//! a target directory of this test's own, kept between runs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Zig export the generated `pack` calls.
const EXPORT: &str = "migz1_lto_mach_port_allocate_pack_request";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixture")
}

/// What the test reads of one build of the fixture.
struct Build {
    /// The disassembly of `pack_once`.
    pack_once: String,
    /// Whether the Zig export is a symbol of the binary.
    has_export: bool,
    /// What cargo printed (build-script warnings among it).
    stderr: String,
}

fn tool(program: &str, args: &[&str], exe: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (binutils): {e}"));
    assert!(out.status.success(), "{program} reads the fixture");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds the fixture with `rustflags` in `target_dir`, runs it and reads it.
fn build(rustflags: &str, target_dir: &Path) -> Build {
    // The fixture resolves its dependencies to the workspace's versions (its own lock file
    // is ignored by git and rewritten from the workspace's each time).
    let workspace_lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    std::fs::copy(workspace_lock, fixture().join("Cargo.lock")).expect("the workspace lock file");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--release", "--manifest-path"])
        .arg(fixture().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "the fixture builds:\n{stderr}");
    let exe = target_dir.join("release/migz-lto-fixture");
    let run = Command::new(&exe).output().expect("the fixture runs");
    assert!(run.status.success(), "the fixture runs");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "packed 36000 bytes\n");
    let text = tool("objdump", &["-d", "--no-show-raw-insn"], &exe);
    let mut pack_once = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.ends_with(">:") {
            inside = line.contains("pack_once");
        }
        if inside {
            pack_once.push_str(line);
            pack_once.push('\n');
        }
    }
    assert!(
        !pack_once.is_empty(),
        "pack_once is in the fixture's disassembly"
    );
    let symbols = tool("nm", &[], &exe);
    let has_export = symbols.lines().any(|l| l.ends_with(&format!(" {EXPORT}")));
    Build {
        pack_once,
        has_export,
        stderr,
    }
}

#[test]
fn the_zig_pack_function_is_inlined_into_its_rust_caller_under_lto() {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lto-fixture");

    let plain = build("", &target.join("plain"));
    assert!(
        !plain.stderr.contains("cross-language LTO"),
        "a build without Rust bitcode links machine code without a word:\n{}",
        plain.stderr
    );
    assert!(plain.has_export, "without LTO the Zig export is linked");
    assert!(
        plain.pack_once.contains("call"),
        "without LTO pack_once calls out:\n{}",
        plain.pack_once
    );

    let lto = build("-Clinker-plugin-lto", &target.join("lto"));
    assert!(
        !lto.stderr.contains("cross-language LTO is off"),
        "LTO is available here (same LLVM major in rustc and Zig):\n{}",
        lto.stderr
    );
    assert!(
        !lto.has_export,
        "under LTO the Zig export is inlined into its caller and dropped"
    );
    assert!(
        !lto.pack_once.contains("call"),
        "under LTO pack_once calls nothing:\n{}",
        lto.pack_once
    );
}
