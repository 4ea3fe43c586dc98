//! Binds the kernel calls of the runtime's kernel transport to the emulation for this
//! crate's tests: each `mach_*`/`vm_*` symbol becomes an alias of migz-ffi's `migz1_*`
//! export of the same signature (bridge/migz.h mirrors the kernel's calls by design), and
//! `-u` makes the linker take those exports from the library. The library itself is only
//! type-checked, so it needs nothing.

/// The calls `sys/mach.rs` and the `mach2` stand-in make.
const CALLS: &[&str] = &[
    "mach_msg",
    "mach_msg_destroy",
    "mach_port_allocate",
    "mach_port_construct",
    "mach_port_destruct",
    "mach_port_mod_refs",
    "mach_port_get_refs",
    "mach_port_type",
    "mach_port_insert_right",
    "mach_port_extract_right",
    "mach_port_get_context",
    "mach_port_set_context",
    "mach_port_guard",
    "mach_port_unguard",
    "mach_port_set_mscount",
    "mach_port_get_attributes",
    "mach_port_set_attributes",
    "mach_port_move_member",
    "mach_port_request_notification",
    "vm_allocate",
    "vm_deallocate",
    "bootstrap_look_up",
    "bootstrap_check_in",
    "bootstrap_register",
    "task_get_special_port",
    "task_set_special_port",
    "mach_host_self",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for call in CALLS {
        println!("cargo:rustc-link-arg-tests=-Wl,-u,migz1_{call}");
        println!("cargo:rustc-link-arg-tests=-Wl,--defsym={call}=migz1_{call}");
    }
}
