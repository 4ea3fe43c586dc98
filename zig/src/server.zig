//! The server loop, as libSystem's `mach_msg_server_once`/`mach_msg_server` run it:
//! receive a request, let a MIG demux function answer it, destroy a failed request,
//! and send the reply.

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const codec = @import("codec.zig");
const message = @import("message.zig");
const stubs = @import("stubs.zig");
const transport = @import("transport.zig");

const Port = abi.Port;
const MsgReturn = abi.MsgReturn;
const MachMsgHeader = message.MachMsgHeader;
const MigReplyError = message.MigReplyError;

/// A MIG demux function (`<subsystem>_server`): answers the request `in` by writing a
/// reply into `out` (at least a `MigReplyError`, with `MIG_BAD_ID` for an unknown
/// routine) and returns whether it knew the routine.
pub const Demux = *const fn (in: *const MachMsgHeader, out: *MachMsgHeader) bool;

/// The trailer every request is received with: up to the audit token, which MIG
/// servers with `ServerAuditToken`/`ServerSecToken` arguments read.
const rcv_trailer_options = abi.option.rcvTrailerType(abi.option.trailer_format_0) |
    abi.option.rcvTrailerElements(abi.option.rcv_trailer_audit);

/// Receives one request on `rcv` into `buf_in`, lets `demux` write the reply into
/// `buf_out`, and sends it, as `mach_msg_server_once` does:
///
/// - when the reply is a simple `MigReplyError` with a non-zero `ret_code` other than
///   `mig.no_reply`, the request failed: its rights and out-of-line memory are
///   destroyed (`msgDestroyReceived`), except the reply right, which the reply carries;
/// - the reply is not sent when `ret_code` is `mig.no_reply` or the request had no reply
///   port; a reply to a send right (not a send-once right) is sent with a zero send
///   timeout, so a client that does not read cannot block the server;
/// - a reply that cannot be sent is destroyed, so nothing leaks; the send failing
///   because the client went away (`send_invalid_dest`, `send_timed_out`) is not an
///   error of the server.
///
/// `buf_in` must hold the largest request plus `max_trailer_size`, and `buf_out` the
/// largest reply. `timeout_ms` bounds the wait for a request (null: forever).
pub fn serveOnce(
    rcv: Port,
    demux: Demux,
    buf_in: []align(8) u8,
    buf_out: []align(8) u8,
    timeout_ms: ?u32,
) MsgReturn {
    return serveOnceWith(rcv, demux, callDemux, buf_in, buf_out, timeout_ms);
}

fn callDemux(demux: Demux, in: *const MachMsgHeader, len: usize, out: *MachMsgHeader) bool {
    _ = len;
    return demux(in, out);
}

/// `serveOnce` for a demux that needs a context (a generated `Server(Impl)`) and the
/// number of valid bytes received (message and trailer), which it checks against.
pub fn serveOnceWith(
    rcv: Port,
    ctx: anytype,
    comptime demux: fn (@TypeOf(ctx), *const MachMsgHeader, usize, *MachMsgHeader) bool,
    buf_in: []align(8) u8,
    buf_out: []align(8) u8,
    timeout_ms: ?u32,
) MsgReturn {
    assert(abi.portValid(rcv));
    assert(buf_in.len >= @sizeOf(MachMsgHeader) + message.max_trailer_size);
    assert(buf_in.len <= std.math.maxInt(u32));
    assert(buf_out.len >= @sizeOf(MigReplyError));
    assert(buf_out.len <= std.math.maxInt(u32));

    const request: *MachMsgHeader = @ptrCast(buf_in.ptr);
    const rcv_options = abi.option.rcv_msg | rcv_trailer_options |
        if (timeout_ms != null) abi.option.rcv_timeout else 0;
    const received = transport.machMsg(
        request,
        rcv_options,
        0,
        @intCast(buf_in.len),
        rcv,
        timeout_ms orelse 0,
        abi.port_null,
    );
    if (received != abi.msg_return.success) return received;

    const reply: *MachMsgHeader = @ptrCast(buf_out.ptr);
    // The receive wrote the message and its trailer; the trailer says how long it is.
    const trailer_at = std.mem.alignForward(usize, request.size, 4);
    const trailer_size: usize = if (trailer_at + 8 <= buf_in.len)
        std.mem.readInt(u32, buf_in[trailer_at + 4 ..][0..4], .little)
    else
        0;
    _ = demux(ctx, request, @min(buf_in.len, trailer_at + trailer_size), reply);
    assert(reply.size <= buf_out.len);

    if (reply.bits & abi.msgh_bits_complex == 0) {
        const ret_code = @as(*const MigReplyError, @ptrCast(reply)).ret_code;
        if (ret_code == abi.mig.no_reply) {
            // The routine keeps the reply right to answer later, or there is none.
            reply.remote_port = abi.port_null;
        } else if (ret_code != abi.kern.success) {
            // The routine failed and took nothing: destroy the request's rights and
            // memory, but not the reply right, which the reply carries back.
            request.remote_port = abi.port_null;
            message.msgDestroyReceived(request);
        }
    }
    if (reply.remote_port == abi.port_null) {
        // Nothing to send to; a complex reply still holds what the routine gave it.
        if (reply.bits & abi.msgh_bits_complex != 0) message.msgDestroy(reply);
        return abi.msg_return.success;
    }

    const send_once = abi.msghBitsRemote(reply.bits) == abi.disposition.move_send_once;
    const send_options = abi.option.send_msg | if (send_once) 0 else abi.option.send_timeout;
    const sent = transport.machMsg(reply, send_options, reply.size, 0, abi.port_null, 0, abi.port_null);
    if (sent == abi.msg_return.success) return sent;

    // The reply is still ours, rights and memory: destroy it.
    message.msgDestroy(reply);
    return switch (sent) {
        abi.msg_return.send_invalid_dest, abi.msg_return.send_timed_out => abi.msg_return.success,
        else => sent,
    };
}

