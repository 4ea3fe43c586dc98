//! The return codes of Mach and MIG as a Zig error set, for the idiomatic API that
//! `migz gen --zig` writes beside the C-ABI-shaped one (`<subsystem>.api`): one error per
//! code that `abi.kern`, `abi.mig` and `abi.msg_return` name, and `Unknown` for any other
//! code (a server's own code, or a `MACH_MSG_*` resource bit or'ed into a send error).
//!
//! The exact code of a failure is never lost. A named error maps back to its code with
//! `codeOf`; for `Unknown`, and for every error alike, `lastCode` returns the code of the
//! last failure that this thread turned into an error (`fail`), as `errno` does in C:
//! read it right after the failing call, before the next call on the same thread. A
//! server implementation that wants to answer with a code of its own returns
//! `fail(code)`, and the generated server sends that exact code back.

const std = @import("std");

const abi = @import("abi.zig");

/// Every failure of a Mach call or a MIG routine, by name.
pub const Error = error{
    /// `KERN_INVALID_ADDRESS`: the address is not valid in the task.
    InvalidAddress,
    /// `KERN_PROTECTION_FAILURE`.
    ProtectionFailure,
    /// `KERN_NO_SPACE`: no room in the address space or the port name space.
    NoSpace,
    /// `KERN_INVALID_ARGUMENT`.
    InvalidArgument,
    /// `KERN_FAILURE`.
    Failure,
    /// `KERN_RESOURCE_SHORTAGE`.
    ResourceShortage,
    /// `KERN_NOT_RECEIVER`: the task does not hold the receive right.
    NotReceiver,
    /// `KERN_NO_ACCESS`.
    NoAccess,
    /// `KERN_ALREADY_IN_SET`.
    AlreadyInSet,
    /// `KERN_NOT_IN_SET`.
    NotInSet,
    /// `KERN_NAME_EXISTS`.
    NameExists,
    /// `KERN_ABORTED`.
    Aborted,
    /// `KERN_INVALID_NAME`: the name denotes no right.
    InvalidName,
    /// `KERN_INVALID_TASK`.
    InvalidTask,
    /// `KERN_INVALID_RIGHT`: the name denotes a right, but not the one needed.
    InvalidRight,
    /// `KERN_INVALID_VALUE`.
    InvalidValue,
    /// `KERN_UREFS_OVERFLOW`.
    UrefsOverflow,
    /// `KERN_INVALID_CAPABILITY`.
    InvalidCapability,
    /// `KERN_RIGHT_EXISTS`.
    RightExists,
    /// `KERN_NOT_SUPPORTED`.
    NotSupported,
    /// `KERN_OPERATION_TIMED_OUT`.
    OperationTimedOut,
    /// `KERN_NOT_FOUND`.
    NotFound,
    /// `MIG_TYPE_ERROR`: a descriptor or the complex bit is not what the routine expects.
    MigTypeError,
    /// `MIG_REPLY_MISMATCH`: the reply's id is not the request's id plus 100.
    MigReplyMismatch,
    /// `MIG_REMOTE_ERROR`: the server answered with an error.
    MigRemoteError,
    /// `MIG_BAD_ID`: the server does not know the routine.
    MigBadId,
    /// `MIG_BAD_ARGUMENTS`: a size or a count is wrong.
    MigBadArguments,
    /// `MIG_NO_REPLY`: the server routine will not reply (or replies later).
    MigNoReply,
    /// `MIG_EXCEPTION`.
    MigException,
    /// `MIG_ARRAY_TOO_LARGE`: the caller's array is too small for the reply.
    MigArrayTooLarge,
    /// `MIG_SERVER_DIED`: the reply port died before a reply came.
    MigServerDied,
    /// `MIG_TRAILER_ERROR`: the received trailer is too short.
    MigTrailerError,
    /// `MACH_SEND_IN_PROGRESS`.
    SendInProgress,
    /// `MACH_SEND_INVALID_DATA`: bogus in-line data.
    SendInvalidData,
    /// `MACH_SEND_INVALID_DEST`: bogus destination port.
    SendInvalidDest,
    /// `MACH_SEND_TIMED_OUT`: the message was not sent before the timeout.
    SendTimedOut,
    /// `MACH_SEND_INVALID_VOUCHER`.
    SendInvalidVoucher,
    /// `MACH_SEND_INTERRUPTED`.
    SendInterrupted,
    /// `MACH_SEND_MSG_TOO_SMALL`: the data does not hold a whole message.
    SendMsgTooSmall,
    /// `MACH_SEND_INVALID_REPLY`: bogus reply port.
    SendInvalidReply,
    /// `MACH_SEND_INVALID_RIGHT`: bogus port right in the body.
    SendInvalidRight,
    /// `MACH_SEND_INVALID_NOTIFY`.
    SendInvalidNotify,
    /// `MACH_SEND_INVALID_MEMORY`: bogus out-of-line memory.
    SendInvalidMemory,
    /// `MACH_SEND_NO_BUFFER`.
    SendNoBuffer,
    /// `MACH_SEND_TOO_LARGE`.
    SendTooLarge,
    /// `MACH_SEND_INVALID_TYPE`: bogus descriptor type.
    SendInvalidType,
    /// `MACH_SEND_INVALID_HEADER`.
    SendInvalidHeader,
    /// `MACH_SEND_INVALID_TRAILER`.
    SendInvalidTrailer,
    /// `MACH_SEND_INVALID_CONTEXT`.
    SendInvalidContext,
    /// `MACH_SEND_INVALID_OPTIONS`.
    SendInvalidOptions,
    /// `MACH_SEND_NO_GRANT_DEST`.
    SendNoGrantDest,
    /// `MACH_SEND_MSG_FILTERED`.
    SendMsgFiltered,
    /// `MACH_RCV_IN_PROGRESS`.
    RcvInProgress,
    /// `MACH_RCV_INVALID_NAME`: bogus receive port or port set.
    RcvInvalidName,
    /// `MACH_RCV_TIMED_OUT`: no message came within the timeout.
    RcvTimedOut,
    /// `MACH_RCV_TOO_LARGE`: the buffer is too small for the message.
    RcvTooLarge,
    /// `MACH_RCV_INTERRUPTED`.
    RcvInterrupted,
    /// `MACH_RCV_PORT_CHANGED`.
    RcvPortChanged,
    /// `MACH_RCV_INVALID_NOTIFY`.
    RcvInvalidNotify,
    /// `MACH_RCV_INVALID_DATA`: bogus receive buffer.
    RcvInvalidData,
    /// `MACH_RCV_PORT_DIED`: the port or set died during the receive.
    RcvPortDied,
    /// `MACH_RCV_IN_SET`.
    RcvInSet,
    /// `MACH_RCV_HEADER_ERROR`.
    RcvHeaderError,
    /// `MACH_RCV_BODY_ERROR`.
    RcvBodyError,
    /// `MACH_RCV_INVALID_TYPE`.
    RcvInvalidType,
    /// `MACH_RCV_SCATTER_SMALL`.
    RcvScatterSmall,
    /// `MACH_RCV_INVALID_TRAILER`: trailer type or elements not supported.
    RcvInvalidTrailer,
    /// `MACH_RCV_IN_PROGRESS_TIMED`.
    RcvInProgressTimed,
    /// `MACH_RCV_INVALID_REPLY`.
    RcvInvalidReply,
    /// A code that none of the above names; `lastCode` has it.
    Unknown,
};

