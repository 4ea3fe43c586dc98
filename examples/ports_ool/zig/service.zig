//! The Zig half of the ports_ool example: the same server and client scenarios as
//! `src/service.rs`, exported as bridge entries so that a Rust program can run them
//! (`migz::zig_entry!`), and used directly by Zig programs (`matrix_test.zig`).
//!
//! A Zig routine that answers with an error must not have taken anything: the server
//! loop then destroys the request, rights and memory (as `mach_msg_server` does). A
//! routine that succeeds owns what it was sent and releases what it does not keep.

const std = @import("std");
const builtin = @import("builtin");
const migz = @import("migz");
const po = @import("ports_ool");

const KernReturn = migz.KernReturn;
const Port = migz.Port;

/// The counters `stats` answers with, in this order (both servers keep the same ones).
pub const stat = struct {
    /// Ports registered now.
    pub const registered = 0;
    /// Rights taken by `pass_right`.
    pub const passed = 1;
    /// Integers reversed by `reverse`.
    pub const reversed = 2;
    /// Bytes counted by `upload`.
    pub const uploaded = 3;
    /// Rights counted by `count_ports`.
    pub const counted = 4;
    /// Messages logged by `log_message`.
    pub const logged = 5;
    /// Bytes of the messages logged.
    pub const logged_bytes = 6;
};

/// How many counters `stats` has.
pub const stats_len = 7;
/// How many values a failing server's `stats` answers, whatever the caller's room.
pub const failing_stats_len = 16;
/// How many ports a server keeps registered at most (`KERN_NO_SPACE` beyond).
pub const registry_capacity = 8;

/// The client entry's `arg` for `everyRoutine`.
pub const scenario_answered: u64 = 0;
/// The client entry's `arg` for `everyRoutineRefused`.
pub const scenario_refused: u64 = 1;

/// How a server answers.
pub const Mode = enum {
    /// Every routine does its job.
    answer,
    /// Every routine answers `KERN_FAILURE` without taking anything; `stats` answers
    /// `failing_stats_len` values.
    fail,
};

comptime {
    std.debug.assert(failing_stats_len <= @typeInfo(@FieldType(po.StatsOut, "values")).array.len);
    std.debug.assert(stats_len < failing_stats_len);
}

