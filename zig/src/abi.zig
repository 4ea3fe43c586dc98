//! The numbers of the Mach ABI: port names, return codes, `mach_msg` options,
//! dispositions, descriptor types and header bits, with xnu's values
//! (`kern_return.h`, `message.h`, `port.h`, `mig_errors.h`). Both transports use
//! them unchanged; the local one asserts at compile time that `bridge/migz.h`
//! agrees.

const std = @import("std");
const assert = std.debug.assert;

/// `mach_port_name_t`: a name in a task's port space.
pub const Port = u32;
/// `MACH_PORT_NULL`: no port.
pub const port_null: Port = 0;
/// `MACH_PORT_DEAD`: the name a right takes once its port died.
pub const port_dead: Port = 0xffff_ffff;

/// `MACH_PORT_VALID`: whether `name` can denote a right (neither null nor dead).
pub fn portValid(name: Port) bool {
    return name != port_null and name != port_dead;
}

test portValid {
    try std.testing.expect(!portValid(port_null));
    try std.testing.expect(!portValid(port_dead));
    try std.testing.expect(portValid(0x103));
}

/// `kern_return_t`.
pub const KernReturn = i32;
/// `mach_msg_return_t`.
pub const MsgReturn = i32;

/// `kern_return_t` values (`mach/kern_return.h`).
pub const kern = struct {
    /// `KERN_SUCCESS`.
    pub const success: KernReturn = 0;
    /// `KERN_INVALID_ADDRESS`: the address is not valid in the task.
    pub const invalid_address: KernReturn = 1;
    /// `KERN_PROTECTION_FAILURE`.
    pub const protection_failure: KernReturn = 2;
    /// `KERN_NO_SPACE`: no room in the address space or the port name space.
    pub const no_space: KernReturn = 3;
    /// `KERN_INVALID_ARGUMENT`.
    pub const invalid_argument: KernReturn = 4;
    /// `KERN_FAILURE`.
    pub const failure: KernReturn = 5;
    /// `KERN_RESOURCE_SHORTAGE`.
    pub const resource_shortage: KernReturn = 6;
    /// `KERN_NOT_RECEIVER`: the task does not hold the receive right.
    pub const not_receiver: KernReturn = 7;
    /// `KERN_NO_ACCESS`.
    pub const no_access: KernReturn = 8;
    /// `KERN_ALREADY_IN_SET`.
    pub const already_in_set: KernReturn = 11;
    /// `KERN_NOT_IN_SET`.
    pub const not_in_set: KernReturn = 12;
    /// `KERN_NAME_EXISTS`.
    pub const name_exists: KernReturn = 13;
    /// `KERN_ABORTED`.
    pub const aborted: KernReturn = 14;
    /// `KERN_INVALID_NAME`: the name denotes no right.
    pub const invalid_name: KernReturn = 15;
    /// `KERN_INVALID_TASK`.
    pub const invalid_task: KernReturn = 16;
    /// `KERN_INVALID_RIGHT`: the name denotes a right, but not the one needed.
    pub const invalid_right: KernReturn = 17;
    /// `KERN_INVALID_VALUE`.
    pub const invalid_value: KernReturn = 18;
    /// `KERN_UREFS_OVERFLOW`.
    pub const urefs_overflow: KernReturn = 19;
    /// `KERN_INVALID_CAPABILITY`.
    pub const invalid_capability: KernReturn = 20;
    /// `KERN_RIGHT_EXISTS`.
    pub const right_exists: KernReturn = 21;
    /// `KERN_NOT_SUPPORTED`.
    pub const not_supported: KernReturn = 46;
    /// `KERN_OPERATION_TIMED_OUT`.
    pub const operation_timed_out: KernReturn = 49;
    /// `KERN_NOT_FOUND`.
    pub const not_found: KernReturn = 56;
};

