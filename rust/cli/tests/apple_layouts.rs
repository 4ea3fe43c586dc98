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
                    failures.push(format!("{arch} {sname}: not produced"));
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
    println!("{matched}/{total} structs match");
    for f in &failures {
        println!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} structs differ",
        failures.len()
    );
    assert!(total > 0);
}
