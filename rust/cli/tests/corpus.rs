//! Every `.defs` in the corpus that declares a subsystem checks clean in the user view,
//! and `tests/rnserver.defs`, which includes a file that does not exist, fails with a
//! located file-not-found diagnostic.

mod common;

#[test]
fn corpus_checks_clean() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let mut files = Vec::new();
    common::defs_with_subsystem(&corpus.join("xnu"), &mut files);
    files.sort();
    files.retain(|f| !f.ends_with("tests/rnserver.defs"));
    let mut failures = Vec::new();
    let mut clean = 0;
    for file in &files {
        let mut args = vec!["check".to_string()];
        args.extend(common::user_view(&corpus));
        if file.ends_with("osfmk/device/device.defs") {
            args.push("-DIOKIT".into());
        }
        if file.ends_with("osfmk/mach/upl.defs") {
            // Universal page lists exist only for in-kernel pagers: mach_types.defs
            // declares their types under KERNEL_PRIVATE (see upl_types_are_kernel_only).
            args.push("-DKERNEL_PRIVATE".into());
        }
        args.push(file.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::migz(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.contains("error[") {
            failures.push(format!("{}:\n{stderr}", file.display()));
        } else {
            clean += 1;
        }
    }
    println!(
        "{clean}/{} corpus files with a subsystem check clean",
        files.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(clean >= 40, "expected the whole corpus, checked {clean}");
}

#[test]
fn corpus_layouts_for_every_subsystem() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let mut files = Vec::new();
    common::defs_with_subsystem(&corpus.join("xnu"), &mut files);
    for file in files.iter().filter(|f| !f.ends_with("tests/rnserver.defs")) {
        let mut args = vec!["layout".to_string(), "--json".to_string()];
        args.extend(common::user_view(&corpus));
        args.push("-DIOKIT".into());
        args.push("-DKERNEL_PRIVATE".into());
        args.push(file.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::migz(&args);
        assert!(out.status.success(), "{}", file.display());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(json["subsystem"].is_string(), "{}", file.display());
    }
}

#[test]
fn rnserver_reports_missing_include() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let file = corpus.join("xnu/tests/rnserver.defs");
    let mut args = vec!["check".to_string()];
    args.extend(common::user_view(&corpus));
    args.push(file.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::migz(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[file-not-found]"), "{stderr}");
    // Located: the header line names the file with line and column.
    assert!(stderr.contains("rnserver.defs:"), "{stderr}");
    assert!(
        stderr.contains("#include"),
        "the source line is shown: {stderr}"
    );
}

#[test]
fn upl_types_are_kernel_only() {
    // In the plain user view upl.defs cannot work, with migcom or with migz: its types are
    // declared only under KERNEL_PRIVATE. migz must say so precisely.
    let Some(corpus) = common::corpus() else {
        return;
    };
    let mut args = vec!["check".to_string()];
    args.extend(common::user_view(&corpus));
    args.push(corpus.join("xnu/osfmk/mach/upl.defs").display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::migz(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error[unknown-type]: unknown type `upl_t`"),
        "{stderr}"
    );
    let other_errors = stderr
        .lines()
        .filter(|l| {
            l.starts_with("error[") && !l.starts_with("error[unknown-type]: unknown type `upl_")
        })
        .count();
    assert_eq!(other_errors, 0, "{stderr}");
}
