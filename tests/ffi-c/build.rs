//! Compiles the C half of the cross-language test (`client.c`) against the header that
//! `migz-ffi` ships (`rust/ffi/include/migz.h`, which is `bridge/migz.h`) into a static
//! library that only this crate's tests link. It lives in a test-only crate so that
//! `migz-ffi` itself builds nothing test-only and needs no C compiler from its dependents.

fn main() {
    println!("cargo::rerun-if-changed=client.c");
    println!("cargo::rerun-if-changed=../../rust/ffi/include/migz.h");
    cc::Build::new()
        .file("client.c")
        .include("../../rust/ffi/include")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .cargo_metadata(false)
        .compile("migz_ctest");
    // Bootstrap and special ports from C (`tests/c_bootstrap.rs`).
    println!("cargo::rerun-if-changed=bootstrap.c");
    cc::Build::new()
        .file("bootstrap.c")
        .include("../../rust/ffi/include")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .cargo_metadata(false)
        .compile("migz_cbootstrap");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rustc-link-search=native={out}");
}
