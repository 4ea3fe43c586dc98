//! Streams between Zig and Rust: the Zig ends of the ring of `bridge/migz.h`
//! (`migz1_ring_t`, seen through translate-c). A `Producer` writes bytes in place
//! (`tryReserve`/`reserve` then `commit`) or by copy (`tryPush`/`push`); a `Consumer` reads
//! them in place (`tryPeek`/`peek`/`pollPeek`) and hands them back with `release`. The
//! other end can be Rust (`migz::stream`) or Zig.
//!
//! The wake protocol is the header's: an end about to sleep raises its `waiting` word and
//! checks the ring again; the other end calls its wake function only when that word was
//! raised. So a producer that commits while the consumer is busy makes no call at all.

const std = @import("std");
const assert = std.debug.assert;

const c = @import("transport/migz_c.zig");
const rust_linked = @import("transport.zig").rust_linked;
const park = @import("park.zig");

/// `migz1_ring_t`.
pub const Ring = c.migz1_ring_t;
/// `migz1_ring_waiter_t`.
pub const Waiter = c.migz1_ring_waiter_t;
/// `migz1_wake_fn`: called by one end to wake the other; must not block.
pub const WakeFn = *const fn (context: ?*anyopaque) callconv(.c) void;

/// `MIGZ1_STREAM_*`: the status codes of the stream and channel calls.
pub const status = struct {
    pub const ok: i32 = c.MIGZ1_STREAM_OK;
    pub const would_block: i32 = c.MIGZ1_STREAM_WOULD_BLOCK;
    pub const closed: i32 = c.MIGZ1_STREAM_CLOSED;
    pub const invalid_argument: i32 = c.MIGZ1_STREAM_INVALID_ARGUMENT;
    pub const abandoned: i32 = c.MIGZ1_STREAM_ABANDONED;
    pub const failure: i32 = c.MIGZ1_STREAM_FAILURE;
};

const ring_open: u32 = c.MIGZ1_RING_OPEN;
const ring_closed: u32 = c.MIGZ1_RING_CLOSED;
const ring_abandoned: u32 = c.MIGZ1_RING_ABANDONED;

/// Spin checks before a waiting end yields, and yields before it parks: a partner on
/// another CPU usually answers within microseconds, a futex round trip costs tens.
const spin_limit = 1000;
const yield_limit = 8;

/// The errors of `create`.
pub const CreateError = error{ InvalidArgument, OutOfMemory };

/// `migz1_ring_create`: a ring of `capacity` bytes (a power of two, 64..=2^32, a multiple
/// of `item_size`) with one reference for each end, freed by whichever end lets go last.
pub fn create(capacity: u64, item_size: u32) CreateError!*Ring {
    var ring: ?*Ring = null;
    return switch (c.migz1_ring_create(capacity, item_size, @ptrCast(&ring))) {
        status.ok => ring.?,
        status.invalid_argument => error.InvalidArgument,
        else => error.OutOfMemory,
    };
}

/// Drops one end's reference; the last one frees the ring with its `destroy`.
fn dropRef(ring: *Ring) void {
    if (@atomicRmw(u32, &ring.refs, .Sub, 1, .acq_rel) == 1) {
        const destroy = ring.destroy orelse unreachable; // Every ring is made with one.
        destroy(ring);
    }
}

/// Takes the other end's `waiting` from 1 to 0 and, when it was 1, calls its wake function.
fn wakeOther(w: *Waiter) void {
    if (@atomicLoad(u32, &w.waiting, .seq_cst) == 0) return;
    if (@atomicRmw(u32, &w.waiting, .Xchg, 0, .seq_cst) == 0) return;
    if (w.wake) |wake| wake(w.context);
}

/// The wake function of blocking Zig ends: the waiter sleeps on its own `waiting` word.
fn wakeParked(context: ?*anyopaque) callconv(.c) void {
    park.wake(@ptrCast(@alignCast(context orelse return)));
}

/// Installs how this end is woken (once, before its first wait).
fn install(w: *Waiter, wake: ?WakeFn, context: ?*anyopaque) void {
    if (wake) |f| {
        w.wake = f;
        w.context = context;
    } else {
        w.wake = wakeParked;
        w.context = @ptrCast(&w.waiting);
    }
}

