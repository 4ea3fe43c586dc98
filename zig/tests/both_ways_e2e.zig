//! The idiomatic API on arguments it types in both directions (`zig/tests/defs/both_ways.defs`),
//! Zig client against Zig server over the local transport: a fixed number of rights in the
//! request and in the reply, a right that goes both ways (InOut, made from a receive right
//! each way), out-of-line memory that goes both ways, rights the reply moves, and a right the
//! request moves beside a string it checks. The right accounting shows nothing leaked.

const std = @import("std");
const migz = @import("migz");
const bw = @import("both_ways");

const expectEqual = std.testing.expectEqual;

const Impl = struct {
    /// The pair the last request gave (owned), lent back by the next one.
    pair: ?migz.InlineRights(migz.SendRight, 2) = null,
    /// The pair before it, kept until the reply lending it has been sent.
    retired: ?migz.InlineRights(migz.SendRight, 2) = null,
    /// The manager the last request gave (owned).
    manager: ?migz.SendRight = null,
    /// The server's own port, whose send rights `swapManager` makes.
    own: migz.ReceiveRight,
    /// The bytes of the last request (owned), reversed in place and lent to the reply.
    bytes: ?migz.OolSlice(u8) = null,
    /// Room for the rights `give` makes; the reply takes them.
    given: [5]migz.SendRight = undefined,
    /// The right `keepNamed` was last given, and the length of its name.
    kept: ?migz.SendRight = null,
    kept_name_len: usize = 0,

    pub fn swapPair(self: *Impl, _: migz.Port, pair: migz.InlineRights(migz.SendRight, 2)) migz.Error![2]migz.SendRight {
        // The first time, the pair given is lent back itself.
        const before = self.pair orelse pair;
        // The reply copies the rights lent to it: the ones given before stay ours until
        // released on the next call or at the end.
        if (self.pair) |p| self.keep(p);
        self.pair = pair;
        return .{ .{ .name = before.names()[0] }, .{ .name = before.names()[1] } };
    }

    /// Parks `old` to be released at the end (the reply still copies from its names).
    fn keep(self: *Impl, old: migz.InlineRights(migz.SendRight, 2)) void {
        if (self.retired) |r| r.deinit();
        self.retired = old;
    }
    pub fn swapManager(self: *Impl, _: migz.Port, manager: ?migz.SendRight) migz.Error!?migz.ReceiveRight {
        if (self.manager) |m| m.deinit();
        self.manager = manager;
        return self.own;
    }

    pub fn reverseBytes(self: *Impl, _: migz.Port, data: migz.OolSlice(u8)) migz.Error![]const u8 {
        if (self.bytes) |b| b.deinit();
        self.bytes = data;
        const items: []u8 = @constCast(data.items);
        std.mem.reverse(u8, items);
        return items;
    }

    /// Gives away `count` send rights made for its own port: the reply moves them.
    pub fn give(self: *Impl, _: migz.Port, count: i32) migz.Error![]const migz.SendRight {
        const n: usize = @intCast(count);
        for (self.given[0..n]) |*right| right.* = self.own.makeSend() catch return error.Failure;
        return self.given[0..n];
    }

    /// Keeps the right it is given (released at the end) and its name's length.
    pub fn keepNamed(self: *Impl, _: migz.Port, right: ?migz.SendRight, name: []const u8) migz.Error!void {
        if (self.kept) |k| k.deinit();
        self.kept = right;
        self.kept_name_len = name.len;
    }

    fn deinit(self: *Impl) void {
        if (self.kept) |k| k.deinit();
        if (self.pair) |p| p.deinit();
        if (self.retired) |r| r.deinit();
        if (self.manager) |m| m.deinit();
        if (self.bytes) |b| b.deinit();
    }
};

test "both_ways: every argument above through the typed API" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        defer service.deinit();
        const server = try service.makeSend();
        defer server.deinit();
        const own = try migz.ReceiveRight.allocate();
        defer own.deinit();

        // The rights the calls pass: allocated first, so they outlive what the server
        // keeps of them (a name whose receive right is gone holds a dead name instead).
        const a = try migz.ReceiveRight.allocate();
        defer a.deinit();
        const b = try migz.ReceiveRight.allocate();
        defer b.deinit();
        const sa = try a.makeSend();
        defer sa.deinit();
        const sb = try b.makeSend();
        defer sb.deinit();
        const mgr = try migz.ReceiveRight.allocate();
        defer mgr.deinit();

        var impl: Impl = .{ .own = own };
        defer impl.deinit();
        const thread = try std.Thread.spawn(.{}, migz.testing.serveRequests, .{ task, service.name, bw.api.Server(Impl){ .impl = &impl }, 9 });
        defer thread.join();

        // The first pair is kept and lent back; the second comes back as the first, in its
        // order: both owned by the caller.
        const first = try bw.api.swapPair(server, .{ sa, sb });
        defer first.deinit();
        try std.testing.expectEqualSlices(migz.Port, &.{ sa.name, sb.name }, first.names());
        const back = try bw.api.swapPair(server, .{ sb, sa });
        defer back.deinit();
        try expectEqual(@as(usize, 2), back.names().len);
        try expectEqual(sa.name, back.names()[0]);
        try expectEqual(sb.name, back.names()[1]);

        // InOut right: our receive right makes the send right the server keeps, and its
        // own receive right makes the one we get back.
        const got = (try bw.api.swapManager(server, mgr)).?;
        defer got.deinit();
        try expectEqual(own.name, got.name);
        try expectEqual(mgr.name, impl.manager.?.name);

        // InOut memory: the server's answer arrives out of line, ours to give back.
        const reversed = try bw.api.reverseBytes(server, "hello");
        defer reversed.deinit();
        try std.testing.expectEqualStrings("olleh", reversed.items);
        const empty = try bw.api.reverseBytes(server, "");
        defer empty.deinit();
        try expectEqual(@as(usize, 0), empty.items.len);

        // Rights the reply moves arrive owned; too many for the reply are refused with
        // MIG_ARRAY_TOO_LARGE, and the server's adapter releases them all.
        const given = try bw.api.give(server, 3);
        defer given.deinit();
        try std.testing.expectEqualSlices(migz.Port, &.{ own.name, own.name, own.name }, given.names());
        try std.testing.expectError(error.MigArrayTooLarge, bw.api.give(server, 5));
        try expectEqual(migz.mig.array_too_large, migz.lastCode());

        // A right moved beside a string the request checks: sent when the string fits;
        // when it does not, nothing is sent and the call releases the right itself (the
        // right accounting at the end would find it otherwise).
        try bw.api.keepNamed(server, try a.makeSend(), "fits");
        try expectEqual(a.name, impl.kept.?.name);
        try expectEqual(@as(usize, 4), impl.kept_name_len);
        try std.testing.expectError(error.MigArrayTooLarge, bw.api.keepNamed(server, try b.makeSend(), "too long"));
        try expectEqual(migz.mig.array_too_large, migz.lastCode());
        try expectEqual(a.name, impl.kept.?.name);

        // The typed server still serves the raw client, with a pair of names.
        var out: bw.SwapPairOut = .{};
        try expectEqual(migz.kern.success, bw.swapPair(&.{ .server = server.name, .give = .{ sa.name, sa.name } }, &out));
        try expectEqual(sb.name, out.back[0]);
        try expectEqual(sa.name, out.back[1]);
        migz.SendRight.fromName(out.back[0]).deinit();
        migz.SendRight.fromName(out.back[1]).deinit();
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}