/// The code of the last failure this thread turned into an error (`fail`), or
/// `KERN_SUCCESS` before the first one.
threadlocal var last_code: abi.KernReturn = abi.kern.success;

/// The code of the last failure this thread turned into an error: the exact code behind
/// an `error.Unknown` (and behind a named error too). Read it right after the failing
/// call; the next failing call on the thread replaces it.
pub fn lastCode() abi.KernReturn {
    return last_code;
}

/// The groups of codes, with the prefix their errors' names carry.
const groups = .{ .{ abi.kern, "" }, .{ abi.mig, "Mig" }, .{ abi.msg_return, "" } };

/// Whether `decl` of `group` is a return code (the `MACH_MSG_*` masks and resource bits
/// of `msg_return` are not, nor is success).
fn isCode(comptime group: type, comptime decl: []const u8) bool {
    if (std.mem.eql(u8, decl, "success")) return false;
    if (group != abi.msg_return) return true;
    return std.mem.startsWith(u8, decl, "send_") or std.mem.startsWith(u8, decl, "rcv_");
}

/// `snake_case` as `PascalCase`, with a prefix, at compile time.
fn pascal(comptime prefix: []const u8, comptime snake: []const u8) []const u8 {
    comptime {
        var name: []const u8 = prefix;
        var it = std.mem.splitScalar(u8, snake, '_');
        while (it.next()) |word| {
            name = name ++ [_]u8{std.ascii.toUpper(word[0])} ++ word[1..];
        }
        return name;
    }
}

