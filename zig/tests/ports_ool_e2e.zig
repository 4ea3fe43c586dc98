//! Zig client against Zig server over the local transport, for the `ports_ool` example:
//! port rights of several dispositions, a polymorphic right, out-of-line memory both
//! ways, `Dealloc[]`, CountInOut, C strings, a trailer argument and a simpleroutine.
//! Every test ends with the right accounting showing nothing leaked.

const std = @import("std");
const migz = @import("migz");
const po = @import("ports_ool");

const Impl = struct {
    registered: [4]struct { name: [64]u8 = @splat(0), len: usize = 0, port: migz.Port = migz.port_null } = @splat(.{}),
    count: usize = 0,
    last_poly: u32 = 0,
    last_message: [64]u8 = @splat(0),
    messages: u32 = 0,

    fn find(self: *Impl, name: []const u8) ?usize {
        for (self.registered[0..self.count], 0..) |r, i| {
            if (std.mem.eql(u8, r.name[0..r.len], name)) return i;
        }
        return null;
    }

    pub fn registerPort(self: *Impl, in: *const po.RegisterPortIn, out: *po.RegisterPortOut) migz.KernReturn {
        _ = out;
        if (self.count == self.registered.len) return migz.kern.no_space;
        const name = in.name.items();
        self.registered[self.count] = .{ .len = name.len, .port = in.port };
        @memcpy(self.registered[self.count].name[0..name.len], name);
        self.count += 1;
        return migz.kern.success;
    }

    pub fn lookupPort(self: *Impl, in: *const po.LookupPortIn, out: *po.LookupPortOut) migz.KernReturn {
        const i = self.find(in.name.items()) orelse return migz.kern.invalid_name;
        // The reply moves a send right: make one more reference to give away.
        const kr = migz.portModRefs(self.registered[i].port, migz.port_right.send, 1);
        if (kr != migz.kern.success) return kr;
        out.port = self.registered[i].port;
        return migz.kern.success;
    }

    pub fn passRight(self: *Impl, in: *const po.PassRightIn, out: *po.PassRightOut) migz.KernReturn {
        self.last_poly = in.right_poly;
        const label: []const u8 = switch (in.right_poly) {
            migz.disposition.move_send => "send",
            migz.disposition.move_send_once => "send-once",
            migz.disposition.move_receive => "receive",
            else => "unknown",
        };
        @memcpy(out.label[0..label.len], label);
        // The right is ours on success: release it.
        if (in.right_poly == migz.disposition.move_receive) {
            _ = migz.portModRefs(in.right, migz.port_right.receive, -1);
        } else {
            _ = migz.portDeallocate(in.right);
        }
        return migz.kern.success;
    }

    pub fn reverse(self: *Impl, in: *const po.ReverseIn, out: *po.ReverseOut) migz.KernReturn {
        _ = self;
        const data = in.data.items();
        defer if (data.len > 0) {
            _ = migz.vmDeallocate(@intFromPtr(data.ptr), data.len * @sizeOf(i32));
        };
        if (data.len == 0) return migz.kern.success;
        const mem = migz.vmAllocate(data.len * @sizeOf(i32)) catch return migz.kern.resource_shortage;
        const reversed: [*]i32 = @ptrCast(@alignCast(mem));
        for (data, 0..) |x, i| reversed[data.len - 1 - i] = x;
        out.reversed = .of(reversed[0..data.len]);
        return migz.kern.success;
    }

    pub fn upload(self: *Impl, in: *const po.UploadIn, out: *po.UploadOut) migz.KernReturn {
        _ = self;
        const blob = in.blob.items();
        var sum: i32 = 0;
        for (blob) |b| sum += b;
        out.total = sum;
        if (blob.len > 0) _ = migz.vmDeallocate(@intFromPtr(blob.ptr), blob.len);
        return migz.kern.success;
    }

    pub fn stats(self: *Impl, in: *const po.StatsIn, out: *po.StatsOut) migz.KernReturn {
        _ = self;
        const n = @min(in.values_cnt, out.values.len);
        for (out.values[0..n], 0..) |*v, i| v.* = @intCast(i * 10);
        out.values_cnt = n;
        return migz.kern.success;
    }

    pub fn countPorts(self: *Impl, in: *const po.CountPortsIn, out: *po.CountPortsOut) migz.KernReturn {
        _ = self;
        const list = in.list.items();
        out.count = @intCast(list.len);
        for (list) |p| _ = migz.portDeallocate(p);
        if (list.len > 0) _ = migz.vmDeallocate(@intFromPtr(list.ptr), list.len * @sizeOf(migz.Port));
        return migz.kern.success;
    }

    pub fn whoami(self: *Impl, in: *const po.WhoamiIn, out: *po.WhoamiOut) migz.KernReturn {
        _ = self;
        out.word = @bitCast(in.atoken.val[5]);
        return migz.kern.success;
    }

    pub fn logMessage(self: *Impl, in: *const po.LogMessageIn, out: *po.LogMessageOut) migz.KernReturn {
        _ = out;
        const m = in.message.items();
        @memset(&self.last_message, 0);
        @memcpy(self.last_message[0..m.len], m);
        self.messages += 1;
        return migz.kern.success;
    }

    fn deinit(self: *Impl) void {
        for (self.registered[0..self.count]) |r| _ = migz.portDeallocate(r.port);
        self.count = 0;
    }
};

