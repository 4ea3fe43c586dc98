//! Compiles the C half of the hostile-message test (`c/hostile.c`) against
//! `bridge/migz.h` into a static library that only the test links.

fn main() {
    println!("cargo::rerun-if-changed=c/hostile.c");
    println!("cargo::rerun-if-changed=../../bridge/migz.h");
    cc::Build::new()
        .file("c/hostile.c")
        .include("../../bridge")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .cargo_metadata(false)
        .compile("migz_hostile");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rustc-link-search=native={out}");
}