/// Blocks the thread until `ready(ctx)`: spins, yields, then raises `waiting`, checks again
/// and parks on it.
fn waitUntil(w: *Waiter, ctx: anytype, comptime ready: fn (@TypeOf(ctx)) bool) void {
    assert(w.wake == wakeParked); // Blocking calls need the end made without a wake function.
    var spins: u32 = 0;
    while (!ready(ctx)) {
        if (spins < spin_limit + yield_limit) {
            if (spins < spin_limit) std.atomic.spinLoopHint() else std.Thread.yield() catch {};
            spins += 1;
            continue;
        }
        @atomicStore(u32, &w.waiting, 1, .seq_cst);
        if (ready(ctx)) {
            @atomicStore(u32, &w.waiting, 0, .seq_cst);
            return;
        }
        park.wait(&w.waiting, 1);
    }
}

/// The producer end of a ring.
pub const Producer = struct {
    ring: *Ring,
    /// Bytes committed (mirrors `ring.head`, which only this end writes).
    head: u64,
    /// The consumer's position as last read.
    tail: u64,
    closed: bool = false,

    /// The errors of the non-blocking calls.
    pub const TryError = error{ WouldBlock, Closed };
    /// The errors of `tryPush`.
    pub const TryPushError = error{ WouldBlock, Closed, TooLarge };

    /// Takes over the producer's reference to `ring` (from `migz::stream::from_zig`'s
    /// `ProducerEnd::into_raw`, or `create`). The blocking calls park the thread.
    pub fn init(ring: *Ring) Producer {
        return initWake(ring, null, null);
    }

    /// `init` for a producer driven by an event loop: when it waited for room (`pollReserve`
    /// returned null), the consumer calls `wake(context)` once room frees or it goes away.
    pub fn initWake(ring: *Ring, wake: ?WakeFn, context: ?*anyopaque) Producer {
        install(&ring.producer, wake, context);
        return .{
            .ring = ring,
            .head = @atomicLoad(u64, &ring.head, .monotonic),
            .tail = @atomicLoad(u64, &ring.tail, .acquire),
        };
    }

    fn room(self: *const Producer) u64 {
        return self.ring.capacity - (self.head - self.tail);
    }

    fn consumerGone(self: *const Producer) bool {
        return @atomicLoad(u32, &self.ring.consumer_closed, .acquire) != 0;
    }

    fn refresh(self: *Producer) u64 {
        self.tail = @atomicLoad(u64, &self.ring.tail, .acquire);
        return self.room();
    }

    fn spaceOrGone(self: *Producer) bool {
        return self.consumerGone() or self.refresh() > 0;
    }

    /// The free room at the head that does not wrap (at least one item), to fill and then
    /// `commit`; `WouldBlock` when the ring is full.
    pub fn tryReserve(self: *Producer) TryError![]u8 {
        assert(!self.closed);
        if (self.consumerGone()) return error.Closed;
        if (self.room() == 0 and self.refresh() == 0) return error.WouldBlock;
        const cap: usize = @intCast(self.ring.capacity);
        const off: usize = @intCast(self.head % self.ring.capacity);
        const n = @min(@as(usize, @intCast(self.room())), cap - off);
        return self.ring.data[off .. off + n];
    }

    /// `tryReserve`, parking the thread while the ring is full.
    pub fn reserve(self: *Producer) error{Closed}![]u8 {
        while (true) {
            return self.tryReserve() catch |e| switch (e) {
                error.Closed => error.Closed,
                error.WouldBlock => {
                    waitUntil(&self.ring.producer, self, spaceOrGone);
                    continue;
                },
            };
        }
    }

    /// `tryReserve` for an event loop: null means full, and the consumer will call this
    /// end's wake function once (after room frees or it goes away).
    pub fn pollReserve(self: *Producer) error{Closed}!?[]u8 {
        if (self.tryReserve()) |r| return r else |e| if (e == error.Closed) return error.Closed;
        @atomicStore(u32, &self.ring.producer.waiting, 1, .seq_cst);
        if (self.tryReserve()) |r| {
            @atomicStore(u32, &self.ring.producer.waiting, 0, .seq_cst);
            return r;
        } else |e| if (e == error.Closed) return error.Closed;
        return null;
    }

    /// Publishes the first `n` bytes of the last reservation (a multiple of the item size)
    /// and wakes the consumer if it waits.
    pub fn commit(self: *Producer, n: usize) void {
        assert(n % self.ring.item_size == 0);
        assert(n <= self.room());
        if (n == 0) return;
        self.head += n;
        @atomicStore(u64, &self.ring.head, self.head, .seq_cst);
        wakeOther(&self.ring.consumer);
    }

    /// Copies all of `bytes` (a multiple of the item size) or none.
    pub fn tryPush(self: *Producer, bytes: []const u8) TryPushError!void {
        assert(!self.closed);
        assert(bytes.len % self.ring.item_size == 0);
        if (self.consumerGone()) return error.Closed;
        if (bytes.len > self.ring.capacity) return error.TooLarge;
        if (self.room() < bytes.len and self.refresh() < bytes.len) return error.WouldBlock;
        self.copyIn(bytes);
    }

    fn copyIn(self: *Producer, bytes: []const u8) void {
        const cap: usize = @intCast(self.ring.capacity);
        const off: usize = @intCast(self.head % self.ring.capacity);
        const first = @min(bytes.len, cap - off);
        @memcpy(self.ring.data[off .. off + first], bytes[0..first]);
        @memcpy(self.ring.data[0 .. bytes.len - first], bytes[first..]);
        self.commit(bytes.len);
    }

    /// Copies `bytes` (a multiple of the item size, any length), parking while the ring is
    /// full.
    pub fn push(self: *Producer, bytes: []const u8) error{Closed}!void {
        var rest = bytes;
        while (rest.len > 0) {
            if (self.consumerGone()) return error.Closed;
            const item = self.ring.item_size;
            const n = @min(rest.len, @as(usize, @intCast(self.refresh())) / item * item);
            if (n == 0) {
                waitUntil(&self.ring.producer, self, spaceOrGone);
                continue;
            }
            self.copyIn(rest[0..n]);
            rest = rest[n..];
        }
    }

    /// Ends the stream cleanly after what was committed.
    pub fn close(self: *Producer) void {
        self.fail(0);
    }

    /// Ends the stream with an error `code` (0: cleanly); the consumer sees it after what
    /// was committed.
    pub fn fail(self: *Producer, code: i32) void {
        assert(!self.closed);
        self.closed = true;
        self.ring.status = code;
        @atomicStore(u32, &self.ring.closed, ring_closed, .seq_cst);
        wakeOther(&self.ring.consumer);
    }

    /// Lets go of the ring; a producer that did not close ends the stream as abandoned.
    pub fn deinit(self: *Producer) void {
        if (!self.closed) {
            @atomicStore(u32, &self.ring.closed, ring_abandoned, .seq_cst);
            wakeOther(&self.ring.consumer);
        }
        dropRef(self.ring);
        self.* = undefined;
    }
};