/// MIG's own return codes (`mach/mig_errors.h`), all `KernReturn`.
pub const mig = struct {
    /// `MIG_TYPE_ERROR`: a descriptor or the complex bit is not what the routine expects.
    pub const type_error: KernReturn = -300;
    /// `MIG_REPLY_MISMATCH`: the reply's id is not the request's id plus 100.
    pub const reply_mismatch: KernReturn = -301;
    /// `MIG_REMOTE_ERROR`: the server answered with an error.
    pub const remote_error: KernReturn = -302;
    /// `MIG_BAD_ID`: the server does not know the routine.
    pub const bad_id: KernReturn = -303;
    /// `MIG_BAD_ARGUMENTS`: a size or a count is wrong.
    pub const bad_arguments: KernReturn = -304;
    /// `MIG_NO_REPLY`: the server routine will not reply (or replies later).
    pub const no_reply: KernReturn = -305;
    /// `MIG_EXCEPTION`.
    pub const exception: KernReturn = -306;
    /// `MIG_ARRAY_TOO_LARGE`: the caller's array is too small for the reply.
    pub const array_too_large: KernReturn = -307;
    /// `MIG_SERVER_DIED`: the reply port died before a reply came.
    pub const server_died: KernReturn = -308;
    /// `MIG_TRAILER_ERROR`: the received trailer is too short.
    pub const trailer_error: KernReturn = -309;
};

/// `mach_msg_return_t` values (`mach/message.h`).
pub const msg_return = struct {
    /// `MACH_MSG_SUCCESS`.
    pub const success: MsgReturn = 0;
    /// `MACH_MSG_MASK`: the bits that qualify an error with a resource shortage.
    pub const mask: MsgReturn = 0x0000_3e00;
    /// `MACH_MSG_IPC_SPACE`: no room in the IPC name space for another right.
    pub const ipc_space: MsgReturn = 0x0000_2000;
    /// `MACH_MSG_VM_SPACE`: no room in the address space for out-of-line memory.
    pub const vm_space: MsgReturn = 0x0000_1000;
    /// `MACH_MSG_IPC_KERNEL`.
    pub const ipc_kernel: MsgReturn = 0x0000_0800;
    /// `MACH_MSG_VM_KERNEL`.
    pub const vm_kernel: MsgReturn = 0x0000_0400;

    /// `MACH_SEND_IN_PROGRESS`.
    pub const send_in_progress: MsgReturn = 0x1000_0001;
    /// `MACH_SEND_INVALID_DATA`: bogus in-line data.
    pub const send_invalid_data: MsgReturn = 0x1000_0002;
    /// `MACH_SEND_INVALID_DEST`: bogus destination port.
    pub const send_invalid_dest: MsgReturn = 0x1000_0003;
    /// `MACH_SEND_TIMED_OUT`: the message was not sent before the timeout.
    pub const send_timed_out: MsgReturn = 0x1000_0004;
    /// `MACH_SEND_INVALID_VOUCHER`.
    pub const send_invalid_voucher: MsgReturn = 0x1000_0005;
    /// `MACH_SEND_INTERRUPTED`.
    pub const send_interrupted: MsgReturn = 0x1000_0007;
    /// `MACH_SEND_MSG_TOO_SMALL`: the data does not hold a whole message.
    pub const send_msg_too_small: MsgReturn = 0x1000_0008;
    /// `MACH_SEND_INVALID_REPLY`: bogus reply port.
    pub const send_invalid_reply: MsgReturn = 0x1000_0009;
    /// `MACH_SEND_INVALID_RIGHT`: bogus port right in the body.
    pub const send_invalid_right: MsgReturn = 0x1000_000a;
    /// `MACH_SEND_INVALID_NOTIFY`.
    pub const send_invalid_notify: MsgReturn = 0x1000_000b;
    /// `MACH_SEND_INVALID_MEMORY`: bogus out-of-line memory.
    pub const send_invalid_memory: MsgReturn = 0x1000_000c;
    /// `MACH_SEND_NO_BUFFER`.
    pub const send_no_buffer: MsgReturn = 0x1000_000d;
    /// `MACH_SEND_TOO_LARGE`.
    pub const send_too_large: MsgReturn = 0x1000_000e;
    /// `MACH_SEND_INVALID_TYPE`: bogus descriptor type.
    pub const send_invalid_type: MsgReturn = 0x1000_000f;
    /// `MACH_SEND_INVALID_HEADER`.
    pub const send_invalid_header: MsgReturn = 0x1000_0010;
    /// `MACH_SEND_INVALID_TRAILER`.
    pub const send_invalid_trailer: MsgReturn = 0x1000_0011;
    /// `MACH_SEND_INVALID_CONTEXT`.
    pub const send_invalid_context: MsgReturn = 0x1000_0012;
    /// `MACH_SEND_INVALID_OPTIONS`.
    pub const send_invalid_options: MsgReturn = 0x1000_0013;
    /// `MACH_SEND_NO_GRANT_DEST`.
    pub const send_no_grant_dest: MsgReturn = 0x1000_0016;
    /// `MACH_SEND_MSG_FILTERED`.
    pub const send_msg_filtered: MsgReturn = 0x1000_0017;

    /// `MACH_RCV_IN_PROGRESS`.
    pub const rcv_in_progress: MsgReturn = 0x1000_4001;
    /// `MACH_RCV_INVALID_NAME`: bogus receive port or port set.
    pub const rcv_invalid_name: MsgReturn = 0x1000_4002;
    /// `MACH_RCV_TIMED_OUT`: no message came within the timeout.
    pub const rcv_timed_out: MsgReturn = 0x1000_4003;
    /// `MACH_RCV_TOO_LARGE`: the buffer is too small for the message.
    pub const rcv_too_large: MsgReturn = 0x1000_4004;
    /// `MACH_RCV_INTERRUPTED`.
    pub const rcv_interrupted: MsgReturn = 0x1000_4005;
    /// `MACH_RCV_PORT_CHANGED`.
    pub const rcv_port_changed: MsgReturn = 0x1000_4006;
    /// `MACH_RCV_INVALID_NOTIFY`.
    pub const rcv_invalid_notify: MsgReturn = 0x1000_4007;
    /// `MACH_RCV_INVALID_DATA`: bogus receive buffer.
    pub const rcv_invalid_data: MsgReturn = 0x1000_4008;
    /// `MACH_RCV_PORT_DIED`: the port or set died during the receive.
    pub const rcv_port_died: MsgReturn = 0x1000_4009;
    /// `MACH_RCV_IN_SET`.
    pub const rcv_in_set: MsgReturn = 0x1000_400a;
    /// `MACH_RCV_HEADER_ERROR`.
    pub const rcv_header_error: MsgReturn = 0x1000_400b;
    /// `MACH_RCV_BODY_ERROR`.
    pub const rcv_body_error: MsgReturn = 0x1000_400c;
    /// `MACH_RCV_INVALID_TYPE`.
    pub const rcv_invalid_type: MsgReturn = 0x1000_400d;
    /// `MACH_RCV_SCATTER_SMALL`.
    pub const rcv_scatter_small: MsgReturn = 0x1000_400e;
    /// `MACH_RCV_INVALID_TRAILER`: trailer type or elements not supported.
    pub const rcv_invalid_trailer: MsgReturn = 0x1000_400f;
    /// `MACH_RCV_IN_PROGRESS_TIMED`.
    pub const rcv_in_progress_timed: MsgReturn = 0x1000_4011;
    /// `MACH_RCV_INVALID_REPLY`.
    pub const rcv_invalid_reply: MsgReturn = 0x1000_4012;
};

