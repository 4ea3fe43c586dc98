//! Golden files for the generators: `migz gen` on the two example `.defs` and three
//! corpus subsystems must reproduce `tests/golden/<lang>/<subsystem>.<ext>` byte for byte,
//! twice in a row, and the files must be `zig fmt` or `rustfmt` clean (the Zig ones also
//! within 100 columns).
//! `MIGZ_BLESS=1 cargo test -p migz-cli --test golden` rewrites them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fixtures: a `.defs` path and its flags.
fn fixtures() -> Vec<(PathBuf, Vec<String>)> {
    let root = common::repo_root();
    let mut out = vec![
        (root.join("examples/defs/array_test.defs"), vec![]),
        (root.join("examples/defs/ports_ool.defs"), vec![]),
    ];
    if let Some(corpus) = common::corpus() {
        let flags = common::user_view(&corpus);
        for f in [
            "xnu/libsyscall/mach/clock.defs",
            "xnu/libsyscall/mach/mach_port.defs",
            "xnu/osfmk/mach/exc.defs",
        ] {
            out.push((corpus.join(f), flags.clone()));
        }
    }
    out
}

fn generate(lang: &str, defs: &Path, flags: &[String], dir: &Path) {
    gen_with_rustfmt(lang, defs, flags, dir, "rustfmt");
}

/// `migz gen` with `$RUSTFMT` set to `rustfmt`; returns what it printed on standard error.
fn gen_with_rustfmt(
    lang: &str,
    defs: &Path,
    flags: &[String],
    dir: &Path,
    rustfmt: &str,
) -> String {
    let _ = std::fs::remove_dir_all(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_migz"))
        .arg("gen")
        .arg(format!("--{lang}"))
        .arg(dir)
        .args(flags)
        .arg(defs)
        .env("RUSTFMT", rustfmt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Generates every fixture twice in `lang`, checks the runs agree and match the golden
/// files (or rewrites them under `MIGZ_BLESS`), and returns the golden paths.
fn check_golden(lang: &str) -> Vec<PathBuf> {
    let root = common::repo_root();
    let golden = root.join("tests/golden").join(lang);
    let bless = std::env::var_os("MIGZ_BLESS").is_some();
    let tmp = std::env::temp_dir().join(format!("migz-golden-{lang}-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for (defs, flags) in fixtures() {
        let a = tmp.join("a");
        let b = tmp.join("b");
        generate(lang, &defs, &flags, &a);
        generate(lang, &defs, &flags, &b);
        for entry in std::fs::read_dir(&a).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_owned();
            let first = std::fs::read_to_string(&path).unwrap();
            let second = std::fs::read_to_string(b.join(&name)).unwrap();
            assert_eq!(first, second, "{name:?} differs between two runs");
            let expected_path = golden.join(&name);
            if bless {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&expected_path, &first).unwrap();
            }
            match std::fs::read_to_string(&expected_path) {
                Ok(expected) if expected == first => {}
                Ok(_) => failures.push(format!(
                    "{} is stale: rerun with MIGZ_BLESS=1",
                    expected_path.display()
                )),
                Err(_) => failures.push(format!("{} is missing", expected_path.display())),
            }
            names.push(expected_path);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(names.len() >= 2);
    names
}

#[test]
fn rust_golden_files() {
    let names = check_golden("rust");
    let out = Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&names)
        .output()
        .expect("rustfmt runs (it comes with the toolchain)");
    assert!(
        out.status.success(),
        "not rustfmt clean: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn zig_golden_files() {
    let names = check_golden("zig");
    let long: Vec<String> = names
        .iter()
        .flat_map(|n| common::zig_lines_over_100(n, &std::fs::read_to_string(n).unwrap()))
        .collect();
    assert!(
        long.is_empty(),
        "lines over 100 columns:\n{}",
        long.join("\n")
    );
    if let Some(mut zig) = common::zig() {
        let out = zig.arg("fmt").arg("--check").args(&names).output().unwrap();
        assert!(
            out.status.success(),
            "not zig fmt clean: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Without rustfmt (`--no-rustfmt`, or none found), the Rust file is as prettyplease lays it
/// out: the same tokens as the golden file, which rustfmt turns into the golden file, and a
/// note says rustfmt was not used when it was wanted but not found.
#[test]
fn rust_without_rustfmt_is_the_prettyplease_layout() {
    let root = common::repo_root();
    let defs = root.join("examples/defs/ports_ool.defs");
    let tmp = std::env::temp_dir().join(format!("migz-no-rustfmt-{}", std::process::id()));
    let run = |dir: &str, flags: &[String], rustfmt: &str| {
        let stderr = gen_with_rustfmt("rust", &defs, flags, &tmp.join(dir), rustfmt);
        let text = std::fs::read_to_string(tmp.join(dir).join("ports_ool.rs")).unwrap();
        (text, stderr)
    };
    let (skipped, quiet) = run("skipped", &["--no-rustfmt".into()], "rustfmt");
    let (missing, note) = run("missing", &[], "/nonexistent/rustfmt");
    assert_eq!(quiet, "");
    assert!(note.contains("rustfmt not used"), "{note}");
    assert_eq!(skipped, missing);
    let golden = std::fs::read_to_string(root.join("tests/golden/rust/ports_ool.rs")).unwrap();
    assert_ne!(
        skipped, golden,
        "prettyplease and rustfmt lay this file out differently"
    );
    let formatted = tmp.join("missing/ports_ool.rs");
    let out = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(&formatted)
        .output()
        .expect("rustfmt runs (it comes with the toolchain)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&formatted).unwrap(), golden);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A project's own `rustfmt.toml` (around the working directory, where rustfmt would look)
/// changes nothing: the generated file is laid out with migz's configuration.
#[test]
fn a_projects_rustfmt_toml_changes_nothing() {
    let root = common::repo_root();
    let defs = root.join("examples/defs/ports_ool.defs");
    let project = std::env::temp_dir().join(format!("migz-own-rustfmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("rustfmt.toml"),
        "max_width = 60\nhard_tabs = true\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migz"))
        .current_dir(&project)
        .args(["gen", "--rust", "out"])
        .arg(&defs)
        .env("RUSTFMT", "rustfmt")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let golden = std::fs::read_to_string(root.join("tests/golden/rust/ports_ool.rs")).unwrap();
    let generated = std::fs::read_to_string(project.join("out/ports_ool.rs")).unwrap();
    assert!(generated == golden, "the project's rustfmt.toml was used");
    let _ = std::fs::remove_dir_all(&project);
}
