//! The Zig half of the array_test example: a server implementation and a client, exported
//! as bridge entries so that a Rust program can run them (`migz::zig_entry!`), and used
//! directly by Zig programs (`main.zig`).

const std = @import("std");
const migz = @import("migz");
const array_test = @import("array_test");

/// The server (`array_test.api.Server(Impl)`): answers `sum_array` with the sum, or
/// `KERN_INVALID_VALUE` when the sum does not fit in an `int32_t`.
pub const Impl = struct {
    /// Requests answered, successfully or not.
    calls: std.atomic.Value(u64) = .init(0),

    pub fn sumArray(self: *Impl, server: migz.Port, data: []const i32) migz.Error!i32 {
        _ = server;
        _ = self.calls.fetchAdd(1, .monotonic);
        return sum(data) orelse error.InvalidValue;
    }
};

/// The sum of `items`, or null when it overflows.
pub fn sum(items: []const i32) ?i32 {
    var total: i32 = 0;
    for (items) |x| total = std.math.add(i32, total, x) catch return null;
    return total;
}

/// The implementation the exported server entry uses.
pub var impl: Impl = .{};

/// The client: asks `server` for the sum of 1, 2, ..., `n` (at most 1024 numbers, as the
/// `.defs` says) and checks the answer. Returns the call's code, `KERN_FAILURE` when the
/// answer is wrong, `MIG_ARRAY_TOO_LARGE` for more than 1024 numbers.
pub fn sumOneTo(server: migz.Port, n: u64) migz.KernReturn {
    var data: [1024]i32 = undefined;
    if (n > data.len) return migz.mig.array_too_large;
    const items = data[0..@intCast(n)];
    for (items, 1..) |*x, i| x.* = @intCast(i);
    // The send right is borrowed: the call lends it and the caller keeps it.
    const total = array_test.api.sumArray(.{ .name = server }, items) catch return migz.lastCode();
    return if (total == sum(items).?) migz.kern.success else migz.kern.failure;
}

/// The client entry: `sumOneTo(port, arg)` on the send right `port`, which it borrows.
fn clientEntry(port: migz.Port, arg: u64) i32 {
    return sumOneTo(port, arg);
}

comptime {
    migz.bridge.exportServer(array_test.api, Impl, &impl, "migz_example_array_test_zig_server");
    migz.bridge.exportEntry("migz_example_array_test_zig_client", clientEntry);
}
