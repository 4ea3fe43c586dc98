//! What `migz check` accepts as Apple's mig does but `migz gen` refuses to generate, each
//! with a clear error and nothing written: a routine whose message is over Mach's size
//! limit (Apple declares it; no kernel carries it), types Apple lays out but whose
//! stubs cannot carry them (an in-line array of no ports, an array of out-of-line arrays
//! collapsed into one region), and the two arrays of out-of-line elements migz does not
//! generate (an array of one such element, which Apple lays out as a single descriptor
//! sized by one item, and one whose count is another argument's `SameCount`), while
//! every other shape of `tests/conformance/ool_arrays.defs` generates.

mod common;

#[test]
fn a_message_over_machs_limit_is_checked_but_not_generated() {
    let dir = std::env::temp_dir().join(format!("migz-gen-refusals-{}", std::process::id()));
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let defs = dir.join("big.defs");
    std::fs::write(
        &defs,
        "subsystem s 10;\n\
         type int = MACH_MSG_TYPE_INTEGER_32;\n\
         type port = MACH_MSG_TYPE_COPY_SEND;\n\
         type big = array[20000000] of int;\n\
         type huge = struct[4096] of big;\n\
         routine small(server : port; x : int);\n\
         routine too_big(server : port; y : big);\n",
    )
    .unwrap();
    let path = defs.display().to_string();
    let check = common::migz(&["check", &path]);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning[type-too-large]: `y` carries 80000000 bytes in line"),
        "{stderr}"
    );
    let out_dir = out.display().to_string();
    let gen_ = common::migz(&["gen", "--rust", &out_dir, "--zig", &out_dir, &path]);
    let stderr = String::from_utf8_lossy(&gen_.stderr);
    assert!(!gen_.status.success());
    assert!(
        stderr.contains(
            "migz cannot generate routine `too_big`: a message of 80000032 bytes is over Mach's limit of 67108864 bytes"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing is written"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn types_apple_lays_out_but_cannot_carry_are_checked_but_not_generated() {
    let dir = std::env::temp_dir().join(format!("migz-gen-degenerate-{}", std::process::id()));
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let cases = [
        (
            "no_ports",
            "type p0 = array[0] of port;\ntype v = array[*:3] of p0;\nroutine r(server : port; x : v);\n",
            "x",
        ),
        (
            "collapsed",
            "type buf_t = array[] of int;\ntype one_t = ^array[4] of buf_t;\nroutine r(server : port; b : one_t);\n",
            "b",
        ),
    ];
    for (name, body, arg) in cases {
        let defs = dir.join(format!("{name}.defs"));
        std::fs::write(
            &defs,
            format!("subsystem s 10;\ntype int = MACH_MSG_TYPE_INTEGER_32;\ntype port = MACH_MSG_TYPE_COPY_SEND;\n{body}"),
        )
        .unwrap();
        let path = defs.display().to_string();
        let check = common::migz(&["check", &path]);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let out_dir = out.display().to_string();
        let gen_ = common::migz(&["gen", "--rust", &out_dir, "--zig", &out_dir, &path]);
        let stderr = String::from_utf8_lossy(&gen_.stderr);
        assert!(!gen_.status.success(), "{name}");
        assert!(
            stderr.contains(&format!(
                "migz cannot generate routine `r`: Apple's mig lays out argument `{arg}` but its stubs cannot carry it"
            )),
            "{name}: {stderr}"
        );
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            0,
            "nothing is written"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

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