const expectEqual = std.testing.expectEqual;
const ok = migz.kern.success;

test "ports_ool: every kind of argument, Zig client and Zig server" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        defer service.deinit();
        const server_port = try service.makeSend();
        defer server_port.deinit();

        var impl: Impl = .{};
        defer impl.deinit();
        const thread = try std.Thread.spawn(.{}, migz.testing.serveRequests, .{ task, service.name, po.Server(Impl){ .impl = &impl }, 11 });
        defer thread.join();
        const s = server_port.name;

        // A receive right of ours, registered as a send right made from it.
        const mine = try migz.ReceiveRight.allocate();
        defer mine.deinit();
        var registered: po.RegisterPortOut = .{};
        try expectEqual(ok, po.registerPort(&.{ .server = s, .name = .of("mine"), .port = mine.name }, &registered));

        var looked: po.LookupPortOut = .{};
        try expectEqual(ok, po.lookupPort(&.{ .server = s, .name = .of("mine") }, &looked));
        const got = migz.SendRight.fromName(looked.port);
        defer got.deinit();
        try expectEqual(mine.name, got.name);
        try expectEqual(@as(migz.KernReturn, migz.kern.invalid_name), po.lookupPort(&.{ .server = s, .name = .of("none") }, &looked));

        // A polymorphic right: a send-once right made on the spot.
        var label: po.PassRightOut = .{};
        try expectEqual(ok, po.passRight(&.{ .server = s, .right = mine.name, .right_poly = migz.disposition.make_send_once }, &label));
        try std.testing.expectEqualStrings("send-once", std.mem.sliceTo(&label.label, 0));
        try expectEqual(migz.disposition.move_send_once, impl.last_poly);

        // Out-of-line both ways.
        const data = [_]i32{ 1, 2, 3, 4, 5, 6, 7 };
        var rev: po.ReverseOut = .{};
        try expectEqual(ok, po.reverse(&.{ .server = s, .data = .of(&data) }, &rev));
        try std.testing.expectEqualSlices(i32, &.{ 7, 6, 5, 4, 3, 2, 1 }, rev.reversed.items());
        try expectEqual(ok, migz.vmDeallocate(@intFromPtr(rev.reversed.ptr.?), data.len * @sizeOf(i32)));

        // Dealloc[]: the region moves to the server.
        const blob = try migz.vmAllocate(100);
        for (blob[0..100], 0..) |*b, i| b.* = @intCast(i % 3);
        var total: po.UploadOut = .{};
        try expectEqual(ok, po.upload(&.{ .server = s, .blob = .of(blob[0..100]), .blob_dealloc = true }, &total));
        try expectEqual(@as(i32, 99), total.total);

        // CountInOut: the caller says how much room it has.
        var st: po.StatsOut = .{};
        try expectEqual(ok, po.stats(&.{ .server = s, .values_cnt = 4 }, &st));
        try expectEqual(@as(u32, 4), st.values_cnt);
        try std.testing.expectEqualSlices(i32, &.{ 0, 10, 20, 30 }, st.values[0..4]);

        // Out-of-line ports, copied: we keep ours.
        const a = try mine.makeSend();
        defer a.deinit();
        const list = [_]migz.Port{ a.name, a.name, server_port.name };
        var counted: po.CountPortsOut = .{};
        try expectEqual(ok, po.countPorts(&.{ .server = s, .list = .of(&list) }, &counted));
        try expectEqual(@as(i32, 3), counted.count);

        var who: po.WhoamiOut = .{};
        try expectEqual(ok, po.whoami(&.{ .server = s }, &who));
        // The server answers word 5 of the audit token the emulation stamped: our pid.
        try expectEqual(@as(i32, std.c.getpid()), who.word);

        try expectEqual(ok, po.logMessage(&.{ .server = s, .message = .of("hello") }));
        // A string at its bound (64 bytes with the NUL) is refused before sending.
        const long: [64]u8 = @splat('x');
        try expectEqual(migz.mig.array_too_large, po.logMessage(&.{ .server = s, .message = .of(&long) }));
        try expectEqual(ok, po.logMessage(&.{ .server = s, .message = .of(long[0..63]) }));
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