/// The C name of a return code (`"KERN_INVALID_NAME"`, `"MIG_BAD_ID"`,
/// `"MACH_SEND_TIMED_OUT"`), or null for a number that `kern`, `mig` and `msg_return` do
/// not name (a `MACH_MSG_*` resource bit or'ed into a code, a server's own code): for
/// logs and failing tests, where a bare number says little. The names are derived from the
/// constants above, so the two cannot disagree.
pub fn codeName(code: i32) ?[]const u8 {
    // Unrolled over some eighty constants, each name put in capitals at compile time.
    @setEvalBranchQuota(20_000);
    inline for (.{ .{ kern, "KERN_" }, .{ mig, "MIG_" }, .{ msg_return, "MACH_" } }) |group| {
        inline for (comptime std.meta.declarations(group[0])) |decl| {
            // The `MACH_MSG_*` masks and resource bits of `msg_return` are not codes.
            const is_code = group[0] != msg_return or
                comptime (std.mem.startsWith(u8, decl, "send_") or
                    std.mem.startsWith(u8, decl, "rcv_"));
            if (is_code and @field(group[0], decl) == code) {
                return group[1] ++ comptime upperCase(decl);
            }
        }
    }
    return null;
}

/// `name` in capitals, at compile time.
fn upperCase(comptime name: []const u8) *const [name.len]u8 {
    comptime {
        @setEvalBranchQuota(20_000);
        var buf: [name.len]u8 = undefined;
        for (name, 0..) |c, i| buf[i] = std.ascii.toUpper(c);
        const result = buf;
        return &result;
    }
}

