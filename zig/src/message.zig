//! The wire types of Mach messages, with the xnu LP64 layout Apple's MIG packs to
//! four bytes (`#pragma pack(4)`), and `msgDestroy`/`msgDestroyReceived`, which release
//! what a message carries. Sizes and offsets are asserted next to each type.

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const transport = @import("transport.zig");

const Port = abi.Port;
const KernReturn = abi.KernReturn;

/// `mach_msg_header_t`.
pub const MachMsgHeader = extern struct {
    /// `msgh_bits`: dispositions of the header ports and the complex bit.
    bits: u32,
    /// `msgh_size`: the message size in bytes, trailer excluded.
    size: u32,
    /// `msgh_remote_port`: the destination when sending, the reply port once received.
    remote_port: Port,
    /// `msgh_local_port`: the reply port when sending, the destination once received.
    local_port: Port,
    /// `msgh_voucher_port`.
    voucher_port: Port,
    /// `msgh_id`: the routine's message id.
    id: i32,

    comptime {
        assert(@sizeOf(MachMsgHeader) == 24);
        assert(@alignOf(MachMsgHeader) == 4);
        assert(@offsetOf(MachMsgHeader, "size") == 4);
        assert(@offsetOf(MachMsgHeader, "remote_port") == 8);
        assert(@offsetOf(MachMsgHeader, "local_port") == 12);
        assert(@offsetOf(MachMsgHeader, "voucher_port") == 16);
        assert(@offsetOf(MachMsgHeader, "id") == 20);
    }
};

/// `mach_msg_body_t`: follows the header of a complex message.
pub const MsgBody = extern struct {
    /// `msgh_descriptor_count`.
    descriptor_count: u32,

    comptime {
        assert(@sizeOf(MsgBody) == 4);
    }
};

/// `mach_msg_port_descriptor_t`: one right carried in the body.
pub const PortDescriptor = extern struct {
    /// The name of the right (in the sender's space when sent, the receiver's once received).
    name: Port,
    /// Always zero.
    pad1: u32 = 0,
    /// Always zero.
    pad2: u16 = 0,
    /// A `disposition` constant.
    disposition: u8,
    /// `descriptor_type.port`.
    type: u8 = abi.descriptor_type.port,

    comptime {
        assert(@sizeOf(PortDescriptor) == 12);
        assert(@alignOf(PortDescriptor) == 4);
        assert(@offsetOf(PortDescriptor, "pad2") == 8);
        assert(@offsetOf(PortDescriptor, "disposition") == 10);
        assert(@offsetOf(PortDescriptor, "type") == 11);
    }
};

/// `mach_msg_ool_descriptor_t` (LP64): out-of-line memory.
pub const OolDescriptor = extern struct {
    /// The region's address.
    address: u64 align(4),
    /// Non-zero: the sender gives the region away.
    deallocate: u8,
    /// A `copy_option` constant.
    copy: u8,
    /// Always zero.
    pad1: u8 = 0,
    /// `descriptor_type.ool` or `descriptor_type.ool_volatile`.
    type: u8 = abi.descriptor_type.ool,
    /// The region's size in bytes.
    size: u32,

    comptime {
        assert(@sizeOf(OolDescriptor) == 16);
        assert(@alignOf(OolDescriptor) == 4);
        assert(@offsetOf(OolDescriptor, "deallocate") == 8);
        assert(@offsetOf(OolDescriptor, "copy") == 9);
        assert(@offsetOf(OolDescriptor, "type") == 11);
        assert(@offsetOf(OolDescriptor, "size") == 12);
    }
};

