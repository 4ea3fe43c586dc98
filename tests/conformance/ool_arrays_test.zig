//! Arrays of out-of-line types in Zig (`ool_arrays.defs`): the generated Zig packs one
//! descriptor per element with `<name>Subs` (and `<name>SubsCnt` or `<name>Cnt` for a
//! variable outer array) as Apple's MIG does, its server unpacks them all, and malformed
//! messages get Apple's answers. Messages go from pack to the server's demux to the
//! client's unpack in memory; between them the test does what the kernel's copyout does
//! to copied send rights (an out-of-line port array's disposition arrives as MOVE_SEND).

const std = @import("std");
const migz = @import("migz");
const stubs = @import("stubs");
const expectEqual = std.testing.expectEqual;

const move_send: u32 = 17;

// The transport's C functions, standing in for `migz-ffi` (these tests run no kernel and
// no port emulation): a simpleroutine's demux releases a reply right the request brought.
export fn migz1_task_self() u32 {
    return 1;
}
export fn migz1_mach_port_deallocate(_: u32, _: u32) i32 {
    return 0;
}
export fn migz1_mach_port_mod_refs(_: u32, _: u32, _: u32, _: i32) i32 {
    return 0;
}
export fn migz1_mach_port_insert_right(_: u32, _: u32, _: u32, _: u32) i32 {
    return 0;
}
export fn migz1_mach_port_extract_right(_: u32, _: u32, _: u32, _: [*c]u32, _: [*c]u32) i32 {
    return 0;
}

/// Answers every buffer reversed, in memory it keeps until the next call.
const Echo = struct {
    store: [8][8]i32 = undefined,
    ports: [2][4]migz.Port = undefined,
    gave: u32 = 0,

    fn reversed(self: *Echo, slot: usize, items: []const i32) migz.ConstSlice(i32) {
        for (items, 0..) |v, i| self.store[slot][items.len - 1 - i] = v;
        return .of(self.store[slot][0..items.len]);
    }

    pub fn echoBufs(self: *Echo, in: *const stubs.EchoBufsIn, out: *stubs.EchoBufsOut) migz.KernReturn {
        for (in.fixed, 0..) |s, i| out.rfixed[i] = self.reversed(i, s.items());
        for (in.listed[0..in.listed_cnt], 0..) |s, i| out.rlisted[i] = self.reversed(2 + i, s.items());
        out.rlisted_cnt = in.listed_cnt;
        return migz.kern.success;
    }

    pub fn echoSmall(self: *Echo, in: *const stubs.EchoSmallIn, out: *stubs.EchoSmallOut) migz.KernReturn {
        for (in.quads, 0..) |s, i| out.rquads[i] = self.reversed(i, s.items());
        out.rquads_cnt = 2;
        for (in.smalls, 0..) |s, i| out.rsmalls[i] = self.reversed(2 + i, s.items());
        if (in.qlist_cnt > 0) out.rsmalls[1] = self.reversed(3, in.qlist[0].items()[0..4]);
        return migz.kern.success;
    }

    pub fn swapPorts(self: *Echo, in: *const stubs.SwapPortsIn, out: *stubs.SwapPortsOut) migz.KernReturn {
        for (in.ports, 0..) |s, i| {
            @memcpy(self.ports[i][0..s.len], s.items());
            out.back[1 - i] = .of(self.ports[i][0..s.len]);
        }
        out.back_cnt = 2;
        return migz.kern.success;
    }

    pub fn giveBufs(self: *Echo, in: *const stubs.GiveBufsIn, _: *stubs.GiveBufsOut) migz.KernReturn {
        self.gave = in.fixed[0].len + in.fixed[1].len;
        return migz.kern.success;
    }

    pub fn passPoly(_: *Echo, in: *const stubs.PassPolyIn, out: *stubs.PassPolyOut) migz.KernReturn {
        if (in.rights_poly != move_send) return migz.kern.invalid_argument;
        out.count = @intCast(in.rights[0].len + in.rights[1].len);
        return migz.kern.success;
    }

    pub fn giveMaybe(_: *Echo, in: *const stubs.GiveMaybeIn, out: *stubs.GiveMaybeOut) migz.KernReturn {
        var total: u32 = 0;
        for (in.listed[0..in.listed_cnt]) |s| total += s.len;
        out.total = @intCast(total);
        return migz.kern.success;
    }
};

