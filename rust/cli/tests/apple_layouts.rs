//! Every `__Request__*_t`/`__Reply__*_t` struct of Apple's SDK headers (the ground truth
//! in `../shared/corpus/apple-mig-layouts.json`) must match `migz layout --json`: size,
//! and every field's name and offset in order.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;

#[test]
fn apple_layouts_match() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("apple-mig-layouts.json")).unwrap(),
    )
    .unwrap();
    let mut total = 0;
    let mut matched = 0;
    let mut failures = Vec::new();
    let mut later_additions = Vec::new();
    for (header, arches) in truth.as_object().unwrap() {
        let name = header.trim_start_matches("mach/").trim_end_matches(".h");
        let defs = corpus.join(format!("xnu/libsyscall/mach/{name}.defs"));
        let mut args: Vec<String> = vec!["layout".into(), "--json".into()];
        args.extend(common::user_view(&corpus));
        args.push(defs.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::migz(&args);
        assert!(
            out.status.success(),
            "migz layout failed on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: Value =
            serde_json::from_slice(&out.stdout).expect("migz layout --json prints JSON");
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
                total += 1;
                let Some(mine) = structs.get(sname) else {
                    // The SDK is newer than the corpus: a routine the .defs do not mention
                    // at all is a later addition. One they do mention must be produced.
                    let routine = sname
                        .trim_start_matches("__Request__")
                        .trim_start_matches("__Reply__")
                        .trim_end_matches("_t");
                    if mentioned_in_corpus(&corpus, routine) {
                        failures.push(format!("{arch} {sname}: not produced"));
                    } else {
                        later_additions.push(sname.clone());
                    }
                    continue;
                };
                let apple_fields: Vec<(String, u64)> = apple["fields"]
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
                let my_fields: Vec<(String, u64)> = mine["fields"]
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
                if apple["size"] != mine["size"] || apple_fields != my_fields {
                    failures.push(format!(
                        "{arch} {sname}: apple size {} {:?}\n    migz size {} {:?}",
                        apple["size"], apple_fields, mine["size"], my_fields
                    ));
                } else {
                    matched += 1;
                }
            }
        }
    }
    let compared = total - later_additions.len();
    println!("{matched}/{compared} structs match");
    if !later_additions.is_empty() {
        println!(
            "({} more belong to routines the corpus .defs predate: {})",
            later_additions.len(),
            later_additions.join(", ")
        );
    }
    for f in &failures {
        println!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} structs differ",
        failures.len()
    );
    assert!(compared > 200, "too few structs compared: {compared}");
}

/// Whether a routine name appears anywhere in the corpus `.defs` files.
fn mentioned_in_corpus(corpus: &std::path::Path, routine: &str) -> bool {
    let mut stack = vec![corpus.join("xnu")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read_to_string(&path)
                .unwrap_or_default()
                .contains(routine)
            {
                return true;
            }
        }
    }
    false
}
