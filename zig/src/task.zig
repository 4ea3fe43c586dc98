//! The task's own port, the host's port and the task's special ports, typed: on Darwin
//! `mach_task_self()`, `mach_host_self()` and libSystem's `task_get_special_port` and
//! `task_set_special_port`; on the local transport the emulation's, whose task port
//! answers the `mach_port.defs` routines by message, so generated stubs can be called
//! on it as on a Mac.

const std = @import("std");

const abi = @import("abi.zig");
const rights = @import("rights.zig");
const transport = @import("transport.zig");

const Port = abi.Port;
const SendRight = rights.SendRight;

/// `TASK_KERNEL_PORT`: the task's own port.
pub const kernel_port: i32 = 1;
/// `TASK_HOST_PORT`: the host port.
pub const host_port: i32 = 2;
/// `TASK_BOOTSTRAP_PORT`: the bootstrap server (launchd).
pub const bootstrap_port: i32 = 4;

/// The errors of `getSpecialPort` and `setSpecialPort`.
pub const SpecialPortError = error{
    /// The special port is unknown, or cannot be set (`KERN_INVALID_ARGUMENT`).
    InvalidArgument,
    /// The port given is no send right (`KERN_INVALID_NAME`, `KERN_INVALID_RIGHT`,
    /// `MACH_SEND_INVALID_RIGHT`).
    InvalidRight,
    /// Any other code.
    Unexpected,
};

/// `task_get_special_port(mach_task_self(), which)`: a send right of its own to the
/// special port `which`, or null when it is unset.
pub fn getSpecialPort(which: i32) SpecialPortError!?SendRight {
    var name: Port = abi.port_null;
    switch (transport.taskGetSpecialPort(transport.taskSelf(), which, &name)) {
        abi.kern.success => return if (name == abi.port_null) null else SendRight.fromName(name),
        abi.kern.invalid_argument => return error.InvalidArgument,
        else => return error.Unexpected,
    }
}

/// `task_set_special_port(mach_task_self(), which, port)`: a copy of `port` (or nothing)
/// becomes the special port `which`.
pub fn setSpecialPort(which: i32, port: ?SendRight) SpecialPortError!void {
    const name = if (port) |p| p.name else abi.port_null;
    switch (transport.taskSetSpecialPort(transport.taskSelf(), which, name)) {
        abi.kern.success => return,
        abi.kern.invalid_argument => return error.InvalidArgument,
        abi.kern.invalid_name, abi.kern.invalid_right, abi.msg_return.send_invalid_right => return error.InvalidRight,
        else => return error.Unexpected,
    }
}

/// A send right of its own to the task's port (`TASK_KERNEL_PORT`): what generated
/// `mach_port.defs` clients send to.
pub fn taskPort() SpecialPortError!SendRight {
    return (try getSpecialPort(kernel_port)) orelse error.Unexpected;
}

/// `mach_host_self()`: a send right of its own to the host port.
pub fn hostSelf() error{Unexpected}!SendRight {
    const name = transport.hostSelf();
    if (name == abi.port_null) return error.Unexpected;
    return SendRight.fromName(name);
}

const testing = @import("testing.zig");

test "special ports: the task's own, the host's and the bootstrap port" {
    const task = try testing.begin();
    defer task.end();
    {
        const me = try taskPort();
        defer me.deinit();
        try std.testing.expectEqual(transport.taskSelf(), me.name);
        const host = try hostSelf();
        defer host.deinit();
        const again = (try getSpecialPort(host_port)).?;
        defer again.deinit();
        try std.testing.expectEqual(host.name, again.name);

        const bp = (try getSpecialPort(bootstrap_port)).?;
        defer bp.deinit();
        try setSpecialPort(bootstrap_port, null);
        try std.testing.expectEqual(@as(?SendRight, null), try getSpecialPort(bootstrap_port));
        try std.testing.expectError(error.NoBootstrapPort, @import("bootstrap.zig").port());
        try setSpecialPort(bootstrap_port, bp);
        const back = (try getSpecialPort(bootstrap_port)).?;
        defer back.deinit();
        try std.testing.expectEqual(bp.name, back.name);

        try std.testing.expectError(error.InvalidArgument, getSpecialPort(99));
        try std.testing.expectError(error.InvalidArgument, setSpecialPort(kernel_port, bp));
        try std.testing.expectError(error.InvalidRight, setSpecialPort(bootstrap_port, .{ .name = 0x5555_0003 }));
    }
    try task.expectNoLeaks();
}
