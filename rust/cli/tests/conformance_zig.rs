//! The Zig half of the conformance tests: for every `tests/conformance/<name>_test.zig`,
//! `migz gen --zig` on `tests/conformance/<name>.defs` and `zig test` with the stubs as
//! the module `stubs` and the runtime as `migz`. The tests pack, demux and unpack messages
//! in memory, so they need no transport.

mod common;

#[test]
fn conformance_zig_tests_pass() {
    let Some(mut zig) = common::zig() else {
        return;
    };
    let root = common::repo_root();
    let dir = root.join("tests/conformance");
    let out_dir = std::env::temp_dir().join(format!("migz-conformance-{}", std::process::id()));
    let mut tests: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_test.zig"))
        .collect();
    tests.sort();
    assert!(
        !tests.is_empty(),
        "no Zig conformance tests in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for test in &tests {
        let stem = test.file_name().unwrap().to_string_lossy().into_owned();
        let name = stem.trim_end_matches("_test.zig");
        let defs = dir.join(format!("{name}.defs"));
        let gen_dir = out_dir.join(name);
        let out = common::migz(&[
            "gen",
            "--zig",
            &gen_dir.display().to_string(),
            &defs.display().to_string(),
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            defs.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let stubs = std::fs::read_dir(&gen_dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let out = zig
            .args(["test", "--dep", "migz", "--dep", "stubs"])
            .arg(format!("-Mroot={}", test.display()))
            .args(["--dep", "migz"])
            .arg(format!("-Mstubs={}", stubs.display()))
            .arg(format!(
                "-Mmigz={}",
                root.join("zig/src/migz.zig").display()
            ))
            .output()
            .expect("zig runs");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        println!("{stem}: {}", text.lines().last().unwrap_or(""));
        if !out.status.success() {
            failures.push(format!("{stem}:\n{text}"));
        }
        zig = common::zig().unwrap();
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
