//! Channels of byte messages shared with Rust: the `migz1_channel_*` calls of
//! `bridge/migz.h` (implemented by `libmigz_ffi.a`) behind `Sender` and `Receiver`.
//! Any number of senders and receivers, in either language; a message is a copy of
//! 0..=`message_size_max` bytes; a channel is bounded (`capacity` messages) or not.

const std = @import("std");

const c = @import("transport/migz_c.zig");
const rust_linked = @import("transport.zig").rust_linked;
const stream = @import("stream.zig");

const status = stream.status;

/// `migz1_channel_sender_t`: what Rust's `migz_ffi::sender_into_raw` hands over.
pub const SenderHandle = c.migz1_channel_sender_t;
/// `migz1_channel_receiver_t`: what Rust's `migz_ffi::receiver_into_raw` hands over.
pub const ReceiverHandle = c.migz1_channel_receiver_t;

/// The errors of the sends.
pub const SendError = error{
    /// The channel is full (`trySend` only).
    WouldBlock,
    /// The channel is closed, or every receiver is gone.
    Closed,
    /// The message is longer than `message_size_max`.
    InvalidArgument,
    /// The Rust side failed (a caught panic).
    Unexpected,
};

/// The errors of the receives.
pub const RecvError = error{
    /// Nothing is queued (`tryRecv` only).
    WouldBlock,
    /// The channel is closed (or every sender gone) and drained.
    Closed,
    /// The buffer is shorter than `message_size_max`.
    InvalidArgument,
    /// The Rust side failed (a caught panic).
    Unexpected,
};

/// The errors of `create`.
pub const CreateError = error{ InvalidArgument, Unexpected };

fn sendResult(code: i32) SendError!void {
    return switch (code) {
        status.ok => {},
        status.would_block => error.WouldBlock,
        status.closed => error.Closed,
        status.invalid_argument => error.InvalidArgument,
        else => error.Unexpected,
    };
}

fn recvResult(code: i32, len: usize, buffer: []u8) RecvError![]u8 {
    return switch (code) {
        status.ok => buffer[0..len],
        status.would_block => error.WouldBlock,
        status.closed => error.Closed,
        status.invalid_argument => error.InvalidArgument,
        else => error.Unexpected,
    };
}

/// One sending handle; `clone` for more, `deinit` each.
pub const Sender = struct {
    handle: *SenderHandle,

    /// Copies `msg` into the channel, blocking while it is full.
    pub fn send(self: Sender, msg: []const u8) SendError!void {
        return sendResult(c.migz1_channel_send(self.handle, msg.ptr, msg.len));
    }

    /// Copies `msg` into the channel, or `WouldBlock` at once when it is full.
    pub fn trySend(self: Sender, msg: []const u8) SendError!void {
        return sendResult(c.migz1_channel_try_send(self.handle, msg.ptr, msg.len));
    }

    /// Closes the channel for every handle.
    pub fn close(self: Sender) void {
        c.migz1_channel_close(self.handle);
    }

    /// Another handle to the channel.
    pub fn clone(self: Sender) error{Unexpected}!Sender {
        return .{ .handle = c.migz1_channel_sender_clone(self.handle) orelse return error.Unexpected };
    }

    /// Drops this handle; the last sender's drop ends the stream for receivers.
    pub fn deinit(self: *Sender) void {
        c.migz1_channel_sender_release(self.handle);
        self.* = undefined;
    }
};

/// One receiving handle; `clone` for more, `deinit` each.
pub const Receiver = struct {
    handle: *ReceiverHandle,

    /// Moves the oldest message into `buffer` (at least `message_size_max` bytes) and
    /// returns it, blocking while the channel is empty and open.
    pub fn recv(self: Receiver, buffer: []u8) RecvError![]u8 {
        var len: usize = 0;
        return recvResult(c.migz1_channel_recv(self.handle, buffer.ptr, buffer.len, &len), len, buffer);
    }

    /// `recv`, or `WouldBlock` at once when the channel is empty.
    pub fn tryRecv(self: Receiver, buffer: []u8) RecvError![]u8 {
        var len: usize = 0;
        return recvResult(c.migz1_channel_try_recv(self.handle, buffer.ptr, buffer.len, &len), len, buffer);
    }

    /// Closes the channel for every handle.
    pub fn close(self: Receiver) void {
        c.migz1_channel_close_receiver(self.handle);
    }

    /// Another handle to the channel.
    pub fn clone(self: Receiver) error{Unexpected}!Receiver {
        return .{ .handle = c.migz1_channel_receiver_clone(self.handle) orelse return error.Unexpected };
    }

    /// Drops this handle; once every receiver is gone, sends fail with `Closed`.
    pub fn deinit(self: *Receiver) void {
        c.migz1_channel_receiver_release(self.handle);
        self.* = undefined;
    }
};

