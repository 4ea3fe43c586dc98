//! Helpers shared by the CLI's integration tests: where the shared corpus is, and how to
//! run the `migz` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/corpus` beside the checkout. When it is missing the corpus tests cannot
/// run, which is a failure unless `MIGZ_SKIP` lists `corpus` (see [`missing`]).
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir.canonicalize().expect("corpus path resolves"));
    }
    missing(
        "corpus",
        &format!("the shared corpus is missing at {}", dir.display()),
    );
    None
}

/// An input the running test needs is missing (`input` is one of `corpus`, `cpp`, `zig`,
/// `sdk`). A test that passes without running proves nothing, so this fails the test
/// unless the comma-separated `MIGZ_SKIP` lists `input` (or `all`); then it prints a note
/// and appends a line to the file `MIGZ_SKIP_LOG` names, which `scripts/test` counts.
pub fn missing(input: &str, what: &str) {
    let allowed = std::env::var("MIGZ_SKIP").unwrap_or_default();
    if !allowed
        .split(',')
        .any(|s| s.trim() == input || s.trim() == "all")
    {
        panic!("{what}; install it, or set MIGZ_SKIP={input} to skip the tests that need it");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    eprintln!("skipped: {test}: {what} (MIGZ_SKIP={allowed})");
    if let Some(log) = std::env::var_os("MIGZ_SKIP_LOG") {
        use std::io::Write as _;
        let line = format!("{input} {} {test}\n", env!("CARGO_PKG_NAME"));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .expect("MIGZ_SKIP_LOG names a writable file");
    }
}

/// Runs `migz` with arguments.
pub fn migz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migz"))
        .args(args)
        .output()
        .expect("the migz binary runs")
}

/// The user-view flags Apple builds its SDK headers with.
pub fn user_view(corpus: &std::path::Path) -> Vec<String> {
    vec![
        "-D__MACH30__".into(),
        "-DLIBSYSCALL_INTERFACE".into(),
        "-I".into(),
        corpus.join("xnu/osfmk").display().to_string(),
        "-I".into(),
        corpus.join("include").display().to_string(),
    ]
}

/// The checkout's root directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every `.defs` below `dir` that declares a subsystem, into `out`.
pub fn defs_with_subsystem(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            defs_with_subsystem(&path, out);
        } else if path.extension().is_some_and(|e| e == "defs") {
            let text = std::fs::read_to_string(&path).unwrap();
            if text
                .lines()
                .any(|l| l.trim_start().to_ascii_lowercase().starts_with("subsystem"))
            {
                out.push(path);
            }
        }
    }
}

/// The pinned Zig: `$ZIG`, `zig` on PATH, or `python3 -m ziglang`. Missing Zig fails the
/// test unless `MIGZ_SKIP` lists `zig`.
pub fn zig() -> Option<Command> {
    if let Some(z) = std::env::var_os("ZIG") {
        return Some(Command::new(z));
    }
    if Command::new("zig")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(Command::new("zig"));
    }
    if Command::new("python3")
        .args(["-m", "ziglang", "version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let mut c = Command::new("python3");
        c.args(["-m", "ziglang"]);
        return Some(c);
    }
    missing("zig", "Zig is missing (run scripts/setup)");
    None
}
