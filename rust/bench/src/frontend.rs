//! The `frontend` suite: `migz check` against the system C preprocessor (`cpp -P`) alone,
//! each as a separate process on the same corpus file with the same flags, interleaved.
//! Apple's pipeline is cpp followed by migcom, so the whole migz front end should cost at
//! most half of what cpp alone costs.

use crate::report::{self, Goal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the suite.
pub fn run(quick: bool) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("frontend: {} is missing", corpus.display());
        std::process::exit(2);
    }
    let migz = build_migz(&root);
    let files = corpus_files(&corpus);
    let rounds = if quick { 3 } else { 15 };
    let mut migz_total = Duration::ZERO;
    let mut cpp_total = Duration::ZERO;
    for round in 0..rounds {
        for (file, flags) in &files {
            // Alternate which goes first so neither always gets the warm cache.
            let order = [round % 2 == 0, round % 2 != 0];
            for migz_first in order {
                if migz_first {
                    migz_total += time(Command::new(&migz).arg("check").args(flags).arg(file));
                } else {
                    cpp_total += time(Command::new("cpp").arg("-P").args(flags).arg(file));
                }
            }
        }
    }
    eprintln!(
        "frontend: {} files x {rounds} rounds; migz {:.1} ms, cpp {:.1} ms",
        files.len(),
        migz_total.as_secs_f64() * 1e3,
        cpp_total.as_secs_f64() * 1e3
    );
    report::ratio(
        "frontend_vs_cpp",
        migz_total.as_secs_f64() / cpp_total.as_secs_f64(),
        Goal::AtMost(0.5),
    );
}

fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the program runs");
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

fn build_migz(root: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", "migz-cli"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building migz failed");
    root.join("target/release/migz")
}

/// Every corpus `.defs` that declares a subsystem, with the user-view flags.
fn corpus_files(corpus: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    let mut stack = vec![corpus.join("xnu")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "defs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if !text
                    .lines()
                    .any(|l| l.trim_start().to_ascii_lowercase().starts_with("subsystem"))
                {
                    continue;
                }
                let mut flags = vec![
                    "-D__MACH30__".to_string(),
                    "-DLIBSYSCALL_INTERFACE".to_string(),
                    format!("-I{}", corpus.join("xnu/osfmk").display()),
                    format!("-I{}", corpus.join("include").display()),
                ];
                if path.ends_with("osfmk/device/device.defs") {
                    flags.push("-DIOKIT".into());
                }
                if path.ends_with("osfmk/mach/upl.defs") {
                    // Its types exist only for the kernel's pagers.
                    flags.push("-DKERNEL_PRIVATE".into());
                }
                out.push((path, flags));
            }
        }
    }
    out.sort();
    out
}
