//! Typed port rights, after Swift's SE-0381: one type per kind of right, each owning
//! exactly one user reference of it and releasing exactly that in `deinit`. A name
//! leaves management with `.name` (the caller then owns the reference) and enters it
//! with `fromName`.

const std = @import("std");
const assert = std.debug.assert;

const abi = @import("abi.zig");
const transport = @import("transport.zig");

const Port = abi.Port;

/// One user reference of a send right (or of the dead name it became when its port died).
pub const SendRight = extern struct {
    /// The name in this task's space.
    name: Port,

    /// Takes ownership of one send reference under `name`.
    pub fn fromName(name: Port) SendRight {
        assert(abi.portValid(name));
        return .{ .name = name };
    }

    /// Releases the reference (`mach_port_deallocate`).
    pub fn deinit(right: SendRight) void {
        const kr = transport.portDeallocate(right.name);
        assert(kr == abi.kern.success); // The right owned a reference under this name.
    }
};

/// A send-once right (or the dead name it became when its port died).
pub const SendOnceRight = extern struct {
    /// The name in this task's space.
    name: Port,

    /// Takes ownership of the send-once right under `name`.
    pub fn fromName(name: Port) SendOnceRight {
        assert(abi.portValid(name));
        return .{ .name = name };
    }

    /// Releases the right (`mach_port_deallocate`); its port gets a send-once notification.
    pub fn deinit(right: SendOnceRight) void {
        const kr = transport.portDeallocate(right.name);
        assert(kr == abi.kern.success); // The right owned the send-once right under this name.
    }
};

/// The receive right of a port: the port's one reader.
pub const ReceiveRight = extern struct {
    /// The name in this task's space.
    name: Port,

    /// The errors of `allocate`.
    pub const AllocateError = error{
        /// No room for another name (`KERN_NO_SPACE`, `KERN_RESOURCE_SHORTAGE`).
        NoSpace,
        /// Any other code, such as `KERN_INVALID_TASK` when the thread's space is gone.
        Unexpected,
    };

    /// Allocates a new port and returns its receive right.
    pub fn allocate() AllocateError!ReceiveRight {
        var name: Port = abi.port_null;
        switch (transport.portAllocate(abi.port_right.receive, &name)) {
            abi.kern.success => return fromName(name),
            abi.kern.no_space, abi.kern.resource_shortage => return error.NoSpace,
            else => return error.Unexpected,
        }
    }

    /// Takes ownership of the receive right under `name`.
    pub fn fromName(name: Port) ReceiveRight {
        assert(abi.portValid(name));
        return .{ .name = name };
    }

    /// The errors of `makeSend` and `makeSendOnce`.
    pub const MakeError = error{
        /// The name already carries the most user references a right can have.
        UrefsOverflow,
        /// Any other code, such as `KERN_NO_SPACE` for a new send-once name.
        Unexpected,
    };

    /// Makes a send right to the port, under the receive right's name
    /// (`mach_port_insert_right` with `MACH_MSG_TYPE_MAKE_SEND`).
    pub fn makeSend(right: ReceiveRight) MakeError!SendRight {
        switch (transport.portInsertRight(right.name, right.name, abi.disposition.make_send)) {
            abi.kern.success => return SendRight.fromName(right.name),
            abi.kern.urefs_overflow => return error.UrefsOverflow,
            else => return error.Unexpected,
        }
    }

    /// Makes a send-once right to the port, under a new name
    /// (`mach_port_extract_right` with `MACH_MSG_TYPE_MAKE_SEND_ONCE`).
    pub fn makeSendOnce(right: ReceiveRight) MakeError!SendOnceRight {
        var name: Port = abi.port_null;
        var got: u32 = 0;
        switch (transport.portExtractRight(right.name, abi.disposition.make_send_once, &name, &got)) {
            abi.kern.success => {
                assert(got == abi.disposition.move_send_once);
                return SendOnceRight.fromName(name);
            },
            abi.kern.urefs_overflow => return error.UrefsOverflow,
            else => return error.Unexpected,
        }
    }

    /// Destroys the receive right (`mach_port_mod_refs(..., RECEIVE, -1)`): the port dies,
    /// its queued messages are destroyed and its send rights become dead names.
    pub fn deinit(right: ReceiveRight) void {
        const kr = transport.portModRefs(right.name, abi.port_right.receive, -1);
        assert(kr == abi.kern.success); // The right owned the receive right under this name.
    }
};

