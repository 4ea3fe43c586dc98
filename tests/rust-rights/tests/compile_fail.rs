//! Calls that pass a generated client the wrong right must not compile: each file in
//! `tests/compile-fail` is one such call, with the compiler's error beside it
//! (`TRYBUILD=overwrite cargo test -p migz-rust-rights` refreshes the `.stderr` files).

#[test]
fn wrong_rights_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile-fail/*.rs");
}
