//! The transport, chosen at compile time: `mach` (the kernel, through libSystem) on
//! Darwin targets and `local` (migz's Mach port emulation, `bridge/migz.h`) elsewhere.
//! A program overrides the choice by declaring `pub const migz_transport = "local";` (or
//! `"mach"`) in its root source file. Both implementations export the same functions with the same
//! signatures, so generated code and the runtime are written once.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const MachMsgHeader = @import("message.zig").MachMsgHeader;
const root = @import("root");

const Port = abi.Port;
const KernReturn = abi.KernReturn;
const MsgReturn = abi.MsgReturn;

/// The ways messages can travel.
pub const Transport = enum {
    /// The Mach kernel: `mach_msg` and friends from libSystem (Darwin only).
    mach,
    /// migz's in-process emulation of Mach ports, `libmigz_ffi.a` behind `bridge/migz.h`.
    local,
};

/// The transport this build uses.
pub const transport: Transport = choice: {
    const chosen: []const u8 = if (@hasDecl(root, "migz_transport")) root.migz_transport else "auto";
    if (std.mem.eql(u8, chosen, "auto")) {
        break :choice if (builtin.target.os.tag.isDarwin()) .mach else .local;
    }
    const t = std.meta.stringToEnum(Transport, chosen) orelse
        @compileError("migz_transport must be \"auto\", \"mach\" or \"local\", not \"" ++ chosen ++ "\"");
    if (t == .mach and !builtin.target.os.tag.isDarwin()) {
        @compileError("the mach transport needs a Darwin target");
    }
    break :choice t;
};

/// Whether the Rust library (`libmigz_ffi.a`, or an umbrella library holding it) is
/// linked, so that the `migz1_*` functions beyond the kernel's (rings, channels) exist:
/// always on the local transport; on the kernel when the root file declares
/// `pub const migz_rust_linked = true;`, as the libraries migz-build makes for Rust
/// programs do.
pub const rust_linked: bool = transport == .local or
    (@hasDecl(root, "migz_rust_linked") and root.migz_rust_linked);

/// The implementation of the chosen transport.
const impl = switch (transport) {
    .mach => @import("transport/mach.zig"),
    .local => @import("transport/local.zig"),
};

/// `mach_msg`: sends and/or receives one message, as `opt` says.
pub fn machMsg(
    msg: *MachMsgHeader,
    opt: i32,
    send_size: u32,
    rcv_size: u32,
    rcv_name: Port,
    timeout_ms: u32,
    notify: Port,
) MsgReturn {
    return impl.machMsg(msg, opt, send_size, rcv_size, rcv_name, timeout_ms, notify);
}

/// `mach_task_self()`: the task (port space) this thread's calls act on. On the local
/// transport it is the thread's current space (see `testing.Task.enter`).
pub fn taskSelf() Port {
    return impl.taskSelf();
}

/// `mig_get_reply_port`: this thread's cached reply port (a receive right), made on
/// first use.
pub fn migGetReplyPort() Port {
    return impl.migGetReplyPort();
}

/// `mig_dealloc_reply_port`: destroys this thread's reply port after a failed call, so
/// a late reply cannot be mistaken for the next one; the next call makes a new one.
pub fn migDeallocReplyPort(p: Port) void {
    impl.migDeallocReplyPort(p);
}

/// `mig_put_reply_port`: gives back the reply port after a successful call.
pub fn migPutReplyPort(p: Port) void {
    impl.migPutReplyPort(p);
}

/// `mach_port_allocate(mach_task_self(), right, name)`.
pub fn portAllocate(right: u32, name: *Port) KernReturn {
    return impl.portAllocate(right, name);
}

/// `mach_port_deallocate(mach_task_self(), name)`: drops one user reference of a send
/// right, a send-once right or a dead name.
pub fn portDeallocate(name: Port) KernReturn {
    return impl.portDeallocate(name);
}

/// `mach_port_mod_refs(mach_task_self(), name, right, delta)`.
pub fn portModRefs(name: Port, right: u32, delta: i32) KernReturn {
    return impl.portModRefs(name, right, delta);
}

/// `mach_port_insert_right(mach_task_self(), name, poly, poly_poly)`.
pub fn portInsertRight(name: Port, poly: Port, poly_poly: u32) KernReturn {
    return impl.portInsertRight(name, poly, poly_poly);
}

