//! The cross-language matrix of the `ports_ool` example as `zig build test` runs it: the
//! Zig client against the Rust server and the Rust client against the Zig server (and
//! the same-language pairs), against answering and failing servers, in one process over
//! the local transport. The Rust side is the umbrella library `tests/zig-host`, reached
//! through bridge entries. Every test ends with the space holding nothing.

const std = @import("std");
const migz = @import("migz");
const po = @import("ports_ool");
const service = @import("service");

comptime {
    // The umbrella Rust library linked in calls every example's Zig stub exports.
    _ = @import("zig_host");
}

const expectEqual = std.testing.expectEqual;
const ok = migz.kern.success;

const rust_server = migz.bridge.rustEntry("migz_example_ports_ool_rust_server");
const rust_failing_server = migz.bridge.rustEntry("migz_example_ports_ool_rust_failing_server");
const rust_client = migz.bridge.rustEntry("migz_example_ports_ool_rust_client");

/// What an answering server's counters are after `runs` answered scenarios.
fn afterAnsweredScenarios(runs: i32) [service.stats_len]i32 {
    const stat = service.stat;
    var want: [service.stats_len]i32 = @splat(0);
    // Each run registers one port and takes it back at the end.
    want[stat.registered] = 0;
    want[stat.passed] = 6 * runs;
    want[stat.reversed] = service.reverse_len * runs;
    want[stat.uploaded] = @as(i32, @intCast(service.blobs[0].len + service.blobs[1].len)) * runs;
    want[stat.counted] = 3 * runs;
    want[stat.logged] = runs;
    want[stat.logged_bytes] = @as(i32, service.message.len) * runs;
    return want;
}

test "ports_ool: a Zig client, a Rust server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        // The Rust server takes the receive right and serves until the last send right goes.
        const thread = try migz.bridge.spawnEntry(rust_server, task.port, port.name, 0, &result);
        try expectEqual(ok, service.everyRoutine(send.name));
        // Again, on the counters the first run left.
        try expectEqual(ok, service.everyRoutine(send.name));
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ports_ool: a Zig client, a failing Rust server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_failing_server, task.port, port.name, 0, &result);
        try expectEqual(ok, service.everyRoutineRefused(send.name));
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ports_ool: a Rust client, a Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{};
        defer impl.deinit();
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(po, po.Server(service.Impl){ .impl = &impl }, task.port, port, &result);
        try expectEqual(ok, rust_client(task.port, send.name, service.scenario_answered));
        try expectEqual(ok, rust_client(task.port, send.name, service.scenario_answered));
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
        try expectEqual(afterAnsweredScenarios(2), impl.snapshot());
    }
    try task.expectNoLeaks();
}

test "ports_ool: a Rust client, a failing Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{ .mode = .fail };
        defer impl.deinit();
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(po, po.Server(service.Impl){ .impl = &impl }, task.port, port, &result);
        try expectEqual(ok, rust_client(task.port, send.name, service.scenario_refused));
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
        // The failing routines took nothing; the server loop destroyed their requests.
        try expectEqual(@as([service.stats_len]i32, @splat(0)), impl.snapshot());
    }
    try task.expectNoLeaks();
}

test "ports_ool: a Zig client, a Zig server, answering and failing" {
    const task = try migz.testing.begin();
    defer task.end();
    for ([_]service.Mode{ .answer, .fail }) |mode| {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{ .mode = mode };
        defer impl.deinit();
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(po, po.Server(service.Impl){ .impl = &impl }, task.port, port, &result);
        const code = switch (mode) {
            .answer => service.everyRoutine(send.name),
            .fail => service.everyRoutineRefused(send.name),
        };
        try expectEqual(ok, code);
        send.deinit();
        thread.join();
        try expectEqual(migz.msg_return.success, result);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ports_ool: a Rust client, a Rust server, both started from Zig" {
    const task = try migz.testing.begin();
    defer task.end();
    const pairs = [_]struct { server: *const migz.bridge.Entry, scenario: u64 }{
        .{ .server = rust_server, .scenario = service.scenario_answered },
        .{ .server = rust_failing_server, .scenario = service.scenario_refused },
    };
    for (pairs) |pair| {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(pair.server, task.port, port.name, 0, &result);
        try expectEqual(ok, rust_client(task.port, send.name, pair.scenario));
        send.deinit();
        thread.join();
        try expectEqual(ok, result);
    }
    try task.expectNoLeaks();
}

test "ports_ool: Rust entries refuse what they cannot use" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const port = try migz.ReceiveRight.allocate();
        defer port.deinit();
        const send = try port.makeSend();
        defer send.deinit();
        const once = try port.makeSendOnce();
        defer once.deinit();
        // No such task; a send-once right where a receive right is taken; no such name; no
        // such scenario.
        try expectEqual(migz.kern.invalid_task, rust_server(0x7fff_fff1, port.name, 0));
        try expectEqual(migz.kern.invalid_right, rust_server(task.port, once.name, 0));
        try expectEqual(migz.kern.invalid_right, rust_failing_server(task.port, once.name, 0));
        try expectEqual(migz.kern.invalid_name, rust_client(task.port, 0x7777_0003, service.scenario_answered));
        try expectEqual(migz.kern.invalid_argument, rust_client(task.port, send.name, 7));
    }
    try task.expectNoLeaks();
}
