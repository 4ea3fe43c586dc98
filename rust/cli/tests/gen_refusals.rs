//! What `migz check` accepts as Apple's mig does but `migz gen` refuses to generate, each
//! with a clear error and nothing written: a routine whose message is over Mach's size
//! limit (Apple declares it; no kernel carries it).

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
