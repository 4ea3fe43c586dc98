//! Arguments renamed for a clash with the message's own fields (`renamed.defs`): a
//! SameCount argument after a renamed one still takes its count, in the request and in
//! the reply, through pack, demux and unpack in memory, on the raw server and on the
//! idiomatic one (`api.Server`, whose answer's arrays must agree in length).

const std = @import("std");
const migz = @import("migz");
const stubs = @import("stubs");
const expectEqual = std.testing.expectEqual;

/// Adds and multiplies the two request arrays element by element.
const Adder = struct {
    pub fn add(_: *Adder, in: *const stubs.AddIn, out: *stubs.AddOut) migz.KernReturn {
        const head = in.head_.items();
        const body = in.body_.items();
        if (head.len != body.len) return migz.kern.invalid_argument;
        for (head, body, 0..) |h, b, i| {
            out.ndr_[i] = h + b;
            out.ret_code_[i] = h * b;
        }
        out.ndr__cnt = @intCast(head.len);
        return migz.kern.success;
    }
};

const head_values = [_]i32{ 1, 2, 3 };
const body_values = [_]i32{ 10, 20, 30 };

test "the SameCount argument after a renamed one travels with its count" {
    var in_buf: [stubs.request_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const req: *stubs.AddRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    const in: stubs.AddIn = .{ .server = 1, .head_ = .of(&head_values), .body_ = .of(&body_values) };
    try expectEqual(migz.Status.ok, stubs.packAddRequest(req, &in, 2, &size));
    // One count for both arrays: NDR, the count, then 3 + 3 elements.
    try expectEqual(@as(u32, 3), req.head__cnt);
    try expectEqual(@as(u32, 36 + 2 * 3 * 4), size);

    var adder: Adder = .{};
    const server: stubs.Server(Adder) = .{ .impl = &adder };
    var out_buf: [stubs.reply_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const reply: *stubs.AddReply = @ptrCast(&out_buf);
    try std.testing.expect(server.demuxLen(&req.head, size + migz.max_trailer_size, &reply.head));
    try expectEqual(migz.kern.success, reply.ret_code);

    var out: stubs.AddOut = .{};
    const len = reply.head.size + migz.max_trailer_size;
    try expectEqual(migz.Status.ok, stubs.unpackAddReply(reply, len, &out));
    try expectEqual(@as(u32, 3), out.ndr__cnt);
    try std.testing.expectEqualSlices(i32, &.{ 11, 22, 33 }, out.ndr_[0..3]);
    try std.testing.expectEqualSlices(i32, &.{ 10, 40, 90 }, out.ret_code_[0..3]);
}

test "a SameCount argument of another length is refused before anything is sent" {
    var in_buf: [stubs.request_size_max]u8 align(8) = @splat(0);
    var size: u32 = 0;
    const in: stubs.AddIn = .{ .server = 1, .head_ = .of(&head_values), .body_ = .of(body_values[0..2]) };
    const req: *stubs.AddRequest = @ptrCast(&in_buf);
    try expectEqual(migz.Status.bad_arguments, stubs.packAddRequest(req, &in, 2, &size));
}

/// The idiomatic server: answers slices, the second as long as the first unless the
/// first request value is negative.
const ApiAdder = struct {
    sums: [8]i32 = undefined,
    products: [8]i32 = undefined,

    pub fn add(self: *ApiAdder, _: migz.Port, head: []const i32, body: []const i32) migz.Error!stubs.api.AddAnswer {
        for (head, body, 0..) |h, b, i| {
            self.sums[i] = h + b;
            self.products[i] = h * b;
        }
        const uneven = head.len > 0 and head[0] < 0;
        return .{ .ndr_ = self.sums[0..head.len], .ret_code_ = self.products[0 .. head.len - @intFromBool(uneven)] };
    }
};

/// Packs `add(head, body)`, serves it with `api.Server(ApiAdder)` and returns the reply.
fn serveApi(head: []const i32, body: []const i32, out_buf: *[stubs.reply_size_max + migz.max_trailer_size]u8) !*stubs.AddReply {
    var in_buf: [stubs.request_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const req: *stubs.AddRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    const in: stubs.AddIn = .{ .server = 1, .head_ = .of(head), .body_ = .of(body) };
    try expectEqual(migz.Status.ok, stubs.packAddRequest(req, &in, 2, &size));
    var adder: ApiAdder = .{};
    const server: stubs.api.Server(ApiAdder) = .{ .impl = &adder };
    const reply: *stubs.AddReply = @ptrCast(@alignCast(out_buf));
    try std.testing.expect(server.demuxLen(&req.head, size + migz.max_trailer_size, &reply.head));
    return reply;
}

test "the idiomatic server answers arrays sharing a count, and refuses them of different lengths" {
    var out_buf: [stubs.reply_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const reply = try serveApi(&.{ 1, 2, 3 }, &.{ 10, 20, 30 }, &out_buf);
    try expectEqual(migz.kern.success, reply.ret_code);
    var out: stubs.AddOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackAddReply(reply, reply.head.size + migz.max_trailer_size, &out));
    // What the typed client makes of the reply: both arrays with the one count.
    const sums: migz.InlineArray(i32, 8) = .of(out.ndr_, out.ndr__cnt);
    try std.testing.expectEqualSlices(i32, &.{ 11, 22, 33 }, sums.slice());
    try std.testing.expectEqualSlices(i32, &.{ 10, 40, 90 }, out.ret_code_[0..out.ndr__cnt]);

    // An answer whose second array is shorter is Apple's `MIG_BAD_ARGUMENTS` error reply.
    var bad_buf: [stubs.reply_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const bad = try serveApi(&.{ -1, 2 }, &.{ 1, 2 }, &bad_buf);
    try expectEqual(migz.mig.bad_arguments, bad.ret_code);
}
