//! The test runner of migz's Zig tests. It runs every test as Zig's default runner
//! does (a fresh `std.testing.allocator` per test, whose leaks fail the test, and
//! logged errors failing it too), prints a line per test on stderr for people, and
//! reports on stdout, one line per event, for `test_summary.zig` to count:
//!
//! ```
//! total <count>
//! start <name>
//! pass | fail | skip
//! ```
//!
//! A `start` without its result means the test crashed the process.

const std = @import("std");
const builtin = @import("builtin");
const Io = std.Io;
const testing = std.testing;

/// Routes `std.log` through `log`, which counts errors.
pub const std_options: std.Options = .{
    .logFn = log,
};

/// The errors logged by the running test; any fails it.
var log_err_count: usize = 0;

/// Prints one report line on stdout, unbuffered so a crash loses nothing before it.
fn report(io: Io, comptime format: []const u8, args: anytype) void {
    var line: [1024]u8 = undefined;
    const bytes = std.fmt.bufPrint(&line, format ++ "\n", args) catch |err| switch (err) {
        // Only a test name longer than the line can overflow it: cut it.
        error.NoSpaceLeft => line[0..],
    };
    Io.File.stdout().writeStreamingAll(io, bytes) catch {};
}

/// Runs every test and exits with 1 when any failed.
pub fn main(init: std.process.Init.Minimal) void {
    const io = Io.Threaded.global_single_threaded.io();
    const tests = builtin.test_functions;
    var failed: usize = 0;

    report(io, "total {d}", .{tests.len});
    for (tests, 1..) |test_fn, number| {
        testing.allocator_instance = .init(std.heap.page_allocator, .{
            .canary = 0xc3a701ba,
            .check_write_after_free = true,
        });
        testing.io_instance = .init(testing.allocator, .{
            .argv0 = .init(init.args),
            .environ = init.environ,
        });
        testing.environ = init.environ;
        testing.log_level = .warn;
        log_err_count = 0;

        report(io, "start {s}", .{test_fn.name});
        std.debug.print("{d}/{d} {s}...", .{ number, tests.len, test_fn.name });
        const outcome: enum { pass, fail, skip } = if (test_fn.func()) |_| .pass else |err| switch (err) {
            error.SkipZigTest => .skip,
            else => fail: {
                std.debug.print("FAIL ({t})\n", .{err});
                if (@errorReturnTrace()) |trace| std.debug.dumpErrorReturnTrace(trace);
                break :fail .fail;
            },
        };
        testing.io_instance.deinit();
        const leaked = testing.allocator_instance.deinit() != 0;
        const result = switch (outcome) {
            .pass => if (leaked or log_err_count != 0) .fail else outcome,
            else => outcome,
        };
        switch (result) {
            .pass => std.debug.print("OK\n", .{}),
            .skip => std.debug.print("SKIP\n", .{}),
            .fail => {
                if (outcome == .pass) std.debug.print("FAIL (leaked memory or logged errors)\n", .{});
                failed += 1;
            },
        }
        report(io, "{t}", .{result});
    }
    if (failed != 0) std.process.exit(1);
}

/// Prints log messages at or above `std.testing.log_level` and counts errors.
pub fn log(
    comptime level: std.log.Level,
    comptime scope: @EnumLiteral(),
    comptime format: []const u8,
    args: anytype,
) void {
    if (@backingInt(level) <= @backingInt(std.log.Level.err)) log_err_count +|= 1;
    if (@backingInt(level) <= @backingInt(testing.log_level)) {
        std.debug.print("[" ++ @tagName(scope) ++ "] (" ++ @tagName(level) ++ "): " ++ format ++ "\n", args);
    }
}