test codeName {
    try std.testing.expectEqualStrings("KERN_SUCCESS", codeName(kern.success).?);
    try std.testing.expectEqualStrings("KERN_INVALID_NAME", codeName(kern.invalid_name).?);
    try std.testing.expectEqualStrings("KERN_NOT_FOUND", codeName(56).?);
    try std.testing.expectEqualStrings("MIG_BAD_ID", codeName(-303).?);
    try std.testing.expectEqualStrings("MIG_TRAILER_ERROR", codeName(mig.trailer_error).?);
    try std.testing.expectEqualStrings("MACH_SEND_TIMED_OUT", codeName(0x1000_0004).?);
    try std.testing.expectEqualStrings("MACH_RCV_TOO_LARGE", codeName(msg_return.rcv_too_large).?);
    try std.testing.expectEqual(null, codeName(msg_return.ipc_space));
    try std.testing.expectEqual(null, codeName(12345));
}

/// `mach_msg_option_t` bits and the trailer request macros (`mach/message.h`).
pub const option = struct {
    /// `MACH_MSG_OPTION_NONE`.
    pub const msg_option_none: i32 = 0;
    /// `MACH_SEND_MSG`.
    pub const send_msg: i32 = 0x1;
    /// `MACH_RCV_MSG`.
    pub const rcv_msg: i32 = 0x2;
    /// `MACH_RCV_LARGE`: a message too large for the buffer stays queued.
    pub const rcv_large: i32 = 0x4;
    /// `MACH_RCV_LARGE_IDENTITY`.
    pub const rcv_large_identity: i32 = 0x8;
    /// `MACH_SEND_TIMEOUT`: the timeout argument bounds the send.
    pub const send_timeout: i32 = 0x10;
    /// `MACH_SEND_OVERRIDE`.
    pub const send_override: i32 = 0x20;
    /// `MACH_SEND_INTERRUPT`: do not restart an interrupted send.
    pub const send_interrupt: i32 = 0x40;
    /// `MACH_SEND_NOTIFY`.
    pub const send_notify: i32 = 0x80;
    /// `MACH_RCV_TIMEOUT`: the timeout argument bounds the receive.
    pub const rcv_timeout: i32 = 0x100;
    /// `MACH_RCV_INTERRUPT`: do not restart an interrupted receive.
    pub const rcv_interrupt: i32 = 0x400;
    /// `MACH_RCV_VOUCHER`.
    pub const rcv_voucher: i32 = 0x800;
    /// `MACH_SEND_ALWAYS`: a kernel-only send that ignores the queue limit.
    pub const send_always: i32 = 0x10000;

    /// `MACH_MSG_TRAILER_FORMAT_0`.
    pub const trailer_format_0: u32 = 0;
    /// `MACH_RCV_TRAILER_NULL`: the 8-byte trailer header only.
    pub const rcv_trailer_null: u32 = 0;
    /// `MACH_RCV_TRAILER_SEQNO`: up to the sequence number.
    pub const rcv_trailer_seqno: u32 = 1;
    /// `MACH_RCV_TRAILER_SENDER`: up to the security token.
    pub const rcv_trailer_sender: u32 = 2;
    /// `MACH_RCV_TRAILER_AUDIT`: up to the audit token.
    pub const rcv_trailer_audit: u32 = 3;
    /// `MACH_RCV_TRAILER_CTX`: up to the port context.
    pub const rcv_trailer_ctx: u32 = 4;
    /// `MACH_RCV_TRAILER_AV`.
    pub const rcv_trailer_av: u32 = 5;
    /// `MACH_RCV_TRAILER_LABELS`.
    pub const rcv_trailer_labels: u32 = 6;

    /// `MACH_RCV_TRAILER_TYPE(x)`: asks for trailer format `x`.
    pub fn rcvTrailerType(x: u32) i32 {
        assert(x <= 0xf);
        return @bitCast(x << 28);
    }

    /// `MACH_RCV_TRAILER_ELEMENTS(x)`: asks for the trailer up to element `x`.
    pub fn rcvTrailerElements(x: u32) i32 {
        assert(x <= 0xf);
        return @bitCast(x << 24);
    }
};

test "option: trailer requests" {
    try std.testing.expectEqual(@as(i32, 0x0300_0000), option.rcvTrailerElements(option.rcv_trailer_audit));
    try std.testing.expectEqual(@as(i32, 0), option.rcvTrailerType(option.trailer_format_0));
    try std.testing.expectEqual(@as(i32, @bitCast(@as(u32, 0xf000_0000))), option.rcvTrailerType(0xf));
}