/// `mach_msg_ool_ports_descriptor_t` (LP64): an out-of-line array of rights.
pub const OolPortsDescriptor = extern struct {
    /// The address of `count` names.
    address: u64 align(4),
    /// Non-zero: the sender gives the array's memory away.
    deallocate: u8,
    /// A `copy_option` constant.
    copy: u8,
    /// The disposition of every right in the array.
    disposition: u8,
    /// `descriptor_type.ool_ports`.
    type: u8 = abi.descriptor_type.ool_ports,
    /// The number of names.
    count: u32,

    comptime {
        assert(@sizeOf(OolPortsDescriptor) == 16);
        assert(@alignOf(OolPortsDescriptor) == 4);
        assert(@offsetOf(OolPortsDescriptor, "disposition") == 10);
        assert(@offsetOf(OolPortsDescriptor, "type") == 11);
        assert(@offsetOf(OolPortsDescriptor, "count") == 12);
    }
};

/// `mach_msg_guarded_port_descriptor_t` (LP64): a receive right with a guard.
pub const GuardedPortDescriptor = extern struct {
    /// The guard value.
    context: u64 align(4),
    /// `MACH_MSG_GUARD_FLAGS_*`.
    flags: u16,
    /// A `disposition` constant.
    disposition: u8,
    /// `descriptor_type.guarded_port`.
    type: u8 = abi.descriptor_type.guarded_port,
    /// The name of the right.
    name: Port,

    comptime {
        assert(@sizeOf(GuardedPortDescriptor) == 16);
        assert(@offsetOf(GuardedPortDescriptor, "type") == 11);
        assert(@offsetOf(GuardedPortDescriptor, "name") == 12);
    }
};

/// The offset of the `type` byte, the same in every descriptor kind.
const descriptor_type_offset = 11;

/// `NDR_record_t`: the data representation of the sender, after the descriptors.
pub const NdrRecord = extern struct {
    /// `mig_vers`.
    mig_vers: u8,
    /// `if_vers`.
    if_vers: u8,
    /// `reserved1`.
    reserved1: u8,
    /// `mig_encoding`.
    mig_encoding: u8,
    /// `int_rep`: 1 is little-endian.
    int_rep: u8,
    /// `char_rep`: 0 is ASCII.
    char_rep: u8,
    /// `float_rep`: 0 is IEEE.
    float_rep: u8,
    /// `reserved2`.
    reserved2: u8,

    comptime {
        assert(@sizeOf(NdrRecord) == 8);
        assert(@alignOf(NdrRecord) == 1);
    }
};

/// xnu's `NDR_record` on a little-endian machine: every message migz sends carries it.
pub const ndr_record: NdrRecord = .{
    .mig_vers = 0,
    .if_vers = 0,
    .reserved1 = 0,
    .mig_encoding = 0,
    .int_rep = 1,
    .char_rep = 0,
    .float_rep = 0,
    .reserved2 = 0,
};

comptime {
    // migz only speaks the little-endian wire format (aarch64 and x86_64).
    assert(@import("builtin").cpu.arch.endian() == .little);
}

/// `mig_reply_error_t`: the reply that carries only a return code.
pub const MigReplyError = extern struct {
    /// The reply header.
    head: MachMsgHeader,
    /// `NDR`.
    ndr: NdrRecord,
    /// `RetCode`.
    ret_code: KernReturn,

    comptime {
        assert(@sizeOf(MigReplyError) == 36);
        assert(@offsetOf(MigReplyError, "ndr") == 24);
        assert(@offsetOf(MigReplyError, "ret_code") == 32);
    }
};

/// `security_token_t`: the sender's uid and gid.
pub const SecurityToken = extern struct {
    /// `val`.
    val: [2]u32,

    comptime {
        assert(@sizeOf(SecurityToken) == 8);
    }
};

/// `audit_token_t`.
pub const AuditToken = extern struct {
    /// `val`.
    val: [8]u32,

    comptime {
        assert(@sizeOf(AuditToken) == 32);
    }
};

/// `mach_msg_trailer_t`: the part of every trailer that says its format and size.
pub const TrailerHeader = extern struct {
    /// `msgh_trailer_type`: `option.trailer_format_0`.
    type: u32,
    /// `msgh_trailer_size`: how many bytes of trailer the receive wrote.
    size: u32,

    comptime {
        assert(@sizeOf(TrailerHeader) == 8);
    }
};

