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
pub const SendRight = struct {
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
pub const SendOnceRight = struct {
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
pub const ReceiveRight = struct {
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
