//! Finding services by name through the task's bootstrap port, as a Mac program does
//! through launchd: look a service up (a send right), check in under a name (its receive
//! right) or register a send right under a name. On Darwin these are libSystem's
//! `bootstrap_*` calls; on the local transport the emulation's namespace, which gives
//! launchd's answers (see `bridge/migz.h`).
//!
//! ```zig
//! const bp = try migz.bootstrap.port();
//! defer bp.deinit();
//! const service = try migz.bootstrap.lookUp(bp, "com.example.echo");
//! defer service.deinit();
//! ```

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const rights = @import("rights.zig");
const transport = @import("transport.zig");

const Port = abi.Port;
const KernReturn = abi.KernReturn;
const SendRight = rights.SendRight;
const ReceiveRight = rights.ReceiveRight;

/// launchd's return codes (`servers/bootstrap_defs.h`).
pub const code = struct {
    /// `BOOTSTRAP_SUCCESS`.
    pub const success: KernReturn = 0;
    /// `BOOTSTRAP_NOT_PRIVILEGED`: the name belongs to another job (task).
    pub const not_privileged: KernReturn = 1100;
    /// `BOOTSTRAP_NAME_IN_USE`: a service of that name exists.
    pub const name_in_use: KernReturn = 1101;
    /// `BOOTSTRAP_UNKNOWN_SERVICE`: no service has that name.
    pub const unknown_service: KernReturn = 1102;
    /// `BOOTSTRAP_SERVICE_ACTIVE`: the service is already checked in or registered.
    pub const service_active: KernReturn = 1103;
    /// `BOOTSTRAP_BAD_COUNT`: the name does not fit `name_t`.
    pub const bad_count: KernReturn = 1104;
    /// `BOOTSTRAP_NO_MEMORY`.
    pub const no_memory: KernReturn = 1105;
};

/// A service name and its NUL fit in this many bytes (`name_t`).
pub const name_len_max = 128;

/// `TASK_BOOTSTRAP_PORT`.
const task_bootstrap_port: i32 = 4;

/// The errors of `port`.
pub const PortError = error{
    /// The task's bootstrap port is `MACH_PORT_NULL`.
    NoBootstrapPort,
    /// Any other code, such as `KERN_INVALID_TASK` when the thread's space is gone.
    Unexpected,
};

/// The task's bootstrap port (`task_get_special_port(TASK_BOOTSTRAP_PORT)`), a send right
/// of its own.
pub fn port() PortError!SendRight {
    var name: Port = abi.port_null;
    switch (transport.taskGetSpecialPort(transport.taskSelf(), task_bootstrap_port, &name)) {
        abi.kern.success => {
            if (name == abi.port_null) return error.NoBootstrapPort;
            return SendRight.fromName(name);
        },
        else => return error.Unexpected,
    }
}

/// The errors of `lookUp`.
pub const LookUpError = error{
    /// No service has the name (`BOOTSTRAP_UNKNOWN_SERVICE`).
    UnknownService,
    /// The name does not fit `name_t` (`BOOTSTRAP_BAD_COUNT`).
    NameTooLong,
    /// `bp` reaches no bootstrap server (`MACH_SEND_INVALID_DEST`, `MIG_BAD_ID`).
    InvalidBootstrapPort,
    /// Any other code.
    Unexpected,
};

/// `bootstrap_look_up`: a send right to the service `name`.
pub fn lookUp(bp: SendRight, name: [:0]const u8) LookUpError!SendRight {
    var sp: Port = abi.port_null;
    switch (transport.bootstrapLookUp(bp.name, name.ptr, &sp)) {
        abi.kern.success => return SendRight.fromName(sp),
        code.unknown_service => return error.UnknownService,
        code.bad_count => return error.NameTooLong,
        abi.msg_return.send_invalid_dest, abi.mig.bad_id => return error.InvalidBootstrapPort,
        else => return error.Unexpected,
    }
}

