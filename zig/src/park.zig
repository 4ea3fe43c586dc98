//! OS parking for the stream waits, kept in one small file: a thread sleeps on a 32-bit
//! word while it holds an expected value, and another wakes it after changing the word.
//! Linux uses the futex, Darwin `__ulock`; elsewhere a waiter yields its CPU instead.

const std = @import("std");
const builtin = @import("builtin");

/// Sleeps while `word.*` equals `expected`. May return early (a signal, a racing wake): the
/// caller checks its condition again.
pub fn wait(word: *const u32, expected: u32) void {
    switch (builtin.os.tag) {
        .linux => _ = std.os.linux.futex_4arg(word, .{ .cmd = .WAIT, .private = true }, expected, null),
        .macos, .ios, .tvos, .watchos, .visionos => _ = std.c.__ulock_wait(
            .{ .op = .COMPARE_AND_WAIT, .NO_ERRNO = true },
            word,
            expected,
            0,
        ),
        else => std.Thread.yield() catch {},
    }
}

/// Wakes one thread sleeping in `wait` on `word`.
pub fn wake(word: *const u32) void {
    switch (builtin.os.tag) {
        .linux => _ = std.os.linux.futex_3arg(word, .{ .cmd = .WAKE, .private = true }, 1),
        .macos, .ios, .tvos, .watchos, .visionos => _ = std.c.__ulock_wake(
            .{ .op = .COMPARE_AND_WAIT, .NO_ERRNO = true },
            word,
            0,
        ),
        else => {},
    }
}
