//! Zig client against Zig server over the local transport, for the `array_test` example:
//! the generated client packs, the generated server unpacks, calls the implementation and
//! replies, and the right accounting shows that nothing leaked.

const std = @import("std");
const migz = @import("migz");
const array_test = @import("array_test");

const Impl = struct {
    calls: u32 = 0,

    pub fn sumArray(self: *Impl, in: *const array_test.SumArrayIn, out: *array_test.SumArrayOut) migz.KernReturn {
        self.calls += 1;
        var total: i32 = 0;
        for (in.data.items()) |x| total +%= x;
        out.total = total;
        return migz.kern.success;
    }
};

test "sum_array: Zig client, Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        defer service.deinit();
        const send = try service.makeSend();
        defer send.deinit();

        var impl: Impl = .{};
        const thread = try std.Thread.spawn(.{}, migz.testing.serveRequests, .{ task, service.name, array_test.Server(Impl){ .impl = &impl }, 3 });
        defer thread.join();

        var data: [1024]i32 = undefined;
        for (&data, 0..) |*x, i| x.* = @intCast(i);
        var out: array_test.SumArrayOut = .{};
        try std.testing.expectEqual(migz.kern.success, array_test.sumArray(&.{ .server_port = send.name, .data = .of(&data) }, &out));
        try std.testing.expectEqual(@as(i32, 1023 * 1024 / 2), out.total);

        try std.testing.expectEqual(migz.kern.success, array_test.sumArray(&.{ .server_port = send.name }, &out));
        try std.testing.expectEqual(@as(i32, 0), out.total);

        const three = [_]i32{ -5, 7, 100 };
        try std.testing.expectEqual(migz.kern.success, array_test.sumArray(&.{ .server_port = send.name, .data = .of(&three) }, &out));
        try std.testing.expectEqual(@as(i32, 102), out.total);

        // Too many elements: refused before anything is sent, as Apple's stubs do.
        var too_many: [1025]i32 = @splat(1);
        try std.testing.expectEqual(migz.mig.array_too_large, array_test.sumArray(&.{ .server_port = send.name, .data = .of(&too_many) }, &out));
        try std.testing.expectEqual(@as(u32, 3), impl.calls);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "sum_array: wire size follows the array and the C exports agree" {
    var msg: array_test.SumArrayRequest = undefined;
    const five = [_]i32{ 1, 2, 3, 4, 5 };
    var size: u32 = 0;
    try std.testing.expectEqual(migz.Status.ok, array_test.packSumArrayRequest(&msg, &.{ .server_port = 7, .data = .of(&five) }, 9, &size));
    // Header 24, NDR 8, count 4, five ints 20.
    try std.testing.expectEqual(@as(u32, 56), size);
    try std.testing.expectEqual(@as(u32, 5), msg.data_cnt);

    var in: array_test.SumArrayIn = .{};
    try std.testing.expectEqual(migz.Status.ok, array_test.migz1_array_test_sum_array_unpack_request(&msg, size, &in));
    try std.testing.expectEqualSlices(i32, &five, in.data.items());
    try std.testing.expectEqual(@as(migz.Port, 9), msg.head.local_port);

    // A count above the bound is refused, as Apple's server stubs refuse it.
    msg.data_cnt = 1025;
    try std.testing.expectEqual(migz.Status.bad_arguments, array_test.unpackSumArrayRequest(&msg, size, &in));
}

test "sum_array: the bridge's server loop ends when the last send right goes" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        const send = try service.makeSend();
        const second = try service.makeSend();

        var impl: Impl = .{};
        var result: migz.MsgReturn = -1;
        // The loop takes the receive right; the test keeps two send rights.
        const thread = try migz.bridge.spawnServer(array_test, array_test.Server(Impl){ .impl = &impl }, task.port, service, &result);

        const data = [_]i32{ 1, 2, 3 };
        var out: array_test.SumArrayOut = .{};
        try std.testing.expectEqual(migz.kern.success, array_test.sumArray(&.{ .server_port = send.name, .data = .of(&data) }, &out));
        try std.testing.expectEqual(@as(i32, 6), out.total);
        send.deinit();
        // One send right is left: the server still answers.
        try std.testing.expectEqual(migz.kern.success, array_test.sumArray(&.{ .server_port = second.name, .data = .of(&data) }, &out));
        second.deinit();
        thread.join();
        try std.testing.expectEqual(migz.msg_return.success, result);
        try std.testing.expectEqual(@as(u32, 2), impl.calls);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}
