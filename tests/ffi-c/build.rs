//! Compiles the C half of the cross-language test (`tests/c/client.c`) against
//! `bridge/migz.h` into a static library that only the integration tests link.

fn main() {
    println!("cargo::rerun-if-changed=tests/c/client.c");
    println!("cargo::rerun-if-changed=../../bridge/migz.h");
    cc::Build::new()
        .file("tests/c/client.c")
        .include("../../bridge")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .cargo_metadata(false)
        .compile("migz_ctest");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rustc-link-search=native={out}");
}
