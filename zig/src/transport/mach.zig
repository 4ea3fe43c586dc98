//! The `mach` transport: the Darwin kernel, through libSystem. `std.c` has most of
//! the calls; the few it lacks (`mach_port_mod_refs`, `mach_port_extract_right`,
//! `vm_allocate`, the `mig_*` reply-port calls, the special-port and `bootstrap_*`
//! calls) are declared here with their libSystem signatures.

const std = @import("std");
const builtin = @import("builtin");

const abi = @import("../abi.zig");
const message = @import("../message.zig");

const Port = abi.Port;
const KernReturn = abi.KernReturn;
const MsgReturn = abi.MsgReturn;

comptime {
    std.debug.assert(builtin.target.os.tag.isDarwin());
}

const darwin = std.c;

extern "c" fn mach_port_mod_refs(task: Port, name: Port, right: u32, delta: i32) KernReturn;
extern "c" fn mach_port_extract_right(
    task: Port,
    name: Port,
    msgt_name: u32,
    poly: *Port,
    poly_poly: *u32,
) KernReturn;
extern "c" fn mach_port_request_notification(
    task: Port,
    name: Port,
    msgid: i32,
    sync: u32,
    notify: Port,
    notify_poly: u32,
    previous: *Port,
) KernReturn;
extern "c" fn vm_allocate(task: Port, address: *usize, size: usize, flags: c_int) KernReturn;
extern "c" fn mig_get_reply_port() Port;
extern "c" fn mig_dealloc_reply_port(reply_port: Port) void;
extern "c" fn mig_put_reply_port(reply_port: Port) void;
extern "c" fn task_get_special_port(task: Port, which_port: c_int, special_port: *Port) KernReturn;
extern "c" fn task_set_special_port(task: Port, which_port: c_int, special_port: Port) KernReturn;
extern "c" fn bootstrap_look_up(bp: Port, service_name: [*:0]const u8, sp: *Port) KernReturn;
extern "c" fn bootstrap_check_in(bp: Port, service_name: [*:0]const u8, sp: *Port) KernReturn;
extern "c" fn bootstrap_register(bp: Port, service_name: [*:0]const u8, sp: Port) KernReturn;

/// `VM_FLAGS_ANYWHERE`.
const vm_flags_anywhere: c_int = 1;

/// See `transport.machMsg`.
pub fn machMsg(
    msg: *message.MachMsgHeader,
    opt: i32,
    send_size: u32,
    rcv_size: u32,
    rcv_name: Port,
    timeout_ms: u32,
    notify: Port,
) MsgReturn {
    const result = darwin.mach_msg(
        @ptrCast(msg),
        @bitCast(opt),
        send_size,
        rcv_size,
        rcv_name,
        @fromBackingInt(timeout_ms),
        notify,
    );
    return @backingInt(result);
}

/// See `transport.taskSelf`.
pub fn taskSelf() Port {
    return darwin.mach_task_self();
}

/// See `transport.migGetReplyPort`.
pub fn migGetReplyPort() Port {
    return mig_get_reply_port();
}

/// See `transport.migDeallocReplyPort`.
pub fn migDeallocReplyPort(p: Port) void {
    mig_dealloc_reply_port(p);
}

/// See `transport.migPutReplyPort`.
pub fn migPutReplyPort(p: Port) void {
    mig_put_reply_port(p);
}

/// See `transport.portAllocate`.
pub fn portAllocate(right: u32, name: *Port) KernReturn {
    return darwin.mach_port_allocate(taskSelf(), @fromBackingInt(right), name);
}

/// See `transport.portDeallocate`.
pub fn portDeallocate(name: Port) KernReturn {
    return darwin.mach_port_deallocate(taskSelf(), name);
}

/// See `transport.portModRefs`.
pub fn portModRefs(name: Port, right: u32, delta: i32) KernReturn {
    return mach_port_mod_refs(taskSelf(), name, right, delta);
}

/// See `transport.portInsertRight`.
pub fn portInsertRight(name: Port, poly: Port, poly_poly: u32) KernReturn {
    return darwin.mach_port_insert_right(taskSelf(), name, poly, @fromBackingInt(poly_poly));
}

/// See `transport.portExtractRight`.
pub fn portExtractRight(name: Port, msgt_name: u32, poly: *Port, poly_poly: *u32) KernReturn {
    return mach_port_extract_right(taskSelf(), name, msgt_name, poly, poly_poly);
}

/// `vm_allocate`, anywhere; see `transport.vmAllocate`.
pub fn vmAllocate(address: *usize, size: usize) KernReturn {
    return vm_allocate(taskSelf(), address, size, vm_flags_anywhere);
}

/// See `transport.vmDeallocate`.
pub fn vmDeallocate(address: u64, size: u64) KernReturn {
    return darwin.vm_deallocate(taskSelf(), @intCast(address), size);
}

/// See `transport.portRequestNotification`.
pub fn portRequestNotification(name: Port, msgid: i32, sync: u32, notify: Port, notify_poly: u32, previous: *Port) KernReturn {
    return mach_port_request_notification(taskSelf(), name, msgid, sync, notify, notify_poly, previous);
}

/// See `transport.enterTask`: the kernel has one task for the process.
pub fn enterTask(task: Port) KernReturn {
    if (task == abi.port_null or task == taskSelf()) return abi.kern.success;
    return abi.kern.invalid_task;
}

/// See `transport.hostSelf`.
pub fn hostSelf() Port {
    return darwin.mach_host_self();
}

/// See `transport.taskGetSpecialPort`.
pub fn taskGetSpecialPort(task: Port, which: i32, port: *Port) KernReturn {
    return task_get_special_port(task, which, port);
}

/// See `transport.taskSetSpecialPort`.
pub fn taskSetSpecialPort(task: Port, which: i32, port: Port) KernReturn {
    return task_set_special_port(task, which, port);
}

/// See `transport.bootstrapLookUp`.
pub fn bootstrapLookUp(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return bootstrap_look_up(bp, name, sp);
}

/// See `transport.bootstrapCheckIn`.
pub fn bootstrapCheckIn(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return bootstrap_check_in(bp, name, sp);
}

/// See `transport.bootstrapRegister`.
pub fn bootstrapRegister(bp: Port, name: [*:0]const u8, sp: Port) KernReturn {
    return bootstrap_register(bp, name, sp);
}
