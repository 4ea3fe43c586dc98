//! Arrays of out-of-line types (`tests/conformance/ool_arrays.defs`) across languages, as
//! `zig build test` runs it: a Zig client against the Rust server and the Rust client
//! against the Zig server (and the same-language pairs), in one process over the local
//! transport. The Rust side is the umbrella library `tests/zig-host`
//! (`src/ool_arrays_service.rs`), reached through bridge entries; both sides run the same
//! scenario and serve the same answers. Every test ends with the space holding nothing.

const std = @import("std");
const migz = @import("migz");
const oa = @import("ool_arrays");

comptime {
    // The umbrella Rust library linked in calls every example's Zig stub exports.
    _ = @import("zig_host");
}

const Port = migz.Port;
const KernReturn = migz.KernReturn;
const ok = migz.kern.success;
const expectEqual = std.testing.expectEqual;

const rust_server = migz.bridge.rustEntry("migz_test_ool_arrays_rust_server");
const rust_client = migz.bridge.rustEntry("migz_test_ool_arrays_rust_client");

/// The longest buffer the servers answer (a longer one is `KERN_INVALID_ARGUMENT`).
const longest = 8;

fn release(s: migz.ConstSlice(i32)) void {
    if (s.ptr) |p| _ = migz.vmDeallocate(@intFromPtr(p), @as(u64, s.len) * @sizeOf(i32));
}

fn releasePorts(s: migz.ConstSlice(Port)) void {
    for (s.items()) |p| _ = migz.portDeallocate(p);
    if (s.ptr) |p| _ = migz.vmDeallocate(@intFromPtr(p), @as(u64, s.len) * @sizeOf(Port));
}

/// The Zig server: answers each buffer reversed (from storage of its own, sent as a copy),
/// the listed quads reversed for `echo_small`, the two port arrays swapped, and takes what
/// `give_bufs` moves to it. On success it owns and releases what the request brought.
const Impl = struct {
    store: [8][longest]i32 = undefined,
    names: [2][4]Port = undefined,
    given: usize = 0,

    fn reversed(self: *Impl, slot: usize, s: migz.ConstSlice(i32)) migz.ConstSlice(i32) {
        const items = s.items();
        for (items, 0..) |v, i| self.store[slot][items.len - 1 - i] = v;
        return .of(self.store[slot][0..items.len]);
    }

    fn fits(slices: []const migz.ConstSlice(i32)) bool {
        for (slices) |s| if (s.len > longest) return false;
        return true;
    }

    pub fn echoBufs(self: *Impl, in: *const oa.EchoBufsIn, out: *oa.EchoBufsOut) KernReturn {
        const listed = in.listed[0..in.listed_cnt];
        if (!fits(&in.fixed) or !fits(listed)) return migz.kern.invalid_argument;
        for (in.fixed, 0..) |s, i| out.rfixed[i] = self.reversed(i, s);
        for (listed, 0..) |s, i| out.rlisted[i] = self.reversed(2 + i, s);
        out.rlisted_cnt = in.listed_cnt;
        for (in.fixed) |s| release(s);
        for (listed) |s| release(s);
        return ok;
    }

    pub fn echoSmall(self: *Impl, in: *const oa.EchoSmallIn, out: *oa.EchoSmallOut) KernReturn {
        const qlist = in.qlist[0..in.qlist_cnt];
        for (qlist, 0..) |s, i| out.rquads[i] = self.reversed(2 + i, s);
        out.rquads_cnt = in.qlist_cnt;
        for (in.smalls, 0..) |s, i| out.rsmalls[i] = self.reversed(i, s);
        for (in.smalls) |s| release(s);
        for (in.quads) |s| release(s);
        for (qlist) |s| release(s);
        return ok;
    }

    pub fn swapPorts(self: *Impl, in: *const oa.SwapPortsIn, out: *oa.SwapPortsOut) KernReturn {
        for (in.ports) |s| if (s.len > 4) return migz.kern.invalid_argument;
        // The rights go back moved, so only the names' memory is released here.
        for (in.ports, 0..) |s, i| {
            @memcpy(self.names[i][0..s.len], s.items());
            out.back[1 - i] = .of(self.names[i][0..s.len]);
            if (s.ptr) |p| _ = migz.vmDeallocate(@intFromPtr(p), @as(u64, s.len) * @sizeOf(Port));
        }
        out.back_cnt = 2;
        return ok;
    }

    pub fn giveBufs(self: *Impl, in: *const oa.GiveBufsIn, _: *oa.GiveBufsOut) KernReturn {
        for (in.fixed) |s| {
            self.given += s.len;
            release(s);
        }
        return ok;
    }

    pub fn passPoly(_: *Impl, in: *const oa.PassPolyIn, out: *oa.PassPolyOut) KernReturn {
        out.count = @intCast(in.rights[0].len + in.rights[1].len);
        for (in.rights) |s| releasePorts(s);
        return ok;
    }

    pub fn giveMaybe(_: *Impl, in: *const oa.GiveMaybeIn, out: *oa.GiveMaybeOut) KernReturn {
        var total: i32 = 0;
        for (in.listed[0..in.listed_cnt]) |s| {
            total += @intCast(s.len);
            release(s);
        }
        out.total = total;
        return ok;
    }
};

