//! The Zig ends the Rust tests drive: producers and consumers of rings, and a channel echo
//! service, exported with the C calling convention. Each takes over the ring or channel
//! handles it is given.

const std = @import("std");
const migz = @import("migz");

const stream = migz.stream;
const channel = migz.channel;

/// Writes `count` consecutive `i32`s from `first` in place, committing at most
/// `commit_bytes` at a time, then closes. Blocks while the ring is full. Returns 0, or
/// `MIGZ1_STREAM_CLOSED` when the consumer went away.
export fn migz_test_produce_i32(ring: *stream.Ring, first: i32, count: u64, commit_bytes: u32) i32 {
    var p = stream.Producer.init(ring);
    defer p.deinit();
    var next: u64 = 0;
    var value = first;
    while (next < count) {
        const room = p.reserve() catch return stream.status.closed;
        const items = stream.itemsOf(i32, room);
        const n: usize = @intCast(@min(@min(items.len, commit_bytes / 4), count - next));
        for (items[0..n]) |*x| {
            x.* = value;
            value +%= 1;
        }
        p.commit(n * 4);
        next += n;
    }
    p.close();
    return stream.status.ok;
}

/// Copies `len` bytes with blocking pushes, then ends the stream with `code`
/// (0: cleanly), or abandons it (lets go without closing) when `abandon` is set.
export fn migz_test_produce_bytes(ring: *stream.Ring, bytes: [*]const u8, len: usize, code: i32, abandon: bool) i32 {
    var p = stream.Producer.init(ring);
    defer p.deinit();
    p.push(bytes[0..len]) catch return stream.status.closed;
    if (!abandon) p.fail(code);
    return stream.status.ok;
}

/// A producer the Rust test steps through one call at a time.
const Stepper = struct { producer: stream.Producer };

export fn migz_test_stepper_new(ring: *stream.Ring) ?*Stepper {
    const s = std.heap.page_allocator.create(Stepper) catch return null;
    s.* = .{ .producer = stream.Producer.init(ring) };
    return s;
}

/// `tryPush`: 0, `MIGZ1_STREAM_WOULD_BLOCK`, `_CLOSED` or `_INVALID_ARGUMENT` (too large).
export fn migz_test_stepper_try_push(s: *Stepper, bytes: [*]const u8, len: usize) i32 {
    s.producer.tryPush(bytes[0..len]) catch |e| return switch (e) {
        error.WouldBlock => stream.status.would_block,
        error.Closed => stream.status.closed,
        error.TooLarge => stream.status.invalid_argument,
    };
    return stream.status.ok;
}

/// Closes with `code` (unless `abandon`) and frees the stepper.
export fn migz_test_stepper_finish(s: *Stepper, code: i32, abandon: bool) void {
    if (!abandon) s.producer.fail(code);
    s.producer.deinit();
    std.heap.page_allocator.destroy(s);
}

/// What a Zig consumer saw.
const Summary = extern struct {
    sum: i64,
    count: u64,
    /// 0: a clean end; the producer's code; or `MIGZ1_STREAM_ABANDONED`.
    status: i32,
    /// How many times it found the ring empty.
    empty_polls: u64,
};

/// Reads `i32`s until the end, checking that they count up by one from `first`
/// (`count` is where it first saw another value). `poll` uses `tryPeek` and yields when
/// empty instead of parking; `stop_after` (when non-zero) lets go of the ring after that
/// many items, as a consumer that gives up.
export fn migz_test_consume_i32(ring: *stream.Ring, first: i32, poll: bool, stop_after: u64, out: *Summary) void {
    var c = stream.Consumer.init(ring);
    defer c.deinit();
    out.* = .{ .sum = 0, .count = 0, .status = 0, .empty_polls = 0 };
    var expect = first;
    var in_order = true;
    while (true) {
        const peeked = if (poll) c.tryPeek() catch {
            out.empty_polls += 1;
            std.Thread.yield() catch {};
            continue;
        } else c.peek();
        switch (peeked) {
            .data => |bytes| {
                for (stream.itemsOf(i32, bytes)) |x| {
                    if (x != expect) in_order = false;
                    if (in_order) out.count += 1;
                    expect +%= 1;
                    out.sum += x;
                }
                c.release(bytes.len);
                if (stop_after != 0 and out.count >= stop_after) return;
            },
            .end => return,
            .failed => |code| {
                out.status = code;
                return;
            },
            .abandoned => {
                out.status = stream.status.abandoned;
                return;
            },
        }
    }
}

/// Receives messages until the channel closes and sends each back reversed; returns how
/// many it echoed. Takes over both handles.
export fn migz_test_echo(rx_handle: *channel.ReceiverHandle, tx_handle: *channel.SenderHandle) u64 {
    var rx: channel.Receiver = .{ .handle = rx_handle };
    var tx: channel.Sender = .{ .handle = tx_handle };
    defer rx.deinit();
    defer tx.deinit();
    var buf: [256]u8 = undefined;
    var n: u64 = 0;
    while (rx.recv(&buf)) |msg| {
        std.mem.reverse(u8, msg);
        tx.send(msg) catch break;
        n += 1;
    } else |_| {}
    return n;
}

/// Sends `count` little-endian `u64`s from `base` (blocking sends), then releases the
/// handle; returns how many were sent.
export fn migz_test_send_u64(tx_handle: *channel.SenderHandle, base: u64, count: u64, try_only: bool) u64 {
    var tx: channel.Sender = .{ .handle = tx_handle };
    defer tx.deinit();
    var sent: u64 = 0;
    for (0..count) |i| {
        const v = base + i;
        if (try_only) {
            tx.trySend(std.mem.asBytes(&v)) catch break;
        } else {
            tx.send(std.mem.asBytes(&v)) catch break;
        }
        sent += 1;
    }
    return sent;
}
