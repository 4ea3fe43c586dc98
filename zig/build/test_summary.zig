//! Runs test binaries built with `test_runner.zig`, one after the other, and ends the
//! output with one line, `N passed, M failed`, which CI reads. A binary that crashes
//! counts its running test and every test it did not reach as failed, so the counts
//! stay right whatever happens. Exits with 1 when any test failed.
//!
//! Usage: `test_summary BINARY...`

const std = @import("std");
const Io = std.Io;

/// What one binary reported.
const Counts = struct {
    /// The tests the binary holds.
    total: usize = 0,
    /// Tests that passed.
    passed: usize = 0,
    /// Tests that failed, crashed or never ran.
    failed: usize = 0,
    /// Tests that returned `error.SkipZigTest`.
    skipped: usize = 0,
    /// The test that started and never finished, if any.
    running: ?[]const u8 = null,
};

/// Reads the report lines of a test runner (see `test_runner.zig`).
fn parse(report: []const u8) Counts {
    var counts: Counts = .{};
    var lines = std.mem.splitScalar(u8, report, '\n');
    while (lines.next()) |line| {
        if (std.mem.startsWith(u8, line, "total ")) {
            counts.total = std.fmt.parseUnsigned(usize, line["total ".len..], 10) catch 0;
        } else if (std.mem.startsWith(u8, line, "start ")) {
            counts.running = line["start ".len..];
        } else if (std.mem.eql(u8, line, "pass")) {
            counts.passed += 1;
            counts.running = null;
        } else if (std.mem.eql(u8, line, "fail")) {
            counts.failed += 1;
            counts.running = null;
        } else if (std.mem.eql(u8, line, "skip")) {
            counts.skipped += 1;
            counts.running = null;
        }
    }
    return counts;
}

test parse {
    const done = parse("total 3\nstart a\npass\nstart b\nskip\nstart c\nfail\n");
    try std.testing.expectEqual(@as(usize, 1), done.passed);
    try std.testing.expectEqual(@as(usize, 1), done.failed);
    try std.testing.expectEqual(@as(usize, 1), done.skipped);
    try std.testing.expectEqual(@as(?[]const u8, null), done.running);

    const crashed = parse("total 3\nstart a\npass\nstart b\n");
    try std.testing.expectEqualStrings("b", crashed.running.?);
    try std.testing.expectEqual(@as(usize, 3), crashed.total);
}

/// Runs one test binary, its stderr passed through, and counts its tests. The report
/// is allocated in `arena`, which must outlive the returned counts.
fn runOne(arena: std.mem.Allocator, io: Io, path: []const u8) !Counts {
    var child = try std.process.spawn(io, .{
        .argv = &.{path},
        .stdin = .ignore,
        .stdout = .pipe,
        .stderr = .inherit,
    });
    defer child.kill(io);

    var buffer: [4096]u8 = undefined;
    var reader = child.stdout.?.readerStreaming(io, &buffer);
    const report = try reader.interface.allocRemaining(arena, .limited(64 * 1024 * 1024));
    const term = try child.wait(io);

    var counts = parse(report);
    const finished = counts.passed + counts.failed + counts.skipped;
    if (counts.running) |name| {
        std.debug.print("{s}: {f} while running {s}\n", .{ std.fs.path.basename(path), term, name });
        counts.failed += 1;
    }
    if (counts.total > finished + @intFromBool(counts.running != null)) {
        const missed = counts.total - finished - @intFromBool(counts.running != null);
        std.debug.print("{s}: {d} test(s) did not run\n", .{ std.fs.path.basename(path), missed });
        counts.failed += missed;
    }
    const clean_exit = term == .exited and term.exited == 0;
    if (!clean_exit and counts.failed == 0) {
        // The binary failed outside any test (before the first, or after the last).
        std.debug.print("{s}: {f}\n", .{ std.fs.path.basename(path), term });
        counts.failed = 1;
    }
    return counts;
}

/// Runs every binary named on the command line and prints the totals last.
pub fn main(init: std.process.Init) !void {
    const args = try init.minimal.args.toSlice(init.arena.allocator());
    var passed: usize = 0;
    var failed: usize = 0;
    var skipped: usize = 0;
    for (args[1..]) |path| {
        const counts = runOne(init.arena.allocator(), init.io, path) catch |err| fail: {
            std.debug.print("{s}: cannot run: {t}\n", .{ std.fs.path.basename(path), err });
            break :fail Counts{ .failed = 1 };
        };
        passed += counts.passed;
        failed += counts.failed;
        skipped += counts.skipped;
    }
    if (skipped != 0) std.debug.print("{d} skipped\n", .{skipped});
    var line: [64]u8 = undefined;
    const summary = try std.fmt.bufPrint(&line, "{d} passed, {d} failed\n", .{ passed, failed });
    try Io.File.stdout().writeStreamingAll(init.io, summary);
    if (failed != 0) std.process.exit(1);
}
