//! The Zig half of the umbrella library `migz-zig-host`: the generated Rust in it packs
//! and unpacks through the Zig stubs' C exports (`migz1_<subsystem>_*`), so every binary
//! that links the library must export them for every example's `.defs`, whichever it
//! uses itself. Such a binary imports this module (`_ = @import("zig_host");`).

comptime {
    _ = @import("array_test");
    _ = @import("ports_ool");
    _ = @import("adder");
    _ = @import("ool_arrays");
}
