//! Arguments renamed for a clash with the message's own fields (`renamed.defs`): a
//! SameCount argument after a renamed one still takes its count, in the request and in
//! the reply, through pack, demux and unpack in memory.

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
