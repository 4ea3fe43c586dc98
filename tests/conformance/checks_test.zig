//! The checks Apple's stubs make, in the generated Zig (`checks.defs`): each test packs a
//! message, changes it where the rule bites, and unpacks or demuxes it in memory.

const std = @import("std");
const migz = @import("migz");
const stubs = @import("stubs");
const expectEqual = std.testing.expectEqual;

/// Records what the server routines were given.
const Recorder = struct {
    noted: i32 = 0,
    capacity: u32 = 0,

    pub fn note(self: *Recorder, in: *const stubs.NoteIn, _: *stubs.NoteOut) migz.KernReturn {
        self.noted = in.n;
        return migz.kern.success;
    }
    pub fn names(_: *Recorder, in: *const stubs.NamesIn, out: *stubs.NamesOut) migz.KernReturn {
        out.length = @intCast(in.var_name.len + in.fixed_name.len);
        return migz.kern.success;
    }
    pub fn values(self: *Recorder, in: *const stubs.ValuesIn, out: *stubs.ValuesOut) migz.KernReturn {
        self.capacity = in.values_cnt;
        out.values_cnt = in.values_cnt;
        return migz.kern.success;
    }
    pub fn buffer(_: *Recorder, _: *const stubs.BufferIn, _: *stubs.BufferOut) migz.KernReturn {
        return migz.kern.success;
    }
    pub fn rights(_: *Recorder, _: *const stubs.RightsIn, _: *stubs.RightsOut) migz.KernReturn {
        return migz.kern.success;
    }
};

const Buf = [stubs.request_size_max + migz.max_trailer_size]u8;

// The transport's C functions, standing in for `migz-ffi` (these tests run no kernel and
// no port emulation): a simpleroutine's demux releases a reply right the request brought,
// and `released` counts it.
var released: u32 = 0;
export fn migz1_task_self() u32 {
    return 1;
}
export fn migz1_mach_port_deallocate(_: u32, _: u32) i32 {
    released += 1;
    return 0;
}
export fn migz1_mach_port_mod_refs(_: u32, _: u32, _: u32, _: i32) i32 {
    released += 1;
    return 0;
}
export fn migz1_mach_port_insert_right(_: u32, _: u32, _: u32, _: u32) i32 {
    return 0;
}
export fn migz1_mach_port_extract_right(_: u32, _: u32, _: u32, _: [*c]u32, _: [*c]u32) i32 {
    return 0;
}

test "a simpleroutine's demux answers KERN_SUCCESS and sends nothing" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.NoteRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    // A reply right Apple's client would not send; the demux releases it.
    try expectEqual(migz.Status.ok, stubs.packNoteRequest(req, &.{ .server = 1, .n = 7 }, 2, &size));
    req.head.bits = migz.msghBits(migz.disposition.move_send_once, 17);
    var rec: Recorder = .{};
    const server: stubs.Server(Recorder) = .{ .impl = &rec };
    var out_buf: [stubs.reply_size_max]u8 align(8) = @splat(0);
    const err: *migz.MigReplyError = @ptrCast(&out_buf);
    try std.testing.expect(server.demuxLen(&req.head, size + migz.max_trailer_size, &err.head));
    try expectEqual(@as(i32, 7), rec.noted);
    // Apple's RetCode after a simpleroutine is the routine's result, not MIG_NO_REPLY.
    try expectEqual(migz.kern.success, err.ret_code);
    try expectEqual(migz.port_null, err.head.remote_port);
    try expectEqual(@as(u32, 1), released);
}

/// A `names` request with `var_name` "abcd" taking its whole count (4 bytes, no NUL in
/// them) and `fixed_name` `fixed`, as the wire has them: the fixed string right after the
/// 4 bytes of the varying one.
fn namesRequest(req: *stubs.NamesRequest, fixed: []const u8) !u32 {
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packNamesRequest(req, &.{ .server = 1, .var_name = .of("abc"), .fixed_name = .of("x") }, 2, &size));
    try expectEqual(@as(u32, 52), size);
    // Apple's client sends the NUL within the count; this sender did not.
    try expectEqual(@as(u32, 4), req.var_name_cnt);
    const bytes: [*]u8 = @ptrCast(req);
    @memcpy(bytes[40..44], "abcd");
    @memset(bytes[44..52], 0);
    @memcpy(bytes[44..][0..fixed.len], fixed);
    return size;
}

