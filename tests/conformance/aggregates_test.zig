//! Port aggregates in Zig (`aggregates.defs`): the generated Zig packs an array of arrays
//! of ports as one port descriptor per right, its server unpacks them all, and a count
//! above the bound is refused on both sides. Messages go from pack to the server's demux
//! to the client's unpack in memory; between them the test does what the kernel's copyout
//! does to a copied send right (its disposition arrives as MOVE_SEND).

const std = @import("std");
const migz = @import("migz");
const stubs = @import("stubs");

const move_send: u8 = 17;

/// Keeps count of the listed rights, moves the fixed ones back in reverse order.
const Keeper = struct {
    held: u32 = 0,

    pub fn swapSix(self: *Keeper, in: *const stubs.SwapSixIn, out: *stubs.SwapSixOut) migz.KernReturn {
        self.held += in.listed_cnt;
        for (0..6) |i| out.back[i] = in.fixed[5 - i];
        out.held = @intCast(self.held);
        return migz.kern.success;
    }
};

fn arrive(descriptors: []migz.PortDescriptor) void {
    for (descriptors) |*d| {
        if (d.name != migz.port_null) d.disposition = move_send;
    }
}

test "six rights travel as six port descriptors, through demux and back" {
    var in_buf: [stubs.request_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const req: *stubs.SwapSixRequest = @ptrCast(&in_buf);
    const in: stubs.SwapSixIn = .{
        .server = 100,
        .fixed = .{ 1, 2, 3, 4, 5, 6 },
        .listed = .{ 7, 8, 9, 10, 0, 0 },
        .listed_cnt = 4,
    };
    var size: u32 = 0;
    try std.testing.expectEqual(migz.Status.ok, stubs.packSwapSixRequest(req, &in, 200, &size));
    // Apple's __Request__swap_six_t: 184 bytes, 12 port descriptors.
    try std.testing.expectEqual(@as(u32, 184), size);
    try std.testing.expectEqual(@as(u32, 12), req.body.descriptor_count);
    for (req.fixed, 0..) |d, i| try std.testing.expectEqual(in.fixed[i], d.name);
    for (req.listed, 0..) |d, i| try std.testing.expectEqual(in.listed[i], d.name);
    try std.testing.expectEqual(@as(u32, 4), req.listed_cnt);

    arrive(&req.fixed);
    arrive(&req.listed);
    req.head.local_port = 100;
    var keeper: Keeper = .{};
    const server: stubs.Server(Keeper) = .{ .impl = &keeper };
    var out_buf: [stubs.reply_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const reply: *stubs.SwapSixReply = @ptrCast(&out_buf);
    try std.testing.expect(server.demuxLen(&req.head, size + migz.max_trailer_size, &reply.head));
    try std.testing.expectEqual(@as(u32, 4), keeper.held);
    try std.testing.expectEqual(@as(u32, 6), reply.body.descriptor_count);

    arrive(&reply.back);
    var out: stubs.SwapSixOut = .{};
    const st = stubs.unpackSwapSixReply(reply, reply.head.size + migz.max_trailer_size, &out);
    try std.testing.expectEqual(migz.Status.ok, st);
    try std.testing.expectEqual([6]migz.Port{ 6, 5, 4, 3, 2, 1 }, out.back);
    try std.testing.expectEqual(@as(i32, 4), out.held);
}

test "a count above the bound of 2 x 3 rights is refused" {
    var in_buf: [stubs.request_size_max + migz.max_trailer_size]u8 align(8) = @splat(0);
    const req: *stubs.SwapSixRequest = @ptrCast(&in_buf);
    var in: stubs.SwapSixIn = .{ .server = 100, .fixed = .{ 1, 2, 3, 4, 5, 6 }, .listed_cnt = 7 };
    var size: u32 = 0;
    try std.testing.expectEqual(migz.Status.array_too_large, stubs.packSwapSixRequest(req, &in, 200, &size));
    in.listed_cnt = 6;
    try std.testing.expectEqual(migz.Status.ok, stubs.packSwapSixRequest(req, &in, 200, &size));
    arrive(&req.fixed);
    // Apple's server reads the descriptors up to the count unchecked; migz refuses it.
    req.listed_cnt = 7;
    var got: stubs.SwapSixIn = .{};
    try std.testing.expectEqual(migz.Status.bad_arguments, stubs.unpackSwapSixRequest(req, size + migz.max_trailer_size, &got));
}