const Req = [stubs.request_size_max + migz.max_trailer_size]u8;
const Rep = [stubs.reply_size_max + migz.max_trailer_size]u8;

/// Demuxes `req` (of `size` bytes) into `out_buf` and returns the reply's RetCode when the
/// reply is an error (0 for a complex reply).
fn demux(echo: *Echo, req: *migz.MachMsgHeader, size: u32, out_buf: *align(8) Rep) i32 {
    req.local_port = 100;
    const server: stubs.Server(Echo) = .{ .impl = echo };
    const reply: *migz.MachMsgHeader = @ptrCast(@alignCast(out_buf));
    std.debug.assert(server.demuxLen(req, size + migz.max_trailer_size, reply));
    if (reply.bits & migz.msgh_bits_complex != 0) return 0;
    const err: *const migz.MigReplyError = @ptrCast(@alignCast(reply));
    return err.ret_code;
}

fn reqBytes(buf: *align(8) Req) [*]u8 {
    return @ptrCast(buf);
}

const one = [_]i32{1};
const two = [_]i32{ 2, 3 };
const three = [_]i32{ 4, 5, 6 };
const four = [_]i32{ 7, 8, 9, 10 };

test "fixed and variable arrays of buffers: Subs and SubsCnt as Apple lays them out, and back" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.EchoBufsRequest = @ptrCast(&in_buf);
    const in: stubs.EchoBufsIn = .{
        .server = 100,
        .fixed = .{ .of(&two), .of(&three) },
        .listed = .{ .of(&one), .of(&four), .{} },
        .listed_cnt = 2,
    };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packEchoBufsRequest(req, &in, 200, &size));
    // Head, body, 5 descriptors, NDR, fixedSubs[2], listedSubsCnt and 2 of listedSubs[3].
    try expectEqual(@as(u32, 136), size);
    try expectEqual(@as(u32, 5), req.body.descriptor_count);
    try expectEqual([2]u32{ 2, 3 }, req.fixed_subs);
    try expectEqual(@as(u32, 2), req.listed_subs_cnt);
    const bytes = reqBytes(&in_buf);
    try expectEqual(@as(u32, 1), migz.readAt(u32, bytes, 128));
    try expectEqual(@as(u32, 4), migz.readAt(u32, bytes, 132));
    try expectEqual(@as(u32, 8), req.fixed[0].size);
    try expectEqual(@intFromPtr(&three), req.fixed[1].address);
    try expectEqual(@as(u32, 16), req.listed[1].size);
    // Past the count: an empty descriptor of the same type, as Apple's client sends.
    try expectEqual(@as(u32, 0), req.listed[2].size);
    try expectEqual(@as(u64, 0), req.listed[2].address);
    try expectEqual(migz.descriptor_type.ool, req.listed[2].type);

    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    try expectEqual(@as(i32, 0), demux(&echo, &req.head, size, &out_buf));
    const reply: *stubs.EchoBufsReply = @ptrCast(&out_buf);
    try expectEqual(@as(u32, 136), reply.head.size);
    var out: stubs.EchoBufsOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackEchoBufsReply(reply, reply.head.size + migz.max_trailer_size, &out));
    try std.testing.expectEqualSlices(i32, &.{ 3, 2 }, out.rfixed[0].items());
    try std.testing.expectEqualSlices(i32, &.{ 6, 5, 4 }, out.rfixed[1].items());
    try expectEqual(@as(u32, 2), out.rlisted_cnt);
    try std.testing.expectEqualSlices(i32, &.{1}, out.rlisted[0].items());
    try std.testing.expectEqualSlices(i32, &.{ 10, 9, 8, 7 }, out.rlisted[1].items());
}