/// `mach_port_right_t`: the right `portAllocate` and `portModRefs` act on.
pub const port_right = struct {
    /// `MACH_PORT_RIGHT_SEND`.
    pub const send: u32 = 0;
    /// `MACH_PORT_RIGHT_RECEIVE`.
    pub const receive: u32 = 1;
    /// `MACH_PORT_RIGHT_SEND_ONCE`.
    pub const send_once: u32 = 2;
    /// `MACH_PORT_RIGHT_PORT_SET`.
    pub const port_set: u32 = 3;
    /// `MACH_PORT_RIGHT_DEAD_NAME`.
    pub const dead_name: u32 = 4;
};

/// `mach_msg_type_name_t`: what a message does with a right (`MACH_MSG_TYPE_*`).
pub const disposition = struct {
    /// `MACH_MSG_TYPE_PORT_NONE`.
    pub const none: u32 = 0;
    /// `MACH_MSG_TYPE_PORT_NAME`: a plain name, no right.
    pub const port_name: u32 = 15;
    /// `MACH_MSG_TYPE_MOVE_RECEIVE`; also how a receive right arrives.
    pub const move_receive: u32 = 16;
    /// `MACH_MSG_TYPE_MOVE_SEND`; also how a send right arrives.
    pub const move_send: u32 = 17;
    /// `MACH_MSG_TYPE_MOVE_SEND_ONCE`; also how a send-once right arrives.
    pub const move_send_once: u32 = 18;
    /// `MACH_MSG_TYPE_COPY_SEND`.
    pub const copy_send: u32 = 19;
    /// `MACH_MSG_TYPE_MAKE_SEND`.
    pub const make_send: u32 = 20;
    /// `MACH_MSG_TYPE_MAKE_SEND_ONCE`.
    pub const make_send_once: u32 = 21;
    /// `MACH_MSG_TYPE_COPY_RECEIVE` (not valid in messages).
    pub const copy_receive: u32 = 22;
    /// `MACH_MSG_TYPE_POLYMORPHIC`: the disposition travels in a separate argument.
    pub const polymorphic: u32 = 0xffff_ffff;
};

/// `mach_msg_descriptor_type_t`: the `type` byte of a descriptor.
pub const descriptor_type = struct {
    /// `MACH_MSG_PORT_DESCRIPTOR`.
    pub const port: u8 = 0;
    /// `MACH_MSG_OOL_DESCRIPTOR`.
    pub const ool: u8 = 1;
    /// `MACH_MSG_OOL_PORTS_DESCRIPTOR`.
    pub const ool_ports: u8 = 2;
    /// `MACH_MSG_OOL_VOLATILE_DESCRIPTOR`.
    pub const ool_volatile: u8 = 3;
    /// `MACH_MSG_GUARDED_PORT_DESCRIPTOR`.
    pub const guarded_port: u8 = 4;
};

/// `mach_msg_copy_options_t`: how out-of-line memory travels.
pub const copy_option = struct {
    /// `MACH_MSG_PHYSICAL_COPY`.
    pub const physical: u8 = 0;
    /// `MACH_MSG_VIRTUAL_COPY`.
    pub const virtual: u8 = 1;
};

/// `MACH_MSGH_BITS_COMPLEX`: the message has a body with descriptors.
pub const msgh_bits_complex: u32 = 0x8000_0000;
/// `MACH_MSGH_BITS_REMOTE_MASK`.
pub const msgh_bits_remote_mask: u32 = 0x0000_001f;
/// `MACH_MSGH_BITS_LOCAL_MASK`.
pub const msgh_bits_local_mask: u32 = 0x0000_1f00;
/// `MACH_MSGH_BITS_VOUCHER_MASK`.
pub const msgh_bits_voucher_mask: u32 = 0x001f_0000;

/// `MACH_MSGH_BITS(remote, local)`: the header bits of a simple message.
pub fn msghBits(remote: u32, local: u32) u32 {
    assert(remote <= 0x1f);
    assert(local <= 0x1f);
    return remote | (local << 8);
}

/// `MACH_MSGH_BITS_SET(remote, local, voucher, other)`.
pub fn msghBitsSet(remote: u32, local: u32, voucher: u32, other: u32) u32 {
    assert(voucher <= 0x1f);
    assert(other & (msgh_bits_remote_mask | msgh_bits_local_mask | msgh_bits_voucher_mask) == 0);
    return msghBits(remote, local) | (voucher << 16) | other;
}

