//! The Zig producers of the stream_from_zig example. Both write the items 0, 1, 2, ...
//! (as `i32`) and are exported as bridge entries that a Rust program runs on a thread
//! of its own:
//!
//! - the ring producer (`migz::zig_producer!` in Rust) fills a `migz::stream` ring in
//!   place, parking while the ring is full;
//! - the Mach producer (`migz::zig_entry!`) sends the items in `push_chunk`
//!   simpleroutines to a Rust port, then `end_stream`, blocking in `mach_msg` while the
//!   port's queue is full.

const std = @import("std");
const migz = @import("migz");
const chunk_stream = @import("chunk_stream");

const stream = migz.stream;

/// The most items a producer writes: the items are their own indices as `i32`.
pub const items_max: u64 = 1 << 31;

/// Items per `push_chunk` message, as many as the `.defs` allows.
pub const chunk_items_max: usize = 8192;

/// Fills the ring with the items 0, 1, ..., `count - 1` where they lie, then closes.
/// Returns `MIGZ1_STREAM_OK`, `_CLOSED` when the consumer went away, or
/// `_INVALID_ARGUMENT` for more than `items_max` items or a ring not of 4-byte items.
fn produceRing(p: *stream.Producer, count: u64) i32 {
    if (count > items_max or p.ring.item_size != @sizeOf(i32)) {
        p.fail(stream.status.invalid_argument);
        return stream.status.invalid_argument;
    }
    var next: u64 = 0;
    while (next < count) {
        const room = p.reserve() catch return stream.status.closed;
        const items = stream.itemsOf(i32, room);
        const n: usize = @intCast(@min(items.len, count - next));
        for (items[0..n], 0..) |*x, i| x.* = @intCast(next + i);
        p.commit(n * @sizeOf(i32));
        next += n;
    }
    p.close();
    return stream.status.ok;
}

/// Sends the items 0, 1, ..., `count - 1` to `consumer` (a send right it borrows) in
/// `push_chunk` messages numbered from 0, then `end_stream` with the number of chunks
/// and the items' sum. Returns the first failing send's code, or `KERN_INVALID_ARGUMENT`
/// for more than `items_max` items.
fn produceMach(consumer: migz.Port, count: u64) i32 {
    if (count > items_max) return migz.kern.invalid_argument;
    var data: [chunk_items_max]i32 = undefined;
    var next: u64 = 0;
    var seq: i32 = 0;
    var total: i64 = 0;
    while (next < count) : (seq += 1) {
        const n: usize = @intCast(@min(data.len, count - next));
        for (data[0..n], 0..) |*x, i| {
            x.* = @intCast(next + i);
            total += x.*;
        }
        const kr = chunk_stream.pushChunk(&.{ .consumer = consumer, .seq = seq, .data = .of(data[0..n]) });
        if (kr != migz.kern.success) return kr;
        next += n;
    }
    return chunk_stream.endStream(&.{ .consumer = consumer, .chunks = seq, .total = total });
}

comptime {
    migz.bridge.exportProducer("migz_example_stream_from_zig_ring_producer", produceRing);
    migz.bridge.exportEntry("migz_example_stream_from_zig_mach_producer", produceMach);
}