/// A right sent through a polymorphic argument (`mach_port_poly_t`), with the disposition
/// it goes with. The `move_*` variants give the right away (the call takes it); the
/// others lend it (it stays the caller's).
pub const PolyRight = union(enum) {
    /// Moves the receive right.
    move_receive: ReceiveRight,
    /// Moves the send right (one user reference).
    move_send: SendRight,
    /// Moves the send-once right.
    move_send_once: SendOnceRight,
    /// Copies a send right: the caller keeps its reference.
    copy_send: SendRight,
    /// Makes a send right from the caller's receive right.
    make_send: ReceiveRight,
    /// Makes a send-once right from the caller's receive right.
    make_send_once: ReceiveRight,

    /// The name the message carries.
    pub fn name(right: PolyRight) Port {
        return switch (right) {
            inline else => |r| r.name,
        };
    }

    /// The disposition the message carries (`MACH_MSG_TYPE_*`).
    pub fn disposition(right: PolyRight) u32 {
        return switch (right) {
            .move_receive => abi.disposition.move_receive,
            .move_send => abi.disposition.move_send,
            .move_send_once => abi.disposition.move_send_once,
            .copy_send => abi.disposition.copy_send,
            .make_send => abi.disposition.make_send,
            .make_send_once => abi.disposition.make_send_once,
        };
    }

    /// Whether the message takes the right away from the caller.
    pub fn moved(right: PolyRight) bool {
        return switch (right) {
            .move_receive, .move_send, .move_send_once => true,
            .copy_send, .make_send, .make_send_once => false,
        };
    }

    /// Releases a moved right that was not sent after all; a lent one stays the caller's.
    pub fn release(right: PolyRight) void {
        switch (right) {
            .move_receive => |r| r.deinit(),
            .move_send => |r| r.deinit(),
            .move_send_once => |r| r.deinit(),
            .copy_send, .make_send, .make_send_once => {},
        }
    }
};

/// A right received through a polymorphic argument: its kind is known only at run time.
pub const AnyRight = union(enum) {
    /// A receive right.
    receive: ReceiveRight,
    /// A send right (or the dead name it became).
    send: SendRight,
    /// A send-once right.
    send_once: SendOnceRight,

    /// The right that arrived under `name` with `disposition`, owned from now on; null
    /// when the message carried no right (`MACH_PORT_NULL` or `MACH_PORT_DEAD`), and
    /// also null for a disposition that carries none, such as `MACH_MSG_TYPE_PORT_NAME`.
    pub fn fromReceived(port: Port, disposition: u32) ?AnyRight {
        if (!abi.portValid(port)) return null;
        return switch (disposition) {
            abi.disposition.move_receive => .{ .receive = ReceiveRight.fromName(port) },
            abi.disposition.move_send => .{ .send = SendRight.fromName(port) },
            abi.disposition.move_send_once => .{ .send_once = SendOnceRight.fromName(port) },
            else => null,
        };
    }

    /// The right's name in this task's space.
    pub fn name(right: AnyRight) Port {
        return switch (right) {
            inline else => |r| r.name,
        };
    }

    /// Releases the right.
    pub fn deinit(right: AnyRight) void {
        switch (right) {
            inline else => |r| r.deinit(),
        }
    }
};

test "typed rights release exactly their own reference" {
    const task = try @import("testing.zig").begin();
    defer task.end();
    {
        const receive = try ReceiveRight.allocate();
        const send = try receive.makeSend();
        try std.testing.expectEqual(receive.name, send.name);
        const again = try receive.makeSend();
        const once = try receive.makeSendOnce();
        try std.testing.expect(once.name != receive.name);

        // Each deinit takes one reference: the name survives until the last one goes.
        again.deinit();
        send.deinit();
        once.deinit();
        receive.deinit();
    }
    try task.expectNoLeaks();
}

test "a send right outlives its port as a dead name" {
    const task = try @import("testing.zig").begin();
    defer task.end();
    {
        const receive = try ReceiveRight.allocate();
        const send = try receive.makeSend();

        // Destroying the receive right first leaves the send right's name a dead name,
        // which deinit still releases.
        receive.deinit();
        send.deinit();
    }
    try task.expectNoLeaks();
}

test "polymorphic rights: lent or moved, and received" {
    const task = try @import("testing.zig").begin();
    defer task.end();
    {
        const receive = try ReceiveRight.allocate();
        const lent: PolyRight = .{ .make_send = receive };
        try std.testing.expectEqual(receive.name, lent.name());
        try std.testing.expectEqual(abi.disposition.make_send, lent.disposition());
        try std.testing.expect(!lent.moved());
        lent.release(); // A lent right stays the caller's: nothing is released.

        const moved: PolyRight = .{ .move_send = try receive.makeSend() };
        try std.testing.expect(moved.moved());
        moved.release();

        try std.testing.expectEqual(@as(?AnyRight, null), AnyRight.fromReceived(abi.port_null, abi.disposition.move_send));
        try std.testing.expectEqual(@as(?AnyRight, null), AnyRight.fromReceived(receive.name, abi.disposition.port_name));
        const send = (try receive.makeSend()).name;
        const any = AnyRight.fromReceived(send, abi.disposition.move_send).?;
        try std.testing.expectEqual(send, any.name());
        any.deinit();
        receive.deinit();
    }
    try task.expectNoLeaks();
}
