//! migz: the Zig runtime of MIG stubs. Files that `migz gen --zig` writes import this
//! module as `migz` and use only what it declares here: the Mach numbers, the wire
//! types, the transport calls (the kernel on Darwin, migz's emulation elsewhere),
//! typed rights, `msgDestroy` and the server loop. `testing` adds right accounting for
//! tests on the emulation.

const std = @import("std");

const abi = @import("abi.zig");
const message = @import("message.zig");
const rights = @import("rights.zig");
const server = @import("server.zig");
const transport_ = @import("transport.zig");
const codec = @import("codec.zig");
const stubs = @import("stubs.zig");
const errors = @import("errors.zig");
const api = @import("api.zig");

/// `mach_port_name_t`.
pub const Port = abi.Port;
/// `MACH_PORT_NULL`.
pub const port_null = abi.port_null;
/// `MACH_PORT_DEAD`.
pub const port_dead = abi.port_dead;
/// `MACH_PORT_VALID`.
pub const portValid = abi.portValid;
/// `kern_return_t`.
pub const KernReturn = abi.KernReturn;
/// `mach_msg_return_t`.
pub const MsgReturn = abi.MsgReturn;
/// `KERN_*` return codes.
pub const kern = abi.kern;
/// `MIG_*` return codes.
pub const mig = abi.mig;
/// `MACH_SEND_*`/`MACH_RCV_*` return codes.
pub const msg_return = abi.msg_return;
/// The C name of a return code (`"MIG_BAD_ID"`), or null (see `abi.codeName`).
pub const codeName = abi.codeName;
/// `mach_msg` options and trailer requests.
pub const option = abi.option;
/// `MACH_PORT_RIGHT_*`.
pub const port_right = abi.port_right;
/// `MACH_MSG_TYPE_*` dispositions.
pub const disposition = abi.disposition;
/// `MACH_MSG_*_DESCRIPTOR` types.
pub const descriptor_type = abi.descriptor_type;
/// `MACH_MSG_PHYSICAL_COPY`/`MACH_MSG_VIRTUAL_COPY`.
pub const copy_option = abi.copy_option;
/// `MACH_MSGH_BITS_COMPLEX`.
pub const msgh_bits_complex = abi.msgh_bits_complex;
/// `MACH_MSGH_BITS(remote, local)`.
pub const msghBits = abi.msghBits;
/// `MACH_MSGH_BITS_SET(remote, local, voucher, other)`.
pub const msghBitsSet = abi.msghBitsSet;
/// `MACH_MSGH_BITS_REMOTE(bits)`.
pub const msghBitsRemote = abi.msghBitsRemote;
/// `MACH_MSGH_BITS_LOCAL(bits)`.
pub const msghBitsLocal = abi.msghBitsLocal;
/// `MACH_MSGH_BITS_VOUCHER(bits)`.
pub const msghBitsVoucher = abi.msghBitsVoucher;

/// `mach_msg_header_t`.
pub const MachMsgHeader = message.MachMsgHeader;
/// `mach_msg_body_t`.
pub const MsgBody = message.MsgBody;
/// `mach_msg_port_descriptor_t`.
pub const PortDescriptor = message.PortDescriptor;
/// `mach_msg_ool_descriptor_t` (LP64).
pub const OolDescriptor = message.OolDescriptor;
/// `mach_msg_ool_ports_descriptor_t` (LP64).
pub const OolPortsDescriptor = message.OolPortsDescriptor;
/// `mach_msg_guarded_port_descriptor_t` (LP64).
pub const GuardedPortDescriptor = message.GuardedPortDescriptor;
/// `NDR_record_t`.
pub const NdrRecord = message.NdrRecord;
/// xnu's `NDR_record` (little-endian).
pub const ndr_record = message.ndr_record;
/// `mig_reply_error_t`.
pub const MigReplyError = message.MigReplyError;
/// `security_token_t`.
pub const SecurityToken = message.SecurityToken;
/// `audit_token_t`.
pub const AuditToken = message.AuditToken;
/// `mach_msg_trailer_t`.
pub const TrailerHeader = message.TrailerHeader;
/// `mach_msg_format_0_trailer_t`.
pub const Format0Trailer = message.Format0Trailer;
/// `mach_msg_max_trailer_t`.
pub const MaxTrailer = message.MaxTrailer;
/// `MAX_TRAILER_SIZE`.
pub const max_trailer_size = message.max_trailer_size;
/// The trailer size a receive writes for `option.rcvTrailerElements(elements)`.
pub const trailerSize = message.trailerSize;
/// `mach_msg_destroy`.
pub const msgDestroy = message.msgDestroy;
pub const msgDestroyReceived = message.msgDestroyReceived;
pub const destroyReplyRight = message.destroyReplyRight;

