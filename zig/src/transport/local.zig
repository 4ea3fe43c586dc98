//! The `local` transport: migz's Mach port emulation, the Rust static library
//! `libmigz_ffi.a`, called through `bridge/migz.h` as translate-c sees it (the
//! `migz_c.zig`, translate-c's output, committed). Each call names the thread's current space, which this file
//! mirrors because the C ABI can set it but not read it back.

const std = @import("std");
const assert = std.debug.assert;

const c = @import("migz_c.zig");
const abi = @import("../abi.zig");
const message = @import("../message.zig");

const Port = abi.Port;
const KernReturn = abi.KernReturn;
const MsgReturn = abi.MsgReturn;

/// The space this thread's calls act on (`port_null`: `migz1_task_self()`), as last set
/// with `setCurrentTask`.
threadlocal var current_task: Port = abi.port_null;

/// `migz1_task_set_current`: makes `task` this thread's space for every call of this
/// transport (`port_null`: back to the process-wide default space).
pub fn setCurrentTask(task: Port) KernReturn {
    const kr = c.migz1_task_set_current(task);
    if (kr == abi.kern.success) current_task = task;
    return kr;
}

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
    return c.migz1_mach_msg(msg, opt, send_size, rcv_size, rcv_name, timeout_ms, notify);
}

/// See `transport.taskSelf`.
pub fn taskSelf() Port {
    if (current_task != abi.port_null) return current_task;
    return c.migz1_task_self();
}

/// See `transport.migGetReplyPort`.
pub fn migGetReplyPort() Port {
    return c.migz1_mig_get_reply_port();
}

/// See `transport.migDeallocReplyPort`.
pub fn migDeallocReplyPort(p: Port) void {
    c.migz1_mig_dealloc_reply_port(p);
}

/// See `transport.migPutReplyPort`.
pub fn migPutReplyPort(p: Port) void {
    c.migz1_mig_put_reply_port(p);
}

/// See `transport.portAllocate`.
pub fn portAllocate(right: u32, name: *Port) KernReturn {
    return c.migz1_mach_port_allocate(taskSelf(), right, name);
}

/// See `transport.portDeallocate`.
pub fn portDeallocate(name: Port) KernReturn {
    return c.migz1_mach_port_deallocate(taskSelf(), name);
}

/// See `transport.portModRefs`.
pub fn portModRefs(name: Port, right: u32, delta: i32) KernReturn {
    return c.migz1_mach_port_mod_refs(taskSelf(), name, right, delta);
}

/// See `transport.portInsertRight`.
pub fn portInsertRight(name: Port, poly: Port, poly_poly: u32) KernReturn {
    return c.migz1_mach_port_insert_right(taskSelf(), name, poly, poly_poly);
}

/// See `transport.portExtractRight`.
pub fn portExtractRight(name: Port, msgt_name: u32, poly: *Port, poly_poly: *u32) KernReturn {
    return c.migz1_mach_port_extract_right(taskSelf(), name, msgt_name, poly, poly_poly);
}

/// See `transport.portRequestNotification`.
pub fn portRequestNotification(name: Port, msgid: i32, sync: u32, notify: Port, notify_poly: u32, previous: *Port) KernReturn {
    return c.migz1_mach_port_request_notification(taskSelf(), name, msgid, sync, notify, notify_poly, previous);
}

/// See `transport.enterTask`.
pub fn enterTask(task: Port) KernReturn {
    return setCurrentTask(task);
}

/// `migz1_vm_allocate`, anywhere; see `transport.vmAllocate`.
pub fn vmAllocate(address: *usize, size: usize) KernReturn {
    return c.migz1_vm_allocate(taskSelf(), address, size, 1);
}

/// See `transport.vmDeallocate`.
pub fn vmDeallocate(address: u64, size: u64) KernReturn {
    return c.migz1_vm_deallocate(taskSelf(), @intCast(address), @intCast(size));
}

/// `migz1_task_create`.
pub fn taskCreate(task: *Port) KernReturn {
    return c.migz1_task_create(task);
}

