//! The bootstrap example from `zig build test`: a Rust server (from the umbrella Rust
//! library, `tests/zig-host`) checks in under a name and this Zig client looks it up and
//! calls it; then a Zig server checks in and the Rust client calls it. Server and client
//! live in spaces of their own; both end without leaks.

const std = @import("std");
const migz = @import("migz");
const service = @import("service");

comptime {
    // The umbrella library's generated Rust packs through these Zig exports.
    _ = @import("zig_host");
}

const rust_server = migz.bridge.rustEntry("migz_example_bootstrap_rust_server");
const rust_client = migz.bridge.rustEntry("migz_example_bootstrap_rust_client");

/// Waits (at most ten seconds) for the message a server sends once it has checked in.
fn waitReady(ready: migz.ReceiveRight) !void {
    var buf: [@sizeOf(migz.MachMsgHeader) + migz.max_trailer_size]u8 align(8) = undefined;
    const msg: *migz.MachMsgHeader = @ptrCast(&buf);
    const mr = migz.machMsg(msg, migz.option.rcv_msg | migz.option.rcv_timeout, 0, buf.len, ready.name, 10_000, migz.port_null);
    try std.testing.expectEqual(migz.msg_return.success, mr);
    try std.testing.expectEqual(service.ready_id, msg.id);
}

/// The two spaces of a test: the thread starts in `client`.
const Spaces = struct {
    server: migz.testing.Task,
    client: migz.testing.Task,

    fn begin() !Spaces {
        const server = try migz.testing.begin();
        const client = try migz.testing.begin();
        return .{ .server = server, .client = client };
    }

    /// Checks both spaces for leaks and destroys them.
    fn end(s: Spaces) !void {
        migz.migDeallocReplyPort(migz.migGetReplyPort());
        const client_leaks = s.client.expectNoLeaks();
        s.client.end();
        s.server.enter();
        migz.migDeallocReplyPort(migz.migGetReplyPort());
        const server_leaks = s.server.expectNoLeaks();
        s.server.end();
        try client_leaks;
        try server_leaks;
    }
};

test "bootstrap: a Rust server checks in, a Zig client looks it up and calls it" {
    const spaces = try Spaces.begin();
    {
        // The starter's port for the server's "checked in" message, in the server's space.
        spaces.server.enter();
        const ready = try migz.ReceiveRight.allocate();
        const ready_send = try ready.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, spaces.server.port, ready_send.name, 0, &result);
        try waitReady(ready);
        spaces.client.enter();
        try std.testing.expectEqual(migz.kern.success, service.call(service.rust_service, 40, 10));
        thread.join();
        try std.testing.expectEqual(migz.kern.success, result);
        // The server stopped: its name is unknown again.
        try std.testing.expectEqual(migz.bootstrap.code.unknown_service, service.call(service.rust_service, 1, 1));
        spaces.server.enter();
        ready_send.deinit();
        ready.deinit();
        spaces.client.enter();
    }
    try spaces.end();
}

fn zigServer(task: migz.Port, ready: migz.Port, result: *i32) void {
    if (migz.enterTask(task) != migz.kern.success) return;
    defer _ = migz.enterTask(migz.port_null);
    result.* = service.serve(service.zig_service, ready);
}

test "bootstrap: a Zig server checks in, a Rust client looks it up and calls it" {
    const spaces = try Spaces.begin();
    {
        spaces.server.enter();
        const ready = try migz.ReceiveRight.allocate();
        const ready_send = try ready.makeSend();
        var result: i32 = -1;
        const thread = try std.Thread.spawn(.{}, zigServer, .{ spaces.server.port, ready_send.name, &result });
        try waitReady(ready);
        try std.testing.expectEqual(migz.kern.success, rust_client(spaces.client.port, 0, 10));
        thread.join();
        try std.testing.expectEqual(migz.kern.success, result);
        ready_send.deinit();
        ready.deinit();
        spaces.client.enter();
    }
    try spaces.end();
}
