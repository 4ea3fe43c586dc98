//! The Zig side of the `stream` suite: the value generator both the reference and the
//! candidate use, a producer that generates straight into a ring, and a producer the Rust
//! side steps one item at a time (for latency).

const std = @import("std");
const migz = @import("migz");

const stream = migz.stream;

/// The value at `index`: murmur3's 32-bit finalizer, so that generating costs real work
/// that the compiler cannot fold into a closed-form sum.
inline fn value(index: u64) i32 {
    var x: u32 = @truncate(index *% 0x9E3779B1);
    x ^= x >> 16;
    x *%= 0x85EBCA6B;
    x ^= x >> 13;
    x *%= 0xC2B2AE35;
    x ^= x >> 16;
    return @bitCast(x);
}

/// Fills `out[0..len]` with the values from `first`.
export fn migz_bench_fill_i32(out: [*]i32, len: usize, first: u64) void {
    for (out[0..len], first..) |*x, i| x.* = value(i);
}

/// Generates `count` values in place into the ring, committing at most `commit_bytes` at
/// a time, then closes. Returns 0, or `MIGZ1_STREAM_CLOSED` if the consumer left.
export fn migz_bench_produce_i32(ring: *stream.Ring, count: u64, commit_bytes: u32) i32 {
    var p = stream.Producer.init(ring);
    defer p.deinit();
    var next: u64 = 0;
    while (next < count) {
        const items = stream.itemsOf(i32, p.reserve() catch return stream.status.closed);
        const n: usize = @intCast(@min(@min(items.len, commit_bytes / 4), count - next));
        migz_bench_fill_i32(items.ptr, n, next);
        p.commit(n * 4);
        next += n;
    }
    p.close();
    return stream.status.ok;
}

/// A producer stepped by Rust.
const Stepper = struct { producer: stream.Producer };

export fn migz_bench_stepper_new(ring: *stream.Ring) ?*Stepper {
    const s = std.heap.page_allocator.create(Stepper) catch return null;
    s.* = .{ .producer = stream.Producer.init(ring) };
    return s;
}

/// Pushes one `i64`, parking while the ring is full.
export fn migz_bench_stepper_push(s: *Stepper, item: i64) i32 {
    s.producer.push(std.mem.asBytes(&item)) catch return stream.status.closed;
    return stream.status.ok;
}

export fn migz_bench_stepper_finish(s: *Stepper) void {
    s.producer.close();
    s.producer.deinit();
    std.heap.page_allocator.destroy(s);
}