/// The server: a registry of send rights by name, and counters of what it was sent. Not
/// thread-safe: one server loop serves it.
pub const Impl = struct {
    mode: Mode = .answer,
    entries: [registry_capacity]Entry = undefined,
    entries_len: usize = 0,
    counters: [stats_len]i32 = @splat(0),

    const name_max = 63;

    const Entry = struct {
        name: [name_max]u8,
        name_len: usize,
        /// A send right of the server's.
        port: Port,
    };

    /// Releases every registered right.
    pub fn deinit(self: *Impl) void {
        for (self.entries[0..self.entries_len]) |e| _ = migz.portDeallocate(e.port);
        self.entries_len = 0;
    }

    /// What `stats` answers a caller with room for every counter.
    pub fn snapshot(self: *const Impl) [stats_len]i32 {
        var values = self.counters;
        values[stat.registered] = @intCast(self.entries_len);
        return values;
    }

    fn add(self: *Impl, counter: usize, n: usize) void {
        const delta = std.math.cast(i32, n) orelse std.math.maxInt(i32);
        self.counters[counter] +|= delta;
    }

    fn find(self: *const Impl, name: []const u8) ?usize {
        for (self.entries[0..self.entries_len], 0..) |*e, i| {
            if (std.mem.eql(u8, e.name[0..e.name_len], name)) return i;
        }
        return null;
    }

    pub fn registerPort(self: *Impl, in: *const po.RegisterPortIn, out: *po.RegisterPortOut) KernReturn {
        _ = out;
        if (self.mode == .fail) return migz.kern.failure;
        const name = in.name.items();
        // The generated unpacking bounds the name at 63 bytes and a NUL.
        std.debug.assert(name.len <= name_max);
        if (self.find(name) != null) return migz.kern.name_exists;
        if (self.entries_len == registry_capacity) return migz.kern.no_space;
        const e = &self.entries[self.entries_len];
        e.* = .{ .name = undefined, .name_len = name.len, .port = in.port };
        @memcpy(e.name[0..name.len], name);
        self.entries_len += 1;
        return migz.kern.success;
    }

    pub fn lookupPort(self: *Impl, in: *const po.LookupPortIn, out: *po.LookupPortOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        const i = self.find(in.name.items()) orelse return migz.kern.invalid_name;
        // Given back: the reply moves the registered right to the caller.
        out.port = self.entries[i].port;
        self.entries[i] = self.entries[self.entries_len - 1];
        self.entries_len -= 1;
        return migz.kern.success;
    }

    pub fn passRight(self: *Impl, in: *const po.PassRightIn, out: *po.PassRightOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        // A right arrives as the disposition the receiver holds it with.
        const label: []const u8, const kr = switch (in.right_poly) {
            migz.disposition.move_send => .{ "send", migz.portDeallocate(in.right) },
            migz.disposition.move_send_once => .{ "send-once", migz.portDeallocate(in.right) },
            migz.disposition.move_receive => .{ "receive", migz.portModRefs(in.right, migz.port_right.receive, -1) },
            // The generated unpacking accepts only rights a message can carry.
            else => unreachable,
        };
        if (kr != migz.kern.success) return kr;
        @memcpy(out.label[0..label.len], label);
        self.add(stat.passed, 1);
        return migz.kern.success;
    }

    pub fn reverse(self: *Impl, in: *const po.ReverseIn, out: *po.ReverseOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        const data = in.data.items();
        if (data.len == 0) return migz.kern.success;
        // The region the request brought is ours: reverse it in place and send it back.
        const region: [*]i32 = @constCast(data.ptr);
        std.mem.reverse(i32, region[0..data.len]);
        out.reversed = .of(region[0..data.len]);
        self.add(stat.reversed, data.len);
        return migz.kern.success;
    }

    pub fn upload(self: *Impl, in: *const po.UploadIn, out: *po.UploadOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        const blob = in.blob.items();
        out.total = byteSum(blob);
        if (blob.len > 0) _ = migz.vmDeallocate(@intFromPtr(blob.ptr), blob.len);
        self.add(stat.uploaded, blob.len);
        return migz.kern.success;
    }

    pub fn stats(self: *Impl, in: *const po.StatsIn, out: *po.StatsOut) KernReturn {
        if (self.mode == .fail) {
            for (out.values[0..failing_stats_len], 0..) |*v, i| v.* = @intCast(i);
            out.values_cnt = failing_stats_len;
            return migz.kern.success;
        }
        const n = @min(in.values_cnt, stats_len);
        const values = self.snapshot();
        @memcpy(out.values[0..n], values[0..n]);
        out.values_cnt = n;
        return migz.kern.success;
    }

    pub fn countPorts(self: *Impl, in: *const po.CountPortsIn, out: *po.CountPortsOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        const list = in.list.items();
        out.count = std.math.cast(i32, list.len) orelse return migz.kern.invalid_argument;
        for (list) |p| _ = migz.portDeallocate(p);
        if (list.len > 0) _ = migz.vmDeallocate(@intFromPtr(list.ptr), list.len * @sizeOf(Port));
        self.add(stat.counted, list.len);
        return migz.kern.success;
    }

    pub fn whoami(self: *Impl, in: *const po.WhoamiIn, out: *po.WhoamiOut) KernReturn {
        if (self.mode == .fail) return migz.kern.failure;
        out.word = @bitCast(in.atoken.val[0]);
        return migz.kern.success;
    }

    pub fn logMessage(self: *Impl, in: *const po.LogMessageIn, out: *po.LogMessageOut) KernReturn {
        _ = out;
        if (self.mode == .fail) return migz.kern.failure;
        self.add(stat.logged, 1);
        self.add(stat.logged_bytes, in.message.items().len);
        return migz.kern.success;
    }
};

