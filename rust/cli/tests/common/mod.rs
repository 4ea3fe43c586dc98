//! Helpers shared by the CLI's integration tests: where the shared corpus is, and how to
//! run the `migz` binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// `../shared/corpus` beside the checkout, if it is there. When it is missing the corpus
/// tests cannot run: under CI that is a failure, elsewhere a notice.
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir.canonicalize().expect("corpus path resolves"));
    }
    if std::env::var_os("CI").is_some() {
        panic!("the shared corpus is missing at {}", dir.display());
    }
    eprintln!("note: {} is missing; corpus test not run", dir.display());
    None
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
