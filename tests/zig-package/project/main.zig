//! A Zig client calls a Zig server of the project's own `hello.defs` over migz's local
//! transport (on macOS targets, the kernel), and prints the answer.

const std = @import("std");
const migz = @import("migz");
const hello = @import("hello");

const Adder = struct {
    pub fn add(_: *Adder, in: *const hello.AddIn, out: *hello.AddOut) migz.KernReturn {
        out.sum = in.a +% in.b;
        return migz.kern.success;
    }
};

fn serveOne(port: migz.Port) void {
    var adder: Adder = .{};
    const server: hello.Server(Adder) = .{ .impl = &adder };
    const mr = server.serveOnce(port, 10_000);
    if (mr != migz.msg_return.success) std.debug.print("server: {?s}\n", .{migz.codeName(mr)});
}

pub fn main() !void {
    const service = try migz.ReceiveRight.allocate();
    defer service.deinit();
    const send = try service.makeSend();
    defer send.deinit();

    const server = try std.Thread.spawn(.{}, serveOne, .{service.name});
    var out: hello.AddOut = .{};
    const code = hello.add(&.{ .server = send.name, .a = 2, .b = 40 }, &out);
    server.join();
    if (code != migz.kern.success) {
        std.debug.print("add failed: {?s} ({d})\n", .{ migz.codeName(code), code });
        return error.CallFailed;
    }
    std.debug.print("2 + 40 = {d}\n", .{out.sum});
}
