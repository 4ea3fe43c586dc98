//! Helpers shared by the front end's integration tests: where the shared corpus is, and
//! what a test does when an input it needs is missing.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the workspace. When it is missing the corpus tests cannot
/// run, which is a failure unless `MIGZ_SKIP` lists `corpus` (see [`missing`]).
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.join("xnu").is_dir() {
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
