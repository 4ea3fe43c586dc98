//! The Zig half of the bridge between Rust and Zig in one process: entry points of one
//! C shape that either language exports and the other calls, and a server loop that ends
//! when its clients are gone.
//!
//! An entry is `fn (task, port, arg) callconv(.c) i32`: `task` names the space (the local
//! transport's handle of a Rust `migz::Space`; on the kernel, `mach_task_self()` or
//! null), `port` a right the callee takes or borrows as its documentation says, `arg` a
//! number of the callee's choosing; it returns a `kern_return_t` or `mach_msg_return_t`.
//! Rust declares a Zig entry with `migz::zig_entry!` and exports one with
//! `migz::export_entry!`; Zig exports one with `exportServer` or `exportEntry`. Entries
//! return codes, never error unions, and nothing unwinds through them.

const std = @import("std");

const abi = @import("abi.zig");
const message = @import("message.zig");
const rights = @import("rights.zig");
const server_ = @import("server.zig");
const stream = @import("stream.zig");
const stubs_ = @import("stubs.zig");
const transport = @import("transport.zig");

const Port = abi.Port;
const KernReturn = abi.KernReturn;
const MsgReturn = abi.MsgReturn;
const MachMsgHeader = message.MachMsgHeader;
const ReceiveRight = rights.ReceiveRight;

/// The C shape of a bridge entry point, `migz1_entry_fn` of `bridge/migz.h`.
pub const Entry = fn (task: Port, port: Port, arg: u64) callconv(.c) i32;

comptime {
    // The header is the contract: the entry's shape is the one it declares.
    std.debug.assert(?*const Entry == @import("transport/migz_c.zig").migz1_entry_fn);
}

/// `MACH_NOTIFY_NO_SENDERS`: the id of the notification that a port's last send right
/// is gone.
pub const notify_no_senders_id: i32 = 0o106;

/// The size of `mach_no_senders_notification_t` without trailer: header, NDR, mscount.
const no_senders_size: u32 = @sizeOf(MachMsgHeader) + @sizeOf(message.NdrRecord) + 4;

/// Makes `task` the calling thread's space (see `transport.enterTask`).
pub const enterTask = transport.enterTask;

/// Serves requests arriving on `rcv` with `server`, a value of the generated
/// `stubs.Server(Impl)`, until the port has no more send rights (a
/// `MACH_NOTIFY_NO_SENDERS` notification, requested here, arrives), `limit` requests
/// were served (0: no limit) or receiving fails. Takes the receive right and destroys it
/// at the end, with whatever is still queued. Returns `success` after no-senders or the
/// limit, else why receiving failed. Make the clients' send rights before calling: a
/// port without senders ends the loop at once. When `rcv` turns out not to be a receive
/// right, the notification request's code comes back and the name is left alone.
///
/// The notification is recognized by its id, size and lack of a reply port; a client
/// could forge one and stop the server, as it could on the kernel with a send right to
/// the port.
pub fn serveUntilNoSenders(comptime stubs: type, server: anytype, rcv: ReceiveRight, limit: u64) MsgReturn {
    var previous: Port = abi.port_null;
    const kr = transport.portRequestNotification(rcv.name, notify_no_senders_id, 0, rcv.name, abi.disposition.make_send_once, &previous);
    // Not a receive right (`KERN_INVALID_RIGHT`, `KERN_INVALID_NAME`): nothing was taken.
    if (kr != abi.kern.success) return kr;
    defer rcv.deinit();
    // A fresh receive right has no earlier request; drop one anyway rather than leak it.
    if (previous != abi.port_null) _ = transport.portDeallocate(previous);

    const Loop = struct {
        server: @TypeOf(server),
        done: bool = false,

        fn demux(loop: *@This(), in: *const MachMsgHeader, len: usize, out: *MachMsgHeader) bool {
            if (in.id == notify_no_senders_id and in.size == no_senders_size and
                in.remote_port == abi.port_null and in.bits & abi.msgh_bits_complex == 0)
            {
                loop.done = true;
                stubs_.initReplyError(in, out, abi.mig.no_reply);
                return true;
            }
            return loop.server.demuxLen(in, len, out);
        }
    };
    var loop: Loop = .{ .server = server };
    // `@max` of comptime values narrows its type to fit the larger: widen before adding.
    const in_size: usize = @max(stubs.request_size_max, no_senders_size);
    const out_size: usize = @max(stubs.reply_size_max, @sizeOf(message.MigReplyError));
    var in_buf: [in_size + message.max_trailer_size]u8 align(8) = undefined;
    var out_buf: [out_size]u8 align(8) = undefined;
    var served: u64 = 0;
    while (!loop.done and (limit == 0 or served < limit)) {
        const mr = server_.serveOnceWith(rcv.name, &loop, Loop.demux, &in_buf, &out_buf, null);
        switch (mr) {
            abi.msg_return.success => {},
            abi.msg_return.rcv_too_large => {},
            else => return mr,
        }
        if (!loop.done) served += 1;
    }
    return abi.msg_return.success;
}

