//! Bootstrap and special ports through the C ABI (`bootstrap.c`): a C server space
//! checks in, a C client space looks the name up, and every failure gets its exact code;
//! neither space holds anything afterwards.

#[link(name = "migz_cbootstrap", kind = "static")]
unsafe extern "C" {
    fn migz_c_bootstrap(server_task: u32, client_task: u32) -> i32;
}

#[test]
fn bootstrap_from_c() {
    // The C code calls the library's exports: link them in.
    let _ = migz_ffi::migz1_bootstrap_look_up;
    let (server, client) = (migz::Space::new(), migz::Space::new());
    // SAFETY: the C function only calls the library's exports with the two live tasks.
    let line = unsafe { migz_c_bootstrap(server.task(), client.task()) };
    assert_eq!(line, 0, "tests/ffi-c/bootstrap.c failed at line {line}");
    server.assert_no_leaks();
    client.assert_no_leaks();
}