/// The transports.
pub const Transport = transport_.Transport;
/// The transport of this build: `mach` on Darwin, `local` elsewhere, unless the root file
/// declares `migz_transport`.
pub const transport = transport_.transport;
/// `mach_msg`.
pub const machMsg = transport_.machMsg;
/// `mach_task_self()`.
pub const taskSelf = transport_.taskSelf;
/// `mig_get_reply_port`.
pub const migGetReplyPort = transport_.migGetReplyPort;
/// `mig_dealloc_reply_port`.
pub const migDeallocReplyPort = transport_.migDeallocReplyPort;
/// `mig_put_reply_port`.
pub const migPutReplyPort = transport_.migPutReplyPort;
/// `mach_port_allocate`.
pub const portAllocate = transport_.portAllocate;
/// `mach_port_deallocate`.
pub const portDeallocate = transport_.portDeallocate;
/// `mach_port_mod_refs`.
pub const portModRefs = transport_.portModRefs;
/// `mach_port_insert_right`.
pub const portInsertRight = transport_.portInsertRight;
/// `mach_port_extract_right`.
pub const portExtractRight = transport_.portExtractRight;
/// See `transport.portRequestNotification`.
pub const portRequestNotification = transport_.portRequestNotification;
/// See `transport.enterTask`.
pub const enterTask = transport_.enterTask;
/// The errors of `vmAllocate`.
pub const VmAllocateError = transport_.VmAllocateError;
/// `vm_allocate`, anywhere.
pub const vmAllocate = transport_.vmAllocate;
/// `vm_deallocate`.
pub const vmDeallocate = transport_.vmDeallocate;

/// A send right, released by `deinit`.
pub const SendRight = rights.SendRight;
/// A send-once right, released by `deinit`.
pub const SendOnceRight = rights.SendOnceRight;
/// A receive right, destroyed by `deinit`.
pub const ReceiveRight = rights.ReceiveRight;

/// A right sent through a polymorphic argument, with its disposition.
pub const PolyRight = rights.PolyRight;
/// A right received through a polymorphic argument.
pub const AnyRight = rights.AnyRight;
/// `mach_port_right_t` as an enum (`.receive`).
pub const PortRight = abi.PortRight;
/// `mach_msg_type_name_t` as an enum (`.make_send`).
pub const Disposition = abi.Disposition;

/// Every Mach and MIG return code by name, and `Unknown` (see `errors.zig`).
pub const Error = errors.Error;
/// The error of a failure code, remembered as `lastCode`.
pub const fail = errors.fail;
/// The error that names a code, or `Unknown`.
pub const errorOf = errors.errorOf;
/// The code a named error stands for, or null for `Unknown`.
pub const codeOf = errors.codeOf;
/// The code of the last failure this thread turned into an error.
pub const lastCode = errors.lastCode;
/// `KERN_SUCCESS` as success, anything else as its error.
pub const check = errors.check;
/// The code a server answers with for an implementation's error.
pub const codeToSend = errors.codeToSend;
/// Up to `max` elements returned by value.
pub const InlineArray = api.InlineArray;
/// Out-of-line memory a message brought, owned until `deinit`.
pub const OolSlice = api.OolSlice;
/// Out-of-line regions of an array of out-of-line elements that a message brought, owned.
pub const OolSlices = api.OolSlices;
/// Slices lent to a message's array of out-of-line elements, or `MigArrayTooLarge`.
pub const oolSlices = api.oolSlices;
/// `oolSlices` into a reply's room, returning how many.
pub const copyOolSlices = api.copyOolSlices;
/// A C string in a fixed buffer, without its NUL.
pub const cString = api.cString;
/// Copies elements into a fixed room, or `MigArrayTooLarge`.
pub const copyOut = api.copyOut;
/// Copies a reply array sharing an earlier one's count (`SameCount`), which it must match.
pub const copySame = api.copySame;
/// Copies a C string into a fixed room with its NUL, or `MigArrayTooLarge`.
pub const copyCString = api.copyCString;
/// The owned right that arrived under a name, or null.
pub const received = api.received;
/// Whether a failed call left the request's moved rights with the caller.
pub const rightsKept = api.rightsKept;
/// The code packing a request fails with, or null: asked before a call that moves rights.
pub const packFailure = api.packFailure;
/// The names of rights lent to a message, read in place.
pub const names = api.names;
/// The names of rights lent to a message's in-line port array, or `MigArrayTooLarge`.
pub const inlineNames = api.inlineNames;
/// Copies the names of lent rights into a reply's in-line port array.
pub const copyNames = api.copyNames;
/// `copyNames` for a reply array sharing an earlier one's count (`SameCount`).
pub const copyNamesSame = api.copyNamesSame;
/// Rights a message brought out of line, owned with their array until `deinit`.
pub const OolRights = api.OolRights;
/// Rights a message brought in line, returned by value and owned until `deinit`.
pub const InlineRights = api.InlineRights;

