//! migz against Apple's own MIG compiler (`migcom` of bootstrap_cmds-138), whose output is
//! recorded in `../shared/corpus/apple-migcom/` (see its README):
//!
//! - `corpus-layouts.json`: every request and reply struct of Apple's user header for each
//!   corpus `.defs` must match `migz layout --json` in size and in every field's name,
//!   offset and size;
//! - `random-defs.json`: for 300 random subsystems, `migz check` must accept exactly the
//!   files migcom accepts, and for files both accept every struct must match.
//!
//! A file migcom accepts but whose C header does not compile (`c_compiles: false`) is
//! usable by nobody, so either verdict is right for it. Refusing a file with a `struct`
//! layer over port rights is right too: migcom accepts it but lays out one descriptor for
//! several ports and its stubs do not compile. migcom declares a reply struct for every
//! simpleroutine although none is ever sent; migz has no such message, so those structs
//! are not compared. One corpus struct is larger in Apple's header than its `.defs` says
//! (the C type named by `ctype:` is larger than the MIG type; see `CTYPE_LARGER`).

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Apple's header sizes this struct from a C type 4 bytes larger than the `.defs`
/// declaration (xnu's `doubleagent_mig.defs`: `struct[34916]` whose C type has 34,920
/// bytes); no reader of the `.defs` alone can know it. Its fields are still compared.
const CTYPE_LARGER: &str = "__Reply__doubleagent_list_xattrs_t";

/// The structs migz lays out for a file, by Apple's struct names, and the names of its
/// simpleroutines.
fn migz_structs(
    dir: &Path,
    flags: &[String],
    file: &Path,
) -> Result<(BTreeMap<String, Value>, Vec<String>), String> {
    let mut args: Vec<String> = vec!["layout".into(), "--json".into()];
    args.extend(flags.iter().cloned());
    args.push(file.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migz"))
        .current_dir(dir)
        .args(&args)
        .output()
        .expect("migz runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let json: Value = serde_json::from_slice(&out.stdout).expect("layout --json is JSON");
    let subsystems = match json {
        Value::Array(a) => a,
        one => vec![one],
    };
    let mut structs = BTreeMap::new();
    let mut simple = Vec::new();
    for s in &subsystems {
        for r in s["routines"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap();
            structs.insert(format!("__Request__{name}_t"), r["request"].clone());
            if r["reply"].is_null() {
                simple.push(format!("__Reply__{name}_t"));
            } else {
                structs.insert(format!("__Reply__{name}_t"), r["reply"].clone());
            }
        }
    }
    Ok((structs, simple))
}

/// `(name, offset, size)` of every field, from Apple's `[[name, offset, size], ...]` or
/// migz's `[{name, offset, size}, ...]`.
fn fields(v: &Value) -> Vec<(String, u64, u64)> {
    v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| match f {
            Value::Array(a) => (
                a[0].as_str().unwrap().to_string(),
                a[1].as_u64().unwrap(),
                a[2].as_u64().unwrap(),
            ),
            o => (
                o["name"].as_str().unwrap().to_string(),
                o["offset"].as_u64().unwrap(),
                o["size"].as_u64().unwrap(),
            ),
        })
        .collect()
}

/// Compares Apple's structs with migz's; returns (matched, compared) and pushes each
/// difference to `failures`.
fn compare_structs(
    label: &str,
    apple: &serde_json::Map<String, Value>,
    ours: &BTreeMap<String, Value>,
    simple: &[String],
    failures: &mut Vec<String>,
) -> (usize, usize) {
    let mut matched = 0;
    let mut compared = 0;
    for (name, a) in apple {
        if simple.contains(name) {
            continue;
        }
        compared += 1;
        let Some(m) = ours.get(name) else {
            failures.push(format!("{label} {name}: not produced by migz"));
            continue;
        };
        let (mut apple_fields, mut migz_fields) = (fields(a), fields(m));
        let mut size_ok = a["size"] == m["size"];
        if name == CTYPE_LARGER {
            // Only the size of the field typed by `ctype:` (the last) and so of the
            // struct may differ.
            for f in [&mut apple_fields, &mut migz_fields] {
                if let Some(last) = f.last_mut() {
                    last.2 = 0;
                }
            }
            size_ok = true;
        }
        if size_ok && apple_fields == migz_fields {
            matched += 1;
        } else {
            failures.push(format!(
                "{label} {name}:\n    apple size {} {:?}\n    migz  size {} {:?}",
                a["size"],
                fields(a),
                m["size"],
                fields(m)
            ));
        }
    }
    (matched, compared)
}

#[test]
fn corpus_structs_match_migcom() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("apple-migcom/corpus-layouts.json")).unwrap(),
    )
    .unwrap();
    let repo = common::repo_root();
    let mut failures = Vec::new();
    let (mut matched, mut compared) = (0, 0);
    for (path, entry) in truth.as_object().unwrap() {
        // Corpus paths are relative to the corpus, the project's own examples to the
        // checkout.
        let (dir, file) = if path.starts_with("examples/") {
            (repo.clone(), repo.join(path))
        } else {
            (corpus.clone(), corpus.join(path))
        };
        let flags: Vec<String> = entry["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        let (ours, simple) = match migz_structs(&dir, &flags, &file) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{path}: migz refuses it:\n{e}"));
                continue;
            }
        };
        let (m, c) = compare_structs(
            path,
            entry["user"].as_object().unwrap(),
            &ours,
            &simple,
            &mut failures,
        );
        matched += m;
        compared += c;
    }
    println!(
        "corpus structs: {matched}/{compared} match migcom ({CTYPE_LARGER} apart from the size its C type adds)"
    );
    for f in &failures {
        println!("MISMATCH {f}");
    }
    assert!(failures.is_empty(), "{} corpus differences", failures.len());
    assert!(
        compared > 900,
        "too few corpus structs compared: {compared}"
    );
}