test "bounded and fixed elements: Cnt for a variable array of fixed ones, Subs for bounded ones" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.EchoSmallRequest = @ptrCast(&in_buf);
    const in: stubs.EchoSmallIn = .{
        .server = 100,
        .smalls = .{ .of(&one), .of(&three) },
        .quads = .{ .of(&four), .of(&four) },
        .qlist = .{ .of(&four), .{} },
        .qlist_cnt = 1,
    };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packEchoSmallRequest(req, &in, 200, &size));
    try expectEqual(@as(u32, 144), size);
    try expectEqual([2]u32{ 1, 3 }, req.smalls_subs);
    try expectEqual(@as(u32, 1), req.qlist_cnt);
    try expectEqual(@as(u32, 16), req.qlist[0].size);
    try expectEqual(@as(u32, 0), req.qlist[1].size);

    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    try expectEqual(@as(i32, 0), demux(&echo, &req.head, size, &out_buf));
    const reply: *stubs.EchoSmallReply = @ptrCast(&out_buf);
    var out: stubs.EchoSmallOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackEchoSmallReply(reply, reply.head.size + migz.max_trailer_size, &out));
    try expectEqual(@as(u32, 2), out.rquads_cnt);
    try std.testing.expectEqualSlices(i32, &.{ 10, 9, 8, 7 }, out.rquads[1].items());
    try std.testing.expectEqualSlices(i32, &.{1}, out.rsmalls[0].items());
    try std.testing.expectEqualSlices(i32, &.{ 10, 9, 8, 7 }, out.rsmalls[1].items());

    // A reply with more fixed elements than the bound: the client cannot take them.
    reply.rquads_cnt = 3;
    try expectEqual(migz.Status.array_too_large, stubs.unpackEchoSmallReply(reply, reply.head.size + migz.max_trailer_size, &out));
}

test "the client refuses what does not fit before sending" {
    var in_buf: Req align(8) = @splat(0);
    var size: u32 = 0;
    const bufs: *stubs.EchoBufsRequest = @ptrCast(&in_buf);
    try expectEqual(migz.Status.array_too_large, stubs.packEchoBufsRequest(bufs, &.{ .server = 100, .listed_cnt = 4 }, 200, &size));
    const small: *stubs.EchoSmallRequest = @ptrCast(&in_buf);
    const five = [_]i32{ 1, 2, 3, 4, 5 };
    // A bounded element above its bound of 4.
    var in: stubs.EchoSmallIn = .{ .server = 100, .smalls = .{ .of(&five), .{} }, .quads = .{ .of(&four), .of(&four) } };
    try expectEqual(migz.Status.array_too_large, stubs.packEchoSmallRequest(small, &in, 200, &size));
    // A fixed element of the wrong length.
    in.smalls = .{ .{}, .{} };
    in.quads[1] = .of(&three);
    try expectEqual(migz.Status.bad_arguments, stubs.packEchoSmallRequest(small, &in, 200, &size));
    in.quads[1] = .of(&four);
    in.qlist_cnt = 3;
    try expectEqual(migz.Status.array_too_large, stubs.packEchoSmallRequest(small, &in, 200, &size));
}

/// A valid echo_bufs request in `buf`; returns its size.
fn goodBufs(buf: *align(8) Req) !u32 {
    buf.* = @splat(0);
    const in: stubs.EchoBufsIn = .{
        .server = 100,
        .fixed = .{ .of(&two), .of(&three) },
        .listed = .{ .of(&one), .of(&four), .{} },
        .listed_cnt = 2,
    };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packEchoBufsRequest(@ptrCast(buf), &in, 200, &size));
    return size;
}