/// A MIG demux function (`<subsystem>_server`).
pub const Demux = server.Demux;
/// `mach_msg_server_once`.
pub const serveOnce = server.serveOnce;
/// `mach_msg_server`, until an error.
pub const serve = server.serve;
/// `serveOnce` for a demux with a context and the received length (generated servers).
pub const serveOnceWith = server.serveOnceWith;
/// `serve` for a demux with a context (generated servers).
pub const serveWith = server.serveWith;
/// One turn of the serve loop for a generated server value (buffers sized by its type).
pub const serveGeneratedOnce = server.serveGeneratedOnce;
/// The serve loop for a generated server value, until receiving fails.
pub const serveGenerated = server.serveGenerated;
/// A generated server's demux over its table of routines.
pub const demuxRoutines = server.demuxRoutines;
/// The typed server of a generated file's `api` (`api.Server(Impl)`).
pub const AdaptedServer = server.AdaptedServer;
/// Whether a request id is one of a table's routines.
pub const routineKnown = server.routineKnown;
/// Fails compilation when a server implementation lacks a routine's method.
pub const checkImpl = server.checkImpl;
/// What a simpleroutine's server does with a reply right its request brings.
pub const ReplyRight = server.ReplyRight;

// What generated pack, unpack, client and server code needs besides the above.

/// The status of pack/unpack functions and C-ABI exports: MIG's return codes.
pub const Status = codec.Status;
/// A slice that crosses the C ABI.
pub const ConstSlice = codec.ConstSlice;
/// Rounds up to 4 bytes.
pub const round4 = codec.round4;
/// Unaligned write at a run-time offset.
pub const writeAt = codec.writeAt;
/// Unaligned read at a run-time offset.
pub const readAt = codec.readAt;
/// Elements at a run-time offset of a message.
pub const sliceAt = codec.sliceAt;
/// The length of a C string within a buffer.
pub const strnlen = codec.strnlen;
/// `MACH_NOTIFY_SEND_ONCE`.
pub const notify_send_once_id = stubs.notify_send_once_id;
/// Whether a disposition is one a received port carries.
pub const isPortDisposition = stubs.isPortDisposition;
/// Whether a `mach_msg` result comes from its send half.
pub const isSendError = stubs.isSendError;
/// A client's reply port after a failed `mach_msg`.
pub const replyPortAfterError = stubs.replyPortAfterError;
/// The buffer of a generated client's call: its request, or its reply and trailer.
pub const CallBuffer = stubs.CallBuffer;
/// `ConsumeOnSendError` modes.
pub const ConsumeMode = stubs.ConsumeMode;
/// Releases a request's rights after a failed send, per `ConsumeOnSendError`.
pub const consumeOnSendError = stubs.consumeOnSendError;
/// Writes a `mig_reply_error_t` answering a request.
pub const initReplyError = stubs.initReplyError;

/// Streams between Zig and Rust over a bounded ring (`migz1_ring_t`): `Producer`,
/// `Consumer`, and `create`, which needs the Rust library (`rust_linked`).
pub const stream = @import("stream.zig");
/// Channels of byte messages shared with Rust (`migz1_channel_*`): `Sender`, `Receiver`.
/// They live in the Rust library (`rust_linked`).
pub const channel = @import("channel.zig");
/// Whether the Rust library is linked (see `transport.rust_linked`).
pub const rust_linked = transport_.rust_linked;

/// Finding services by name: `bootstrap.port`, `lookUp`, `checkIn`, `register`.
pub const bootstrap = @import("bootstrap.zig");
/// The task's and host's ports and the task's special ports: `task.taskPort`,
/// `hostSelf`, `getSpecialPort`, `setSpecialPort`.
pub const task = @import("task.zig");
/// `mach_host_self()` (raw; `task.hostSelf` gives a typed right).
pub const hostSelf = transport_.hostSelf;

/// Right accounting for tests (local transport).
pub const testing = @import("testing.zig");
/// Entry points between Rust and Zig in one process.
pub const bridge = @import("bridge.zig");

test {
    // Every file's tests, and every declaration analyzed, so that `zig build check`
    // compiles all of the runtime for each target.
    std.testing.refAllDecls(@This());
    inline for (.{ abi, message, rights, server, transport_, testing, codec, stubs, bridge, bootstrap, task, errors, api }) |file| {
        std.testing.refAllDecls(file);
    }
    // Rings are created, and channels live, in the Rust library.
    if (transport_.rust_linked) {
        std.testing.refAllDecls(stream);
        std.testing.refAllDecls(channel);
    }
}
