//! The parts of Apple's stub semantics that every generated client and server shares:
//! what to do with the reply port and the request after a failed `mach_msg`. The server
//! loop is in `server.zig`.

const std = @import("std");
const migz = @import("migz.zig");

/// `MACH_NOTIFY_SEND_ONCE`: what arrives on a reply port whose send-once right died.
pub const notify_send_once_id: i32 = 0o107;

/// Whether a descriptor disposition is one a received port can carry.
pub fn isPortDisposition(disposition: u8) bool {
    return disposition == migz.disposition.move_receive or
        disposition == migz.disposition.move_send or
        disposition == migz.disposition.move_send_once;
}

/// Whether a `mach_msg` result comes from the send half.
pub fn isSendError(mr: migz.MsgReturn) bool {
    const code: u32 = @bitCast(mr);
    return code & 0xffff_c000 == 0x1000_0000;
}

/// What a client does with its MIG reply port after `mach_msg` failed, as Apple's stubs
/// do: errors that prove the request never left keep the port for the next call; after
/// any other error a reply may still arrive on it, so it is destroyed.
pub fn replyPortAfterError(reply_port: migz.Port, mr: migz.MsgReturn) void {
    switch (mr) {
        migz.msg_return.send_invalid_data, migz.msg_return.send_invalid_dest, migz.msg_return.send_invalid_header => migz.migPutReplyPort(reply_port),
        else => migz.migDeallocReplyPort(reply_port),
    }
}

/// The buffer a generated client sends its request from and receives the reply into: room
/// for the request, or for the reply and the largest trailer.
pub fn CallBuffer(comptime Request: type, comptime Reply: type) type {
    return extern union {
        request: Request,
        reply: Reply,
        room: [@max(@sizeOf(Request), @sizeOf(Reply) + migz.max_trailer_size)]u8,
    };
}

/// `ConsumeOnSendError`: which failed sends still consume the request's rights and memory.
pub const ConsumeMode = enum { none, timeout, any };

/// After a failed send, releases what the request would have moved, when the subsystem's
/// `ConsumeOnSendError` mode asks for it. Receive errors leave the request alone: it was
/// sent, so its rights are already gone.
pub fn consumeOnSendError(request: *migz.MachMsgHeader, mr: migz.MsgReturn, mode: ConsumeMode) void {
    if (!isSendError(mr)) return;
    const consume = switch (mode) {
        .none => false,
        .timeout => mr == migz.msg_return.send_timed_out,
        .any => true,
    };
    if (!consume) return;
    // The reply port is ours and stays; only what the request carries is released.
    request.local_port = migz.port_null;
    migz.msgDestroy(request);
}

test "send errors are told from receive errors" {
    try std.testing.expect(isSendError(migz.msg_return.send_timed_out));
    try std.testing.expect(!isSendError(migz.msg_return.rcv_timed_out));
    try std.testing.expect(!isSendError(migz.msg_return.success));
}

/// Writes into `out` a `mig_reply_error_t` answering `in` with `code`: the reply header
/// MIG's demux functions write (reply right moved back, id + 100) and the NDR label.
pub fn initReplyError(in: *const migz.MachMsgHeader, out: *migz.MachMsgHeader, code: migz.KernReturn) void {
    const err: *migz.MigReplyError = @ptrCast(@alignCast(out));
    err.* = .{
        .head = .{
            .bits = migz.msghBits(migz.msghBitsRemote(in.bits), 0),
            .size = @sizeOf(migz.MigReplyError),
            .remote_port = in.remote_port,
            .local_port = migz.port_null,
            .voucher_port = migz.port_null,
            .id = in.id +% 100,
        },
        .ndr = migz.ndr_record,
        .ret_code = code,
    };
}