/// Runs `serveOnce` until it fails, and returns why (`rcv_timed_out` after `timeout_ms`
/// without a request, `rcv_port_died` when the receive right is destroyed, ...). A
/// request too large for `buf_in` has been destroyed by the receive and is skipped.
pub fn serve(
    rcv: Port,
    demux: Demux,
    buf_in: []align(8) u8,
    buf_out: []align(8) u8,
    timeout_ms: ?u32,
) MsgReturn {
    return serveWith(rcv, demux, callDemux, buf_in, buf_out, timeout_ms);
}

/// `serve` for a demux with a context, as `serveOnceWith`.
pub fn serveWith(
    rcv: Port,
    ctx: anytype,
    comptime demux: fn (@TypeOf(ctx), *const MachMsgHeader, usize, *MachMsgHeader) bool,
    buf_in: []align(8) u8,
    buf_out: []align(8) u8,
    timeout_ms: ?u32,
) MsgReturn {
    while (true) {
        const mr = serveOnceWith(rcv, ctx, demux, buf_in, buf_out, timeout_ms);
        switch (mr) {
            abi.msg_return.success, abi.msg_return.rcv_too_large => continue,
            else => return mr,
        }
    }
}

/// One turn of the serve loop for a generated server value (`api.Server(Impl)` of a
/// generated file, or any type with the same declarations): its type declares
/// `request_size_max` and `reply_size_max` (bytes of the subsystem's largest request and
/// reply) and `demuxLen`. The buffers live on this function's stack, so a generated file
/// carries no loop of its own.
pub fn serveGeneratedOnce(server: anytype, rcv: Port, timeout_ms: ?u32) MsgReturn {
    const S = @TypeOf(server);
    var in_buf: [S.request_size_max + message.max_trailer_size]u8 align(8) = undefined;
    var out_buf: [@max(S.reply_size_max, @sizeOf(MigReplyError))]u8 align(8) = undefined;
    return serveOnceWith(rcv, server, S.demuxLen, &in_buf, &out_buf, timeout_ms);
}

/// `serveGeneratedOnce` until receiving fails, as `serveWith`, and returns why.
pub fn serveGenerated(server: anytype, rcv: Port, timeout_ms: ?u32) MsgReturn {
    const S = @TypeOf(server);
    var in_buf: [S.request_size_max + message.max_trailer_size]u8 align(8) = undefined;
    var out_buf: [@max(S.reply_size_max, @sizeOf(MigReplyError))]u8 align(8) = undefined;
    return serveWith(rcv, server, S.demuxLen, &in_buf, &out_buf, timeout_ms);
}