/// The sum of `bytes`, as `upload` answers it.
pub fn byteSum(bytes: []const u8) i32 {
    var total: i32 = 0;
    for (bytes) |b| total +%= b;
    return total;
}

/// Fills `bytes` with 0, 1, ..., `modulus - 1` over and over.
pub fn fillPattern(bytes: []u8, modulus: usize) void {
    for (bytes, 0..) |*b, i| b.* = @intCast(i % modulus);
}

/// The name the scenarios register, look up and register again.
pub const registered_name = "mine";
/// The name the answered scenario registers a second time, under which the port stays
/// until the scenario takes it back at the end.
pub const kept_name = "kept";
/// How many integers the scenarios reverse (1, 2, ..., this).
pub const reverse_len = 100;
/// The lengths and moduli of the two blobs the scenarios upload: one sent as a copy, one
/// moved to the server (`Dealloc[]`).
pub const blobs = [2]struct { len: usize, modulus: usize }{ .{ .len = 1000, .modulus = 7 }, .{ .len = 5000, .modulus = 11 } };
/// The message the scenarios log.
pub const message = "hello from a client";

/// The process's effective user id, without libc where the system has the call.
fn effectiveUid() u32 {
    return if (builtin.os.tag == .linux) std.os.linux.geteuid() else std.c.geteuid();
}

/// The first thing a scenario found wrong.
const Outcome = struct {
    code: KernReturn = migz.kern.success,

    const Mismatch = error{Mismatch};

    /// Success when `got` is `want`; else records `got` (`KERN_FAILURE` for an
    /// unexpected success).
    fn expect(o: *Outcome, got: KernReturn, want: KernReturn) Mismatch!void {
        if (got == want) return;
        o.code = if (got == migz.kern.success) migz.kern.failure else got;
        return error.Mismatch;
    }

    /// Success when `ok`; else records a wrong answer.
    fn check(o: *Outcome, ok: bool) Mismatch!void {
        if (ok) return;
        o.code = migz.kern.failure;
        return error.Mismatch;
    }

    /// Records why a right or region could not be made.
    fn resources(o: *Outcome) Mismatch {
        o.code = migz.kern.resource_shortage;
        return error.Mismatch;
    }
};

/// The answered scenario, as `every_routine` in `src/service.rs`: calls every routine of
/// an answering server with rights of every disposition and memory both ways, checks
/// every answer and that `stats` grew by exactly what was sent. Returns `KERN_SUCCESS`,
/// the first unexpected code, or `KERN_FAILURE` for a wrong answer.
pub fn everyRoutine(server: Port) KernReturn {
    var o: Outcome = .{};
    everyRoutineChecked(server, &o) catch return o.code;
    return migz.kern.success;
}