/// `mach_msg_format_0_trailer_t`.
pub const Format0Trailer = extern struct {
    /// `msgh_trailer_type`.
    type: u32,
    /// `msgh_trailer_size`.
    size: u32,
    /// `msgh_seqno`.
    seqno: u32,
    /// `msgh_sender`.
    sender: SecurityToken,

    comptime {
        assert(@sizeOf(Format0Trailer) == 20);
    }
};

/// `mach_msg_max_trailer_t`: every element a receive can ask for.
pub const MaxTrailer = extern struct {
    /// `msgh_trailer_type`.
    type: u32,
    /// `msgh_trailer_size`: only the elements up to this size were written.
    size: u32,
    /// `msgh_seqno`.
    seqno: u32,
    /// `msgh_sender`.
    sender: SecurityToken,
    /// `msgh_audit`.
    audit: AuditToken,
    /// `msgh_context`: the receive right's context.
    context: u64 align(4),
    /// `msgh_ad`.
    ad: i32,
    /// `msgh_labels`.
    labels: u32,

    comptime {
        assert(@sizeOf(MaxTrailer) == max_trailer_size);
        assert(@alignOf(MaxTrailer) == 4);
        assert(@offsetOf(MaxTrailer, "seqno") == 8);
        assert(@offsetOf(MaxTrailer, "sender") == 12);
        assert(@offsetOf(MaxTrailer, "audit") == 20);
        assert(@offsetOf(MaxTrailer, "context") == 52);
        assert(@offsetOf(MaxTrailer, "ad") == 60);
        assert(@offsetOf(MaxTrailer, "labels") == 64);
    }
};

/// `MAX_TRAILER_SIZE`: the room a receive buffer leaves after the largest message.
pub const max_trailer_size = 68;

/// The trailer size a receive writes for `option.rcvTrailerElements(elements)`.
pub fn trailerSize(elements: u32) u32 {
    return switch (elements) {
        abi.option.rcv_trailer_null => @sizeOf(TrailerHeader),
        abi.option.rcv_trailer_seqno => @offsetOf(MaxTrailer, "sender"),
        abi.option.rcv_trailer_sender => @offsetOf(MaxTrailer, "audit"),
        abi.option.rcv_trailer_audit => @offsetOf(MaxTrailer, "context"),
        abi.option.rcv_trailer_ctx => @offsetOf(MaxTrailer, "ad"),
        abi.option.rcv_trailer_av => @offsetOf(MaxTrailer, "labels"),
        abi.option.rcv_trailer_labels => max_trailer_size,
        else => unreachable, // xnu defines no trailer element past the labels.
    };
}

test "wire layouts match xnu LP64" {
    try std.testing.expectEqual(24, @sizeOf(MachMsgHeader));
    try std.testing.expectEqual(4, @sizeOf(MsgBody));
    try std.testing.expectEqual(12, @sizeOf(PortDescriptor));
    try std.testing.expectEqual(16, @sizeOf(OolDescriptor));
    try std.testing.expectEqual(4, @alignOf(OolDescriptor));
    try std.testing.expectEqual(16, @sizeOf(OolPortsDescriptor));
    try std.testing.expectEqual(4, @alignOf(OolPortsDescriptor));
    try std.testing.expectEqual(8, @sizeOf(NdrRecord));
    try std.testing.expectEqual(36, @sizeOf(MigReplyError));
    try std.testing.expectEqual(68, @sizeOf(MaxTrailer));
    try std.testing.expectEqual(52, trailerSize(abi.option.rcv_trailer_audit));
    try std.testing.expectEqual(8, trailerSize(abi.option.rcv_trailer_null));

    // The descriptor bytes in the order xnu's little-endian bit-fields give them.
    const port: PortDescriptor = .{ .name = 0x1234, .disposition = abi.disposition.move_send };
    try std.testing.expectEqualSlices(
        u8,
        &.{ 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0 },
        std.mem.asBytes(&port),
    );
    const ool: OolDescriptor = .{
        .address = 0x1122_3344_5566_7788,
        .deallocate = 1,
        .copy = abi.copy_option.virtual,
        .size = 0x100,
    };
    try std.testing.expectEqualSlices(
        u8,
        &.{ 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 1, 1, 0, 1, 0, 1, 0, 0 },
        std.mem.asBytes(&ool),
    );
    try std.testing.expectEqualSlices(u8, &.{ 0, 0, 0, 0, 1, 0, 0, 0 }, std.mem.asBytes(&ndr_record));
}