const one = [_]i32{1};
const two = [_]i32{ 2, 3 };
const three = [_]i32{ 4, 5, 6 };
const four = [_]i32{ 7, 8, 9, 10 };

fn expectItems(want: []const i32, got: migz.ConstSlice(i32)) !void {
    try std.testing.expectEqualSlices(i32, want, got.items());
}

/// The Zig client's scenario, the same as the Rust client's: every routine, with the
/// answers checked and everything received released.
fn everyRoutine(server: Port) !void {
    var bufs: oa.EchoBufsOut = .{};
    try expectEqual(ok, oa.echoBufs(&.{
        .server = server,
        .fixed = .{ .of(&two), .of(&three) },
        .listed = .{ .of(&one), .{}, .of(&four) },
        .listed_cnt = 3,
    }, &bufs));
    defer for (bufs.rfixed ++ bufs.rlisted) |s| release(s);
    try expectItems(&.{ 3, 2 }, bufs.rfixed[0]);
    try expectItems(&.{ 6, 5, 4 }, bufs.rfixed[1]);
    try expectEqual(@as(u32, 3), bufs.rlisted_cnt);
    try expectItems(&.{1}, bufs.rlisted[0]);
    try expectItems(&.{}, bufs.rlisted[1]);
    try expectItems(&.{ 10, 9, 8, 7 }, bufs.rlisted[2]);

    var small: oa.EchoSmallOut = .{};
    const quad = [_]i32{ 11, 12, 13, 14 };
    try expectEqual(ok, oa.echoSmall(&.{
        .server = server,
        .smalls = .{ .of(&one), .of(&four) },
        .quads = .{ .of(&four), .of(&four) },
        .qlist = .{ .of(&quad), .{} },
        .qlist_cnt = 1,
    }, &small));
    defer for (small.rquads ++ small.rsmalls) |s| release(s);
    try expectEqual(@as(u32, 1), small.rquads_cnt);
    try expectItems(&.{ 14, 13, 12, 11 }, small.rquads[0]);
    try expectItems(&.{1}, small.rsmalls[0]);
    try expectItems(&.{ 10, 9, 8, 7 }, small.rsmalls[1]);

    // Copied send rights go; the same rights come back moved, the arrays swapped.
    var rights: [3]migz.ReceiveRight = undefined;
    var sends: [3]migz.SendRight = undefined;
    for (&rights, &sends) |*r, *s| {
        r.* = try migz.ReceiveRight.allocate();
        s.* = try r.makeSend();
    }
    defer for (rights, sends) |r, s| {
        s.deinit();
        r.deinit();
    };
    const first = [_]Port{sends[0].name};
    const rest = [_]Port{ sends[1].name, sends[2].name };
    var swapped: oa.SwapPortsOut = .{};
    try expectEqual(ok, oa.swapPorts(&.{ .server = server, .ports = .{ .of(&first), .of(&rest) } }, &swapped));
    defer for (swapped.back) |s| releasePorts(s);
    try expectEqual(@as(u32, 2), swapped.back_cnt);
    try std.testing.expectEqualSlices(Port, &rest, swapped.back[0].items());
    try std.testing.expectEqualSlices(Port, &first, swapped.back[1].items());

    // Rights of a disposition of our choice: made from our receive rights.
    var counted: oa.PassPolyOut = .{};
    const receives = [_]Port{ rights[0].name, rights[1].name };
    try expectEqual(ok, oa.passPoly(&.{ .server = server, .rights = .{ .of(receives[0..1]), .of(receives[1..]) }, .rights_poly = migz.disposition.make_send }, &counted));
    try expectEqual(@as(i32, 2), counted.count);

    // Memory moved to the server, a region of our own per buffer: the message
    // deallocates them from us.
    var moved: [2][]align(4) const i32 = undefined;
    for (&moved, [_]usize{ 3, 1 }) |*m, n| {
        const bytes = (try migz.vmAllocate(n * @sizeOf(i32)))[0 .. n * @sizeOf(i32)];
        m.* = @alignCast(std.mem.bytesAsSlice(i32, bytes));
    }
    try expectEqual(ok, oa.giveBufs(&.{ .server = server, .fixed = .{ .of(moved[0]), .of(moved[1]) } }));

    // Dealloc[]: our buffers stay ours, then a region of our own moves.
    var total: oa.GiveMaybeOut = .{};
    try expectEqual(ok, oa.giveMaybe(&.{ .server = server, .listed = .{ .of(&two), .of(&three), .{} }, .listed_cnt = 2 }, &total));
    try expectEqual(@as(i32, 5), total.total);
    const region = (try migz.vmAllocate(2 * @sizeOf(i32)))[0 .. 2 * @sizeOf(i32)];
    const region_items: []align(4) const i32 = @alignCast(std.mem.bytesAsSlice(i32, region));
    try expectEqual(ok, oa.giveMaybe(&.{ .server = server, .listed = .{ .of(region_items), .{}, .{} }, .listed_cnt = 1, .listed_dealloc = true }, &total));
    try expectEqual(@as(i32, 2), total.total);

    // More listed buffers than the bound of 3: refused before anything is sent.
    try expectEqual(migz.mig.array_too_large, oa.echoBufs(&.{ .server = server, .listed_cnt = 4 }, &bufs));
}

