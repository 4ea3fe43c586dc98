//! Built only when the build script found no corpus and `MIGZ_SKIP` allowed that (without
//! the permission the build fails): says, each time the tests run, that every corpus test
//! of this crate was skipped, and logs the skip for `scripts/test`'s summary.

#![cfg(not(migz_corpus))]

#[test]
fn corpus_tests_skipped() {
    let allowed = std::env::var("MIGZ_SKIP").unwrap_or_default();
    // The build script allowed the skip; a later run without the permission must fail.
    assert!(
        allowed
            .split(',')
            .any(|s| s.trim() == "corpus" || s.trim() == "all"),
        "the shared corpus is missing and MIGZ_SKIP does not list `corpus`"
    );
    eprintln!(
        "skipped: every migz-rust-corpus test: the shared corpus is missing (MIGZ_SKIP={allowed})"
    );
    if let Some(log) = std::env::var_os("MIGZ_SKIP_LOG") {
        use std::io::Write as _;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(b"corpus migz-rust-corpus every-test\n"))
            .expect("MIGZ_SKIP_LOG names a writable file");
    }
}