/// The typed server of a generated file's `api`: `Impl`'s methods take typed arguments,
/// and `Adapter(Impl)` turns each request's raw `In`/`Out` into them for `wire.Server` (the
/// file's raw server) to dispatch. Generated files return this from `api.Server(Impl)`, so
/// the serving code is here once.
pub fn AdaptedServer(
    comptime wire: type,
    comptime Adapter: fn (type) type,
    comptime Impl: type,
) type {
    return struct {
        impl: *Impl,

        const Self = @This();

        /// Bytes of the largest request, for `serveGenerated`.
        pub const request_size_max = wire.request_size_max;
        /// Bytes of the largest reply, for `serveGenerated`.
        pub const reply_size_max = wire.reply_size_max;

        /// Handles one request into `out` (see the file's raw `Server`).
        pub fn demuxLen(self: Self, in: *const MachMsgHeader, len: usize, out: *MachMsgHeader) bool {
            var adapter: Adapter(Impl) = .{ .impl = self.impl };
            const inner: wire.Server(Adapter(Impl)) = .{ .impl = &adapter };
            return inner.demuxLen(in, len, out);
        }

        /// Receives one request on `rcv`, handles it and sends the reply.
        pub fn serveOnce(self: Self, rcv: Port, timeout_ms: ?u32) MsgReturn {
            return serveGeneratedOnce(self, rcv, timeout_ms);
        }

        /// Serves requests until receiving fails, and returns why.
        pub fn serve(self: Self, rcv: Port, timeout_ms: ?u32) MsgReturn {
            return serveGenerated(self, rcv, timeout_ms);
        }
    };
}

/// What a simpleroutine's server does with a reply right its request brings anyway: no
/// reply will carry it.
pub const ReplyRight = enum {
    /// Release it: no argument takes it.
    release,
    /// Leave it: the routine's reply port argument took it.
    keep,
};

/// Fails compilation unless `Impl` has a method for each of `routines` (the table of a
/// generated file: see `demuxRoutines`), naming the first one missing.
pub fn checkImpl(comptime Impl: type, comptime routines: anytype) void {
    inline for (routines) |r| {
        if (!@hasDecl(Impl, r.method)) {
            @compileError("the server implementation lacks `" ++ r.method ++
                "` (routine `" ++ r.name ++ "`)");
        }
    }
}

/// Whether `id` is the request id of one of `routines` (MIG's routine lookup).
pub fn routineKnown(comptime routines: anytype, id: i32) bool {
    inline for (routines) |r| {
        if (id == r.id) return true;
    }
    return false;
}

/// A generated server's demux: answers the request `in` (`len` valid bytes, message and
/// trailer) into `out` (at least the subsystem's largest reply) with the routine of
/// `routines` its id names, and returns whether one did; for an unknown id the reply is a
/// `MIG_BAD_ID` error.
///
/// `routines` is a generated file's table: per routine its request `id`, `.defs` `name`,
/// the `Impl` `method` that answers it, its argument structs `In` and `Out`, `unpack`
/// (its request's unpack function) and `pack` (its reply's pack function, or null for a
/// simpleroutine, whose entry then says what happens to a reply right in `reply_right`).
///
/// As MIG's server routines do: a request that does not unpack is answered with the
/// unpack error; the method is called with the unpacked arguments; a code other than
/// `KERN_SUCCESS` is the answer (the serve loop then destroys the request); on success
/// the results are packed into the reply, and a result that does not pack is answered
/// with that error. A simpleroutine's answer is `KERN_SUCCESS` with no port to send it
/// to, so no reply is sent.
pub fn demuxRoutines(
    impl: anytype,
    comptime routines: anytype,
    in: *const MachMsgHeader,
    len: usize,
    out: *MachMsgHeader,
) bool {
    stubs.initReplyError(in, out, abi.kern.success);
    inline for (routines) |r| {
        if (in.id == r.id) {
            handle(impl, r, in, len, out);
            return true;
        }
    }
    stubs.initReplyError(in, out, abi.mig.bad_id);
    return false;
}