/// Sends a hand-made (usually broken) request and returns the server's reply code.
fn rawCall(head: *migz.MachMsgHeader, send_size: u32) !migz.KernReturn {
    const reply_port = migz.migGetReplyPort();
    head.local_port = reply_port;
    head.bits = (head.bits & ~@as(u32, 0x1f00)) | (migz.disposition.make_send_once << 8);
    const mr = migz.machMsg(head, migz.option.send_msg, send_size, 0, migz.port_null, 0, migz.port_null);
    if (mr != migz.msg_return.success) {
        std.debug.print("send of id {d} failed: 0x{x}\n", .{ head.id, mr });
        return error.SendFailed;
    }
    var buf: [256]u8 align(8) = undefined;
    const reply: *migz.MachMsgHeader = @ptrCast(&buf);
    const rr = migz.machMsg(reply, migz.option.rcv_msg | migz.option.rcv_timeout, 0, buf.len, reply_port, 10_000, migz.port_null);
    if (rr != migz.msg_return.success) {
        std.debug.print("no reply to id {d}: 0x{x}\n", .{ head.id, rr });
        return error.NoReply;
    }
    try expectEqual(head.id + 100, reply.id);
    try expectEqual(@as(u32, @sizeOf(migz.MigReplyError)), reply.size);
    return @as(*const migz.MigReplyError, @ptrCast(reply)).ret_code;
}