/// Releases a right the way `mach_msg_destroy` does, by the disposition it has in a message.
/// Releases the reply right a received request brought (`remote_port`, by its
/// disposition), for a request that gets no reply: a simpleroutine's.
pub fn destroyReplyRight(msg: *const MachMsgHeader) void {
    destroyPort(msg.remote_port, abi.msghBitsRemote(msg.bits));
}

fn destroyPort(name: Port, disp: u32) void {
    if (!abi.portValid(name)) return;
    // The results are ignored as mach_msg_destroy ignores them: the right may already be
    // gone (a dead name deallocated by someone else), and there is nobody to tell.
    switch (disp) {
        abi.disposition.move_send, abi.disposition.move_send_once => {
            _ = transport.portDeallocate(name);
        },
        abi.disposition.move_receive => {
            _ = transport.portModRefs(name, abi.port_right.receive, -1);
        },
        abi.disposition.make_send => {
            // A message that was never sent: make the send right, then destroy it.
            _ = transport.portInsertRight(name, name, abi.disposition.make_send);
            _ = transport.portDeallocate(name);
        },
        abi.disposition.make_send_once => {
            var once: Port = abi.port_null;
            var once_disposition: u32 = 0;
            const kr = transport.portExtractRight(name, abi.disposition.make_send_once, &once, &once_disposition);
            if (kr == abi.kern.success) _ = transport.portDeallocate(once);
        },
        else => {}, // Copy dispositions and plain names hold no right of the message.
    }
}

/// Releases every right and every out-of-line region a message holds, like
/// `mach_msg_destroy`: the reply right in `remote_port` (and the voucher), by the
/// dispositions in `bits`, and, in a complex message, each descriptor's right, port
/// array (each right, and the array's memory when `deallocate` is set) and out-of-line
/// region (when `deallocate` is set). This is for a message that was built and not
/// sent, whose regions without `deallocate` belong to their owner; for a received one,
/// use `msgDestroyReceived`.
///
/// `local_port` is left alone, as xnu leaves it: in a received message it names the
/// port the message arrived on, and the message holds no right to it.
///
/// The message must be well formed (one the kernel or the emulation delivered, or one
/// built by generated code): its descriptors must lie within `size`.
pub fn msgDestroy(msg: *MachMsgHeader) void {
    destroy(msg, false);
}

/// `msgDestroy` for a received message, whose out-of-line regions all belong to the
/// receiver: each is freed whatever its `deallocate` says. A receive sets `deallocate`
/// only in regions that came by virtual copy (xnu's rule, which the emulation follows),
/// so `mach_msg_destroy` leaves a physically copied region behind; this does not.
pub fn msgDestroyReceived(msg: *MachMsgHeader) void {
    destroy(msg, true);
}

