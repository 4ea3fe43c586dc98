//! The standard MIG includes migz carries (`mach/std_types.defs`, `mach/mach_types.defs`,
//! ...): an Apple-style `.defs` checks, lays out and generates with no `-I` at all, and
//! Apple's own `.defs` give Apple's layouts when the built-ins stand in for the SDK's
//! type files.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A `.defs` written the way one is written on a Mac: the standard types come from the
/// system's includes, none is declared by hand.
const APPLE_STYLE: &str = "\
subsystem apple_style 4200;

#include <mach/std_types.defs>
#include <mach/mach_types.defs>

routine as_ports(
\tserver\t: mach_port_t;
\tgive\t: mach_port_move_send_t;
\tmake\t: mach_port_make_send_t;
\tonce\t: mach_port_make_send_once_t;
\tout got\t: mach_port_t);

routine as_memory(
\tserver\t: mach_port_t;
\taddr\t: vm_address_t;
\tsize\t: vm_size_t;
\tdata\t: pointer_t;
\tflag\t: boolean_t;
\tout value\t: int64_t);

routine as_task(
\ttask\t: task_t;
\tout threads\t: thread_act_array_t;
\tout info\t: task_info_t, CountInOut);

simpleroutine as_poly(
\tserver\t: mach_port_t;
\tright\t: mach_port_poly_t);
";

/// A fresh directory under the system temp directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("migz-builtin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `migz` on string arguments and returns stdout, failing with stderr when it fails.
fn migz_ok(args: &[String]) -> Vec<u8> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::migz(&args);
    assert!(
        out.status.success(),
        "migz {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A routine's request or reply from `migz layout --json`: size and (name, offset) pairs.
fn shape(message: &Value) -> (u64, Vec<(String, u64)>) {
    let fields = message["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    (message["size"].as_u64().unwrap(), fields)
}

fn fields(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(n, o)| (n.to_string(), *o)).collect()
}

#[test]
fn an_apple_style_defs_checks_lays_out_and_generates_without_the_sdk() {
    let dir = temp_dir("apple-style");
    let defs = dir.join("apple_style.defs");
    std::fs::write(&defs, APPLE_STYLE).unwrap();
    let file = defs.display().to_string();

    let check = common::migz(&["check", &file]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&check.stderr), "");

    let json: Value =
        serde_json::from_slice(&migz_ok(&["layout".into(), "--json".into(), file.clone()]))
            .unwrap();
    assert_eq!(json["subsystem"], "apple_style");
    assert_eq!(json["base"], 4200);
    let routines = json["routines"].as_array().unwrap();
    let by_name: BTreeMap<&str, &Value> = routines
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r))
        .collect();
    assert_eq!(
        by_name.keys().copied().collect::<Vec<_>>(),
        ["as_memory", "as_poly", "as_ports", "as_task"]
    );

    // Each right is a 12-byte port descriptor; no plain data, so no NDR.
    let ports = by_name["as_ports"];
    assert_eq!(ports["id"], 4200);
    assert_eq!(
        shape(&ports["request"]),
        (
            64,
            fields(&[
                ("Head", 0),
                ("msgh_body", 24),
                ("give", 28),
                ("make", 40),
                ("once", 52)
            ])
        )
    );
    assert_eq!(
        shape(&ports["reply"]),
        (40, fields(&[("Head", 0), ("msgh_body", 24), ("got", 28)]))
    );

    // pointer_t is a 16-byte out-of-line descriptor with its count among the data;
    // vm_address_t and vm_size_t are 8 bytes, boolean_t 4.
    let memory = by_name["as_memory"];
    assert_eq!(memory["id"], 4201);
    assert_eq!(
        shape(&memory["request"]),
        (
            76,
            fields(&[
                ("Head", 0),
                ("msgh_body", 24),
                ("data", 28),
                ("NDR", 44),
                ("addr", 52),
                ("size", 60),
                ("dataCnt", 68),
                ("flag", 72)
            ])
        )
    );
    assert_eq!(
        shape(&memory["reply"]),
        (
            44,
            fields(&[("Head", 0), ("NDR", 24), ("RetCode", 32), ("value", 36)])
        )
    );

    // thread_act_array_t is out-of-line ports; task_info_t holds up to 94 integers.
    let task = by_name["as_task"];
    assert_eq!(
        shape(&task["request"]),
        (36, fields(&[("Head", 0), ("NDR", 24), ("infoCnt", 32)]))
    );
    assert_eq!(
        shape(&task["reply"]),
        (
            436,
            fields(&[
                ("Head", 0),
                ("msgh_body", 24),
                ("threads", 28),
                ("NDR", 44),
                ("threadsCnt", 52),
                ("infoCnt", 56),
                ("info", 60)
            ])
        )
    );

    // mach_port_poly_t: the right's disposition travels in its descriptor.
    let poly = by_name["as_poly"];
    assert_eq!(poly["kind"], "simpleroutine");
    assert!(poly["reply"].is_null());
    assert_eq!(
        shape(&poly["request"]),
        (40, fields(&[("Head", 0), ("msgh_body", 24), ("right", 28)]))
    );

    let rust = dir.join("rust");
    let zig = dir.join("zig");
    migz_ok(&[
        "gen".into(),
        "--rust".into(),
        rust.display().to_string(),
        "--zig".into(),
        zig.display().to_string(),
        file,
    ]);
    let rust_text = std::fs::read_to_string(rust.join("apple_style.rs")).unwrap();
    let zig_text = std::fs::read_to_string(zig.join("apple_style.zig")).unwrap();
    for routine in ["as_ports", "as_memory", "as_task", "as_poly"] {
        assert!(rust_text.contains(routine), "{routine} missing from Rust");
        assert!(zig_text.contains(routine), "{routine} missing from Zig");
    }
}

