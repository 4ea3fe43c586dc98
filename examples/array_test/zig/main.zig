//! The Zig-hosted demo of the array_test example (`zig build demo`): a Zig server answers
//! a Zig client, then, on the local transport, a Rust server answers the Zig client and
//! the Zig server answers a Rust client (the Rust side is the umbrella library
//! `tests/zig-host`). On macOS the first part runs on the kernel's Mach ports.

const std = @import("std");
const migz = @import("migz");
const array_test = @import("array_test");
const service = @import("service");

comptime {
    // The umbrella Rust library linked in calls every example's Zig stub exports.
    _ = @import("zig_host");
}

/// The Rust half exists only where the umbrella library is linked: the local transport.
const with_rust = migz.transport == .local;

fn show(who: []const u8, what: []const u8, kr: migz.KernReturn) void {
    std.debug.print("{s}: {s} -> {s} ({d})\n", .{ who, what, if (kr == migz.kern.success) "answered and checked" else "refused", kr });
}

pub fn main() !void {
    const task = migz.taskSelf();
    std.debug.print("array_test (subsystem {s}, base {d}) on the {s} transport\n", .{ array_test.subsystem_name, array_test.base_id, @tagName(migz.transport) });

    std.debug.print("== a Zig server answers a Zig client\n", .{});
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(array_test.api, array_test.api.Server(service.Impl){ .impl = &impl }, task, port, &result);
        show("zig client", "sum_array(1..=1024)", service.sumOneTo(send.name, 1024));
        show("zig client", "sum_array(1..=1025)", service.sumOneTo(send.name, 1025));
        send.deinit();
        thread.join();
        std.debug.print("zig server: answered {d} request(s), stopped when its last client left\n", .{impl.calls.load(.monotonic)});
    }
    if (!with_rust) return;

    const rust_server = migz.bridge.rustEntry("migz_example_array_test_rust_server");
    const rust_client = migz.bridge.rustEntry("migz_example_array_test_rust_client");

    std.debug.print("== a Rust server answers a Zig client\n", .{});
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var result: i32 = -1;
        const thread = try migz.bridge.spawnEntry(rust_server, task, port.name, 0, &result);
        show("zig client", "sum_array(1..=1024)", service.sumOneTo(send.name, 1024));
        const big = [_]i32{ std.math.maxInt(i32), 1 };
        const refused = if (array_test.api.sumArray(send, &big)) |_| migz.kern.success else |_| migz.lastCode();
        show("zig client", "sum_array([maxInt(i32), 1]), the Rust routine's error", refused);
        send.deinit();
        thread.join();
        std.debug.print("rust server: stopped when its last client left ({d})\n", .{result});
    }

    std.debug.print("== a Zig server answers a Rust client\n", .{});
    {
        const port = try migz.ReceiveRight.allocate();
        const send = try port.makeSend();
        var impl: service.Impl = .{};
        var result: migz.MsgReturn = -1;
        const thread = try migz.bridge.spawnServer(array_test.api, array_test.api.Server(service.Impl){ .impl = &impl }, task, port, &result);
        show("rust client", "sum_array(1..=1024)", rust_client(task, send.name, 1024));
        send.deinit();
        thread.join();
        std.debug.print("zig server: answered {d} request(s), stopped when its last client left\n", .{impl.calls.load(.monotonic)});
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
}