fn everyRoutineChecked(s: Port, o: *Outcome) Outcome.Mismatch!void {
    const ok = migz.kern.success;
    var before: po.StatsOut = .{};
    try o.expect(po.stats(&.{ .server = s, .values_cnt = stats_len }, &before), ok);
    try o.check(before.values_cnt == stats_len);

    const mine = migz.ReceiveRight.allocate() catch return o.resources();
    defer mine.deinit();
    const mine_send = mine.makeSend() catch return o.resources();
    defer mine_send.deinit();

    // MAKE_SEND in: the server keeps a send right made from our receive right, and the
    // MOVE_SEND out gives it back.
    var none: po.RegisterPortOut = .{};
    try o.expect(po.registerPort(&.{ .server = s, .name = .of(registered_name), .port = mine.name }, &none), ok);
    try o.expect(po.registerPort(&.{ .server = s, .name = .of(registered_name), .port = mine.name }, &none), migz.kern.name_exists);
    var found: po.LookupPortOut = .{};
    try o.expect(po.lookupPort(&.{ .server = s, .name = .of(registered_name) }, &found), ok);
    migz.SendRight.fromName(found.port).deinit();
    try o.check(found.port == mine.name);
    try o.expect(po.lookupPort(&.{ .server = s, .name = .of(registered_name) }, &found), migz.kern.invalid_name);
    try o.expect(po.registerPort(&.{ .server = s, .name = .of(kept_name), .port = mine.name }, &none), ok);

    // The polymorphic right, with every disposition a caller can send. Moved rights are
    // the server's once the call succeeded.
    const moved_send = mine.makeSend() catch return o.resources();
    const moved_once = mine.makeSendOnce() catch return o.resources();
    const moved = migz.ReceiveRight.allocate() catch return o.resources();
    const moved_receive_send = moved.makeSend() catch return o.resources();
    // The server destroys the receive right it is given: ours turns into a dead name.
    defer moved_receive_send.deinit();
    const d = migz.disposition;
    const rights = [_]struct { name: Port, poly: u32, label: []const u8 }{
        .{ .name = moved_send.name, .poly = d.move_send, .label = "send" },
        .{ .name = mine_send.name, .poly = d.copy_send, .label = "send" },
        .{ .name = mine.name, .poly = d.make_send, .label = "send" },
        .{ .name = mine.name, .poly = d.make_send_once, .label = "send-once" },
        .{ .name = moved_once.name, .poly = d.move_send_once, .label = "send-once" },
        .{ .name = moved.name, .poly = d.move_receive, .label = "receive" },
    };
    // A right whose request never left is still ours when the scenario stops early.
    var sent: usize = 0;
    defer releaseUnsent(sent, moved_send, moved_once, moved);
    for (rights, 0..) |r, i| {
        var label: po.PassRightOut = .{};
        const kr = po.passRight(&.{ .server = s, .right = r.name, .right_poly = r.poly }, &label);
        if (!migz.isSendError(kr)) sent = i + 1;
        try o.expect(kr, ok);
        try o.check(std.mem.eql(u8, std.mem.sliceTo(&label.label, 0), r.label));
    }

    // Out-of-line memory both ways: our array goes as a private copy, the reversed one
    // comes back as a region of our own, to deallocate.
    var data: [reverse_len]i32 = undefined;
    for (&data, 1..) |*x, i| x.* = @intCast(i);
    var rev: po.ReverseOut = .{};
    try o.expect(po.reverse(&.{ .server = s, .data = .of(&data) }, &rev), ok);
    const reversed = rev.reversed.items();
    defer if (reversed.len > 0) {
        _ = migz.vmDeallocate(@intFromPtr(reversed.ptr), reversed.len * @sizeOf(i32));
    };
    try o.check(reversed.len == data.len);
    for (reversed, 0..) |x, i| try o.check(x == data[data.len - 1 - i]);
    var empty: po.ReverseOut = .{};
    try o.expect(po.reverse(&.{ .server = s }, &empty), ok);
    try o.check(empty.reversed.len == 0);

    // `Dealloc[]`: a blob on our stack is copied, a region of ours moves to the server.
    var borrowed: [blobs[0].len]u8 = undefined;
    fillPattern(&borrowed, blobs[0].modulus);
    var total: po.UploadOut = .{};
    try o.expect(po.upload(&.{ .server = s, .blob = .of(&borrowed) }, &total), ok);
    try o.check(total.total == byteSum(&borrowed));
    const owned = (migz.vmAllocate(blobs[1].len) catch return o.resources())[0..blobs[1].len];
    fillPattern(owned, blobs[1].modulus);
    const want_total = byteSum(owned);
    try o.expect(po.upload(&.{ .server = s, .blob = .of(owned), .blob_dealloc = true }, &total), ok);
    try o.check(total.total == want_total);

    // An out-of-line array of copied send rights, one of them the server's own port.
    const list = [_]Port{ mine_send.name, mine_send.name, s };
    var counted: po.CountPortsOut = .{};
    try o.expect(po.countPorts(&.{ .server = s, .list = .of(&list) }, &counted), ok);
    try o.check(counted.count == list.len);

    // The audit token's first word is the audit user id: the effective uid here.
    var who: po.WhoamiOut = .{};
    try o.expect(po.whoami(&.{ .server = s }, &who), ok);
    try o.check(@as(u32, @bitCast(who.word)) == effectiveUid());

    // The simpleroutine; a message at its bound (64 bytes with the NUL) is refused
    // before sending. The round trip after it means it was handled: a server takes one
    // client's requests in order.
    try o.expect(po.logMessage(&.{ .server = s, .message = .of(message) }), ok);
    const long: [64]u8 = @splat('x');
    try o.expect(po.logMessage(&.{ .server = s, .message = .of(&long) }), migz.mig.array_too_large);
    try o.expect(po.whoami(&.{ .server = s }, &who), ok);

    // CountInOut: the caller's room decides how many counters come back.
    var want: [stats_len]i32 = before.values[0..stats_len].*;
    want[stat.registered] += 1;
    want[stat.passed] += rights.len;
    want[stat.reversed] += data.len;
    want[stat.uploaded] += blobs[0].len + blobs[1].len;
    want[stat.counted] += list.len;
    want[stat.logged] += 1;
    want[stat.logged_bytes] += message.len;
    var three: po.StatsOut = .{};
    try o.expect(po.stats(&.{ .server = s, .values_cnt = 3 }, &three), ok);
    try o.check(three.values_cnt == 3 and std.mem.eql(i32, three.values[0..3], want[0..3]));
    var all: po.StatsOut = .{};
    try o.expect(po.stats(&.{ .server = s, .values_cnt = 16 }, &all), ok);
    try o.check(all.values_cnt == stats_len and std.mem.eql(i32, all.values[0..stats_len], &want));

    // Take the kept right back, so the server holds nothing of ours.
    var kept: po.LookupPortOut = .{};
    try o.expect(po.lookupPort(&.{ .server = s, .name = .of(kept_name) }, &kept), ok);
    migz.SendRight.fromName(kept.port).deinit();
    try o.check(kept.port == mine.name);
}