/// What a consumer sees next.
pub const Peek = union(enum) {
    /// Committed bytes that do not wrap, a multiple of the item size; hand them back
    /// with `release` (all or a prefix).
    data: []const u8,
    /// The producer closed cleanly and everything was read.
    end,
    /// The producer closed with this error code.
    failed: i32,
    /// The producer let go without closing.
    abandoned,
};

/// The consumer end of a ring.
pub const Consumer = struct {
    ring: *Ring,
    /// Bytes released (mirrors `ring.tail`, which only this end writes).
    tail: u64,

    /// Takes over the consumer's reference to `ring` (from `migz::stream::to_zig`'s
    /// `ConsumerEnd::into_raw`, or `create`). `peek` parks the thread.
    pub fn init(ring: *Ring) Consumer {
        return initWake(ring, null, null);
    }

    /// `init` for a consumer driven by an event loop: when it waited (`pollPeek`
    /// returned null), the producer calls `wake(context)` once, after the next commit or
    /// the close.
    pub fn initWake(ring: *Ring, wake: ?WakeFn, context: ?*anyopaque) Consumer {
        install(&ring.consumer, wake, context);
        return .{ .ring = ring, .tail = @atomicLoad(u64, &ring.tail, .monotonic) };
    }

    fn ready(self: *Consumer) bool {
        return @atomicLoad(u64, &self.ring.head, .acquire) != self.tail or
            @atomicLoad(u32, &self.ring.closed, .acquire) != ring_open;
    }

    /// The next bytes, or `WouldBlock` when the producer has committed nothing more yet.
    pub fn tryPeek(self: *Consumer) error{WouldBlock}!Peek {
        const closed = @atomicLoad(u32, &self.ring.closed, .acquire);
        const head = @atomicLoad(u64, &self.ring.head, .acquire);
        if (head != self.tail) {
            const cap = self.ring.capacity;
            const off = self.tail % cap;
            const n: usize = @intCast(@min(head - self.tail, cap - off));
            const start: usize = @intCast(off);
            return .{ .data = self.ring.data[start .. start + n] };
        }
        return switch (closed) {
            ring_open => error.WouldBlock,
            ring_closed => if (self.ring.status == 0) .end else .{ .failed = self.ring.status },
            else => .abandoned,
        };
    }

    /// `tryPeek`, parking the thread until there is something.
    pub fn peek(self: *Consumer) Peek {
        while (true) {
            return self.tryPeek() catch {
                waitUntil(&self.ring.consumer, self, ready);
                continue;
            };
        }
    }

    /// `tryPeek` for an event loop: null means nothing yet, and the producer will call this
    /// end's wake function once (after its next commit or its close).
    pub fn pollPeek(self: *Consumer) ?Peek {
        if (self.tryPeek()) |p| return p else |_| {}
        @atomicStore(u32, &self.ring.consumer.waiting, 1, .seq_cst);
        if (self.tryPeek()) |p| {
            @atomicStore(u32, &self.ring.consumer.waiting, 0, .seq_cst);
            return p;
        } else |_| return null;
    }

    /// Hands the first `n` bytes of what `peek` returned back to the producer.
    pub fn release(self: *Consumer, n: usize) void {
        assert(n % self.ring.item_size == 0);
        assert(n <= @atomicLoad(u64, &self.ring.head, .acquire) - self.tail);
        if (n == 0) return;
        self.tail += n;
        @atomicStore(u64, &self.ring.tail, self.tail, .seq_cst);
        wakeOther(&self.ring.producer);
    }

    /// Lets go of the ring: the producer's pushes fail with `Closed` from now on.
    pub fn deinit(self: *Consumer) void {
        @atomicStore(u32, &self.ring.consumer_closed, 1, .seq_cst);
        wakeOther(&self.ring.producer);
        dropRef(self.ring);
        self.* = undefined;
    }
};

