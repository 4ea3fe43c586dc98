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

#[path = "../../../../tests/support/inputs.rs"]
mod inputs;
// Not every test that includes this module uses each helper.
#[allow(unused_imports)]
pub use inputs::missing;

/// The lines of a generated Zig file wider than the house limit of 100 columns, as
/// `file:line: text`. The one line allowed past it opens a C-ABI export whose name alone
/// is that long: `migz1_<subsystem>_<routine>_...` is the symbol Rust links against, so no
/// wrapping can shorten it.
pub fn zig_lines_over_100(path: &Path, text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.chars().count() > 100)
        .filter(|(_, line)| {
            let name = line
                .strip_prefix("pub export fn ")
                .and_then(|rest| rest.strip_suffix('('));
            !name.is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
        .map(|(i, line)| format!("{}:{}: {line}", path.display(), i + 1))
        .collect()
}
