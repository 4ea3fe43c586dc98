//! Inputs that once made the front end's memory or time grow faster than the input (found
//! by coverage-guided fuzzing and by reading the analysis): each must end with the located
//! diagnostic that says why, and no run may take more than 256 MiB at its peak.

use migz_defs::Options;
use std::path::{Path, PathBuf};

/// The peak resident memory of this process so far (`VmHWM`), in bytes.
fn peak_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// The pathological inputs: a name, the file's text, and the diagnostic code it must end
/// with (`None`: it is valid and must check clean apart from warnings).
fn cases() -> Vec<(&'static str, String, &'static str)> {
    let types = |n: usize| -> String {
        (0..n)
            .map(|i| format!("type t{i} = MACH_MSG_TYPE_INTEGER_32;\n"))
            .collect()
    };
    let subsystems: String = (0..20_000)
        .map(|i| format!("subsystem s{i} {i};\n"))
        .collect();
    let chain: String = std::iter::once("type t0 = MACH_MSG_TYPE_INTEGER_32;\n".to_string())
        .chain((1..20_000).map(|i| format!("type t{i} = array[1] of t{};\n", i - 1)))
        .collect();
    vec![
        // Includes itself twice: a binary tree of includes, stopped at the depth limit as
        // a C preprocessor stops it.
        (
            "twice.defs",
            "subsystem s 100;\ntype int32_t = MACH_MSG_TYPE_INTEGER_32;\n\
             #include \"twice.defs\"\n#include \"twice.defs\"\n"
                .to_string(),
            "include-depth",
        ),
        // Types times subsystem statements: the types were copied into every subsystem.
        (
            "subsystems301.defs",
            format!("{}{subsystems}", types(301)),
            "second-subsystem",
        ),
        (
            "subsystems1001.defs",
            format!("{}{subsystems}", types(1001)),
            "second-subsystem",
        ),
        // A chain of named array types: each held its whole element chain.
        ("chain.defs", chain, "type-too-deep"),
        // An unclosed macro argument list over a file that includes itself: each level
        // added its tokens to the arguments.
        (
            "args.defs",
            format!(
                "{}#include \"args.defs\"\n#include \"args.defs\"\n",
                "#define F(x) #x\nF(".repeat(7600)
            ),
            "expansion-limit",
        ),
        // A diagnostic per statement, far past what is shown.
        (
            "errors.defs",
            format!(
                "subsystem s 1;\n{}",
                "routine r(x : nothing);\n".repeat(50_000)
            ),
            "too-many-errors",
        ),
    ]
}

#[test]
fn pathological_inputs_stay_bounded() {
    let dir = std::env::temp_dir().join(format!("migz-resources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let options = Options {
        include_dirs: vec![dir.clone()],
        ..Options::default()
    };
    let before = peak_bytes();
    for (name, text, code) in cases() {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, &text).unwrap();
        let out = migz_defs::run(Path::new(&path), &options);
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            codes.contains(&code),
            "{name}: expected `{code}`, got {codes:?}"
        );
        assert!(
            out.diagnostics.len() <= migz_defs::DIAGNOSTICS_MAX + 1,
            "{name}: {} diagnostics kept",
            out.diagnostics.len()
        );
        // The summary of what is not shown has no place; every shown diagnostic has one.
        let located = out
            .diagnostics
            .iter()
            .filter(|d| !d.code.starts_with("too-many-"))
            .all(|d| d.primary_span().is_some());
        assert!(located, "{name}: a diagnostic has no location");
        let grown = peak_bytes().saturating_sub(before);
        println!(
            "{name}: {} bytes, peak growth {} MiB",
            text.len(),
            grown >> 20
        );
        assert!(
            grown < 256 << 20,
            "{name}: the peak grew by {} MiB",
            grown >> 20
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