test "ports_ool: malformed requests get Apple's error replies and leak nothing" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        defer service.deinit();
        const server_port = try service.makeSend();
        defer server_port.deinit();
        var impl: Impl = .{};
        defer impl.deinit();
        const thread = try std.Thread.spawn(.{}, migz.testing.serveRequests, .{ task, service.name, po.Server(Impl){ .impl = &impl }, 7 });
        defer thread.join();
        const mine = try migz.ReceiveRight.allocate();
        defer mine.deinit();

        var req: po.RegisterPortRequest = undefined;
        var size: u32 = 0;
        const good: po.RegisterPortIn = .{ .server = server_port.name, .name = .of("abc"), .port = mine.name };

        // Size: four bytes more than the string needs.
        try expectEqual(migz.Status.ok, po.packRegisterPortRequest(&req, &good, migz.port_null, &size));
        req.head.size += 4;
        try expectEqual(migz.mig.bad_arguments, try rawCall(&req.head, size + 4));

        // Id: not a routine of the subsystem.
        try expectEqual(migz.Status.ok, po.packRegisterPortRequest(&req, &good, migz.port_null, &size));
        req.head.id = po.base_id + 99;
        try expectEqual(migz.mig.bad_id, try rawCall(&req.head, size));

        // Count over the maximum: a 65-byte name where 64 is the bound.
        try expectEqual(migz.Status.ok, po.packRegisterPortRequest(&req, &good, migz.port_null, &size));
        req.name_cnt = 65;
        try expectEqual(migz.mig.bad_arguments, try rawCall(&req.head, size));

        // Disposition: a send-once right where a send right is expected.
        try expectEqual(migz.Status.ok, po.packRegisterPortRequest(&req, &good, migz.port_null, &size));
        req.port.disposition = migz.disposition.make_send_once;
        try expectEqual(migz.mig.type_error, try rawCall(&req.head, size));

        // Truncated: cut off before the string (sizes stay multiples of 4, as Mach requires).
        try expectEqual(migz.Status.ok, po.packRegisterPortRequest(&req, &good, migz.port_null, &size));
        req.head.size = 48;
        try expectEqual(migz.mig.bad_arguments, try rawCall(&req.head, 48));

        // Complex bit: set on a request that must be simple (no descriptors follow).
        var lookup: po.LookupPortRequest = undefined;
        try expectEqual(migz.Status.ok, po.packLookupPortRequest(&lookup, &.{ .server = server_port.name, .name = .of("abc") }, migz.port_null, &size));
        lookup.head.bits |= migz.msgh_bits_complex;
        try expectEqual(migz.mig.bad_arguments, try rawCall(&lookup.head, size));

        // Descriptor type: out-of-line ports where out-of-line memory is expected.
        var rev: po.ReverseRequest = undefined;
        try expectEqual(migz.Status.ok, po.packReverseRequest(&rev, &.{ .server = server_port.name }, migz.port_null, &size));
        const as_ports: *migz.OolPortsDescriptor = @ptrCast(&rev.data);
        as_ports.* = .{ .address = 0, .deallocate = 0, .copy = migz.copy_option.physical, .disposition = migz.disposition.copy_send, .type = migz.descriptor_type.ool_ports, .count = 0 };
        try expectEqual(migz.mig.type_error, try rawCall(&rev.head, size));
        try expectEqual(@as(usize, 0), impl.count);
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ports_ool: a routine that reads the trailer refuses a request without one" {
    var impl: Impl = .{};
    const server: po.Server(Impl) = .{ .impl = &impl };
    var req: po.WhoamiRequest = undefined;
    var size: u32 = 0;
    try expectEqual(migz.Status.ok, po.packWhoamiRequest(&req, &.{ .server = 5 }, 6, &size));
    var out: [po.reply_size_max]u8 align(8) = undefined;
    const reply: *migz.MachMsgHeader = @ptrCast(&out);
    // Only the message itself, no trailer after it.
    try std.testing.expect(server.demuxLen(&req.head, size, reply));
    try expectEqual(migz.mig.trailer_error, @as(*const migz.MigReplyError, @ptrCast(reply)).ret_code);
    try expectEqual(@as(u32, @sizeOf(migz.MigReplyError)), reply.size);
    try expectEqual(po.whoami_id + 100, reply.id);
}