/// `mach_port_extract_right(mach_task_self(), name, msgt_name, poly, poly_poly)`: makes
/// or takes a right from `name` and returns it under a new name.
pub fn portExtractRight(name: Port, msgt_name: u32, poly: *Port, poly_poly: *u32) KernReturn {
    return impl.portExtractRight(name, msgt_name, poly, poly_poly);
}

/// `mach_port_request_notification(mach_task_self(), name, msgid, sync, notify,
/// notify_poly, previous)`: asks for a notification (`MACH_NOTIFY_NO_SENDERS`, ...) about
/// `name`, sent through the send-once right `notify`/`notify_poly` makes; a send-once
/// right of an earlier request comes back in `previous`.
pub fn portRequestNotification(name: Port, msgid: i32, sync: u32, notify: Port, notify_poly: u32, previous: *Port) KernReturn {
    return impl.portRequestNotification(name, msgid, sync, notify, notify_poly, previous);
}

/// On the local transport, makes `task` (a space handle from the Rust side or
/// `testing.begin`) the calling thread's space; on the kernel there is one task, and
/// only `taskSelf()` or `port_null` is accepted.
pub fn enterTask(task: Port) KernReturn {
    return impl.enterTask(task);
}

/// `mach_host_self()`: a send right to the host port; each call adds a user reference
/// for the caller to release.
pub fn hostSelf() Port {
    return impl.hostSelf();
}

/// `task_get_special_port(task, which, port)`: a send right to the task's special port
/// `which` (`MACH_PORT_NULL` when unset), in the calling thread's task.
pub fn taskGetSpecialPort(task: Port, which: i32, port: *Port) KernReturn {
    return impl.taskGetSpecialPort(task, which, port);
}

/// `task_set_special_port(task, which, port)`: a copy of the send right `port` (or
/// nothing) becomes the special port `which`.
pub fn taskSetSpecialPort(task: Port, which: i32, port: Port) KernReturn {
    return impl.taskSetSpecialPort(task, which, port);
}

/// `bootstrap_look_up(bp, name, sp)`: a send right to the service `name`.
pub fn bootstrapLookUp(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return impl.bootstrapLookUp(bp, name, sp);
}

/// `bootstrap_check_in(bp, name, sp)`: the receive right of the service `name`.
pub fn bootstrapCheckIn(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return impl.bootstrapCheckIn(bp, name, sp);
}

/// `bootstrap_register(bp, name, sp)`: registers a copy of the send right `sp`.
pub fn bootstrapRegister(bp: Port, name: [*:0]const u8, sp: Port) KernReturn {
    return impl.bootstrapRegister(bp, name, sp);
}

/// The errors of `vmAllocate`.
pub const VmAllocateError = error{
    /// No room in the address space (`KERN_NO_SPACE`, `KERN_RESOURCE_SHORTAGE`).
    OutOfMemory,
    /// Any other code, such as `KERN_INVALID_TASK` when the thread's space is gone.
    Unexpected,
};

/// `vm_allocate(mach_task_self(), &address, size, VM_FLAGS_ANYWHERE)`: zeroed,
/// page-aligned memory owned by the task, which can travel out of line without a copy.
/// `size` must not be zero. Free it with `vmDeallocate`.
pub fn vmAllocate(size: usize) VmAllocateError![*]u8 {
    assert(size != 0);
    var address: usize = 0;
    const kr = impl.vmAllocate(&address, size);
    switch (kr) {
        abi.kern.success => {
            assert(address != 0);
            return @ptrFromInt(address);
        },
        abi.kern.no_space, abi.kern.resource_shortage => return error.OutOfMemory,
        else => return error.Unexpected,
    }
}

/// `vm_deallocate(mach_task_self(), address, size)`.
pub fn vmDeallocate(address: u64, size: u64) KernReturn {
    return impl.vmDeallocate(address, size);
}

test "vmAllocate gives zeroed memory that vmDeallocate frees" {
    const task = try @import("testing.zig").begin();
    defer task.end();

    const size = 3 * 4096;
    const memory = try vmAllocate(size);
    for (memory[0..size]) |byte| try std.testing.expectEqual(@as(u8, 0), byte);
    memory[size - 1] = 0xa5;
    try std.testing.expectEqual(abi.kern.success, vmDeallocate(@intFromPtr(memory), size));
    try task.expectNoLeaks();
}