/// Releases the moved rights of the scenarios' `rights` table (at indices 0, 4 and 5)
/// that no request took: the first `sent` entries left with their requests.
fn releaseUnsent(sent: usize, send: migz.SendRight, once: migz.SendOnceRight, receive: migz.ReceiveRight) void {
    if (sent == 0) send.deinit();
    if (sent <= 4) once.deinit();
    if (sent <= 5) receive.deinit();
}

/// The refused scenario, as `every_routine_refused` in `src/service.rs`: calls every
/// routine of a failing server, sending it rights of every disposition and memory that
/// must be released, and checks every error. Returns as `everyRoutine` does.
pub fn everyRoutineRefused(server: Port) KernReturn {
    var o: Outcome = .{};
    everyRoutineRefusedChecked(server, &o) catch return o.code;
    return migz.kern.success;
}

fn everyRoutineRefusedChecked(s: Port, o: *Outcome) Outcome.Mismatch!void {
    const failed = migz.kern.failure;
    const mine = migz.ReceiveRight.allocate() catch return o.resources();
    defer mine.deinit();
    const mine_send = mine.makeSend() catch return o.resources();
    defer mine_send.deinit();

    var none: po.RegisterPortOut = .{};
    try o.expect(po.registerPort(&.{ .server = s, .name = .of(registered_name), .port = mine.name }, &none), failed);
    var found: po.LookupPortOut = .{};
    try o.expect(po.lookupPort(&.{ .server = s, .name = .of(registered_name) }, &found), failed);

    // Moved rights are gone with the failed request: the server destroyed them.
    const moved_send = mine.makeSend() catch return o.resources();
    const moved_once = mine.makeSendOnce() catch return o.resources();
    const moved = migz.ReceiveRight.allocate() catch return o.resources();
    const moved_receive_send = moved.makeSend() catch return o.resources();
    defer moved_receive_send.deinit();
    const d = migz.disposition;
    const rights = [_]struct { name: Port, poly: u32 }{
        .{ .name = moved_send.name, .poly = d.move_send },
        .{ .name = mine_send.name, .poly = d.copy_send },
        .{ .name = mine.name, .poly = d.make_send },
        .{ .name = mine.name, .poly = d.make_send_once },
        .{ .name = moved_once.name, .poly = d.move_send_once },
        .{ .name = moved.name, .poly = d.move_receive },
    };
    var sent: usize = 0;
    defer releaseUnsent(sent, moved_send, moved_once, moved);
    for (rights, 0..) |r, i| {
        var label: po.PassRightOut = .{};
        const kr = po.passRight(&.{ .server = s, .right = r.name, .right_poly = r.poly }, &label);
        if (!migz.isSendError(kr)) sent = i + 1;
        try o.expect(kr, failed);
    }

    var data: [reverse_len]i32 = undefined;
    for (&data, 1..) |*x, i| x.* = @intCast(i);
    var rev: po.ReverseOut = .{};
    try o.expect(po.reverse(&.{ .server = s, .data = .of(&data) }, &rev), failed);
    var borrowed: [blobs[0].len]u8 = undefined;
    fillPattern(&borrowed, blobs[0].modulus);
    var total: po.UploadOut = .{};
    try o.expect(po.upload(&.{ .server = s, .blob = .of(&borrowed) }, &total), failed);
    const owned = (migz.vmAllocate(blobs[1].len) catch return o.resources())[0..blobs[1].len];
    fillPattern(owned, blobs[1].modulus);
    try o.expect(po.upload(&.{ .server = s, .blob = .of(owned), .blob_dealloc = true }, &total), failed);
    const list = [_]Port{ mine_send.name, s };
    var counted: po.CountPortsOut = .{};
    try o.expect(po.countPorts(&.{ .server = s, .list = .of(&list) }, &counted), failed);

    // More values than the room we gave: refused by our own stub.
    var st: po.StatsOut = .{};
    try o.expect(po.stats(&.{ .server = s, .values_cnt = 4 }, &st), migz.mig.array_too_large);
    try o.expect(po.stats(&.{ .server = s, .values_cnt = 16 }, &st), migz.kern.success);
    try o.check(st.values_cnt == failing_stats_len);

    var who: po.WhoamiOut = .{};
    try o.expect(po.whoami(&.{ .server = s }, &who), failed);
    // A simpleroutine has no reply to carry the error: sending succeeds.
    try o.expect(po.logMessage(&.{ .server = s, .message = .of(message) }), migz.kern.success);
    try o.expect(po.whoami(&.{ .server = s }, &who), failed);
}