/// The same service through the idiomatic API (`po.api`): typed arguments, results
/// returned, failures as `migz.Error`, and a raw method where `api` has no typed one.
const ApiImpl = struct {
    port: ?migz.SendRight = null,
    last_label: []const u8 = "",
    messages: u32 = 0,

    pub fn registerPort(self: *ApiImpl, _: migz.Port, name: []const u8, port: ?migz.SendRight) migz.Error!void {
        // Errors by name, and an exact code of the implementation's own.
        if (name.len == 0) return error.InvalidArgument;
        if (std.mem.eql(u8, name, "private")) return migz.fail(0x1234);
        if (self.port != null) return error.NoSpace;
        self.port = port orelse return error.InvalidRight;
    }

    pub fn lookupPort(self: *ApiImpl, _: migz.Port, name: []const u8) migz.Error!?migz.SendRight {
        if (!std.mem.eql(u8, name, "mine")) return error.InvalidName;
        const stored = self.port orelse return error.InvalidName;
        // The reply moves a send right away: give it one more reference of ours.
        try migz.check(migz.portModRefs(stored.name, migz.port_right.send, 1));
        return stored;
    }

    pub fn passRight(self: *ApiImpl, _: migz.Port, right: ?migz.AnyRight) migz.Error![]const u8 {
        const r = right orelse return error.InvalidRight;
        // The right is ours on success: release it.
        defer r.deinit();
        self.last_label = switch (r) {
            .send => "send",
            .send_once => "send-once",
            .receive => "receive",
        };
        return self.last_label;
    }

    pub fn reverse(_: *ApiImpl, _: migz.Port, data: migz.OolSlice(i32)) migz.Error!migz.OolSlice(i32) {
        defer data.deinit();
        if (data.items.len == 0) return .{ .items = &.{} };
        const mem = migz.vmAllocate(data.items.len * @sizeOf(i32)) catch return error.ResourceShortage;
        const reversed: [*]i32 = @ptrCast(@alignCast(mem));
        for (data.items, 0..) |x, i| reversed[data.items.len - 1 - i] = x;
        return .{ .items = reversed[0..data.items.len] };
    }

    pub fn upload(_: *ApiImpl, _: migz.Port, blob: migz.OolSlice(u8)) migz.Error!i32 {
        defer blob.deinit();
        var sum: i32 = 0;
        for (blob.items) |b| sum += b;
        return sum;
    }

    pub fn stats(_: *ApiImpl, _: migz.Port) migz.Error![]const i32 {
        return &.{ 0, 10, 20, 30 };
    }

    // The rights and their out-of-line array are the method's: `deinit` gives both back.
    pub fn countPorts(_: *ApiImpl, _: migz.Port, list: migz.OolRights(migz.SendRight)) migz.Error!i32 {
        defer list.deinit();
        var live: i32 = 0;
        for (list.names) |name| live += @intFromBool(migz.received(migz.SendRight, name) != null);
        return live;
    }

    pub fn whoami(_: *ApiImpl, _: migz.Port, atoken: migz.AuditToken) migz.Error!i32 {
        return @bitCast(atoken.val[5]);
    }

    pub fn logMessage(self: *ApiImpl, _: migz.Port, message: []const u8) migz.Error!void {
        if (message.len == 0) return error.InvalidArgument;
        self.messages += 1;
    }

    fn deinit(self: *ApiImpl) void {
        if (self.port) |p| p.deinit();
        self.port = null;
    }
};