test "a varying C string's NUL is looked for within min(message end, bound), not its count" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.NamesRequest = @ptrCast(&in_buf);
    // The NUL is the 7th byte from the string: within the bound of 8, past the count.
    const size = try namesRequest(req, "xy");
    var in: stubs.NamesIn = .{};
    try expectEqual(migz.Status.ok, stubs.unpackNamesRequest(req, size + migz.max_trailer_size, &in));
    try std.testing.expectEqualStrings("abcdxy", in.var_name.items());
    try std.testing.expectEqualStrings("xy", in.fixed_name.items());
    // No NUL within 8 bytes of the string: refused.
    _ = try namesRequest(req, "xyzw");
    try expectEqual(migz.Status.bad_arguments, stubs.unpackNamesRequest(req, size + migz.max_trailer_size, &in));
}

test "a fixed C string without a NUL in its bytes is MIG_BAD_ARGUMENTS" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.NamesRequest = @ptrCast(&in_buf);
    const size = try namesRequest(req, "12345678");
    const bytes: [*]u8 = @ptrCast(req);
    // The varying string ends within its count; the fixed one's 8 bytes have no NUL.
    @memcpy(bytes[40..44], "ab\x00\x00");
    var in: stubs.NamesIn = .{};
    try expectEqual(migz.Status.bad_arguments, stubs.unpackNamesRequest(req, size + migz.max_trailer_size, &in));
    bytes[51] = 0;
    try expectEqual(migz.Status.ok, stubs.unpackNamesRequest(req, size + migz.max_trailer_size, &in));
    try std.testing.expectEqualStrings("1234567", in.fixed_name.items());
}

test "a CountInOut capacity above the bound is clamped to it" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.ValuesRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packValuesRequest(req, &.{ .server = 1, .values_cnt = 4 }, 2, &size));
    req.values_cnt = 1000;
    var rec: Recorder = .{};
    const server: stubs.Server(Recorder) = .{ .impl = &rec };
    var out_buf: [stubs.reply_size_max]u8 align(8) = @splat(0);
    const reply: *stubs.ValuesReply = @ptrCast(&out_buf);
    try std.testing.expect(server.demuxLen(&req.head, size + migz.max_trailer_size, &reply.head));
    try expectEqual(@as(u32, 4), rec.capacity);
    try expectEqual(migz.kern.success, reply.ret_code);
    try expectEqual(@as(u32, 4), reply.values_cnt);
}

test "an out-of-line array's descriptor is checked before its bound" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.BufferRequest = @ptrCast(&in_buf);
    const data = [_]i32{ 1, 2, 3 };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packBufferRequest(req, &.{ .server = 1, .data = .of(&data) }, 2, &size));
    var in: stubs.BufferIn = .{};
    try expectEqual(migz.Status.ok, stubs.unpackBufferRequest(req, size + migz.max_trailer_size, &in));
    // A count above the bound that the descriptor does not agree with: MIG_TYPE_ERROR.
    req.data_cnt = 20;
    try expectEqual(migz.Status.type_error, stubs.unpackBufferRequest(req, size + migz.max_trailer_size, &in));
    // The same count with a descriptor that agrees: the bound refuses it.
    req.data.size = 20 * 4;
    try expectEqual(migz.Status.bad_arguments, stubs.unpackBufferRequest(req, size + migz.max_trailer_size, &in));
}

test "a reply's port array above its bound is MIG_ARRAY_TOO_LARGE at the client" {
    var in_buf: Buf align(8) = @splat(0);
    const req: *stubs.RightsRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packRightsRequest(req, &.{ .server = 1 }, 2, &size));
    req.head.remote_port = 2;
    var out_buf: [stubs.reply_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const reply: *stubs.RightsReply = @ptrCast(&out_buf);
    try expectEqual(migz.Status.ok, stubs.packRightsReply(reply, &.{ .rights = .{ 5, 6 }, .rights_cnt = 2 }, &req.head, &size));
    for (&reply.rights) |*d| d.disposition = 17;
    var out: stubs.RightsOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackRightsReply(reply, size + migz.max_trailer_size, &out));
    try expectEqual(@as(u32, 2), out.rights_cnt);
    reply.rights_cnt = 3;
    try expectEqual(migz.Status.array_too_large, stubs.unpackRightsReply(reply, size + migz.max_trailer_size, &out));
}