test demuxRoutines {
    const Args = extern struct { a: i32 = 0, b: i32 = 0 };
    const Sum = extern struct { sum: i32 = 0 };
    const Stubs = struct {
        fn unpack(msg: *const test_add.Request, len: usize, in: *Args) codec.Status {
            if (len < @sizeOf(test_add.Request)) return .bad_arguments;
            in.* = .{ .a = msg.a, .b = msg.b };
            return .ok;
        }

        fn pack(
            msg: *test_add.Reply,
            out: *const Sum,
            request: *const MachMsgHeader,
            size: *u32,
        ) codec.Status {
            test_add.replyHeader(request, &msg.head, @sizeOf(test_add.Reply));
            msg.ndr = message.ndr_record;
            msg.ret_code = abi.kern.success;
            msg.sum = out.sum;
            size.* = msg.head.size;
            return .ok;
        }
    };
    const Impl = struct {
        calls: u32 = 0,

        pub fn add(self: *@This(), in: *const Args, out: *Sum) abi.KernReturn {
            self.calls += 1;
            if (in.a < 0) return abi.kern.invalid_argument;
            out.sum = in.a + in.b;
            return abi.kern.success;
        }

        // Taken by value: the demux calls it as the method call syntax would.
        pub fn note(self: @This(), in: *const Args, out: *Sum) abi.KernReturn {
            _ = self;
            _ = out;
            return if (in.a == 1) abi.kern.success else abi.kern.failure;
        }
    };
    const routines = .{
        .{
            .id = 500,
            .name = "add",
            .method = "add",
            .In = Args,
            .Out = Sum,
            .unpack = Stubs.unpack,
            .pack = Stubs.pack,
        },
        .{
            .id = 501,
            .name = "note",
            .method = "note",
            .In = Args,
            .Out = Sum,
            .unpack = Stubs.unpack,
            .pack = null,
            .reply_right = ReplyRight.keep,
        },
    };
    comptime checkImpl(Impl, routines);
    try std.testing.expect(routineKnown(routines, 501));
    try std.testing.expect(!routineKnown(routines, 502));

    var impl: Impl = .{};
    var request: test_add.Request = .{
        .head = .{
            .bits = abi.msghBits(abi.disposition.move_send_once, 0),
            .size = @sizeOf(test_add.Request),
            .remote_port = 0x103,
            .local_port = 0x207,
            .voucher_port = abi.port_null,
            .id = 500,
        },
        .ndr = message.ndr_record,
        .a = 40,
        .b = 2,
    };
    var buf: [64]u8 align(8) = undefined;
    const reply: *test_add.Reply = @ptrCast(&buf);
    const err: *MigReplyError = @ptrCast(&buf);
    const len = @sizeOf(test_add.Request);

    // A routine: its results are packed into the reply.
    try std.testing.expect(demuxRoutines(&impl, routines, &request.head, len, &reply.head));
    try std.testing.expectEqual(@as(i32, 42), reply.sum);
    try std.testing.expectEqual(@as(i32, 600), reply.head.id);
    try std.testing.expectEqual(@as(Port, 0x103), reply.head.remote_port);

    // A failure is the answer, as a `mig_reply_error_t`.
    request.a = -1;
    try std.testing.expect(demuxRoutines(&impl, routines, &request.head, len, &reply.head));
    try std.testing.expectEqual(abi.kern.invalid_argument, err.ret_code);
    try std.testing.expectEqual(@as(u32, @sizeOf(MigReplyError)), err.head.size);

    // A request that does not unpack never reaches the method.
    try std.testing.expect(demuxRoutines(&impl, routines, &request.head, len - 1, &reply.head));
    try std.testing.expectEqual(abi.mig.bad_arguments, err.ret_code);
    try std.testing.expectEqual(@as(u32, 2), impl.calls);

    // A simpleroutine answers KERN_SUCCESS to nobody: no reply is sent.
    request.head.id = 501;
    request.a = 1;
    try std.testing.expect(demuxRoutines(&impl, routines, &request.head, len, &reply.head));
    try std.testing.expectEqual(abi.kern.success, err.ret_code);
    try std.testing.expectEqual(abi.port_null, err.head.remote_port);

    // An unknown id is MIG_BAD_ID.
    request.head.id = 502;
    try std.testing.expect(!demuxRoutines(&impl, routines, &request.head, len, &reply.head));
    try std.testing.expectEqual(abi.mig.bad_id, err.ret_code);
    try std.testing.expectEqual(@as(i32, 602), err.head.id);
}