/// Serves `port` (a receive right, which it takes) with a fresh `Impl` of `mode` until
/// its last send right is gone or `limit` requests were served (0: no limit), then
/// releases every right the server still holds.
pub fn serve(port: Port, limit: u64, mode: Mode) migz.MsgReturn {
    if (!migz.portValid(port)) return migz.kern.invalid_name;
    var impl: Impl = .{ .mode = mode };
    defer impl.deinit();
    const server: po.Server(Impl) = .{ .impl = &impl };
    return migz.bridge.serveUntilNoSenders(po, server, .fromName(port), limit);
}

fn serverEntry(port: Port, arg: u64) i32 {
    return serve(port, arg, .answer);
}

fn failingServerEntry(port: Port, arg: u64) i32 {
    return serve(port, arg, .fail);
}

/// The client entry: the scenario `arg` on the send right `port`, which it borrows.
fn clientEntry(port: Port, arg: u64) i32 {
    return switch (arg) {
        scenario_answered => everyRoutine(port),
        scenario_refused => everyRoutineRefused(port),
        else => migz.kern.invalid_argument,
    };
}

comptime {
    migz.bridge.exportEntry("migz_example_ports_ool_zig_server", serverEntry);
    migz.bridge.exportEntry("migz_example_ports_ool_zig_failing_server", failingServerEntry);
    migz.bridge.exportEntry("migz_example_ports_ool_zig_client", clientEntry);
}