/// A sender and a receiver of a new channel.
pub const Pair = struct { sender: Sender, receiver: Receiver };

/// `migz1_channel_create`: a channel of at most `capacity` queued messages (0: unbounded)
/// of at most `message_size_max` bytes.
pub fn create(capacity: usize, message_size_max: usize) CreateError!Pair {
    var tx: ?*c.migz1_channel_sender_t = null;
    var rx: ?*c.migz1_channel_receiver_t = null;
    return switch (c.migz1_channel_create(capacity, message_size_max, &tx, &rx)) {
        status.ok => .{ .sender = .{ .handle = tx.? }, .receiver = .{ .handle = rx.? } },
        status.invalid_argument => error.InvalidArgument,
        else => error.Unexpected,
    };
}

const testing = std.testing;

fn sendNumbers(sender: Sender, base: u64, count: u64) void {
    var tx = sender;
    defer tx.deinit();
    for (0..count) |i| tx.send(std.mem.asBytes(&(base + i))) catch return;
}

test "several Zig senders and receivers share a bounded channel" {
    if (!rust_linked) return error.SkipZigTest;
    var pair = try create(4, 8);
    const producers = 3;
    const per = 2000;
    var threads: [producers]std.Thread = undefined;
    for (&threads, 0..) |*t, p| {
        t.* = try std.Thread.spawn(.{}, sendNumbers, .{ try pair.sender.clone(), p * per, per });
    }
    pair.sender.deinit();
    const Sum = struct {
        fn run(receiver: Receiver, out: *u64) void {
            var rx = receiver;
            defer rx.deinit();
            var buf: [8]u8 = undefined;
            while (rx.recv(&buf)) |m| {
                out.* += std.mem.bytesToValue(u64, m);
            } else |_| {}
        }
    };
    var sums = [_]u64{ 0, 0 };
    const other = try std.Thread.spawn(.{}, Sum.run, .{ try pair.receiver.clone(), &sums[1] });
    Sum.run(pair.receiver, &sums[0]);
    other.join();
    for (threads) |t| t.join();
    const n: u64 = producers * per;
    try testing.expectEqual(n * (n - 1) / 2, sums[0] + sums[1]);
}

test "try variants, close and bad sizes" {
    if (!rust_linked) return error.SkipZigTest;
    var pair = try create(1, 4);
    defer pair.sender.deinit();
    defer pair.receiver.deinit();
    var buf: [4]u8 = undefined;
    try testing.expectError(error.WouldBlock, pair.receiver.tryRecv(&buf));
    try pair.sender.trySend("ab");
    try testing.expectError(error.WouldBlock, pair.sender.trySend("cd"));
    try testing.expectError(error.InvalidArgument, pair.sender.trySend("too long"));
    var small: [2]u8 = undefined;
    try testing.expectError(error.InvalidArgument, pair.receiver.tryRecv(&small));
    pair.sender.close();
    try testing.expectError(error.Closed, pair.sender.send("x"));
    try testing.expectEqualStrings("ab", try pair.receiver.recv(&buf));
    try testing.expectError(error.Closed, pair.receiver.recv(&buf));
}

test "an unbounded channel takes any number of messages; a gone receiver fails sends" {
    if (!rust_linked) return error.SkipZigTest;
    var pair = try create(0, 2);
    defer pair.sender.deinit();
    for (0..1000) |i| try pair.sender.trySend(std.mem.asBytes(&@as(u16, @intCast(i))));
    var buf: [2]u8 = undefined;
    for (0..1000) |i| {
        try testing.expectEqual(@as(u16, @intCast(i)), std.mem.bytesToValue(u16, try pair.receiver.tryRecv(&buf)));
    }
    pair.receiver.deinit();
    try testing.expectError(error.Closed, pair.sender.send("x"));
}