test "ports_ool: the idiomatic API, client and server, errors with their exact codes" {
    const api = po.api;
    const task = try migz.testing.begin();
    defer task.end();
    {
        const service = try migz.ReceiveRight.allocate();
        defer service.deinit();
        const server = try service.makeSend();
        defer server.deinit();

        var impl: ApiImpl = .{};
        defer impl.deinit();
        const thread = try std.Thread.spawn(.{}, migz.testing.serveRequests, .{ task, service.name, po.api.Server(ApiImpl){ .impl = &impl }, 14 });
        defer thread.join();

        // Errors the implementation names come back by name, with their codes.
        const mine = try migz.ReceiveRight.allocate();
        defer mine.deinit();
        try std.testing.expectError(error.InvalidArgument, api.registerPort(server, "", mine));
        try expectEqual(migz.kern.invalid_argument, migz.lastCode());
        try expectEqual(@as(?migz.KernReturn, 4), migz.codeOf(error.InvalidArgument));
        // A code of its own arrives exactly, as `Unknown`.
        try std.testing.expectError(error.Unknown, api.registerPort(server, "private", mine));
        try expectEqual(@as(migz.KernReturn, 0x1234), migz.lastCode());
        // Too long a name is refused before sending: the client's own MIG_ARRAY_TOO_LARGE.
        try std.testing.expectError(error.MigArrayTooLarge, api.registerPort(server, &@as([64]u8, @splat('x')), mine));
        try expectEqual(migz.mig.array_too_large, migz.lastCode());

        // A send right made from our receive right, stored and looked up again.
        try api.registerPort(server, "mine", mine);
        const got = (try api.lookupPort(server, "mine")).?;
        defer got.deinit();
        try expectEqual(mine.name, got.name);
        try std.testing.expectError(error.InvalidName, api.lookupPort(server, "none"));
        try expectEqual(migz.kern.invalid_name, migz.lastCode());

        // Polymorphic rights: made on the spot (lent), or moved.
        const made = try api.passRight(server, .{ .make_send_once = mine });
        try std.testing.expectEqualStrings("send-once", made.slice());
        const moved = try api.passRight(server, .{ .move_send = try mine.makeSend() });
        try std.testing.expectEqualStrings("send", moved.slice());

        // Out-of-line memory both ways; the reply's is ours to give back.
        const reversed = try api.reverse(server, &.{ 1, 2, 3, 4, 5 });
        defer reversed.deinit();
        try std.testing.expectEqualSlices(i32, &.{ 5, 4, 3, 2, 1 }, reversed.items);
        try expectEqual(@as(i32, 6), try api.upload(server, &.{ 1, 2, 3 }));

        const st = try api.stats(server);
        try std.testing.expectEqualSlices(i32, &.{ 0, 10, 20, 30 }, st.slice());
        try expectEqual(@as(i32, std.c.getpid()), try api.whoami(server));

        // An array of rights, lent: the call copies them and the caller keeps its own.
        const a = try mine.makeSend();
        defer a.deinit();
        try expectEqual(@as(i32, 3), try api.countPorts(server, &.{ a, a, a }));
        try expectEqual(@as(i32, 0), try api.countPorts(server, &.{}));
        // The typed server still serves the raw client.
        var counted: po.CountPortsOut = .{};
        try expectEqual(ok, po.countPorts(&.{ .server = server.name, .list = .of(&[_]migz.Port{a.name}) }, &counted));
        try expectEqual(@as(i32, 1), counted.count);

        // A simpleroutine: its error has no reply to travel in, so only sending can fail.
        try api.logMessage(server, "hello");
        try api.logMessage(server, "");
        try std.testing.expectError(error.MigArrayTooLarge, api.logMessage(server, &@as([64]u8, @splat('x'))));
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}

test "ports_ool: a moved right the request could not carry is released" {
    const task = try migz.testing.begin();
    defer task.end();
    {
        // A server whose port is already dead: the send fails, and the moved right,
        // still ours, is released by the call (the right accounting checks it).
        const service = try migz.ReceiveRight.allocate();
        const server = try service.makeSend();
        defer server.deinit();
        service.deinit();
        const mine = try migz.ReceiveRight.allocate();
        defer mine.deinit();
        try std.testing.expectError(error.SendInvalidDest, po.api.passRight(server, .{ .move_send = try mine.makeSend() }));
        try expectEqual(migz.msg_return.send_invalid_dest, migz.lastCode());
    }
    migz.migDeallocReplyPort(migz.migGetReplyPort());
    try task.expectNoLeaks();
}