/// The typed client's scenario (`oa.api`), with the same answers as `everyRoutine` for the
/// routines the typed API covers: slices go, owned regions come back.
fn typedRoutines(server: migz.SendRight) !void {
    const bufs = try oa.api.echoBufs(server, .{ &two, &three }, &.{ &one, &.{}, &four });
    defer bufs.rfixed.deinit();
    defer bufs.rlisted.deinit();
    try std.testing.expectEqualSlices(i32, &.{ 3, 2 }, bufs.rfixed.items(0));
    try std.testing.expectEqualSlices(i32, &.{ 6, 5, 4 }, bufs.rfixed.items(1));
    try expectEqual(@as(u32, 3), bufs.rlisted.len);
    try std.testing.expectEqualSlices(i32, &.{1}, bufs.rlisted.items(0));
    try std.testing.expectEqualSlices(i32, &.{}, bufs.rlisted.items(1));
    try std.testing.expectEqualSlices(i32, &.{ 10, 9, 8, 7 }, bufs.rlisted.items(2));

    const quad = [_]i32{ 11, 12, 13, 14 };
    const small = try oa.api.echoSmall(server, .{ &one, &four }, .{ &four, &four }, &.{&quad});
    defer small.rquads.deinit();
    defer small.rsmalls.deinit();
    try expectEqual(@as(u32, 1), small.rquads.len);
    try std.testing.expectEqualSlices(i32, &.{ 14, 13, 12, 11 }, small.rquads.items(0));
    try std.testing.expectEqualSlices(i32, &.{1}, small.rsmalls.items(0));
    try std.testing.expectEqualSlices(i32, &.{ 10, 9, 8, 7 }, small.rsmalls.items(1));

    // Dealloc[]: the typed call sends copies, and our buffers stay ours.
    try expectEqual(@as(i32, 5), try oa.api.giveMaybe(server, &.{ &two, &three }));

    // Refused before anything is sent: more listed buffers than the bound of 3, and a quad
    // that is not four long.
    try std.testing.expectError(error.MigArrayTooLarge, oa.api.echoBufs(server, .{ &two, &three }, &.{ &one, &one, &one, &one }));
    try std.testing.expectError(error.MigBadArguments, oa.api.echoSmall(server, .{ &one, &one }, .{ &four, &three }, &.{}));
}

