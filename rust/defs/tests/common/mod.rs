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

#[path = "../../../../tests/support/inputs.rs"]
mod inputs;
// Not every test that includes this module uses each helper.
#[allow(unused_imports)]
pub use inputs::{fuzz_seed, missing};