/// `MACH_MSGH_BITS_REMOTE(bits)`: the disposition of `remote_port`.
pub fn msghBitsRemote(bits: u32) u32 {
    return bits & msgh_bits_remote_mask;
}

/// `MACH_MSGH_BITS_LOCAL(bits)`: the disposition of `local_port`.
pub fn msghBitsLocal(bits: u32) u32 {
    return (bits & msgh_bits_local_mask) >> 8;
}

/// `MACH_MSGH_BITS_VOUCHER(bits)`: the disposition of `voucher_port`.
pub fn msghBitsVoucher(bits: u32) u32 {
    return (bits & msgh_bits_voucher_mask) >> 16;
}

test msghBits {
    const bits = msghBits(disposition.copy_send, disposition.make_send_once);
    try std.testing.expectEqual(@as(u32, 0x1513), bits);
    try std.testing.expectEqual(disposition.copy_send, msghBitsRemote(bits));
    try std.testing.expectEqual(disposition.make_send_once, msghBitsLocal(bits));
    try std.testing.expectEqual(@as(u32, 0), msghBitsVoucher(bits));

    const complex = msghBits(disposition.move_send_once, 0) | msgh_bits_complex;
    try std.testing.expectEqual(@as(u32, 0x8000_0012), complex);
    try std.testing.expectEqual(disposition.move_send_once, msghBitsRemote(complex));
    try std.testing.expectEqual(@as(u32, 0), msghBitsLocal(complex));
}

test msghBitsSet {
    const bits = msghBitsSet(disposition.copy_send, 0, disposition.copy_send, msgh_bits_complex);
    try std.testing.expectEqual(@as(u32, 0x8013_0013), bits);
    try std.testing.expectEqual(disposition.copy_send, msghBitsVoucher(bits));
}

/// `mach_port_right_t` as an enum, for the idiomatic API (`.receive`): the right a call
/// such as `mach_port_allocate` or `mach_port_mod_refs` acts on. Non-exhaustive, so a
/// value this enum does not name still passes through unchanged.
pub const PortRight = enum(u32) {
    /// `MACH_PORT_RIGHT_SEND`.
    send = port_right.send,
    /// `MACH_PORT_RIGHT_RECEIVE`.
    receive = port_right.receive,
    /// `MACH_PORT_RIGHT_SEND_ONCE`.
    send_once = port_right.send_once,
    /// `MACH_PORT_RIGHT_PORT_SET`.
    port_set = port_right.port_set,
    /// `MACH_PORT_RIGHT_DEAD_NAME`.
    dead_name = port_right.dead_name,
    _,
};

/// `mach_msg_type_name_t` as an enum, for the idiomatic API (`.make_send`): what a
/// message does with a right. Non-exhaustive, like `PortRight`.
pub const Disposition = enum(u32) {
    /// `MACH_MSG_TYPE_PORT_NONE`.
    none = disposition.none,
    /// `MACH_MSG_TYPE_PORT_NAME`.
    port_name = disposition.port_name,
    /// `MACH_MSG_TYPE_MOVE_RECEIVE`.
    move_receive = disposition.move_receive,
    /// `MACH_MSG_TYPE_MOVE_SEND`.
    move_send = disposition.move_send,
    /// `MACH_MSG_TYPE_MOVE_SEND_ONCE`.
    move_send_once = disposition.move_send_once,
    /// `MACH_MSG_TYPE_COPY_SEND`.
    copy_send = disposition.copy_send,
    /// `MACH_MSG_TYPE_MAKE_SEND`.
    make_send = disposition.make_send,
    /// `MACH_MSG_TYPE_MAKE_SEND_ONCE`.
    make_send_once = disposition.make_send_once,
    /// `MACH_MSG_TYPE_COPY_RECEIVE`.
    copy_receive = disposition.copy_receive,
    _,
};

test "the enums carry the C values" {
    try std.testing.expectEqual(port_right.receive, @backingInt(PortRight.receive));
    try std.testing.expectEqual(@as(u32, 20), @backingInt(Disposition.make_send));
    try std.testing.expectEqual(@as(u32, 7), @backingInt(@as(PortRight, @fromBackingInt(@intCast(7)))));
}