/// `bytes` (from `Peek.data` or a reservation) as items of `T`; the ring keeps them
/// aligned when its item size is `@sizeOf(T)`.
pub fn itemsOf(comptime T: type, bytes: anytype) switch (@TypeOf(bytes)) {
    []u8 => []T,
    else => []const T,
} {
    return @alignCast(std.mem.bytesAsSlice(T, bytes));
}

const testing = std.testing;

fn produceCounting(ring: *Ring, count: u32, piece: u32) void {
    var p = Producer.init(ring);
    defer p.deinit();
    var next: u32 = 0;
    while (next < count) {
        const room = p.reserve() catch return;
        const items = itemsOf(u32, room);
        const n = @min(@min(items.len, piece), count - next);
        for (items[0..n], next..) |*x, v| x.* = @intCast(v);
        next += n;
        p.commit(n * 4);
    }
    p.close();
}

test "a Zig producer streams more than the ring holds to a blocking Zig consumer" {
    if (!rust_linked) return error.SkipZigTest;
    const ring = try create(256, 4);
    const count = 200_000;
    const thread = try std.Thread.spawn(.{}, produceCounting, .{ ring, count, 13 });
    var consumer = Consumer.init(ring);
    var expect: u32 = 0;
    loop: while (true) {
        switch (consumer.peek()) {
            .data => |bytes| {
                for (itemsOf(u32, bytes)) |x| {
                    try testing.expectEqual(expect, x);
                    expect += 1;
                }
                consumer.release(bytes.len);
            },
            .end => break :loop,
            .failed, .abandoned => return error.TestUnexpectedResult,
        }
    }
    thread.join();
    consumer.deinit();
    try testing.expectEqual(@as(u32, count), expect);
}

const CountingWake = struct {
    calls: u32 = 0,
    fn wake(context: ?*anyopaque) callconv(.c) void {
        const self: *CountingWake = @ptrCast(@alignCast(context.?));
        self.calls += 1;
    }
};

