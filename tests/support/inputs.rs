//! Test support shared by the workspace's integration tests (each includes this file with
//! `#[path]`): what a test does when an input it needs is missing, and the fuzzers' seed.

/// An input the running test needs is missing (`input` is one of `corpus`, `cpp`, `zig`,
/// `sdk`). A test that passes without running proves nothing, so this fails the test
/// unless the comma-separated `MIGZ_SKIP` lists `input` (or `all`); then it prints a note
/// and appends a line to the file `MIGZ_SKIP_LOG` names, which `scripts/test` counts.
#[allow(dead_code)]
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

/// The fuzzers' seed: `MIGZ_FUZZ_SEED` (decimal or `0x` hex) replays a run; without it
/// each run draws a fresh one. Either way it is printed, so a failing run names the seed
/// that replays it.
#[allow(dead_code)]
pub fn fuzz_seed() -> u64 {
    let seed = match std::env::var("MIGZ_FUZZ_SEED") {
        Ok(text) => {
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("MIGZ_FUZZ_SEED={text:?} is not a number"))
        }
        Err(_) => {
            use std::hash::{BuildHasher, Hasher};
            // The standard library seeds each RandomState from the system's randomness.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.finish()
        }
    };
    eprintln!("fuzz seed {seed:#x} (replay with MIGZ_FUZZ_SEED={seed:#x})");
    seed
}