/// `serveUntilNoSenders` with `task` as the calling thread's space, which goes back to the
/// default space after.
fn serveInTask(comptime stubs: type, server: anytype, task: Port, rcv: ReceiveRight, limit: u64) MsgReturn {
    const kr = enterTask(task);
    if (kr != abi.kern.success) return kr;
    defer _ = enterTask(abi.port_null);
    return serveUntilNoSenders(stubs, server, rcv, limit);
}

/// Exports, under `name`, an entry that serves `port` (a receive right, which it takes)
/// in space `task` with `stubs.Server(Impl)` over `impl`, as `serveUntilNoSenders` does
/// with `arg` as the limit. `impl` is shared by every call of the entry.
pub fn exportServer(comptime stubs: type, comptime Impl: type, comptime impl: *Impl, comptime name: []const u8) void {
    const E = struct {
        fn entry(task: Port, port: Port, arg: u64) callconv(.c) i32 {
            if (!abi.portValid(port)) return abi.kern.invalid_name;
            const server: stubs.Server(Impl) = .{ .impl = impl };
            return serveInTask(stubs, server, task, ReceiveRight.fromName(port), arg);
        }
    };
    @export(&E.entry, .{ .name = name });
}

/// Exports, under `name`, an entry that makes `task` the thread's space, calls
/// `f(port, arg)` and goes back to the default space. The thread's MIG reply port in
/// `task` (which client stubs keep per thread) is destroyed on the way out, so an entry
/// leaves no right behind in the caller's space.
pub fn exportEntry(comptime name: []const u8, comptime f: fn (port: Port, arg: u64) i32) void {
    const E = struct {
        fn entry(task: Port, port: Port, arg: u64) callconv(.c) i32 {
            const kr = enterTask(task);
            if (kr != abi.kern.success) return kr;
            defer _ = enterTask(abi.port_null);
            defer transport.migDeallocReplyPort(transport.migGetReplyPort());
            return f(port, arg);
        }
    };
    @export(&E.entry, .{ .name = name });
}

/// The C shape of a ring producer entry: `ring` is the producer's end of a
/// `migz1_ring_t` (Rust's `ProducerEnd::into_raw`), which the callee takes over; `arg` is
/// the callee's; it returns a `MIGZ1_STREAM_*` status.
pub const ProducerEntry = fn (ring: ?*stream.Ring, arg: u64) callconv(.c) i32;

/// Exports, under `name`, a ring producer entry (Rust declares it with
/// `migz::zig_producer!`) that takes over the ring, calls `f(&producer, arg)` and lets go
/// of the ring: a producer `f` did not close (with `close` or `fail`) ends the stream as
/// abandoned. A null ring is `MIGZ1_STREAM_INVALID_ARGUMENT`.
pub fn exportProducer(comptime name: []const u8, comptime f: fn (producer: *stream.Producer, arg: u64) i32) void {
    const E = struct {
        fn entry(ring: ?*stream.Ring, arg: u64) callconv(.c) i32 {
            const r = ring orelse return stream.status.invalid_argument;
            var producer = stream.Producer.init(r);
            defer producer.deinit();
            return f(&producer, arg);
        }
    };
    @export(&E.entry, .{ .name = name });
}

/// The entry `name` that a Rust library linked into the program exports with
/// `migz::export_entry!`, typed as an entry so that its shape is checked here.
pub fn rustEntry(comptime name: []const u8) *const Entry {
    return @extern(*const Entry, .{ .name = name });
}

/// Runs `entry(task, port, arg)` on a thread of its own (a server entry blocks until its
/// clients are gone) and stores its code in `result` before the thread ends: read it
/// after `join`.
pub fn spawnEntry(entry: *const Entry, task: Port, port: Port, arg: u64, result: *i32) std.Thread.SpawnError!std.Thread {
    const Run = struct {
        fn run(e: *const Entry, t: Port, p: Port, a: u64, r: *i32) void {
            r.* = e(t, p, a);
        }
    };
    return std.Thread.spawn(.{}, Run.run, .{ entry, task, port, arg, result });
}

/// Runs `serveUntilNoSenders(stubs, server, rcv, 0)` on a thread of its own in space
/// `task` (`taskSelf()` for the caller's) and stores its code in `result` before the
/// thread ends. The thread takes `rcv`.
pub fn spawnServer(comptime stubs: type, server: anytype, task: Port, rcv: ReceiveRight, result: *MsgReturn) std.Thread.SpawnError!std.Thread {
    const Run = struct {
        fn run(s: @TypeOf(server), t: Port, r: ReceiveRight, out: *MsgReturn) void {
            out.* = serveInTask(stubs, s, t, r, 0);
        }
    };
    return std.Thread.spawn(.{}, Run.run, .{ server, task, rcv, result });
}
