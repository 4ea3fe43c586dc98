//! The Zig half of the bootstrap example: a server that checks in under a name and
//! answers `add` until a `stop` arrives, and a client that looks a name up and calls it.
//! Both are exported as bridge entries for Rust (`migz::zig_entry!`), and Zig programs
//! call `serve` and `call` directly. On Darwin they use the kernel and launchd; elsewhere
//! the emulation, in the space the entry is given.

const std = @import("std");
const migz = @import("migz");
const adder = @import("adder");

/// The name the Zig server checks in under.
pub const zig_service = "com.example.migz.adder.zig";
/// The name the Rust server checks in under (`src/service.rs` says the same).
pub const rust_service = "com.example.migz.adder.rust";
/// The id of the message a server sends to its starter once it has checked in.
pub const ready_id: i32 = 4699;

/// The server (`adder.api.Server(Impl)`): adds, and stops when asked.
pub const Impl = struct {
    /// Set by `stop`; `serve` ends after the request that set it.
    stopped: bool = false,

    /// `add`: the sum, or `KERN_INVALID_VALUE` when it does not fit in an `int32_t`.
    pub fn add(self: *Impl, server: migz.Port, a: i32, b: i32) migz.Error!i32 {
        _ = self;
        _ = server;
        return std.math.add(i32, a, b) catch error.InvalidValue;
    }

    /// `stop` (a simpleroutine): the server ends after answering it.
    pub fn stop(self: *Impl, server: migz.Port) migz.Error!void {
        _ = server;
        self.stopped = true;
    }
};

/// Checks in under `name`, sends `ready` (when not null) an empty message with id
/// `ready_id`, and serves until a `stop` arrives; then destroys the receive right, so
/// the name is unknown again. Returns the first failing code.
pub fn serve(name: [:0]const u8, ready: migz.Port) migz.KernReturn {
    const bp = migz.bootstrap.port() catch return migz.kern.failure;
    defer bp.deinit();
    const port = migz.bootstrap.checkIn(bp, name) catch |e| return switch (e) {
        error.NotPrivileged => migz.bootstrap.code.not_privileged,
        error.ServiceActive => migz.bootstrap.code.service_active,
        else => migz.kern.failure,
    };
    defer port.deinit();
    if (ready != migz.port_null) {
        var hello: migz.MachMsgHeader = .{
            .bits = migz.msghBits(migz.disposition.copy_send, 0),
            .size = @sizeOf(migz.MachMsgHeader),
            .remote_port = ready,
            .local_port = migz.port_null,
            .voucher_port = migz.port_null,
            .id = ready_id,
        };
        const mr = migz.machMsg(&hello, migz.option.send_msg, @sizeOf(migz.MachMsgHeader), 0, migz.port_null, 0, migz.port_null);
        if (mr != migz.msg_return.success) return mr;
    }
    var impl: Impl = .{};
    const server: adder.api.Server(Impl) = .{ .impl = &impl };
    while (!impl.stopped) {
        const mr = server.serveOnce(port.name, null);
        if (mr != migz.msg_return.success) return mr;
    }
    return migz.kern.success;
}

/// The client: looks `name` up, asks for `a + i` for each `i` below `count`, checks the
/// answers, then asks the server to stop. Returns the first failing code
/// (`KERN_FAILURE` for a wrong sum).
pub fn call(name: [:0]const u8, a: i32, count: u64) migz.KernReturn {
    const bp = migz.bootstrap.port() catch return migz.kern.failure;
    defer bp.deinit();
    const service = migz.bootstrap.lookUp(bp, name) catch |e| return switch (e) {
        error.UnknownService => migz.bootstrap.code.unknown_service,
        else => migz.kern.failure,
    };
    defer service.deinit();
    var b: i32 = 0;
    while (b < count) : (b += 1) {
        const sum = adder.api.add(service, a, b) catch return migz.lastCode();
        if (sum != a + b) return migz.kern.failure;
    }
    adder.api.stop(service) catch return migz.lastCode();
    return migz.kern.success;
}

/// Makes `task` the thread's space on the emulation; on the kernel there is one task and
/// the handle Rust passes is ignored.
fn enter(task: migz.Port) migz.KernReturn {
    if (migz.transport == .local) return migz.enterTask(task);
    return migz.kern.success;
}

fn leave() void {
    // Client stubs keep a reply port per thread: leave none behind in the task.
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    if (migz.transport == .local) _ = migz.enterTask(migz.port_null);
}

fn serverEntry(task: migz.Port, ready: migz.Port, arg: u64) callconv(.c) i32 {
    _ = arg;
    const kr = enter(task);
    if (kr != migz.kern.success) return kr;
    defer leave();
    return serve(zig_service, ready);
}

fn clientEntry(task: migz.Port, port: migz.Port, arg: u64) callconv(.c) i32 {
    _ = port;
    const kr = enter(task);
    if (kr != migz.kern.success) return kr;
    defer leave();
    return call(rust_service, 40, arg);
}

comptime {
    @export(&serverEntry, .{ .name = "migz_example_bootstrap_zig_server" });
    @export(&clientEntry, .{ .name = "migz_example_bootstrap_zig_client" });
}
