//! The cross-language matrix of the `array_test` example as `zig build test` runs it: a
//! Zig client against the Rust server and a Rust client against the Zig server, in one
//! process over the local transport. The Rust side is the umbrella library
//! `tests/zig-host`, reached through bridge entries.

const std = @import("std");
const migz = @import("migz");
const array_test = @import("array_test");
const service = @import("service");

comptime {
    // The umbrella Rust library linked in calls every example's Zig stub exports.
    _ = @import("zig_host");
}

const expectEqual = std.testing.expectEqual;

const rust_server = migz.bridge.rustEntry("migz_example_array_test_rust_server");
const rust_client = migz.bridge.rustEntry("migz_example_array_test_rust_client");

test "array_test: a Zig client, a Rust server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        // The Rust server takes the receive right and serves until the last send right goes.
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);

        try expectEqual(migz.kern.success, service.sumOneTo(send.name, 1024));
        try expectEqual(migz.kern.success, service.sumOneTo(send.name, 0));
        try expectEqual(migz.mig.array_too_large, service.sumOneTo(send.name, 1025));
        // The Rust routine's error comes back as the reply's code, by name.
        const big = [_]i32{ std.math.maxInt(i32), 1 };
        try std.testing.expectError(error.InvalidValue, array_test.api.sumArray(send, &big));
        try expectEqual(migz.kern.invalid_value, migz.lastCode());

        send.deinit();
        thread.join();
        try expectEqual(migz.kern.success, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "array_test: a Rust client, a Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(array_test.api, array_test.api.Server(service.Impl){ .impl = &impl }, task.port, port, &result);

        try expectEqual(migz.kern.success, rust_client(task.port, send.name, 1024));
        try expectEqual(migz.kern.success, rust_client(task.port, send.name, 1));
        try expectEqual(migz.mig.array_too_large, rust_client(task.port, send.name, 1025));

        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
        // The refused call never reached the server.
        try expectEqual(@as(u64, 2), impl.calls.load(.monotonic));
    }
    try task.expectNoLeaks();
}

test "array_test: a Rust client, a Rust server, both started from Zig" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);
        try expectEqual(migz.kern.success, rust_client(task.port, send.name, 300));
        send.deinit();
        thread.join();
        try expectEqual(migz.kern.success, result);
    }
    try task.expectNoLeaks();
}

test "array_test: Rust entries refuse what they cannot use" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        defer port.deinit();
        const once = try port.makeSendOnce();
        defer once.deinit();
        // No such task; a send-once right where a receive right is taken; no such name.
        try expectEqual(migz.kern.invalid_task, rust_server(0x7fff_fff1, port.name, 0));
        try expectEqual(migz.kern.invalid_right, rust_server(task.port, once.name, 0));
        try expectEqual(migz.kern.invalid_name, rust_client(task.port, 0x7777_0003, 3));
    }
    try task.expectNoLeaks();
}