fn destroy(msg: *MachMsgHeader, received: bool) void {
    destroyPort(msg.remote_port, abi.msghBitsRemote(msg.bits));
    destroyPort(msg.voucher_port, abi.msghBitsVoucher(msg.bits));
    if (msg.bits & abi.msgh_bits_complex == 0) return;

    const bytes: [*]u8 = @ptrCast(msg);
    assert(msg.size >= @sizeOf(MachMsgHeader) + @sizeOf(MsgBody));
    const body: *const MsgBody = @ptrCast(@alignCast(bytes + @sizeOf(MachMsgHeader)));
    var offset: usize = @sizeOf(MachMsgHeader) + @sizeOf(MsgBody);
    for (0..body.descriptor_count) |_| {
        assert(offset + @sizeOf(PortDescriptor) <= msg.size);
        const at = bytes + offset;
        switch (at[descriptor_type_offset]) {
            abi.descriptor_type.port => {
                const d: *const PortDescriptor = @ptrCast(@alignCast(at));
                destroyPort(d.name, d.disposition);
                offset += @sizeOf(PortDescriptor);
            },
            abi.descriptor_type.ool, abi.descriptor_type.ool_volatile => {
                assert(offset + @sizeOf(OolDescriptor) <= msg.size);
                const d: *const OolDescriptor = @ptrCast(@alignCast(at));
                if ((received or d.deallocate != 0) and d.size != 0) _ = transport.vmDeallocate(d.address, d.size);
                offset += @sizeOf(OolDescriptor);
            },
            abi.descriptor_type.ool_ports => {
                assert(offset + @sizeOf(OolPortsDescriptor) <= msg.size);
                const d: *const OolPortsDescriptor = @ptrCast(@alignCast(at));
                if (d.count != 0) {
                    assert(d.address != 0);
                    const names: [*]const Port = @ptrFromInt(@as(usize, @intCast(d.address)));
                    for (names[0..d.count]) |name| destroyPort(name, d.disposition);
                    if (received or d.deallocate != 0) _ = transport.vmDeallocate(d.address, @as(u64, d.count) * @sizeOf(Port));
                }
                offset += @sizeOf(OolPortsDescriptor);
            },
            abi.descriptor_type.guarded_port => {
                assert(offset + @sizeOf(GuardedPortDescriptor) <= msg.size);
                const d: *const GuardedPortDescriptor = @ptrCast(@alignCast(at));
                destroyPort(d.name, d.disposition);
                offset += @sizeOf(GuardedPortDescriptor);
            },
            // The size of an unknown descriptor is unknown: the rest cannot be walked.
            else => return,
        }
    }
}

