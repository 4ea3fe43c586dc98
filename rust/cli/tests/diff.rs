//! `migz diff`: each kind of wire-incompatible change is reported and exits 1; compatible
//! changes (a routine added under a new id, an argument renamed) exit 0.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const BASE: &str = "subsystem demo 4000;
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type int64_t = MACH_MSG_TYPE_INTEGER_64;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
routine add(server : mach_port_t; a : int32_t; b : int32_t; out sum : int32_t);
routine sum(server : mach_port_t; data : array[*:16] of int32_t; out total : int32_t);
simpleroutine log(server : mach_port_t; level : int32_t);
";

/// Writes `old` and `new` as .defs files and runs `migz diff` on them.
fn diff(old: &str, new: &str) -> (i32, String) {
    // A directory of its own per call: the tests run in parallel.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("migz-diff-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (o, n) = (write("old.defs", old), write("new.defs", new));
    let out = common::migz(&["diff", o.to_str().unwrap(), n.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_same_file_has_no_changes() {
    let (code, text) = diff(BASE, BASE);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, "no wire-incompatible changes\n");
}

#[test]
fn a_routine_added_at_the_end_or_an_argument_renamed_is_compatible() {
    let new = BASE.replace("a : int32_t; b", "first : int32_t; b")
        + "routine twice(server : mach_port_t; x : int32_t; out y : int32_t);\n";
    let (code, text) = diff(BASE, &new);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("compatible: routine `twice` added (id 4003)"),
        "{text}"
    );
}

#[test]
fn a_routine_inserted_in_the_middle_renumbers_the_rest() {
    let new = BASE.replace(
        "routine sum(",
        "routine twice(server : mach_port_t; x : int32_t; out y : int32_t);\nroutine sum(",
    );
    let (code, text) = diff(BASE, &new);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("incompatible: routine `sum` renumbered: id 4001 is now 4002"),
        "{text}"
    );
    assert!(
        text.contains("incompatible: routine `log` renumbered: id 4002 is now 4003"),
        "{text}"
    );
    assert!(
        text.contains("routine `twice` now has id 4001, which was `sum`'s"),
        "{text}"
    );
}

#[test]
fn skip_keeps_the_numbering() {
    let new = BASE.replace("routine add(", "skip;\nroutine add(");
    let (code, text) = diff(BASE, &new);
    assert_eq!(code, 1, "{text}");
    let renumbered = text.lines().filter(|l| l.contains("renumbered")).count();
    assert_eq!(renumbered, 3, "{text}");
    // The same skip where a routine was removed keeps the others' ids.
    let removed = BASE.replace(
        "routine add(server : mach_port_t; a : int32_t; b : int32_t; out sum : int32_t);",
        "skip;",
    );
    let (code, text) = diff(BASE, &removed);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("routine `add` (id 4000) removed"), "{text}");
    assert!(!text.contains("renumbered"), "{text}");
}

#[test]
fn retyped_reordered_added_and_removed_arguments() {
    let retyped = BASE.replace("b : int32_t; out sum", "b : int64_t; out sum");
    let (code, text) = diff(BASE, &retyped);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("argument 3 `b` retyped: `int32_t` is now `int64_t`"),
        "{text}"
    );
    assert!(text.contains("request field `b`"), "{text}");

    let bound = BASE.replace("array[*:16]", "array[*:32]");
    let (code, text) = diff(BASE, &bound);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("routine `sum`: argument 2 `data` retyped"),
        "{text}"
    );

    let swapped = BASE.replace(
        "data : array[*:16] of int32_t; out total : int32_t",
        "out total : int32_t; data : array[*:16] of int32_t",
    );
    let (code, text) = diff(BASE, &swapped);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "routine `sum`: arguments reordered (server, data, total → server, total, data)"
        ),
        "{text}"
    );

    let more = BASE.replace("level : int32_t)", "level : int32_t; code : int32_t)");
    let (code, text) = diff(BASE, &more);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("routine `log`: argument `code` added"),
        "{text}"
    );
}

#[test]
fn a_routine_that_becomes_a_simpleroutine_or_a_moved_base() {
    let simple = BASE.replace(
        "simpleroutine log(server : mach_port_t; level : int32_t);",
        "routine log(server : mach_port_t; level : int32_t);",
    );
    let (code, text) = diff(BASE, &simple);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("routine `log` was a simpleroutine and is now a routine"),
        "{text}"
    );

    let (code, text) = diff(BASE, &BASE.replace("4000", "5000"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("base 4000 is now 5000"), "{text}");
}

#[test]
fn a_disposition_change_is_a_retype() {
    let moved = BASE.replace("MACH_MSG_TYPE_COPY_SEND", "MACH_MSG_TYPE_MOVE_SEND");
    let (code, text) = diff(BASE, &moved);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("argument 1 `server` retyped"), "{text}");
}

#[test]
fn broken_input_is_exit_2() {
    let (code, _) = diff(BASE, "subsystem demo 4000; routine x(");
    assert_eq!(code, 2);
}
