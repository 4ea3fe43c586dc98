//! `migz gen` and arrays of out-of-line elements: every shape of
//! `tests/conformance/ool_arrays.defs` generates in both languages, and the two it still
//! cannot (an array of one such element, which Apple lays out as a single descriptor
//! sized by one item, and one whose count is another argument's `SameCount`) stop it with
//! an error naming the routine and the argument.

mod common;

fn generate(defs: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::migz(&[
        "gen",
        "--zig",
        &dir.display().to_string(),
        "--rust",
        &dir.display().to_string(),
        &defs.display().to_string(),
    ])
}

const PRELUDE: &str = "type int32_t = MACH_MSG_TYPE_INTEGER_32;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\ntype buf_t = array[] of int32_t;\n";

#[test]
fn arrays_of_out_of_line_elements_generate_or_are_refused_by_name() {
    let tmp = std::env::temp_dir().join(format!("migz-gen-ool-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let out = generate(
        &common::repo_root().join("tests/conformance/ool_arrays.defs"),
        &tmp.join("all"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tmp.join("all/ool_arrays.zig").exists() && tmp.join("all/ool_arrays.rs").exists());
    let cases = [
        (
            "one",
            "type one_t = array[1] of buf_t;\nroutine single(server: mach_port_t; x: one_t);\n",
            "migz cannot generate routine `single` yet: argument `x` is an array of one out-of-line element",
        ),
        (
            "same",
            "type two_t = array[*:2] of buf_t;\nroutine pair(server: mach_port_t; x: two_t; y: two_t, SameCount);\n",
            "migz cannot generate routine `pair` yet: argument `y` is an array of out-of-line elements with SameCount",
        ),
    ];
    for (name, body, why) in cases {
        let defs = tmp.join(format!("{name}.defs"));
        std::fs::write(&defs, format!("subsystem {name} 100;\n{PRELUDE}{body}")).unwrap();
        let out = generate(&defs, &tmp.join(name));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(why), "{name}: {stderr}");
        assert!(!tmp.join(name).join(format!("{name}.zig")).exists());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