test "local round trip: a simple message to yourself, then msgDestroy of a complex one" {
    const testing = @import("testing.zig");
    const ReceiveRight = @import("rights.zig").ReceiveRight;
    const expectEqual = std.testing.expectEqual;
    const d = abi.disposition;
    const o = abi.option;
    const ok = abi.msg_return.success;

    const task = try testing.begin();
    defer task.end();
    {
        const service = try ReceiveRight.allocate();
        defer service.deinit();
        const send = try service.makeSend();
        defer send.deinit();

        // A simple message with a value, to the port's own send right.
        const Simple = extern struct { head: MachMsgHeader, ndr: NdrRecord, value: u32 };
        var simple: Simple = .{
            .head = .{
                .bits = abi.msghBits(d.copy_send, 0),
                .size = @sizeOf(Simple),
                .remote_port = send.name,
                .local_port = abi.port_null,
                .voucher_port = abi.port_null,
                .id = 4242,
            },
            .ndr = ndr_record,
            .value = 0xfeed_f00d,
        };
        try expectEqual(ok, transport.machMsg(&simple.head, o.send_msg, simple.head.size, 0, abi.port_null, 0, abi.port_null));

        var buf: [128 + max_trailer_size]u8 align(8) = undefined;
        const head: *MachMsgHeader = @ptrCast(&buf);
        const rcv_options = o.rcv_msg | o.rcv_timeout | o.rcvTrailerElements(o.rcv_trailer_audit);
        try expectEqual(ok, transport.machMsg(head, rcv_options, 0, buf.len, service.name, 0, abi.port_null));
        try expectEqual(@as(u32, @sizeOf(Simple)), head.size);
        try expectEqual(@as(i32, 4242), head.id);
        try expectEqual(service.name, head.local_port);
        try expectEqual(abi.port_null, head.remote_port);
        try expectEqual(d.move_send, abi.msghBitsLocal(head.bits));
        try expectEqual(@as(u32, 0), abi.msghBitsRemote(head.bits));
        try expectEqual(@as(u32, 0xfeed_f00d), @as(*const Simple, @ptrCast(head)).value);
        try std.testing.expectEqualSlices(u8, std.mem.asBytes(&ndr_record), buf[24..32]);
        const trailer: *const MaxTrailer = @ptrCast(@alignCast(buf[head.size..].ptr));
        try expectEqual(abi.option.trailer_format_0, trailer.type);
        try expectEqual(trailerSize(o.rcv_trailer_audit), trailer.size);
        try expectEqual(@as(u32, 0), trailer.seqno);

        // A complex message with a reply right, a port, an out-of-line region and an
        // out-of-line port array, and a receive right: msgDestroy must release all of it.
        const reply = try ReceiveRight.allocate();
        defer reply.deinit();
        const carried = try ReceiveRight.allocate();
        defer carried.deinit();
        // Moved into the message: msgDestroy destroys it.
        const moved = try ReceiveRight.allocate();
        const region_size = 2 * 4096;
        const region = try transport.vmAllocate(region_size);
        region[0] = 7;
        var names = [_]abi.Port{ carried.name, carried.name };

        const Complex = extern struct {
            head: MachMsgHeader,
            body: MsgBody,
            port: PortDescriptor,
            receive: PortDescriptor,
            ool: OolDescriptor,
            ports: OolPortsDescriptor,
        };
        var complex: Complex = .{
            .head = .{
                .bits = abi.msghBits(d.copy_send, d.make_send_once) | abi.msgh_bits_complex,
                .size = @sizeOf(Complex),
                .remote_port = send.name,
                .local_port = reply.name,
                .voucher_port = abi.port_null,
                .id = 4243,
            },
            .body = .{ .descriptor_count = 4 },
            .port = .{ .name = carried.name, .disposition = d.make_send },
            .receive = .{ .name = moved.name, .disposition = d.move_receive },
            .ool = .{
                .address = @intFromPtr(region),
                .deallocate = 1,
                .copy = abi.copy_option.virtual,
                .size = region_size,
            },
            .ports = .{
                .address = @intFromPtr(&names),
                .deallocate = 0,
                .copy = abi.copy_option.virtual,
                .disposition = d.make_send,
                .count = names.len,
            },
        };
        try expectEqual(ok, transport.machMsg(&complex.head, o.send_msg, complex.head.size, 0, abi.port_null, 0, abi.port_null));
        try expectEqual(ok, transport.machMsg(head, rcv_options, 0, buf.len, service.name, 0, abi.port_null));

        const got: *Complex = @ptrCast(head);
        try expectEqual(@as(u32, @sizeOf(Complex)), head.size);
        try expectEqual(d.move_send_once, abi.msghBitsRemote(head.bits));
        try std.testing.expect(abi.portValid(head.remote_port));
        try std.testing.expect(head.remote_port != reply.name);
        try expectEqual(carried.name, got.port.name);
        try expectEqual(@as(u8, @intCast(d.move_send)), got.port.disposition);
        try expectEqual(@as(u8, @intCast(d.move_receive)), got.receive.disposition);
        try expectEqual(@as(u8, 1), got.ool.deallocate);
        const received: [*]const u8 = @ptrFromInt(@as(usize, @intCast(got.ool.address)));
        try expectEqual(@as(u8, 7), received[0]);
        try expectEqual(@as(u32, 2), got.ports.count);
        const received_names: [*]const abi.Port = @ptrFromInt(@as(usize, @intCast(got.ports.address)));
        try expectEqual(carried.name, received_names[1]);
        // The moved region and the new port array belong to this task now.
        try expectEqual(@as(u32, 2), task.leaks().regions);

        msgDestroy(head);
        try expectEqual(@as(u32, 0), task.leaks().regions);
    }
    // Had msgDestroy missed the reply right, a carried send right or the moved receive
    // right, a name (and for the receive right, a port) would remain.
    try task.expectNoLeaks();
}