#[test]
fn a_user_include_directory_wins_over_the_built_ins() {
    // A type file of the user's own (standing in for the SDK's) is found first, so its
    // 8-byte boolean_t changes the layout.
    let dir = temp_dir("override");
    std::fs::create_dir_all(dir.join("sdk/mach")).unwrap();
    std::fs::write(
        dir.join("sdk/mach/std_types.defs"),
        "type boolean_t = MACH_MSG_TYPE_INTEGER_64;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n",
    )
    .unwrap();
    let defs = dir.join("s.defs");
    std::fs::write(
        &defs,
        "subsystem s 100;\n#include <mach/std_types.defs>\nsimpleroutine r(p : mach_port_t; b : boolean_t);\n",
    )
    .unwrap();
    let layout = |extra: &[String]| -> Value {
        let mut args = vec!["layout".to_string(), "--json".to_string()];
        args.extend(extra.iter().cloned());
        args.push(defs.display().to_string());
        serde_json::from_slice(&migz_ok(&args)).unwrap()
    };
    let built_in = layout(&[]);
    assert_eq!(built_in["routines"][0]["request"]["size"], 36);
    let sdk = layout(&["-I".into(), dir.join("sdk").display().to_string()]);
    assert_eq!(sdk["routines"][0]["request"]["size"], 40);
}

#[test]
fn a_missing_mach_header_names_the_built_ins_in_its_note() {
    let dir = temp_dir("missing");
    let defs = dir.join("m.defs");
    std::fs::write(
        &defs,
        "#include <mach/no_such_types.defs>\nsubsystem m 1;\n",
    )
    .unwrap();
    let out = common::migz(&["check", &defs.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[file-not-found]: file not found: `mach/no_such_types.defs`"),
        "{stderr}"
    );
    assert!(stderr.contains("= searched: <migz built-in>"), "{stderr}");
}

/// The names of the built-in files, as `#include` spells them.
const BUILT_IN: [&str; 5] = [
    "mach/std_types.defs",
    "mach/machine/machine_types.defs",
    "mach/mach_types.defs",
    "mach/clock_types.defs",
    "mach_debug/mach_debug_types.defs",
];

/// A copy of the corpus's `osfmk` without the files migz has built in, so the `.defs`
/// that include them get migz's own text instead.
fn osfmk_without_type_files(corpus: &Path, test: &str) -> PathBuf {
    let from = corpus.join("xnu/osfmk");
    let to = temp_dir(test).join("osfmk");
    let mut stack = vec![from.clone()];
    let mut left_out = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&from).unwrap();
            if path.is_dir() {
                stack.push(path);
            } else if BUILT_IN.iter().any(|b| Path::new(b) == rel) {
                left_out += 1;
            } else {
                let dest = to.join(rel);
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(&path, &dest).unwrap();
            }
        }
    }
    assert_eq!(
        left_out,
        BUILT_IN.len(),
        "the corpus holds every built-in's file"
    );
    to
}

