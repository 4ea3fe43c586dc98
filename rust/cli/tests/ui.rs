//! UI tests: each `tests/ui/<code>.defs` must produce exactly `tests/ui/<code>.stderr` from
//! `migz check`, and that text must contain a diagnostic with the code in its file name.
//! A second case of one code is named `<code>--<what>.defs`.
//! `MIGZ_BLESS=1 cargo test -p migz-cli --test ui` rewrites the expected files.

use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn ui_cases() {
    let root = repo_root();
    let dir = root.join("tests/ui");
    let bless = std::env::var_os("MIGZ_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "defs"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "expected one case per diagnostic kind");
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case.strip_prefix(&root).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_migz"))
            .current_dir(&root)
            .args(["check", "-I", "tests/ui"])
            .arg(rel)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // `<code>.defs`, or `<code>--<what>.defs` for a second case of the same code.
        let stem = case.file_stem().unwrap().to_string_lossy().into_owned();
        let code = stem.split("--").next().unwrap().to_string();
        let expected_path = case.with_extension("stderr");
        if bless {
            std::fs::write(&expected_path, &stderr).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if stderr != expected {
            failures.push(format!(
                "{}: output differs\n--- expected\n{expected}\n--- got\n{stderr}",
                rel.display()
            ));
        }
        if !stderr.contains(&format!("[{code}]")) {
            failures.push(format!(
                "{}: no diagnostic with code `{code}`",
                rel.display()
            ));
        }
        let has_error = stderr.contains("error[");
        if has_error == out.status.success() {
            failures.push(format!(
                "{}: exit status {:?} does not match the errors",
                rel.display(),
                out.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