/// `migz1_task_destroy`.
pub fn taskDestroy(task: Port) KernReturn {
    return c.migz1_task_destroy(task);
}

/// `migz1_task_leaks`: how many names, out-of-line regions and live ports `task` holds.
pub fn taskLeaks(task: Port, names: *u32, regions: *u32, ports: *u32) KernReturn {
    return c.migz1_task_leaks(task, names, regions, ports);
}

// The header and this runtime must agree on every number and layout they share.
comptime {
    assert(@sizeOf(c.migz1_mach_port_t) == @sizeOf(Port));
    assert(@sizeOf(c.migz1_mach_msg_header_t) == @sizeOf(message.MachMsgHeader));
    assert(@sizeOf(c.migz1_mach_msg_body_t) == @sizeOf(message.MsgBody));
    assert(@sizeOf(c.migz1_mach_msg_port_descriptor_t) == @sizeOf(message.PortDescriptor));
    assert(@sizeOf(c.migz1_mach_msg_ool_descriptor_t) == @sizeOf(message.OolDescriptor));
    assert(@sizeOf(c.migz1_mach_msg_ool_ports_descriptor_t) == @sizeOf(message.OolPortsDescriptor));
    assert(@sizeOf(c.migz1_NDR_record_t) == @sizeOf(message.NdrRecord));
    assert(@sizeOf(c.migz1_mach_msg_max_trailer_t) == @sizeOf(message.MaxTrailer));
    assert(c.MIGZ1_MAX_TRAILER_SIZE == message.max_trailer_size);
    assert(@offsetOf(c.migz1_mach_msg_max_trailer_t, "msgh_context") == @offsetOf(message.MaxTrailer, "context"));

    assert(c.MIGZ1_MACH_PORT_NULL == abi.port_null);
    assert(c.MIGZ1_MACH_PORT_DEAD == abi.port_dead);

    assert(c.MIGZ1_KERN_SUCCESS == abi.kern.success);
    assert(c.MIGZ1_KERN_INVALID_ADDRESS == abi.kern.invalid_address);
    assert(c.MIGZ1_KERN_NO_SPACE == abi.kern.no_space);
    assert(c.MIGZ1_KERN_INVALID_ARGUMENT == abi.kern.invalid_argument);
    assert(c.MIGZ1_KERN_FAILURE == abi.kern.failure);
    assert(c.MIGZ1_KERN_RESOURCE_SHORTAGE == abi.kern.resource_shortage);
    assert(c.MIGZ1_KERN_NOT_RECEIVER == abi.kern.not_receiver);
    assert(c.MIGZ1_KERN_ALREADY_IN_SET == abi.kern.already_in_set);
    assert(c.MIGZ1_KERN_NOT_IN_SET == abi.kern.not_in_set);
    assert(c.MIGZ1_KERN_NAME_EXISTS == abi.kern.name_exists);
    assert(c.MIGZ1_KERN_INVALID_NAME == abi.kern.invalid_name);
    assert(c.MIGZ1_KERN_INVALID_TASK == abi.kern.invalid_task);
    assert(c.MIGZ1_KERN_INVALID_RIGHT == abi.kern.invalid_right);
    assert(c.MIGZ1_KERN_INVALID_VALUE == abi.kern.invalid_value);
    assert(c.MIGZ1_KERN_UREFS_OVERFLOW == abi.kern.urefs_overflow);
    assert(c.MIGZ1_KERN_INVALID_CAPABILITY == abi.kern.invalid_capability);
    assert(c.MIGZ1_KERN_RIGHT_EXISTS == abi.kern.right_exists);

    const r = abi.msg_return;
    assert(c.MIGZ1_MACH_MSG_SUCCESS == r.success);
    assert(c.MIGZ1_MACH_MSG_IPC_SPACE == r.ipc_space);
    assert(c.MIGZ1_MACH_MSG_VM_SPACE == r.vm_space);
    assert(c.MIGZ1_MACH_SEND_INVALID_DATA == r.send_invalid_data);
    assert(c.MIGZ1_MACH_SEND_INVALID_DEST == r.send_invalid_dest);
    assert(c.MIGZ1_MACH_SEND_TIMED_OUT == r.send_timed_out);
    assert(c.MIGZ1_MACH_SEND_MSG_TOO_SMALL == r.send_msg_too_small);
    assert(c.MIGZ1_MACH_SEND_INVALID_REPLY == r.send_invalid_reply);
    assert(c.MIGZ1_MACH_SEND_INVALID_RIGHT == r.send_invalid_right);
    assert(c.MIGZ1_MACH_SEND_INVALID_MEMORY == r.send_invalid_memory);
    assert(c.MIGZ1_MACH_SEND_TOO_LARGE == r.send_too_large);
    assert(c.MIGZ1_MACH_SEND_INVALID_TYPE == r.send_invalid_type);
    assert(c.MIGZ1_MACH_SEND_INVALID_HEADER == r.send_invalid_header);
    assert(c.MIGZ1_MACH_SEND_INVALID_OPTIONS == r.send_invalid_options);
    assert(c.MIGZ1_MACH_RCV_INVALID_NAME == r.rcv_invalid_name);
    assert(c.MIGZ1_MACH_RCV_TIMED_OUT == r.rcv_timed_out);
    assert(c.MIGZ1_MACH_RCV_TOO_LARGE == r.rcv_too_large);
    assert(c.MIGZ1_MACH_RCV_INVALID_DATA == r.rcv_invalid_data);
    assert(c.MIGZ1_MACH_RCV_PORT_DIED == r.rcv_port_died);
    assert(c.MIGZ1_MACH_RCV_HEADER_ERROR == r.rcv_header_error);
    assert(c.MIGZ1_MACH_RCV_BODY_ERROR == r.rcv_body_error);
    assert(c.MIGZ1_MACH_RCV_INVALID_TRAILER == r.rcv_invalid_trailer);

    const o = abi.option;
    assert(c.MIGZ1_MACH_SEND_MSG == o.send_msg);
    assert(c.MIGZ1_MACH_RCV_MSG == o.rcv_msg);
    assert(c.MIGZ1_MACH_RCV_LARGE == o.rcv_large);
    assert(c.MIGZ1_MACH_SEND_TIMEOUT == o.send_timeout);
    assert(c.MIGZ1_MACH_SEND_INTERRUPT == o.send_interrupt);
    assert(c.MIGZ1_MACH_RCV_TIMEOUT == o.rcv_timeout);
    assert(c.MIGZ1_MACH_RCV_INTERRUPT == o.rcv_interrupt);
    assert(c.MIGZ1_MACH_MSG_TRAILER_FORMAT_0 == o.trailer_format_0);
    assert(c.MIGZ1_MACH_RCV_TRAILER_SEQNO == o.rcv_trailer_seqno);
    assert(c.MIGZ1_MACH_RCV_TRAILER_SENDER == o.rcv_trailer_sender);
    assert(c.MIGZ1_MACH_RCV_TRAILER_AUDIT == o.rcv_trailer_audit);
    assert(c.MIGZ1_MACH_RCV_TRAILER_CTX == o.rcv_trailer_ctx);
    assert(c.MIGZ1_MACH_RCV_TRAILER_AV == o.rcv_trailer_av);
    assert(c.MIGZ1_MACH_RCV_TRAILER_LABELS == o.rcv_trailer_labels);

    const d = abi.disposition;
    assert(c.MIGZ1_MACH_MSG_TYPE_MOVE_RECEIVE == d.move_receive);
    assert(c.MIGZ1_MACH_MSG_TYPE_MOVE_SEND == d.move_send);
    assert(c.MIGZ1_MACH_MSG_TYPE_MOVE_SEND_ONCE == d.move_send_once);
    assert(c.MIGZ1_MACH_MSG_TYPE_COPY_SEND == d.copy_send);
    assert(c.MIGZ1_MACH_MSG_TYPE_MAKE_SEND == d.make_send);
    assert(c.MIGZ1_MACH_MSG_TYPE_MAKE_SEND_ONCE == d.make_send_once);
    assert(c.MIGZ1_MACH_MSGH_BITS_COMPLEX == abi.msgh_bits_complex);

    assert(c.MIGZ1_MACH_MSG_PORT_DESCRIPTOR == abi.descriptor_type.port);
    assert(c.MIGZ1_MACH_MSG_OOL_DESCRIPTOR == abi.descriptor_type.ool);
    assert(c.MIGZ1_MACH_MSG_OOL_PORTS_DESCRIPTOR == abi.descriptor_type.ool_ports);
    assert(c.MIGZ1_MACH_MSG_OOL_VOLATILE_DESCRIPTOR == abi.descriptor_type.ool_volatile);
    assert(c.MIGZ1_MACH_MSG_PHYSICAL_COPY == abi.copy_option.physical);
    assert(c.MIGZ1_MACH_MSG_VIRTUAL_COPY == abi.copy_option.virtual);

    assert(c.MIGZ1_MACH_PORT_RIGHT_SEND == abi.port_right.send);
    assert(c.MIGZ1_MACH_PORT_RIGHT_RECEIVE == abi.port_right.receive);
    assert(c.MIGZ1_MACH_PORT_RIGHT_SEND_ONCE == abi.port_right.send_once);
    assert(c.MIGZ1_MACH_PORT_RIGHT_PORT_SET == abi.port_right.port_set);
    assert(c.MIGZ1_MACH_PORT_RIGHT_DEAD_NAME == abi.port_right.dead_name);
}