/// The errors of `checkIn`.
pub const CheckInError = error{
    /// Another task owns the name (`BOOTSTRAP_NOT_PRIVILEGED`).
    NotPrivileged,
    /// The service is already checked in or registered (`BOOTSTRAP_SERVICE_ACTIVE`).
    ServiceActive,
    /// The name does not fit `name_t` (`BOOTSTRAP_BAD_COUNT`).
    NameTooLong,
    /// The server or the task is out of room (`BOOTSTRAP_NO_MEMORY`, `KERN_NO_SPACE`).
    NoSpace,
    /// `bp` reaches no bootstrap server (`MACH_SEND_INVALID_DEST`, `MIG_BAD_ID`).
    InvalidBootstrapPort,
    /// Any other code.
    Unexpected,
};

/// `bootstrap_check_in`: the receive right of the service `name`, which was declared for
/// this task or, unknown until now, becomes this task's. When the receive right goes, the
/// name is unknown again and the clients' send rights become dead names.
pub fn checkIn(bp: SendRight, name: [:0]const u8) CheckInError!ReceiveRight {
    var sp: Port = abi.port_null;
    switch (transport.bootstrapCheckIn(bp.name, name.ptr, &sp)) {
        abi.kern.success => return ReceiveRight.fromName(sp),
        code.not_privileged => return error.NotPrivileged,
        code.service_active => return error.ServiceActive,
        code.bad_count => return error.NameTooLong,
        code.no_memory, abi.kern.no_space => return error.NoSpace,
        abi.msg_return.send_invalid_dest, abi.mig.bad_id => return error.InvalidBootstrapPort,
        else => return error.Unexpected,
    }
}

/// The errors of `register`.
pub const RegisterError = error{
    /// Another task owns the name, or this task declared it and must check in
    /// (`BOOTSTRAP_NOT_PRIVILEGED`).
    NotPrivileged,
    /// The name is in use (`BOOTSTRAP_SERVICE_ACTIVE`).
    ServiceActive,
    /// The name does not fit `name_t` (`BOOTSTRAP_BAD_COUNT`).
    NameTooLong,
    /// The server is out of room (`BOOTSTRAP_NO_MEMORY`).
    NoSpace,
    /// `service` is no send right (`MACH_SEND_INVALID_RIGHT`).
    InvalidRight,
    /// `bp` reaches no bootstrap server (`MACH_SEND_INVALID_DEST`, `MIG_BAD_ID`).
    InvalidBootstrapPort,
    /// Any other code.
    Unexpected,
};

/// `bootstrap_register`: registers a copy of `service` under `name` (launchd deprecates
/// it in favour of `checkIn`, and a Mac may answer `NotPrivileged`).
pub fn register(bp: SendRight, name: [:0]const u8, service: SendRight) RegisterError!void {
    switch (transport.bootstrapRegister(bp.name, name.ptr, service.name)) {
        abi.kern.success => return,
        code.not_privileged => return error.NotPrivileged,
        code.service_active => return error.ServiceActive,
        code.bad_count => return error.NameTooLong,
        code.no_memory => return error.NoSpace,
        abi.msg_return.send_invalid_right => return error.InvalidRight,
        abi.msg_return.send_invalid_dest, abi.mig.bad_id => return error.InvalidBootstrapPort,
        else => return error.Unexpected,
    }
}

const testing = @import("testing.zig");

/// A service name unique to the test's task, so tests sharing the process's namespace
/// cannot meet.
fn uniqueName(buf: []u8, task: testing.Task, what: []const u8) [:0]const u8 {
    return std.fmt.bufPrintSentinel(buf, "migz.zig.{s}.{x}", .{ what, task.port }, 0) catch unreachable; // The buffers are large enough.
}

test "check in, look up, and the codes of launchd" {
    // The emulation's own calls below must not reach a Darwin link.
    if (transport.transport != .local) return error.SkipZigTest;
    const task = try testing.begin();
    defer task.end();
    {
        var buf: [64]u8 = undefined;
        const name = uniqueName(&buf, task, "echo");
        const bp = try port();
        defer bp.deinit();
        try std.testing.expectError(error.UnknownService, lookUp(bp, name));
        const receive = try checkIn(bp, name);
        try std.testing.expectError(error.ServiceActive, checkIn(bp, name));
        const send = try lookUp(bp, name);
        try std.testing.expectEqual(receive.name, send.name);
        try std.testing.expectError(error.ServiceActive, register(bp, name, send));
        var long: [name_len_max + 1]u8 = @splat('n');
        long[name_len_max] = 0;
        try std.testing.expectError(error.NameTooLong, lookUp(bp, long[0..name_len_max :0]));
        // A right that reaches no bootstrap server.
        try std.testing.expectError(error.InvalidBootstrapPort, lookUp(send, name));

        // The service dies: the name is unknown again and the send right is a dead name.
        receive.deinit();
        try std.testing.expectError(error.UnknownService, lookUp(bp, name));
        var ty: u32 = 0;
        try std.testing.expectEqual(abi.kern.success, @import("transport/migz_c.zig").migz1_mach_port_type(transport.taskSelf(), send.name, &ty));
        try std.testing.expectEqual(@as(u32, 0x00100000), ty); // MACH_PORT_TYPE_DEAD_NAME
        send.deinit();
    }
    try task.expectNoLeaks();
}

