//! The demo behind `scripts/demo`: a Zig server thread answers a Zig client through stubs
//! generated from `examples/defs/array_test.defs`, over migz's local Mach port emulation,
//! and both say what happened.

const std = @import("std");
const migz = @import("migz");
const array_test = @import("array_test");

const Summer = struct {
    requests: u32 = 0,

    pub fn sumArray(self: *Summer, in: *const array_test.SumArrayIn, out: *array_test.SumArrayOut) migz.KernReturn {
        self.requests += 1;
        var total: i32 = 0;
        for (in.data.items()) |x| total +%= x;
        out.total = total;
        std.debug.print("  server: request {d}: {d} integers, sum {d}\n", .{ self.requests, in.data.len, total });
        return migz.kern.success;
    }
};

fn serve(port: migz.Port, summer: *Summer, requests: usize) void {
    const server: array_test.Server(Summer) = .{ .impl = summer };
    for (0..requests) |_| _ = server.serveOnce(port, 5_000);
}

pub fn main() !void {
    const service = try migz.ReceiveRight.allocate();
    defer service.deinit();
    const send = try service.makeSend();
    defer send.deinit();
    std.debug.print("array_test (subsystem {s}, base {d}) on the {s} transport\n", .{ array_test.subsystem_name, array_test.base_id, @tagName(migz.transport) });

    var summer: Summer = .{};
    const thread = try std.Thread.spawn(.{}, serve, .{ service.name, &summer, 2 });
    defer thread.join();

    var data: [1024]i32 = undefined;
    for (&data, 1..) |*x, i| x.* = @intCast(i);
    var out: array_test.SumArrayOut = .{};
    var kr = array_test.sumArray(&.{ .server_port = send.name, .data = .of(&data) }, &out);
    std.debug.print("client: sum_array(1..1024) -> kr {d}, total {d}\n", .{ kr, out.total });

    const few = [_]i32{ 40, 2 };
    kr = array_test.sumArray(&.{ .server_port = send.name, .data = .of(&few) }, &out);
    std.debug.print("client: sum_array(40, 2) -> kr {d}, total {d}\n", .{ kr, out.total });

    var too_many: [1025]i32 = @splat(0);
    kr = array_test.sumArray(&.{ .server_port = send.name, .data = .of(&too_many) }, &out);
    std.debug.print("client: sum_array(1025 integers) -> kr {d} (MIG_ARRAY_TOO_LARGE, refused before sending)\n", .{kr});
}
