//! What generated pack and unpack code needs from the runtime: the status codes of the
//! C-ABI exports, a C-compatible slice, and unaligned reads and writes at run-time offsets
//! (fields after a variable array move up, so their offsets are known only at run time).

const std = @import("std");
const assert = std.debug.assert;

/// The result of a pack or unpack function, and of every C-ABI export of generated code.
/// The values are the MIG return codes (`mig_errors.h`), so a status can be returned as a
/// `kern_return_t` unchanged.
pub const Status = enum(i32) {
    ok = 0,
    /// `MIG_TYPE_ERROR`: a descriptor, a disposition or a reply's shape is wrong.
    type_error = -300,
    /// `MIG_REPLY_MISMATCH`: the reply's id does not answer the request.
    reply_mismatch = -301,
    /// `MIG_BAD_ID`: the request's id is not one of the subsystem's routines.
    bad_id = -303,
    /// `MIG_BAD_ARGUMENTS`: a size, a count or the complex bit is wrong.
    bad_arguments = -304,
    /// `MIG_ARRAY_TOO_LARGE`: data to send does not fit its array's bound.
    array_too_large = -307,
    /// `MIG_SERVER_DIED`: the reply is a send-once notification: the server is gone.
    server_died = -308,
    /// `MIG_TRAILER_ERROR`: the trailer the routine needs is missing.
    trailer_error = -309,
    _,

    /// The status as a `kern_return_t`.
    pub fn code(self: Status) i32 {
        return @backingInt(self);
    }
};

/// A slice that can cross the C ABI: a pointer (null when empty) and an element count.
/// Generated `In`/`Out` structs use it for arrays of run-time length.
pub fn ConstSlice(comptime T: type) type {
    return extern struct {
        /// First element, or null for an empty slice.
        ptr: ?[*]align(@min(@alignOf(T), 4)) const T = null,
        /// Number of elements.
        len: u32 = 0,

        const Self = @This();

        /// Wraps a Zig slice. Slices longer than 2^32-1 elements are a programmer error:
        /// no Mach message can carry them.
        pub fn of(elements: []align(@min(@alignOf(T), 4)) const T) Self {
            assert(elements.len <= std.math.maxInt(u32));
            return .{ .ptr = if (elements.len == 0) null else elements.ptr, .len = @intCast(elements.len) };
        }

        /// The elements as a Zig slice.
        pub fn items(self: Self) []align(@min(@alignOf(T), 4)) const T {
            const p = self.ptr orelse return &.{};
            return p[0..self.len];
        }
    };
}

/// Rounds a byte count up to the 4-byte unit of Mach message bodies.
pub inline fn round4(n: usize) usize {
    return (n + 3) & ~@as(usize, 3);
}

/// Writes `value` at byte offset `off` of a message, whatever the alignment.
pub inline fn writeAt(comptime T: type, bytes: [*]u8, off: usize, value: T) void {
    @as(*align(1) T, @ptrCast(bytes + off)).* = value;
}

/// Reads a `T` at byte offset `off` of a message, whatever the alignment.
pub inline fn readAt(comptime T: type, bytes: [*]const u8, off: usize) T {
    return @as(*align(1) const T, @ptrCast(bytes + off)).*;
}

/// The `n` elements of `T` at byte offset `off` of a message. Message bodies keep 4-byte
/// alignment, so elements of up to 4-byte alignment are aligned.
pub inline fn sliceAt(comptime T: type, bytes: [*]const u8, off: usize, n: usize) []align(@min(@alignOf(T), 4)) const T {
    assert(off % @min(@alignOf(T), 4) == 0);
    const p: [*]align(@min(@alignOf(T), 4)) const T = @ptrCast(@alignCast(bytes + off));
    return p[0..n];
}

/// The length of a C string in `buf`, or null when `buf` holds no NUL.
pub fn strnlen(buf: []const u8) ?usize {
    return std.mem.indexOfScalar(u8, buf, 0);
}

test "ConstSlice round trip" {
    const xs = [_]i32{ 1, 2, 3 };
    const s = ConstSlice(i32).of(&xs);
    try std.testing.expectEqual(@as(u32, 3), s.len);
    try std.testing.expectEqualSlices(i32, &xs, s.items());
    try std.testing.expectEqual(@as(usize, 0), ConstSlice(u64).of(&.{}).items().len);
}

test "unaligned access and rounding" {
    var buf: [16]u8 = @splat(0);
    writeAt(u64, &buf, 4, 0x1122334455667788);
    try std.testing.expectEqual(@as(u64, 0x1122334455667788), readAt(u64, &buf, 4));
    try std.testing.expectEqual(@as(usize, 8), round4(5));
    try std.testing.expectEqual(@as(usize, 0), round4(0));
    try std.testing.expectEqual(@as(?usize, 2), strnlen("ab\x00c"));
    try std.testing.expectEqual(@as(?usize, null), strnlen("abc"));
}