test "malformed requests get Apple's answers" {
    var echo: Echo = .{};
    var in_buf: Req align(8) = undefined;
    var out_buf: Rep align(8) = undefined;
    const req: *stubs.EchoBufsRequest = @ptrCast(&in_buf);
    const type_error = migz.Status.type_error.code();
    const bad_arguments = migz.Status.bad_arguments.code();

    // A descriptor of the wrong type, past the count too (Apple checks all of them).
    var size = try goodBufs(&in_buf);
    req.listed[2].type = migz.descriptor_type.ool_ports;
    try expectEqual(type_error, demux(&echo, &req.head, size, &out_buf));

    // A descriptor's size that disagrees with its Subs.
    size = try goodBufs(&in_buf);
    req.fixed_subs[1] = 2;
    try expectEqual(type_error, demux(&echo, &req.head, size, &out_buf));
    size = try goodBufs(&in_buf);
    req.fixed[0].size = 12;
    try expectEqual(type_error, demux(&echo, &req.head, size, &out_buf));

    // More counts than the bound of 3: malformed, as any in-line array above its bound.
    size = try goodBufs(&in_buf);
    req.listed_subs_cnt = 4;
    try expectEqual(bad_arguments, demux(&echo, &req.head, size, &out_buf));
    // A count that disagrees with the message size.
    size = try goodBufs(&in_buf);
    req.listed_subs_cnt = 3;
    try expectEqual(bad_arguments, demux(&echo, &req.head, size, &out_buf));

    // Memory in a descriptor past the count.
    size = try goodBufs(&in_buf);
    req.listed[2].size = 4;
    req.listed[2].address = @intFromPtr(&one);
    try expectEqual(type_error, demux(&echo, &req.head, size, &out_buf));

    // Fewer descriptors than the routine has.
    size = try goodBufs(&in_buf);
    req.body.descriptor_count = 4;
    try expectEqual(bad_arguments, demux(&echo, &req.head, size, &out_buf));

    // A bounded element whose Subs exceeds its bound of 4 (size and count agree).
    const small: *stubs.EchoSmallRequest = @ptrCast(&in_buf);
    in_buf = @splat(0);
    const eight = [_]i32{ 1, 2, 3, 4, 5, 6, 7, 8 };
    var small_in: stubs.EchoSmallIn = .{ .server = 100, .smalls = .{ .of(&one), .of(&one) }, .quads = .{ .of(&four), .of(&four) } };
    try expectEqual(migz.Status.ok, stubs.packEchoSmallRequest(small, &small_in, 200, &size));
    small.smalls[1].size = 32;
    small.smalls[1].address = @intFromPtr(&eight);
    small.smalls_subs[1] = 8;
    try expectEqual(type_error, demux(&echo, &small.head, size, &out_buf));
    // A fixed element of the wrong size, where neither the array nor the element varies.
    try expectEqual(migz.Status.ok, stubs.packEchoSmallRequest(small, &small_in, 200, &size));
    small.quads[0].size = 12;
    try expectEqual(type_error, demux(&echo, &small.head, size, &out_buf));
    // A variable array of fixed elements whose count is above the bound: Apple's server
    // would walk past the array; migz refuses it as malformed.
    small_in.qlist_cnt = 2;
    small_in.qlist = .{ .of(&four), .of(&four) };
    try expectEqual(migz.Status.ok, stubs.packEchoSmallRequest(small, &small_in, 200, &size));
    small.qlist_cnt = 3;
    try expectEqual(bad_arguments, demux(&echo, &small.head, size, &out_buf));
    // ... and a fixed element of a variable array of the wrong size.
    try expectEqual(migz.Status.ok, stubs.packEchoSmallRequest(small, &small_in, 200, &size));
    small.qlist[1].size = 8;
    try expectEqual(type_error, demux(&echo, &small.head, size, &out_buf));
}