test "the producer calls the consumer's wake function only when it waited" {
    if (!rust_linked) return error.SkipZigTest;
    const ring = try create(1024, 4);
    var counter: CountingWake = .{};
    var consumer = Consumer.initWake(ring, CountingWake.wake, &counter);
    defer consumer.deinit();
    var producer = Producer.init(ring);
    defer producer.deinit();

    // Commits while the consumer is not waiting: no call.
    for (0..10) |i| try producer.tryPush(std.mem.asBytes(&@as(u32, @intCast(i))));
    try testing.expectEqual(@as(u32, 0), counter.calls);
    const got = consumer.pollPeek() orelse return error.TestUnexpectedResult;
    try testing.expectEqual(@as(usize, 40), got.data.len);
    consumer.release(40);
    try testing.expectEqual(@as(u32, 0), counter.calls);

    // Each wait then commit: exactly one call, however many commits follow.
    for (1..4) |round| {
        try testing.expect(consumer.pollPeek() == null);
        try producer.tryPush(&.{ 1, 2, 3, 4 });
        try producer.tryPush(&.{ 5, 6, 7, 8 });
        try testing.expectEqual(@as(u32, @intCast(round)), counter.calls);
        const p = consumer.pollPeek() orelse return error.TestUnexpectedResult;
        consumer.release(p.data.len);
    }
    // Closing wakes a waiting consumer too, once.
    try testing.expect(consumer.pollPeek() == null);
    producer.close();
    try testing.expectEqual(@as(u32, 4), counter.calls);
    try testing.expect((consumer.pollPeek() orelse return error.TestUnexpectedResult) == .end);
}

test "backpressure: try variants refuse a full ring, a gone consumer fails pushes" {
    if (!rust_linked) return error.SkipZigTest;
    const ring = try create(64, 4);
    var producer = Producer.init(ring);
    defer producer.deinit();
    var consumer = Consumer.init(ring);
    const block: [48]u8 = @splat(7);
    try producer.tryPush(&block);
    try testing.expectError(error.WouldBlock, producer.tryPush(&block));
    try testing.expectError(error.TooLarge, producer.tryPush(&@as([68]u8, @splat(0))));
    try testing.expectEqual(@as(usize, 16), (try producer.tryReserve()).len);
    consumer.release(48);
    try producer.tryPush(&block);
    consumer.deinit();
    try testing.expectError(error.Closed, producer.tryPush(&.{ 1, 2, 3, 4 }));
    try testing.expectError(error.Closed, producer.push(&block));
    try testing.expectError(error.Closed, producer.reserve());
    producer.close();
}

test "the stream ends with the producer's code, or as abandoned" {
    if (!rust_linked) return error.SkipZigTest;
    {
        const ring = try create(64, 1);
        var producer = Producer.init(ring);
        var consumer = Consumer.init(ring);
        defer consumer.deinit();
        try producer.push("abc");
        producer.fail(-17);
        producer.deinit();
        const first = consumer.peek();
        try testing.expectEqualStrings("abc", first.data);
        consumer.release(3);
        try testing.expectEqual(Peek{ .failed = -17 }, consumer.peek());
    }
    {
        const ring = try create(64, 1);
        var producer = Producer.init(ring);
        var consumer = Consumer.init(ring);
        defer consumer.deinit();
        producer.deinit();
        try testing.expect(consumer.peek() == .abandoned);
    }
    try testing.expectError(error.InvalidArgument, create(100, 4));
    try testing.expectError(error.InvalidArgument, create(64, 3));
}

fn waitForRoom(ring: *Ring, pushed: *std.atomic.Value(u32)) void {
    var producer = Producer.init(ring);
    defer producer.deinit();
    // The second push waits until the consumer releases the first.
    producer.push(&@as([64]u8, @splat(1))) catch return;
    producer.push(&@as([64]u8, @splat(2))) catch return;
    pushed.store(1, .release);
    producer.close();
}

test "a blocking push parks until the consumer releases room" {
    if (!rust_linked) return error.SkipZigTest;
    const ring = try create(64, 1);
    var pushed = std.atomic.Value(u32).init(0);
    const thread = try std.Thread.spawn(.{}, waitForRoom, .{ ring, &pushed });
    var consumer = Consumer.init(ring);
    defer consumer.deinit();
    const first = consumer.peek();
    try testing.expectEqual(@as(u8, 1), first.data[0]);
    consumer.release(first.data.len);
    const second = consumer.peek();
    try testing.expectEqual(@as(u8, 2), second.data[0]);
    consumer.release(second.data.len);
    try testing.expect(consumer.peek() == .end);
    thread.join();
    try testing.expectEqual(@as(u32, 1), pushed.load(.acquire));
}