test "descriptor bytes agree with the header's word macros" {
    const d = abi.disposition;
    const word = struct {
        /// The descriptor's third 32-bit word, where the bit-fields live.
        fn of(descriptor: anytype) u32 {
            return std.mem.readInt(u32, std.mem.asBytes(descriptor)[8..12], .little);
        }
    }.of;

    const port: message.PortDescriptor = .{ .name = 0x103, .disposition = d.move_send_once };
    try std.testing.expectEqual(@as(u32, c.MIGZ1_PORT_DESCRIPTOR_WORD(d.move_send_once)), word(&port));

    const ool: message.OolDescriptor = .{ .address = 0x1000, .deallocate = 1, .copy = abi.copy_option.virtual, .size = 8 };
    try std.testing.expectEqual(@as(u32, c.MIGZ1_OOL_DESCRIPTOR_WORD(1, abi.copy_option.virtual)), word(&ool));

    const ports: message.OolPortsDescriptor = .{
        .address = 0x1000,
        .deallocate = 0,
        .copy = abi.copy_option.physical,
        .disposition = d.copy_send,
        .count = 2,
    };
    try std.testing.expectEqual(
        @as(u32, c.MIGZ1_OOL_PORTS_DESCRIPTOR_WORD(0, abi.copy_option.physical, d.copy_send)),
        word(&ports),
    );
}

/// See `transport.hostSelf`.
pub fn hostSelf() Port {
    return c.migz1_mach_host_self();
}

/// See `transport.taskGetSpecialPort`.
pub fn taskGetSpecialPort(task: Port, which: i32, port: *Port) KernReturn {
    return c.migz1_task_get_special_port(task, which, port);
}

/// See `transport.taskSetSpecialPort`.
pub fn taskSetSpecialPort(task: Port, which: i32, port: Port) KernReturn {
    return c.migz1_task_set_special_port(task, which, port);
}

/// See `transport.bootstrapLookUp`.
pub fn bootstrapLookUp(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return c.migz1_bootstrap_look_up(bp, name, sp);
}

/// See `transport.bootstrapCheckIn`.
pub fn bootstrapCheckIn(bp: Port, name: [*:0]const u8, sp: *Port) KernReturn {
    return c.migz1_bootstrap_check_in(bp, name, sp);
}

/// See `transport.bootstrapRegister`.
pub fn bootstrapRegister(bp: Port, name: [*:0]const u8, sp: Port) KernReturn {
    return c.migz1_bootstrap_register(bp, name, sp);
}
