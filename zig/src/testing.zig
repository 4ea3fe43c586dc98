//! Right accounting for tests, in the spirit of `std.testing.allocator`: a test runs
//! in a fresh space of the local transport and ends by checking that the space holds
//! no name, no out-of-line region and no port. On the `mach` transport there is no
//! emulation to ask, and `begin` skips the test.
//!
//! ```zig
//! const task = try migz.testing.begin();
//! defer task.end();
//! {
//!     // ... the code under test, with its own defers ...
//! }
//! try task.expectNoLeaks();
//! ```

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const transport = @import("transport.zig");

const Port = abi.Port;

/// The emulation's calls (nothing on the `mach` transport).
const local = switch (transport.transport) {
    .local => @import("transport/local.zig"),
    .mach => struct {},
};

/// Whether the transport is the emulation. On `mach`, `begin` skips the test before any
/// `Task` exists, so every `Task` method starts with `if (!emulated) unreachable`, which
/// also keeps the emulation's calls out of the compilation.
const emulated = transport.transport == .local;

/// What a space still holds, from `migz1_task_leaks`.
pub const Leaks = struct {
    /// Names with any right.
    names: u32 = 0,
    /// Out-of-line regions.
    regions: u32 = 0,
    /// Live ports the space allocated.
    ports: u32 = 0,
};

/// A fresh space that the calling thread uses until `end`.
pub const Task = struct {
    /// The space's task port (`migz1_task_create`).
    port: Port,

    /// Makes the calling thread use this space too: a server thread of the test calls
    /// it first, because the current space is per thread.
    pub fn enter(task: Task) void {
        if (!emulated) unreachable; // `begin` skips on the mach transport.
        const kr = local.setCurrentTask(task.port);
        assert(kr == abi.kern.success); // The task lives until `end`.
    }

    /// Leaves the space: the calling thread goes back to the process-wide space.
    pub fn leave(task: Task) void {
        if (!emulated) unreachable; // `begin` skips on the mach transport.
        assert(local.taskSelf() == task.port);
        const kr = local.setCurrentTask(abi.port_null);
        assert(kr == abi.kern.success); // Going back to the default space cannot fail.
    }

    /// What the space still holds.
    pub fn leaks(task: Task) Leaks {
        if (!emulated) unreachable; // `begin` skips on the mach transport.
        var result: Leaks = .{};
        const kr = local.taskLeaks(task.port, &result.names, &result.regions, &result.ports);
        assert(kr == abi.kern.success); // The task lives until `end`.
        return result;
    }

    /// Fails the test, printing the counts, when the space still holds any name, region
    /// or port.
    pub fn expectNoLeaks(task: Task) error{RightsLeaked}!void {
        const l = task.leaks();
        if (l.names == 0 and l.regions == 0 and l.ports == 0) return;
        std.debug.print(
            "migz: the test leaked {d} name(s), {d} out-of-line region(s) and {d} port(s)\n",
            .{ l.names, l.regions, l.ports },
        );
        return error.RightsLeaked;
    }

    /// Leaves and destroys the space with everything still in it.
    pub fn end(task: Task) void {
        if (!emulated) unreachable; // `begin` skips on the mach transport.
        task.leave();
        const kr = local.taskDestroy(task.port);
        assert(kr == abi.kern.success); // Only `begin` creates tasks, and `end` runs once.
    }
};

/// The errors of `begin`.
pub const BeginError = error{
    /// The emulation could not make a space.
    TaskCreateFailed,
    /// The transport is `mach`: the test needs the emulation.
    SkipZigTest,
};

/// Creates a fresh space and makes the calling thread use it.
pub fn begin() BeginError!Task {
    if (!emulated) return error.SkipZigTest;
    var port: Port = abi.port_null;
    if (local.taskCreate(&port) != abi.kern.success) return error.TaskCreateFailed;
    const task: Task = .{ .port = port };
    task.enter();
    return task;
}

/// A server thread's body for tests: in `task`, serves `requests` requests arriving on
/// `rcv` with `server` (a generated `Server(Impl)` or `api.Server(Impl)`), each within
/// ten seconds; any other outcome ends the test run with the receive's code.
pub fn serveRequests(task: Task, rcv: Port, server: anytype, requests: usize) void {
    task.enter();
    defer task.leave();
    for (0..requests) |_| {
        const mr = server.serveOnce(rcv, 10_000);
        if (mr != abi.msg_return.success) std.debug.panic("serveOnce: 0x{x}", .{mr});
    }
}

/// `task.expectNoLeaks()`, as a free function.
pub fn expectNoLeaks(task: Task) error{RightsLeaked}!void {
    return task.expectNoLeaks();
}

test "a fresh space holds nothing, and an allocated right counts" {
    const task = try begin();
    defer task.end();

    try task.expectNoLeaks();
    var name: Port = abi.port_null;
    try std.testing.expectEqual(abi.kern.success, transport.portAllocate(abi.port_right.receive, &name));
    try std.testing.expectEqual(Leaks{ .names = 1, .regions = 0, .ports = 1 }, task.leaks());
    try std.testing.expectEqual(abi.kern.success, transport.portModRefs(name, abi.port_right.receive, -1));
    try task.expectNoLeaks();
}
