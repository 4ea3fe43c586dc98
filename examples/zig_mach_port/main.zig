//! A small program that calls Apple's `mach_port` subsystem through stubs generated from
//! `mach_port.defs` (user view) on the macOS kernel: allocate a receive right, insert a
//! send right, read the rights back, deallocate. The tests cross-compile and link it for
//! aarch64-macos.11.0; it runs on a Mac.

const std = @import("std");
const migz = @import("migz");
const mach_port = @import("mach_port");

pub fn main() u8 {
    const task = migz.taskSelf();
    var allocated: mach_port.MachPortAllocateOut = .{};
    var kr = mach_port.machPortAllocate(&.{ .task = task, .right = migz.port_right.receive }, &allocated);
    if (kr != migz.kern.success) return report("mach_port_allocate", kr);
    const name = allocated.name;

    var inserted: mach_port.MachPortInsertRightOut = .{};
    kr = mach_port.machPortInsertRight(&.{ .task = task, .name = name, .poly = name, .poly_poly = migz.disposition.make_send }, &inserted);
    if (kr != migz.kern.success) return report("mach_port_insert_right", kr);

    var ptype: mach_port.MachPortTypeOut = .{};
    kr = mach_port.machPortType(&.{ .task = task, .name = name }, &ptype);
    if (kr != migz.kern.success) return report("mach_port_type", kr);
    std.debug.print("port {d}: type 0x{x}\n", .{ name, ptype.ptype });

    var done: mach_port.MachPortDeallocateOut = .{};
    kr = mach_port.machPortDeallocate(&.{ .task = task, .name = name }, &done);
    if (kr != migz.kern.success) return report("mach_port_deallocate", kr);
    var destroyed: mach_port.MachPortModRefsOut = .{};
    kr = mach_port.machPortModRefs(&.{ .task = task, .name = name, .right = migz.port_right.receive, .delta = -1 }, &destroyed);
    if (kr != migz.kern.success) return report("mach_port_mod_refs", kr);
    return 0;
}

fn report(what: []const u8, kr: migz.KernReturn) u8 {
    std.debug.print("{s} failed: 0x{x}\n", .{ what, kr });
    return 1;
}
