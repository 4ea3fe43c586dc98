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

/// Copies `items` into `room` for a reply array that shares its count with an earlier one
/// (`SameCount`): it must have exactly `count` elements (`MigBadArguments` otherwise), and
/// at most the room (`MigArrayTooLarge`).
pub fn copySame(comptime T: type, room: []T, items: []const T, count: u32) errors.Error!void {
    if (items.len != count) return errors.fail(abi.mig.bad_arguments);
    _ = try copyOut(T, room, items);
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

/// Up to `max` out-of-line regions of `T` a message brought (an array of out-of-line
/// elements): each belongs to the receiver until `deinit` gives them all back.
pub fn OolSlices(comptime T: type, comptime max: u32) type {
    return struct {
        /// The regions; the first `len` are valid.
        buf: [max]codec.ConstSlice(T) = @splat(.{}),
        /// How many regions are valid.
        len: u32 = 0,

        const Self = @This();

        /// The first `len` of `buf` (a received count, at most `max`).
        pub fn of(buf: [max]codec.ConstSlice(T), len: u32) Self {
            assert(len <= max);
            return .{ .buf = buf, .len = len };
        }

        /// The elements of region `i`.
        pub fn items(self: *const Self, i: usize) []align(@min(@alignOf(T), 4)) const T {
            return self.buf[0..self.len][i].items();
        }

        /// Gives every region back to the address space.
        pub fn deinit(self: Self) void {
            for (self.buf[0..self.len]) |s| OolSlice(T).fromReceived(s).deinit();
        }
    };
}

/// Lends each slice of `list` to a message as one out-of-line region of its array of `n`
/// (the rest empty), or `MigArrayTooLarge` past `n`.
pub fn oolSlices(comptime n: usize, comptime T: type, list: []const []const T) errors.Error![n]codec.ConstSlice(T) {
    if (list.len > n) return errors.fail(abi.mig.array_too_large);
    var out: [n]codec.ConstSlice(T) = @splat(.{});
    for (list, 0..) |s, i| out[i] = .of(s);
    return out;
}

/// `oolSlices` into a reply's room, returning how many.
pub fn copyOolSlices(comptime T: type, room: []codec.ConstSlice(T), list: []const []const T) errors.Error!u32 {
    if (list.len > room.len) return errors.fail(abi.mig.array_too_large);
    for (list, 0..) |s, i| room[i] = .of(s);
    return @intCast(list.len);
}

/// The owned right of type `R` (`SendRight`, `SendOnceRight`, `ReceiveRight`) that arrived
/// under `name`, or null when the message carried none (`MACH_PORT_NULL`, `MACH_PORT_DEAD`).
pub fn received(comptime R: type, name: abi.Port) ?R {
    if (!abi.portValid(name)) return null;
    return R.fromName(name);
}

/// The names of rights lent to a message, read in place: a right is an extern struct of
/// its name, so a slice of them is a slice of names.
pub fn names(comptime R: type, list: []const R) []const abi.Port {
    comptime assert(@sizeOf(R) == @sizeOf(abi.Port) and @typeInfo(R).@"struct".layout == .@"extern");
    return @as([*]const abi.Port, @ptrCast(list.ptr))[0..list.len];
}

/// The names of `list` in a message's in-line array of `n` ports (the rest null), or
/// `MigArrayTooLarge` past `n`.
pub fn inlineNames(comptime n: usize, comptime R: type, list: []const R) errors.Error![n]abi.Port {
    if (list.len > n) return errors.fail(abi.mig.array_too_large);
    var out: [n]abi.Port = @splat(abi.port_null);
    @memcpy(out[0..list.len], names(R, list));
    return out;
}

/// Copies the names of `list` into `room` (a reply's in-line port array) and returns how
/// many, or `MigArrayTooLarge`.
pub fn copyNames(room: []abi.Port, comptime R: type, list: []const R) errors.Error!u32 {
    if (list.len > room.len) return errors.fail(abi.mig.array_too_large);
    @memcpy(room[0..list.len], names(R, list));
    return @intCast(list.len);
}

/// `copyNames` for an array that shares its count with an earlier one (`SameCount`): it
/// must have exactly `count` rights, else `MigBadArguments`.
pub fn copyNamesSame(room: []abi.Port, comptime R: type, list: []const R, count: u32) errors.Error!void {
    if (list.len != count) return errors.fail(abi.mig.bad_arguments);
    _ = try copyNames(room, R, list);
}

/// Rights of type `R` a message brought out of line: the array's memory and every right
/// in it belong to the receiver, and `deinit` gives both back.
pub fn OolRights(comptime R: type) type {
    return struct {
        /// The names, in this task's space (null or dead where the message carried none).
        names: []align(4) const abi.Port,

        const Self = @This();

        /// Takes ownership of the array and the rights a received `ConstSlice` points at.
        pub fn fromReceived(s: codec.ConstSlice(abi.Port)) Self {
            return .{ .names = s.items() };
        }

        /// Releases every right, then the array's memory.
        pub fn deinit(self: Self) void {
            for (self.names) |name| if (received(R, name)) |right| right.deinit();
            OolSlice(abi.Port).fromReceived(.of(self.names)).deinit();
        }
    };
}

/// Up to `max` rights of type `R` a message brought in line, returned by value; each
/// belongs to the receiver until `deinit` releases them.
pub fn InlineRights(comptime R: type, comptime max: u32) type {
    return struct {
        /// The room; the first `len` names are valid.
        buf: [max]abi.Port = @splat(abi.port_null),
        /// How many names are valid.
        len: u32 = 0,

        const Self = @This();

        /// The first `len` of `buf` (a received count, at most `max`).
        pub fn of(buf: [max]abi.Port, len: u32) Self {
            assert(len <= max);
            return .{ .buf = buf, .len = len };
        }

        /// The names, in this task's space (null or dead where the message carried none).
        pub fn names(self: *const Self) []const abi.Port {
            return self.buf[0..self.len];
        }

        /// Releases every right.
        pub fn deinit(self: Self) void {
            for (self.buf[0..self.len]) |name| if (received(R, name)) |right| right.deinit();
        }
    };
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

/// The code that packing `in` with `pack` fails with, or null when the request packs:
/// a typed call that moves rights beside an array the request checks asks before sending,
/// since a request that cannot be built leaves the moved rights with the caller. The
/// request is packed into a scratch buffer, which nothing sends.
pub fn packFailure(comptime Request: type, pack: anytype, in: anytype) ?abi.KernReturn {
    var scratch: Request = undefined;
    var size: u32 = 0;
    const st: codec.Status = pack(&scratch, in, abi.port_null, &size);
    return if (st == .ok) null else st.code();
}

test rightsKept {
    try std.testing.expect(rightsKept(abi.msg_return.send_invalid_dest, .none));
    try std.testing.expect(!rightsKept(abi.msg_return.send_timed_out, .timeout));
    try std.testing.expect(rightsKept(abi.msg_return.send_invalid_dest, .timeout));
    try std.testing.expect(!rightsKept(abi.msg_return.send_invalid_dest, .any));
    try std.testing.expect(!rightsKept(abi.msg_return.rcv_timed_out, .none));
    try std.testing.expect(!rightsKept(abi.kern.invalid_name, .none));
}

test "arrays of rights: names read in place, received ones released with their memory" {
    const task = try @import("testing.zig").begin();
    defer task.end();
    {
        const port = try rights.ReceiveRight.allocate();
        defer port.deinit();
        const a = try port.makeSend();
        defer a.deinit();
        const lent = [_]rights.SendRight{ a, a };
        try std.testing.expectEqualSlices(abi.Port, &.{ a.name, a.name }, names(rights.SendRight, &lent));
        const in_line = try inlineNames(3, rights.SendRight, &lent);
        try std.testing.expectEqualSlices(abi.Port, &.{ a.name, a.name, abi.port_null }, &in_line);
        try std.testing.expectError(error.MigArrayTooLarge, inlineNames(1, rights.SendRight, &lent));
        var room: [1]abi.Port = undefined;
        try std.testing.expectError(error.MigArrayTooLarge, copyNames(&room, rights.SendRight, &lent));
        var two: [2]abi.Port = undefined;
        try copyNamesSame(&two, rights.SendRight, &lent, 2);
        try std.testing.expectError(error.MigBadArguments, copyNamesSame(&two, rights.SendRight, &lent, 1));

        // Two more send references, as a message would bring them: in line and out of
        // line, each list releases its own.
        const b = try port.makeSend();
        const c = try port.makeSend();
        const got = InlineRights(rights.SendRight, 4).of(.{ b.name, abi.port_dead, 0, 0 }, 2);
        try std.testing.expectEqual(@as(usize, 2), got.names().len);
        got.deinit();
        const bytes = try transport.vmAllocate(8);
        const region: [*]align(4) abi.Port = @ptrCast(@alignCast(bytes));
        region[0] = c.name;
        region[1] = abi.port_null;
        OolRights(rights.SendRight).fromReceived(.of(region[0..2])).deinit();
        OolRights(rights.SendRight).fromReceived(.{}).deinit();
    }
    try task.expectNoLeaks();
}

test copySame {
    var room: [3]i32 = undefined;
    try copySame(i32, &room, &.{ 1, 2 }, 2);
    try std.testing.expectEqualSlices(i32, &.{ 1, 2 }, room[0..2]);
    try std.testing.expectError(error.MigBadArguments, copySame(i32, &room, &.{1}, 2));
    try std.testing.expectError(error.MigArrayTooLarge, copySame(i32, &room, &.{ 1, 2, 3, 4 }, 4));
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
