//! A small program that calls Apple's `mach_port` subsystem through stubs generated from
//! `mach_port.defs` (user view) on the macOS kernel, with the idiomatic API
//! (`mach_port.api`): allocate a receive right, insert a send right, read the rights back,
//! deallocate. The tests cross-compile and link it for aarch64-macos.11.0; it runs on a Mac.

const std = @import("std");
const migz = @import("migz");
const mach_port = @import("mach_port").api;

pub fn main() u8 {
    run() catch |err| {
        std.debug.print("failed: {s} (0x{x})\n", .{ @errorName(err), migz.lastCode() });
        return 1;
    };
    return 0;
}

fn run() (migz.Error || migz.task.SpecialPortError)!void {
    const task = try migz.task.taskPort();
    defer task.deinit();
    const name = try mach_port.machPortAllocate(task, .receive);
    const receive = migz.ReceiveRight.fromName(name);
    try mach_port.machPortInsertRight(task, name, .{ .make_send = receive });
    const ptype = try mach_port.machPortType(task, name);
    std.debug.print("port {d}: type 0x{x}\n", .{ name, ptype });
    try mach_port.machPortDeallocate(task, name);
    try mach_port.machPortModRefs(task, name, .receive, -1);
}
