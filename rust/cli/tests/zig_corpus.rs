//! Every corpus subsystem generates Zig that compiles for Linux and cross-compiles for
//! both macOS architectures, exactly as a user would check it:
//! `zig test -fno-emit-bin --dep migz -Mroot=<generated> -Mmigz=zig/src/migz.zig -target T`.
//! Also: the committed translate-c output of `bridge/migz.h` is current.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const TARGETS: [&str; 3] = ["x86_64-linux", "aarch64-macos.11.0", "x86_64-macos.11.0"];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn zig() -> Option<Command> {
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
    if std::env::var_os("CI").is_some() {
        panic!("Zig is missing: run scripts/setup");
    }
    eprintln!("note: Zig not found; test not run");
    None
}

fn defs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            defs_files(&path, out);
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

#[test]
fn corpus_zig_compiles_for_linux_and_macos() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    if zig().is_none() {
        return;
    }
    let root = repo_root();
    let out_dir = std::env::temp_dir().join(format!("migz-zig-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut files = Vec::new();
    defs_files(&corpus.join("xnu"), &mut files);
    files.sort();
    let mut generated = Vec::new();
    for defs in files.iter().filter(|f| !f.ends_with("tests/rnserver.defs")) {
        // One directory per .defs: two files may declare the same subsystem.
        let dir = out_dir.join(generated.len().to_string());
        let mut args = vec!["gen".to_string(), "--zig".into(), dir.display().to_string()];
        args.extend(common::user_view(&corpus));
        args.extend(["-DIOKIT".to_string(), "-DKERNEL_PRIVATE".to_string()]);
        args.push(defs.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::migz(&args);
        assert!(
            out.status.success(),
            "{}: {}",
            defs.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        for entry in std::fs::read_dir(&dir).unwrap() {
            generated.push(entry.unwrap().path());
        }
    }
    assert!(
        generated.len() >= 45,
        "expected the whole corpus, got {}",
        generated.len()
    );
    let jobs: Vec<(PathBuf, &str)> = generated
        .iter()
        .flat_map(|g| TARGETS.iter().map(move |t| (g.clone(), *t)))
        .collect();
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some((file, target)) = jobs.get(i) else {
                        return;
                    };
                    let out = zig()
                        .unwrap()
                        .current_dir(&root)
                        .args(["test", "-fno-emit-bin", "--dep", "migz"])
                        .arg(format!("-Mroot={}", file.display()))
                        .arg("-Mmigz=zig/src/migz.zig")
                        .args(["-target", target])
                        .output()
                        .unwrap();
                    if !out.status.success() || !out.stderr.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} for {target}:\n{}",
                            file.display(),
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&out_dir);
    let failures = failures.into_inner().unwrap();
    println!(
        "{}/{} generated files x targets compile",
        jobs.len() - failures.len(),
        jobs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn translated_header_is_current() {
    let Some(mut zig_tc) = zig() else { return };
    let root = repo_root();
    let out = zig_tc
        .current_dir(&root)
        .args([
            "translate-c",
            "bridge/migz.h",
            "-lc",
            "-target",
            "x86_64-linux-gnu",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut fmt = zig().unwrap();
    let mut child = fmt
        .args(["fmt", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let header = "// @generated by `zig translate-c bridge/migz.h -lc -target x86_64-linux-gnu`, then `zig fmt`.\n\
                  // Do not edit: the `zig_corpus` test of migz-cli checks that it matches bridge/migz.h.\n\n";
    let mut input = header.as_bytes().to_vec();
    input.extend_from_slice(&out.stdout);
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    drop(child.stdin.take());
    let formatted = child.wait_with_output().unwrap();
    let committed = std::fs::read(root.join("zig/src/transport/migz_c.zig")).unwrap();
    assert!(
        formatted.stdout == committed,
        "zig/src/transport/migz_c.zig is stale: regenerate it from bridge/migz.h (see its first line)"
    );
}
