//! What the idiomatic API of generated files (`<subsystem>.api`) needs besides typed
//! rights and the error set: results of run-time length (an in-line array returned by
//! value, out-of-line memory that the caller owns), typed rights from received names,
//! and the rule that tells whether a failed call left the caller's moved rights with it.

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const codec = @import("codec.zig");
const errors = @import("errors.zig");
const rights = @import("rights.zig");
const stubs = @import("stubs.zig");
const transport = @import("transport.zig");

/// Up to `max` elements returned by value: a variable in-line array of a reply.
pub fn InlineArray(comptime T: type, comptime max: u32) type {
    return struct {
        /// The room; the first `len` elements are valid.
        buf: [max]T = undefined,
        /// How many elements are valid.
        len: u32 = 0,

        const Self = @This();

        /// The valid elements.
        pub fn slice(self: *const Self) []const T {
            return self.buf[0..self.len];
        }

        /// The first `len` elements of `buf`: a reply's array and its count.
        pub fn of(buf: [max]T, len: u32) Self {
            assert(len <= max);
            return .{ .buf = buf, .len = len };
        }

        /// The C string in `buf` (a reply's NUL-terminated array), without its NUL: the
        /// whole buffer when it holds no NUL.
        pub fn fromCString(buf: [max]T) Self {
            comptime assert(T == u8);
            return .{ .buf = buf, .len = @intCast(cString(&buf).len) };
        }

        /// A copy of `items`, or `MigArrayTooLarge` when they do not fit.
        pub fn fromSlice(items: []const T) errors.Error!Self {
            var array: Self = .{};
            array.len = try copyOut(T, &array.buf, items);
            return array;
        }
    };
}

test InlineArray {
    const A = InlineArray(u16, 3);
    const a = try A.fromSlice(&.{ 1, 2 });
    try std.testing.expectEqualSlices(u16, &.{ 1, 2 }, a.slice());
    try std.testing.expectError(error.MigArrayTooLarge, A.fromSlice(&.{ 1, 2, 3, 4 }));
    const b: A = .of(.{ 7, 8, 9 }, 2);
    try std.testing.expectEqualSlices(u16, &.{ 7, 8 }, b.slice());
    const s = InlineArray(u8, 4).fromCString("ab\x00c".*);
    try std.testing.expectEqualStrings("ab", s.slice());
}

/// A NUL-terminated C string returned in a fixed buffer, as a slice without its NUL (the
/// whole buffer when it holds no NUL).
pub fn cString(buf: []const u8) []const u8 {
    return buf[0 .. codec.strnlen(buf) orelse buf.len];
}

/// Copies `items` into `room` and returns how many there are, or fails with
/// `MIG_ARRAY_TOO_LARGE` when they do not fit (a server's reply array, a caller's array).
pub fn copyOut(comptime T: type, room: []T, items: []const T) errors.Error!u32 {
    if (items.len > room.len) return errors.fail(abi.mig.array_too_large);
    @memcpy(room[0..items.len], items);
    return @intCast(items.len);
}

/// Copies the C string `s` (without NUL) into `room`, NUL-terminated, or fails with
/// `MIG_ARRAY_TOO_LARGE` when it does not fit with its NUL.
pub fn copyCString(room: []u8, s: []const u8) errors.Error!void {
    if (s.len >= room.len) return errors.fail(abi.mig.array_too_large);
    @memcpy(room[0..s.len], s);
    @memset(room[s.len..], 0);
}

/// Out-of-line memory that a message brought into this task: it belongs to the receiver,
/// and `deinit` gives it back (`vm_deallocate`).
pub fn OolSlice(comptime T: type) type {
    return struct {
        /// The elements.
        items: []align(@min(@alignOf(T), 4)) const T,

        const Self = @This();

        /// Takes ownership of the memory a received `ConstSlice` points at.
        pub fn fromReceived(s: codec.ConstSlice(T)) Self {
            return .{ .items = s.items() };
        }

        /// Gives the memory back to the address space.
        pub fn deinit(self: Self) void {
            if (self.items.len == 0) return;
            const kr = transport.vmDeallocate(@intFromPtr(self.items.ptr), self.items.len * @sizeOf(T));
            assert(kr == abi.kern.success); // The memory was this task's, from the message.
        }
    };
}

/// The owned right of type `R` (`SendRight`, `SendOnceRight`, `ReceiveRight`) that arrived
/// under `name`, or null when the message carried none (`MACH_PORT_NULL`, `MACH_PORT_DEAD`).
pub fn received(comptime R: type, name: abi.Port) ?R {
    if (!abi.portValid(name)) return null;
    return R.fromName(name);
}

/// Whether the rights a request moved are still the caller's after the call failed with
/// `code`, for a request that was built (its pack checks passed): only a send error
/// leaves them, unless the subsystem's `ConsumeOnSendError` mode consumed them too.
pub fn rightsKept(code: abi.KernReturn, mode: stubs.ConsumeMode) bool {
    if (!stubs.isSendError(code)) return false;
    return switch (mode) {
        .none => true,
        .timeout => code != abi.msg_return.send_timed_out,
        .any => false,
    };
}

test rightsKept {
    try std.testing.expect(rightsKept(abi.msg_return.send_invalid_dest, .none));
    try std.testing.expect(!rightsKept(abi.msg_return.send_timed_out, .timeout));
    try std.testing.expect(rightsKept(abi.msg_return.send_invalid_dest, .timeout));
    try std.testing.expect(!rightsKept(abi.msg_return.send_invalid_dest, .any));
    try std.testing.expect(!rightsKept(abi.msg_return.rcv_timed_out, .none));
    try std.testing.expect(!rightsKept(abi.kern.invalid_name, .none));
}

test "out-of-line memory goes back with deinit" {
    const task = try @import("testing.zig").begin();
    defer task.end();
    {
        const bytes = try transport.vmAllocate(8);
        const words: [*]align(4) const u32 = @ptrCast(@alignCast(bytes));
        const ool = OolSlice(u32).fromReceived(codec.ConstSlice(u32).of(words[0..2]));
        try std.testing.expectEqual(@as(usize, 2), ool.items.len);
        ool.deinit();
        OolSlice(u32).fromReceived(.{}).deinit();
        try std.testing.expectEqual(@as(?rights.SendRight, null), received(rights.SendRight, abi.port_dead));
    }
    try task.expectNoLeaks();
}