fn handle(
    impl: anytype,
    comptime r: anytype,
    in: *const MachMsgHeader,
    len: usize,
    out: *MachMsgHeader,
) void {
    const err: *MigReplyError = @ptrCast(@alignCast(out));
    var args: r.In = .{};
    const st: codec.Status = r.unpack(@ptrCast(@alignCast(in)), len, &args);
    if (st != .ok) {
        err.ret_code = st.code();
        return;
    }
    var res: r.Out = .{};
    const kr = callMethod(impl, r.method, &args, &res);
    if (kr != abi.kern.success) {
        err.ret_code = kr;
        return;
    }
    if (@TypeOf(r.pack) == @TypeOf(null)) {
        // A simpleroutine: no reply will carry a reply right the request brought.
        if (r.reply_right == ReplyRight.release) message.destroyReplyRight(in);
        // Apple's demux leaves RetCode KERN_SUCCESS after a simpleroutine (its result);
        // no reply is sent, as there is no port to send it to.
        err.ret_code = abi.kern.success;
        out.remote_port = abi.port_null;
    } else {
        var size: u32 = 0;
        const pst: codec.Status = r.pack(@ptrCast(@alignCast(out)), &res, in, &size);
        if (pst != .ok) stubs.initReplyError(in, out, pst.code());
    }
}

/// Calls `impl.<method>(args, res)` as the method call syntax would, whether the method
/// takes its implementation by pointer or by value.
fn callMethod(
    impl: anytype,
    comptime method: []const u8,
    args: anytype,
    res: anytype,
) abi.KernReturn {
    const Impl = @typeInfo(@TypeOf(impl)).pointer.child;
    const f = @field(Impl, method);
    const self_type = @typeInfo(@TypeOf(f)).@"fn".param_types[0];
    return if (self_type == Impl) f(impl.*, args, res) else f(impl, args, res);
}

/// The test subsystem: routine 500 adds two numbers; any other id is unknown.
const test_add = struct {
    const id = 500;

    const Request = extern struct {
        head: MachMsgHeader,
        ndr: message.NdrRecord,
        a: i32,
        b: i32,
    };

    const Reply = extern struct {
        head: MachMsgHeader,
        ndr: message.NdrRecord,
        ret_code: abi.KernReturn,
        sum: i32,
    };

    /// Starts a reply the way MIG's demux does.
    fn replyHeader(in: *const MachMsgHeader, out: *MachMsgHeader, size: u32) void {
        out.* = .{
            .bits = abi.msghBits(abi.msghBitsRemote(in.bits), 0),
            .size = size,
            .remote_port = in.remote_port,
            .local_port = abi.port_null,
            .voucher_port = abi.port_null,
            .id = in.id + 100,
        };
    }

    fn demux(in: *const MachMsgHeader, out: *MachMsgHeader) bool {
        if (in.id != id or in.bits & abi.msgh_bits_complex != 0 or in.size != @sizeOf(Request)) {
            replyHeader(in, out, @sizeOf(MigReplyError));
            const err: *MigReplyError = @ptrCast(out);
            err.ndr = message.ndr_record;
            err.ret_code = if (in.id != id) abi.mig.bad_id else abi.mig.bad_arguments;
            return in.id == id;
        }
        const request: *const Request = @ptrCast(in);
        const reply: *Reply = @ptrCast(out);
        replyHeader(in, out, @sizeOf(Reply));
        reply.ndr = message.ndr_record;
        reply.ret_code = abi.kern.success;
        reply.sum = request.a + request.b;
        return true;
    }

    /// The client thread: one good call, then an unknown routine carrying a port and
    /// an out-of-line region, which the server must destroy, then the same without a
    /// reply port.
    fn client(task: @import("testing.zig").Task, service: Port, result: *anyerror!void) void {
        task.enter();
        defer task.leave();
        result.* = calls(service);
    }

    fn calls(service: Port) !void {
        const expectEqual = std.testing.expectEqual;
        const d = abi.disposition;
        const ReceiveRight = @import("rights.zig").ReceiveRight;

        const reply_port = transport.migGetReplyPort();
        try std.testing.expect(abi.portValid(reply_port));
        defer transport.migDeallocReplyPort(reply_port);

        var buf: [@sizeOf(Reply) + message.max_trailer_size]u8 align(8) = undefined;
        const request: *Request = @ptrCast(&buf);
        request.* = .{
            .head = .{
                .bits = abi.msghBits(d.copy_send, d.make_send_once),
                .size = @sizeOf(Request),
                .remote_port = service,
                .local_port = reply_port,
                .voucher_port = abi.port_null,
                .id = id,
            },
            .ndr = message.ndr_record,
            .a = 40,
            .b = 2,
        };
        const call = abi.option.send_msg | abi.option.rcv_msg | abi.option.rcv_timeout;
        try expectEqual(abi.msg_return.success, transport.machMsg(&request.head, call, @sizeOf(Request), buf.len, reply_port, 10_000, abi.port_null));
        const reply: *const Reply = @ptrCast(&buf);
        try expectEqual(@as(i32, id + 100), reply.head.id);
        try expectEqual(@as(u32, @sizeOf(Reply)), reply.head.size);
        try expectEqual(abi.kern.success, reply.ret_code);
        try expectEqual(@as(i32, 42), reply.sum);

        // An unknown routine, with a send right and a region the server must destroy.
        const carried = try ReceiveRight.allocate();
        defer carried.deinit();
        const region = try transport.vmAllocate(4096);
        const Bad = extern struct {
            head: MachMsgHeader,
            body: message.MsgBody,
            port: message.PortDescriptor,
            ool: message.OolDescriptor,
            // A physically copied region arrives without `deallocate`: still the
            // receiver's to free.
            physical: message.OolDescriptor,
        };
        const copied = try transport.vmAllocate(100);
        defer _ = transport.vmDeallocate(@intFromPtr(copied), 100);
        const bad: *Bad = @ptrCast(&buf);
        bad.* = .{
            .head = .{
                .bits = abi.msghBits(d.copy_send, d.make_send_once) | abi.msgh_bits_complex,
                .size = @sizeOf(Bad),
                .remote_port = service,
                .local_port = reply_port,
                .voucher_port = abi.port_null,
                .id = id + 1,
            },
            .body = .{ .descriptor_count = 3 },
            .port = .{ .name = carried.name, .disposition = d.make_send },
            .ool = .{ .address = @intFromPtr(region), .deallocate = 1, .copy = abi.copy_option.virtual, .size = 4096 },
            .physical = .{ .address = @intFromPtr(copied), .deallocate = 0, .copy = abi.copy_option.physical, .size = 100 },
        };
        try expectEqual(abi.msg_return.success, transport.machMsg(&bad.head, call, @sizeOf(Bad), buf.len, reply_port, 10_000, abi.port_null));
        const err: *const MigReplyError = @ptrCast(&buf);
        try expectEqual(@as(i32, id + 101), err.head.id);
        try expectEqual(@as(u32, @sizeOf(MigReplyError)), err.head.size);
        try expectEqual(abi.mig.bad_id, err.ret_code);

        // The same without a reply port: nothing comes back, and the server must still
        // destroy the carried right.
        const Oneway = extern struct {
            head: MachMsgHeader,
            body: message.MsgBody,
            port: message.PortDescriptor,
        };
        var oneway: Oneway = .{
            .head = .{
                .bits = abi.msghBits(d.copy_send, 0) | abi.msgh_bits_complex,
                .size = @sizeOf(Oneway),
                .remote_port = service,
                .local_port = abi.port_null,
                .voucher_port = abi.port_null,
                .id = id + 2,
            },
            .body = .{ .descriptor_count = 1 },
            .port = .{ .name = carried.name, .disposition = d.make_send },
        };
        try expectEqual(abi.msg_return.success, transport.machMsg(&oneway.head, abi.option.send_msg, @sizeOf(Oneway), 0, abi.port_null, 0, abi.port_null));
    }
};