/// The error of a failure `code` (not `KERN_SUCCESS`), remembered as `lastCode`. Generated
/// clients return it for every failed call; a server implementation returns
/// `fail(code)` to answer with that exact code.
pub fn fail(code: abi.KernReturn) Error {
    std.debug.assert(code != abi.kern.success); // Success is no failure.
    last_code = code;
    return errorOf(code);
}

/// The error that names `code`, or `Unknown`; it does not touch `lastCode`.
pub fn errorOf(code: abi.KernReturn) Error {
    @setEvalBranchQuota(20_000);
    inline for (groups) |group| {
        inline for (comptime std.meta.declarations(group[0])) |decl| {
            if (comptime isCode(group[0], decl)) {
                if (@field(group[0], decl) == code) {
                    return @field(Error, pascal(group[1], decl));
                }
            }
        }
    }
    return error.Unknown;
}

/// The code that `err` names, or null for `Unknown` (whose code `lastCode` has).
pub fn codeOf(err: Error) ?abi.KernReturn {
    @setEvalBranchQuota(20_000);
    inline for (groups) |group| {
        inline for (comptime std.meta.declarations(group[0])) |decl| {
            if (comptime isCode(group[0], decl)) {
                if (err == @field(Error, pascal(group[1], decl))) {
                    return @field(group[0], decl);
                }
            }
        }
    }
    return null;
}

/// `KERN_SUCCESS` as success, anything else as `fail(code)`.
pub fn check(code: abi.KernReturn) Error!void {
    if (code != abi.kern.success) return fail(code);
}

/// The code to answer with for a server implementation's error: the one the error
/// names, or for `Unknown` the code the implementation gave `fail`.
/// An `Unknown` without a `fail` before it (`lastCode` then names an error, or is
/// success) is answered with `KERN_FAILURE`.
pub fn codeToSend(err: Error) abi.KernReturn {
    if (codeOf(err)) |code| return code;
    if (last_code != abi.kern.success and errorOf(last_code) == error.Unknown) return last_code;
    return abi.kern.failure;
}

test "every code has its own error, and back" {
    @setEvalBranchQuota(20_000);
    var codes: usize = 0;
    inline for (groups) |group| {
        inline for (comptime std.meta.declarations(group[0])) |decl| {
            if (comptime isCode(group[0], decl)) {
                const code: abi.KernReturn = @field(group[0], decl);
                try std.testing.expectEqual(code, codeOf(errorOf(code)).?);
                codes += 1;
            }
        }
    }
    // One error per code, plus `Unknown`: no code shares an error and none is missing.
    try std.testing.expectEqual(codes + 1, @typeInfo(Error).error_set.error_names.?.len);
}

test fail {
    try std.testing.expectEqual(error.InvalidName, fail(abi.kern.invalid_name));
    try std.testing.expectEqual(abi.kern.invalid_name, lastCode());
    try std.testing.expectEqual(error.MigBadId, fail(-303));
    try std.testing.expectEqual(@as(?abi.KernReturn, -303), codeOf(error.MigBadId));
    try std.testing.expectEqual(error.SendTimedOut, fail(abi.msg_return.send_timed_out));
    try std.testing.expectEqual(error.RcvTooLarge, errorOf(abi.msg_return.rcv_too_large));
    // A code nobody names comes back as `Unknown`, its number in `lastCode`.
    try std.testing.expectEqual(error.Unknown, fail(12345));
    try std.testing.expectEqual(@as(abi.KernReturn, 12345), lastCode());
    try std.testing.expectEqual(@as(?abi.KernReturn, null), codeOf(error.Unknown));
    try std.testing.expectEqual(@as(abi.KernReturn, 12345), codeToSend(error.Unknown));
    const resource = abi.msg_return.send_invalid_right | abi.msg_return.ipc_space;
    try std.testing.expectEqual(error.Unknown, fail(resource));
    try std.testing.expectEqual(resource, lastCode());
    try check(abi.kern.success);
    try std.testing.expectError(error.NoSpace, check(abi.kern.no_space));
}