test "another task's name is not privileged, and registered rights are looked up" {
    // The emulation's own calls below must not reach a Darwin link.
    if (transport.transport != .local) return error.SkipZigTest;
    const owner = try testing.begin();
    defer owner.end();
    var buf: [64]u8 = undefined;
    const name = uniqueName(&buf, owner, "owned");
    var other_buf: [64]u8 = undefined;
    const registered = uniqueName(&other_buf, owner, "registered");
    {
        const bp = try port();
        defer bp.deinit();
        const receive = try checkIn(bp, name);
        defer receive.deinit();
        const send = try receive.makeSend();
        defer send.deinit();
        try register(bp, registered, send);

        // Another task: the name is not its own to check in, but it can look both up.
        const local = @import("transport/local.zig");
        var other: Port = abi.port_null;
        try std.testing.expectEqual(abi.kern.success, local.taskCreate(&other));
        defer _ = local.taskDestroy(other);
        try std.testing.expectEqual(abi.kern.success, local.setCurrentTask(other));
        {
            const obp = try port();
            defer obp.deinit();
            try std.testing.expectError(error.NotPrivileged, checkIn(obp, name));
            const a = try lookUp(obp, name);
            defer a.deinit();
            const b = try lookUp(obp, registered);
            defer b.deinit();
            try std.testing.expectEqual(a.name, b.name);
            try std.testing.expectError(error.NotPrivileged, register(obp, registered, a));
        }
        var leaks: [3]u32 = .{ 1, 1, 1 };
        try std.testing.expectEqual(abi.kern.success, local.taskLeaks(other, &leaks[0], &leaks[1], &leaks[2]));
        try std.testing.expectEqual([3]u32{ 0, 0, 0 }, leaks);
        owner.enter();
    }
    try owner.expectNoLeaks();
}

test "the name service survives its servers and clients dying in either order" {
    if (transport.transport != .local) return error.SkipZigTest;
    const c = @import("transport/migz_c.zig");
    for ([_]bool{ true, false }) |server_first| {
        const server = try testing.begin();
        var buf: [64]u8 = undefined;
        const name = uniqueName(&buf, server, "churn");
        const bp = try port();
        const receive = try checkIn(bp, name);
        bp.deinit();
        const client = try testing.begin();
        const cbp = try port();
        const service = try lookUp(cbp, name);
        if (server_first) {
            // The server's task dies with its receive right in it: the client holds a
            // dead name, and the name is unknown again.
            client.leave();
            server.enter();
            server.end();
            client.enter();
            var ty: u32 = 0;
            try std.testing.expectEqual(abi.kern.success, c.migz1_mach_port_type(client.port, service.name, &ty));
            try std.testing.expectEqual(@as(u32, 0x0010_0000), ty); // MACH_PORT_TYPE_DEAD_NAME
            try std.testing.expectError(error.UnknownService, lookUp(cbp, name));
            service.deinit();
            cbp.deinit();
            try client.expectNoLeaks();
            client.end();
        } else {
            // The client's task dies with its send right in it: the service lives on,
            // until its receive right goes.
            client.end();
            server.enter();
            const sbp = try port();
            const again = try lookUp(sbp, name);
            try std.testing.expectEqual(receive.name, again.name);
            again.deinit();
            receive.deinit();
            try std.testing.expectError(error.UnknownService, lookUp(sbp, name));
            sbp.deinit();
            try server.expectNoLeaks();
            server.end();
        }
    }
}