/// The user-view flags with the built-ins standing in for the corpus's type files (and
/// for the one C header they include).
fn built_in_view(osfmk: &Path) -> Vec<String> {
    vec![
        "-D__MACH30__".into(),
        "-DLIBSYSCALL_INTERFACE".into(),
        "-I".into(),
        osfmk.display().to_string(),
    ]
}

#[test]
fn apple_layouts_with_the_built_in_includes() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let osfmk = osfmk_without_type_files(&corpus, "apple");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("apple-mig-layouts.json")).unwrap(),
    )
    .unwrap();
    let mut compared = 0;
    let mut failures = Vec::new();
    for (header, arches) in truth.as_object().unwrap() {
        let name = header.trim_start_matches("mach/").trim_end_matches(".h");
        let mut args = vec!["layout".to_string(), "--json".to_string()];
        args.extend(built_in_view(&osfmk));
        args.push(
            corpus
                .join(format!("xnu/libsyscall/mach/{name}.defs"))
                .display()
                .to_string(),
        );
        let ours: Value = serde_json::from_slice(&migz_ok(&args)).unwrap();
        let mut structs: BTreeMap<String, &Value> = BTreeMap::new();
        for r in ours["routines"].as_array().unwrap() {
            let rname = r["name"].as_str().unwrap();
            structs.insert(format!("__Request__{rname}_t"), &r["request"]);
            if !r["reply"].is_null() {
                structs.insert(format!("__Reply__{rname}_t"), &r["reply"]);
            }
        }
        for (arch, apple_structs) in arches.as_object().unwrap() {
            for (sname, apple) in apple_structs.as_object().unwrap() {
                // A routine the SDK has and these `.defs` lack is a later addition
                // (`apple_layouts.rs` checks that each one is absent from the corpus).
                let Some(mine) = structs.get(sname) else {
                    continue;
                };
                compared += 1;
                let apple_shape = shape(apple);
                if shape(mine) != apple_shape {
                    failures.push(format!(
                        "{arch} {sname}: apple {apple_shape:?}\n    migz {:?}",
                        shape(mine)
                    ));
                }
            }
        }
    }
    println!(
        "{}/{compared} Apple structs match with the built-in includes",
        compared - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 200, "too few structs compared: {compared}");
}

#[test]
fn every_corpus_layout_is_the_same_with_the_built_in_includes() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let osfmk = osfmk_without_type_files(&corpus, "every");
    let mut files = Vec::new();
    common::defs_with_subsystem(&corpus.join("xnu"), &mut files);
    files.sort();
    let mut same = 0;
    let mut routines = 0;
    let mut failures = Vec::new();
    for file in &files {
        let layout = |flags: Vec<String>| {
            let mut args = vec!["layout".to_string(), "--json".to_string()];
            args.extend(flags);
            if file.ends_with("device/device.defs") {
                args.push("-DIOKIT".into());
            }
            args.push(file.display().to_string());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::migz(&args)
        };
        let with_corpus = layout(common::user_view(&corpus));
        let with_built_ins = layout(built_in_view(&osfmk));
        if !with_corpus.status.success() {
            // Files that fail in the user view (kernel-only types, a missing include)
            // must fail the same way with the built-ins.
            if with_built_ins.status.code() != with_corpus.status.code() {
                failures.push(format!("{}: fails only with the corpus", file.display()));
            }
            continue;
        }
        if with_built_ins.stdout != with_corpus.stdout {
            failures.push(format!(
                "{}: layouts differ\n{}",
                file.display(),
                String::from_utf8_lossy(&with_built_ins.stderr)
            ));
            continue;
        }
        let json: Value = serde_json::from_slice(&with_corpus.stdout).unwrap();
        routines += json["routines"].as_array().unwrap().len();
        same += 1;
    }
    println!(
        "{same} corpus subsystems ({routines} routines) lay out the same with the built-in includes"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 48 corpus files declare a subsystem; rnserver.defs fails in both views.
    assert!(same >= 47, "too few subsystems compared: {same}");
}