test "serveOnce answers a request from another thread and destroys a failed one" {
    const testing = @import("testing.zig");
    const ReceiveRight = @import("rights.zig").ReceiveRight;

    const task = try testing.begin();
    defer task.end();
    {
        const service = try ReceiveRight.allocate();
        defer service.deinit();
        const send = try service.makeSend();
        defer send.deinit();

        var client_result: anyerror!void = error.ClientDidNotRun;
        const client = try std.Thread.spawn(.{}, test_add.client, .{ task, send.name, &client_result });
        var buf_in: [256]u8 align(8) = undefined;
        var buf_out: [256]u8 align(8) = undefined;
        const first = serveOnce(service.name, test_add.demux, &buf_in, &buf_out, 10_000);
        const second = serveOnce(service.name, test_add.demux, &buf_in, &buf_out, 10_000);
        const third = serveOnce(service.name, test_add.demux, &buf_in, &buf_out, 10_000);
        client.join();
        try client_result;
        try std.testing.expectEqual(abi.msg_return.success, first);
        try std.testing.expectEqual(abi.msg_return.success, second);
        try std.testing.expectEqual(abi.msg_return.success, third);

        // Nothing waits now: a bounded serve ends with the timeout.
        try std.testing.expectEqual(abi.msg_return.rcv_timed_out, serve(service.name, test_add.demux, &buf_in, &buf_out, 0));
    }
    // The failed request's send right and region are gone: nothing is left.
    try task.expectNoLeaks();
}