/// Whether migz's refusal is one the comparison counts as right although migcom accepts:
/// a `struct` layer over port rights.
fn rightly_refused(stderr: &str) -> bool {
    stderr.contains("error[struct-of-ports]")
}

#[test]
fn random_files_match_migcom() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("apple-migcom/random-defs.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("migz-apple-migcom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut verdict_failures: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut struct_failures = Vec::new();
    let (mut agreed, mut judged, mut either) = (0, 0, 0);
    let (mut matched, mut compared) = (0, 0);
    for (name, entry) in truth.as_object().unwrap() {
        let file = dir.join(format!("{name}.defs"));
        std::fs::write(&file, entry["defs"].as_str().unwrap()).unwrap();
        let out = common::migz(&["check", &file.display().to_string()]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let ours = out.status.success();
        let apple = entry["apple_accepted"].as_bool().unwrap();
        let usable = entry["c_compiles"].as_bool().unwrap();
        if apple && !usable {
            either += 1;
        } else {
            judged += 1;
            if ours == apple || apple && rightly_refused(&stderr) {
                agreed += 1;
            } else if apple {
                verdict_failures
                    .entry("apple accepts, migz refuses")
                    .or_default()
                    .push(format!("{name}:\n{stderr}"));
            } else {
                verdict_failures
                    .entry("apple refuses, migz accepts")
                    .or_default()
                    .push(format!(
                        "{name}: apple: {}\n{stderr}",
                        entry["apple_error"].as_str().unwrap()
                    ));
            }
        }
        if !(ours && apple) {
            continue;
        }
        let Some(user) = entry.get("user").and_then(Value::as_object) else {
            continue;
        };
        match migz_structs(&dir, &[], &file) {
            Ok((structs, simple)) => {
                let (m, c) = compare_structs(name, user, &structs, &simple, &mut struct_failures);
                matched += m;
                compared += c;
            }
            Err(e) => struct_failures.push(format!("{name}: layout failed: {e}")),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "random verdicts: {agreed}/{judged} agree with migcom ({either} more files migcom accepts but cannot compile)"
    );
    println!("random structs: {matched}/{compared} match migcom");
    for (class, list) in &verdict_failures {
        println!("== {class}: {}", list.len());
        for f in list {
            println!("VERDICT {f}");
        }
    }
    for f in &struct_failures {
        println!("MISMATCH {f}");
    }
    assert!(
        verdict_failures.is_empty() && struct_failures.is_empty(),
        "{} verdicts and {} structs differ",
        verdict_failures.values().map(Vec::len).sum::<usize>(),
        struct_failures.len()
    );
    assert!(judged > 250 && compared > 300, "too little compared");
}