/// The typed server (`oa.api.Server`): the answers of `Impl` for the routines the typed
/// API covers, each region it received given back once answered; `Impl`'s raw methods for
/// the rest.
const TypedImpl = struct {
    raw: Impl = .{},
    store: [8][longest]i32 = undefined,
    /// The answer's listed slices, lent to the reply.
    lent: [3][]const i32 = undefined,

    fn reversed(self: *TypedImpl, slot: usize, items: []const i32) []const i32 {
        for (items, 0..) |v, i| self.store[slot][items.len - 1 - i] = v;
        return self.store[slot][0..items.len];
    }

    fn fits(comptime n: u32, slices: migz.OolSlices(i32, n)) bool {
        for (0..slices.len) |i| if (slices.items(i).len > longest) return false;
        return true;
    }

    pub fn echoBufs(self: *TypedImpl, _: Port, fixed: migz.OolSlices(i32, 2), listed: migz.OolSlices(i32, 3)) migz.Error!oa.api.EchoBufsAnswer {
        // On an error the serve loop destroys what the request brought.
        if (!fits(2, fixed) or !fits(3, listed)) return error.InvalidArgument;
        defer fixed.deinit();
        defer listed.deinit();
        var answer: oa.api.EchoBufsAnswer = undefined;
        for (&answer.rfixed, 0..) |*r, i| r.* = self.reversed(i, fixed.items(i));
        for (0..listed.len) |i| self.lent[i] = self.reversed(2 + i, listed.items(i));
        answer.rlisted = self.lent[0..listed.len];
        return answer;
    }

    pub fn echoSmall(self: *TypedImpl, _: Port, smalls: migz.OolSlices(i32, 2), quads: migz.OolSlices(i32, 2), qlist: migz.OolSlices(i32, 2)) migz.Error!oa.api.EchoSmallAnswer {
        defer smalls.deinit();
        defer quads.deinit();
        defer qlist.deinit();
        var answer: oa.api.EchoSmallAnswer = undefined;
        for (0..qlist.len) |i| self.lent[i] = self.reversed(2 + i, qlist.items(i));
        answer.rquads = self.lent[0..qlist.len];
        for (&answer.rsmalls, 0..) |*r, i| r.* = self.reversed(i, smalls.items(i));
        return answer;
    }

    pub fn giveMaybe(_: *TypedImpl, _: Port, listed: migz.OolSlices(i32, 3)) migz.Error!i32 {
        defer listed.deinit();
        var total: i32 = 0;
        for (0..listed.len) |i| total += @intCast(listed.items(i).len);
        return total;
    }

    pub fn swapPorts(self: *TypedImpl, in: *const oa.SwapPortsIn, out: *oa.SwapPortsOut) KernReturn {
        return self.raw.swapPorts(in, out);
    }

    pub fn giveBufs(self: *TypedImpl, in: *const oa.GiveBufsIn, out: *oa.GiveBufsOut) KernReturn {
        return self.raw.giveBufs(in, out);
    }

    pub fn passPoly(self: *TypedImpl, in: *const oa.PassPolyIn, out: *oa.PassPolyOut) KernReturn {
        return self.raw.passPoly(in, out);
    }
};

test "ool_arrays: the typed Zig client against the Rust server and the typed Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);
        try typedRoutines(send);
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: TypedImpl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(oa.api, oa.api.Server(TypedImpl){ .impl = &impl }, task.port, port, &result);
        try typedRoutines(send);
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

fn zigClient(server: Port) KernReturn {
    everyRoutine(server) catch return migz.kern.failure;
    return ok;
}

test "ool_arrays: a Zig client, a Rust server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);
        try everyRoutine(send.name);
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ool_arrays: a Rust client, a Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: Impl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(oa, oa.Server(Impl){ .impl = &impl }, task.port, port, &result);
        try expectEqual(ok, rust_client(task.port, send.name, 0));
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
        try expectEqual(@as(usize, 4), impl.given);
    }
    try task.expectNoLeaks();
}

test "ool_arrays: a Zig client, a Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: Impl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(oa, oa.Server(Impl){ .impl = &impl }, task.port, port, &result);
        try expectEqual(ok, zigClient(send.name));
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
        try expectEqual(@as(usize, 4), impl.given);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ool_arrays: a Rust client, a Rust server, both started from Zig" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);
        try expectEqual(ok, rust_client(task.port, send.name, 0));
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    try task.expectNoLeaks();
}