test "arrays of port arrays: dispositions checked, rights back moved" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.SwapPortsRequest = @ptrCast(&in_buf);
    const first = [_]migz.Port{ 11, 12 };
    const second = [_]migz.Port{ 13, 14, 15 };
    const in: stubs.SwapPortsIn = .{ .server = 100, .ports = .{ .of(&first), .of(&second) } };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packSwapPortsRequest(req, &in, 200, &size));
    try expectEqual(@as(u32, 76), size);
    try expectEqual([2]u32{ 2, 3 }, req.ports_subs);
    for (req.ports) |d| {
        try expectEqual(migz.descriptor_type.ool_ports, d.type);
        try expectEqual(@as(u8, 19), d.disposition);
    }
    try expectEqual(@as(u32, 3), req.ports[1].count);

    // Not yet received: a copied send right's disposition is MIG_TYPE_ERROR at the server.
    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    try expectEqual(migz.Status.type_error.code(), demux(&echo, &req.head, size, &out_buf));
    for (&req.ports) |*d| d.disposition = move_send;
    try expectEqual(@as(i32, 0), demux(&echo, &req.head, size, &out_buf));
    const reply: *stubs.SwapPortsReply = @ptrCast(&out_buf);
    try expectEqual(@as(u32, 80), reply.head.size);
    for (reply.back) |d| try expectEqual(@as(u8, 17), d.disposition);
    var out: stubs.SwapPortsOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackSwapPortsReply(reply, reply.head.size + migz.max_trailer_size, &out));
    try expectEqual(@as(u32, 2), out.back_cnt);
    try std.testing.expectEqualSlices(migz.Port, &second, out.back[0].items());
    try std.testing.expectEqualSlices(migz.Port, &first, out.back[1].items());
    // A port count that disagrees with Subs.
    reply.back[0].count = 2;
    try expectEqual(migz.Status.type_error, stubs.unpackSwapPortsReply(reply, reply.head.size + migz.max_trailer_size, &out));
}

test "a simpleroutine moves its buffers (deallocate set in every descriptor)" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.GiveBufsRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packGiveBufsRequest(req, &.{ .server = 100, .fixed = .{ .of(&two), .of(&four) } }, migz.port_null, &size));
    for (req.fixed) |d| try expectEqual(@as(u8, 1), d.deallocate);
    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    _ = demux(&echo, &req.head, size, &out_buf);
    try expectEqual(@as(u32, 6), echo.gave);
}

test "Dealloc[]: the caller's choice goes in every descriptor it sends" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.GiveMaybeRequest = @ptrCast(&in_buf);
    var size: u32 = 0;
    const in: stubs.GiveMaybeIn = .{ .server = 100, .listed = .{ .of(&two), .of(&four), .{} }, .listed_cnt = 2, .listed_dealloc = true };
    try expectEqual(migz.Status.ok, stubs.packGiveMaybeRequest(req, &in, 200, &size));
    try expectEqual(@as(u8, 1), req.listed[0].deallocate);
    try expectEqual(@as(u8, 1), req.listed[1].deallocate);
    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    try expectEqual(@as(i32, 0), demux(&echo, &req.head, size, &out_buf));
    const reply: *stubs.GiveMaybeReply = @ptrCast(&out_buf);
    var out: stubs.GiveMaybeOut = .{};
    try expectEqual(migz.Status.ok, stubs.unpackGiveMaybeReply(reply, reply.head.size + migz.max_trailer_size, &out));
    try expectEqual(@as(i32, 6), out.total);
    var kept = in;
    kept.listed_dealloc = false;
    try expectEqual(migz.Status.ok, stubs.packGiveMaybeRequest(req, &kept, 200, &size));
    try expectEqual(@as(u8, 0), req.listed[0].deallocate);
}

test "polymorphic port arrays: one disposition for every descriptor, any valid one received" {
    var in_buf: Req align(8) = @splat(0);
    const req: *stubs.PassPolyRequest = @ptrCast(&in_buf);
    const first = [_]migz.Port{11};
    const rest = [_]migz.Port{ 12, 13 };
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, stubs.packPassPolyRequest(req, &.{ .server = 100, .rights = .{ .of(&first), .of(&rest) }, .rights_poly = 19 }, 200, &size));
    for (req.rights) |d| try expectEqual(@as(u8, 19), d.disposition);
    for (&req.rights) |*d| d.disposition = move_send;
    var echo: Echo = .{};
    var out_buf: Rep align(8) = @splat(0);
    try expectEqual(@as(i32, 0), demux(&echo, &req.head, size, &out_buf));
    const reply: *stubs.PassPolyReply = @ptrCast(&out_buf);
    try expectEqual(@as(i32, 3), reply.count);
    // A disposition that is no right at all.
    req.rights[1].disposition = 3;
    try expectEqual(migz.Status.type_error.code(), demux(&echo, &req.head, size, &out_buf));
}
