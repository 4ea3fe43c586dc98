//! The xnu LP64 ABI that messages travel in: numeric constants, return codes and the
//! wire structs, with their sizes asserted next to them so the bytes this crate reads
//! and writes are the bytes the macOS kernel would accept.
//!
//! Every value here is copied from the xnu headers it is named after (`mach/message.h`,
//! `mach/port.h`, `mach/kern_return.h`, `mach/notify.h`, `mach/ndr.h`). The wire structs
//! derive `zerocopy`'s traits, so generated code can view message bytes without `unsafe`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A kernel return code (`kern_return_t`).
pub type KernReturn = i32;
/// A `mach_msg` return code (`mach_msg_return_t`).
pub type MachMsgReturn = i32;
/// A port name in some space (`mach_port_name_t`, also `mach_port_t` in user space).
pub type MachPortName = u32;
/// A message option word (`mach_msg_option_t`).
pub type MachMsgOption = i32;
/// A timeout in milliseconds (`mach_msg_timeout_t`).
pub type MachMsgTimeout = u32;
/// A port right kind (`mach_port_right_t`).
pub type MachPortRight = u32;
/// A port type bit set (`mach_port_type_t`).
pub type MachPortType = u32;
/// A message disposition or received right type (`mach_msg_type_name_t`).
pub type MachMsgTypeName = u32;

/// The null port name.
pub const MACH_PORT_NULL: MachPortName = 0;
/// The dead port name.
pub const MACH_PORT_DEAD: MachPortName = !0;

// kern_return.h
/// Success.
pub const KERN_SUCCESS: KernReturn = 0;
/// The address is not one this space can use.
pub const KERN_INVALID_ADDRESS: KernReturn = 1;
/// The name table or address space is full.
pub const KERN_NO_SPACE: KernReturn = 3;
/// An argument is out of range.
pub const KERN_INVALID_ARGUMENT: KernReturn = 4;
/// A generic failure.
pub const KERN_FAILURE: KernReturn = 5;
/// Memory could not be allocated.
pub const KERN_RESOURCE_SHORTAGE: KernReturn = 6;
/// The caller does not hold the receive right.
pub const KERN_NOT_RECEIVER: KernReturn = 7;
/// The port is already a member of a port set.
pub const KERN_ALREADY_IN_SET: KernReturn = 11;
/// The port is not a member of the port set.
pub const KERN_NOT_IN_SET: KernReturn = 12;
/// The name already denotes a right.
pub const KERN_NAME_EXISTS: KernReturn = 13;
/// The operation was aborted.
pub const KERN_ABORTED: KernReturn = 14;
/// The name does not denote a right.
pub const KERN_INVALID_NAME: KernReturn = 15;
/// The target task is not a task.
pub const KERN_INVALID_TASK: KernReturn = 16;
/// The name denotes a right, but not the one the operation needs.
pub const KERN_INVALID_RIGHT: KernReturn = 17;
/// A value (a name, a delta, a count) is not valid.
pub const KERN_INVALID_VALUE: KernReturn = 18;
/// The user reference count would pass `MACH_PORT_UREFS_MAX`.
pub const KERN_UREFS_OVERFLOW: KernReturn = 19;
/// The notify right given to a request is not a send-once right.
pub const KERN_INVALID_CAPABILITY: KernReturn = 20;
/// The right already has another name in the space.
pub const KERN_RIGHT_EXISTS: KernReturn = 21;
/// A wait timed out.
pub const KERN_OPERATION_TIMED_OUT: KernReturn = 49;
/// `KERN_NOT_SUPPORTED`.
pub const KERN_NOT_SUPPORTED: KernReturn = 46;

/// `TASK_KERNEL_PORT`: the special port that is the task's own port (`mach_task_self()`).
pub const TASK_KERNEL_PORT: i32 = 1;
/// `TASK_HOST_PORT`: the special port that is the host's port (`mach_host_self()`).
pub const TASK_HOST_PORT: i32 = 2;
/// `TASK_NAME_PORT`.
pub const TASK_NAME_PORT: i32 = 3;
/// `TASK_BOOTSTRAP_PORT`: the special port of the bootstrap server (launchd).
pub const TASK_BOOTSTRAP_PORT: i32 = 4;

/// `BOOTSTRAP_SUCCESS` (`servers/bootstrap_defs.h`).
pub const BOOTSTRAP_SUCCESS: KernReturn = 0;
/// `BOOTSTRAP_NOT_PRIVILEGED`: the service belongs to another job.
pub const BOOTSTRAP_NOT_PRIVILEGED: KernReturn = 1100;
/// `BOOTSTRAP_NAME_IN_USE`: a service of that name exists.
pub const BOOTSTRAP_NAME_IN_USE: KernReturn = 1101;
/// `BOOTSTRAP_UNKNOWN_SERVICE`: no service has that name.
pub const BOOTSTRAP_UNKNOWN_SERVICE: KernReturn = 1102;
/// `BOOTSTRAP_SERVICE_ACTIVE`: the service is already checked in (or registered).
pub const BOOTSTRAP_SERVICE_ACTIVE: KernReturn = 1103;
/// `BOOTSTRAP_BAD_COUNT`.
pub const BOOTSTRAP_BAD_COUNT: KernReturn = 1104;
/// `BOOTSTRAP_NO_MEMORY`.
pub const BOOTSTRAP_NO_MEMORY: KernReturn = 1105;
/// `BOOTSTRAP_NO_CHILDREN`.
pub const BOOTSTRAP_NO_CHILDREN: KernReturn = 1106;
/// `BOOTSTRAP_MAX_NAME_LEN`: a service name and its NUL fit in this many bytes (`name_t`).
pub const BOOTSTRAP_MAX_NAME_LEN: usize = 128;

// message.h: return codes.
/// `mach_msg` success.
pub const MACH_MSG_SUCCESS: MachMsgReturn = 0;
/// Bit or'd into a receive error: the receiver's name space was full.
pub const MACH_MSG_IPC_SPACE: MachMsgReturn = 0x0000_2000;
/// Bit or'd into a receive error: the receiver's address space was full.
pub const MACH_MSG_VM_SPACE: MachMsgReturn = 0x0000_1000;
/// The message data was not readable.
pub const MACH_SEND_INVALID_DATA: MachMsgReturn = 0x1000_0002;
/// The destination name does not denote a send or send-once right.
pub const MACH_SEND_INVALID_DEST: MachMsgReturn = 0x1000_0003;
/// The send timed out (the queue stayed full).
pub const MACH_SEND_TIMED_OUT: MachMsgReturn = 0x1000_0004;
/// The send was interrupted.
pub const MACH_SEND_INTERRUPTED: MachMsgReturn = 0x1000_0007;
/// The message is smaller than its header or descriptors say.
pub const MACH_SEND_MSG_TOO_SMALL: MachMsgReturn = 0x1000_0008;
/// The reply name does not denote a right the disposition can use.
pub const MACH_SEND_INVALID_REPLY: MachMsgReturn = 0x1000_0009;
/// A port descriptor names a right the sender does not hold.
pub const MACH_SEND_INVALID_RIGHT: MachMsgReturn = 0x1000_000a;
/// An out-of-line address is not memory the sender may hand over.
pub const MACH_SEND_INVALID_MEMORY: MachMsgReturn = 0x1000_000c;
/// The message is larger than the emulation accepts.
pub const MACH_SEND_TOO_LARGE: MachMsgReturn = 0x1000_000e;
/// A descriptor type or disposition is unknown.
pub const MACH_SEND_INVALID_TYPE: MachMsgReturn = 0x1000_000f;
/// A header disposition is invalid.
pub const MACH_SEND_INVALID_HEADER: MachMsgReturn = 0x1000_0010;
/// The option word has bits this emulation does not support.
pub const MACH_SEND_INVALID_OPTIONS: MachMsgReturn = 0x1000_0013;
/// The receive name does not denote a receive right or port set.
pub const MACH_RCV_INVALID_NAME: MachMsgReturn = 0x1000_4002;
/// The receive timed out.
pub const MACH_RCV_TIMED_OUT: MachMsgReturn = 0x1000_4003;
/// The next message does not fit the receive buffer.
pub const MACH_RCV_TOO_LARGE: MachMsgReturn = 0x1000_4004;
/// The receive was interrupted.
pub const MACH_RCV_INTERRUPTED: MachMsgReturn = 0x1000_4005;
/// The receive right moved to another space while the receiver waited.
pub const MACH_RCV_PORT_CHANGED: MachMsgReturn = 0x1000_4006;
/// The receive buffer was not writable.
pub const MACH_RCV_INVALID_DATA: MachMsgReturn = 0x1000_4008;
/// The port or port set died while the receiver waited.
pub const MACH_RCV_PORT_DIED: MachMsgReturn = 0x1000_4009;
/// The header could not be copied out; the message was destroyed.
pub const MACH_RCV_HEADER_ERROR: MachMsgReturn = 0x1000_400b;
/// A body right or region could not be copied out; the message was delivered without it.
pub const MACH_RCV_BODY_ERROR: MachMsgReturn = 0x1000_400c;
/// The requested trailer is not a known format.
pub const MACH_RCV_INVALID_TRAILER: MachMsgReturn = 0x1000_400f;

// message.h: options.
/// Send a message.
pub const MACH_SEND_MSG: MachMsgOption = 0x0000_0001;
/// Receive a message.
pub const MACH_RCV_MSG: MachMsgOption = 0x0000_0002;
/// Leave a message that does not fit queued and report its size.
pub const MACH_RCV_LARGE: MachMsgOption = 0x0000_0004;
/// Give up sending after `timeout` milliseconds.
pub const MACH_SEND_TIMEOUT: MachMsgOption = 0x0000_0010;
/// Return `MACH_SEND_INTERRUPTED` instead of restarting (accepted, never happens here).
pub const MACH_SEND_INTERRUPT: MachMsgOption = 0x0000_0040;
/// Give up receiving after `timeout` milliseconds.
pub const MACH_RCV_TIMEOUT: MachMsgOption = 0x0000_0100;
/// Return `MACH_RCV_INTERRUPTED` instead of restarting (accepted, never happens here).
pub const MACH_RCV_INTERRUPT: MachMsgOption = 0x0000_0400;
/// A scheduling hint (accepted and ignored: the emulation has no priorities).
pub const MACH_SEND_OVERRIDE: MachMsgOption = 0x0000_0020;
/// An importance hint (accepted and ignored).
pub const MACH_SEND_NOIMPORTANCE: MachMsgOption = 0x0004_0000;
/// A synchronous-IPC priority hint (accepted and ignored).
pub const MACH_SEND_SYNC_OVERRIDE: MachMsgOption = 0x0010_0000;
/// A QoS propagation hint (accepted and ignored).
pub const MACH_SEND_PROPAGATE_QOS: MachMsgOption = 0x0020_0000;
/// The trailer format and elements bits.
pub const MACH_RCV_TRAILER_MASK: MachMsgOption = 0xff00_0000u32 as i32;
/// The options this emulation understands.
pub const MACH_MSG_OPTIONS_SUPPORTED: MachMsgOption = MACH_SEND_MSG
    | MACH_RCV_MSG
    | MACH_RCV_LARGE
    | MACH_SEND_TIMEOUT
    | MACH_SEND_INTERRUPT
    | MACH_RCV_TIMEOUT
    | MACH_RCV_INTERRUPT
    | MACH_SEND_OVERRIDE
    | MACH_SEND_NOIMPORTANCE
    | MACH_SEND_SYNC_OVERRIDE
    | MACH_SEND_PROPAGATE_QOS
    | MACH_RCV_TRAILER_MASK;

/// `MACH_RCV_TRAILER_TYPE(x)`: the trailer format in an option word.
pub const fn mach_rcv_trailer_type(x: u32) -> MachMsgOption {
    ((x & 0xf) << 28) as i32
}
/// `MACH_RCV_TRAILER_ELEMENTS(x)`: how many trailer elements to deliver.
pub const fn mach_rcv_trailer_elements(x: u32) -> MachMsgOption {
    ((x & 0xf) << 24) as i32
}

/// Trailer format 0, the only one xnu defines.
pub const MACH_MSG_TRAILER_FORMAT_0: u32 = 0;
/// Trailer elements: none (type and size only).
pub const MACH_RCV_TRAILER_NULL: u32 = 0;
/// Trailer elements: up to the sequence number.
pub const MACH_RCV_TRAILER_SEQNO: u32 = 1;
/// Trailer elements: up to the sender's security token.
pub const MACH_RCV_TRAILER_SENDER: u32 = 2;
/// Trailer elements: up to the audit token.
pub const MACH_RCV_TRAILER_AUDIT: u32 = 3;
/// Trailer elements: up to the port context.
pub const MACH_RCV_TRAILER_CTX: u32 = 4;
/// Trailer elements: up to the audit-visible `msgh_ad` (always 0 here).
pub const MACH_RCV_TRAILER_AV: u32 = 5;
/// Trailer elements: up to the MAC labels (always 0 here).
pub const MACH_RCV_TRAILER_LABELS: u32 = 6;
/// The trailer size for each element count 0..=6 (`mach_msg_*_trailer_t`, pack 4).
pub const TRAILER_SIZES: [u32; 7] = [8, 12, 20, 52, 60, 64, 68];
/// The largest trailer (`mach_msg_max_trailer_t`); receive buffers should leave this much room.
pub const MAX_TRAILER_SIZE: u32 = 68;

// message.h: dispositions and received types.
/// Move the receive right.
pub const MACH_MSG_TYPE_MOVE_RECEIVE: MachMsgTypeName = 16;
/// Move one send right (one user reference).
pub const MACH_MSG_TYPE_MOVE_SEND: MachMsgTypeName = 17;
/// Move the send-once right.
pub const MACH_MSG_TYPE_MOVE_SEND_ONCE: MachMsgTypeName = 18;
/// Copy a send right (the sender keeps its reference).
pub const MACH_MSG_TYPE_COPY_SEND: MachMsgTypeName = 19;
/// Make a send right from the receive right (bumps the make-send count).
pub const MACH_MSG_TYPE_MAKE_SEND: MachMsgTypeName = 20;
/// Make a send-once right from the receive right.
pub const MACH_MSG_TYPE_MAKE_SEND_ONCE: MachMsgTypeName = 21;
/// Copy a receive right: never valid.
pub const MACH_MSG_TYPE_COPY_RECEIVE: MachMsgTypeName = 22;
/// Received: a receive right.
pub const MACH_MSG_TYPE_PORT_RECEIVE: MachMsgTypeName = MACH_MSG_TYPE_MOVE_RECEIVE;
/// Received: a send right.
pub const MACH_MSG_TYPE_PORT_SEND: MachMsgTypeName = MACH_MSG_TYPE_MOVE_SEND;
/// Received: a send-once right.
pub const MACH_MSG_TYPE_PORT_SEND_ONCE: MachMsgTypeName = MACH_MSG_TYPE_MOVE_SEND_ONCE;

/// `msgh_bits`: the message carries descriptors.
pub const MACH_MSGH_BITS_COMPLEX: u32 = 0x8000_0000;
/// `msgh_bits`: the remote (destination) disposition.
pub const MACH_MSGH_BITS_REMOTE_MASK: u32 = 0x0000_001f;
/// `msgh_bits`: the local (reply) disposition.
pub const MACH_MSGH_BITS_LOCAL_MASK: u32 = 0x0000_1f00;
/// `msgh_bits`: the voucher disposition.
pub const MACH_MSGH_BITS_VOUCHER_MASK: u32 = 0x001f_0000;

/// `MACH_MSGH_BITS(remote, local)`.
pub const fn mach_msgh_bits(remote: MachMsgTypeName, local: MachMsgTypeName) -> u32 {
    remote | (local << 8)
}
/// `MACH_MSGH_BITS_REMOTE(bits)`.
pub const fn mach_msgh_bits_remote(bits: u32) -> MachMsgTypeName {
    bits & MACH_MSGH_BITS_REMOTE_MASK
}
/// `MACH_MSGH_BITS_LOCAL(bits)`.
pub const fn mach_msgh_bits_local(bits: u32) -> MachMsgTypeName {
    (bits & MACH_MSGH_BITS_LOCAL_MASK) >> 8
}

// message.h: descriptors.
/// A port descriptor.
pub const MACH_MSG_PORT_DESCRIPTOR: u32 = 0;
/// An out-of-line memory descriptor.
pub const MACH_MSG_OOL_DESCRIPTOR: u32 = 1;
/// An out-of-line port array descriptor.
pub const MACH_MSG_OOL_PORTS_DESCRIPTOR: u32 = 2;
/// A volatile out-of-line memory descriptor (handled like `MACH_MSG_OOL_DESCRIPTOR`).
pub const MACH_MSG_OOL_VOLATILE_DESCRIPTOR: u32 = 3;
/// Copy option: copy the bytes.
pub const MACH_MSG_PHYSICAL_COPY: u32 = 0;
/// Copy option: let the kernel share or move the pages.
pub const MACH_MSG_VIRTUAL_COPY: u32 = 1;

// port.h
/// A send right.
pub const MACH_PORT_RIGHT_SEND: MachPortRight = 0;
/// A receive right.
pub const MACH_PORT_RIGHT_RECEIVE: MachPortRight = 1;
/// A send-once right.
pub const MACH_PORT_RIGHT_SEND_ONCE: MachPortRight = 2;
/// A port set.
pub const MACH_PORT_RIGHT_PORT_SET: MachPortRight = 3;
/// A dead name.
pub const MACH_PORT_RIGHT_DEAD_NAME: MachPortRight = 4;
/// The number of right kinds.
pub const MACH_PORT_RIGHT_NUMBER: MachPortRight = 6;

/// `MACH_PORT_TYPE(right)`.
pub const fn mach_port_type(right: MachPortRight) -> MachPortType {
    1 << (right + 16)
}
/// The name denotes no right.
pub const MACH_PORT_TYPE_NONE: MachPortType = 0;
/// The name denotes a send right.
pub const MACH_PORT_TYPE_SEND: MachPortType = mach_port_type(MACH_PORT_RIGHT_SEND);
/// The name denotes a receive right.
pub const MACH_PORT_TYPE_RECEIVE: MachPortType = mach_port_type(MACH_PORT_RIGHT_RECEIVE);
/// The name denotes a send-once right.
pub const MACH_PORT_TYPE_SEND_ONCE: MachPortType = mach_port_type(MACH_PORT_RIGHT_SEND_ONCE);
/// The name denotes a port set.
pub const MACH_PORT_TYPE_PORT_SET: MachPortType = mach_port_type(MACH_PORT_RIGHT_PORT_SET);
/// The name is a dead name.
pub const MACH_PORT_TYPE_DEAD_NAME: MachPortType = mach_port_type(MACH_PORT_RIGHT_DEAD_NAME);
/// A dead-name request is registered on the name.
pub const MACH_PORT_TYPE_DNREQUEST: MachPortType = 0x8000_0000;
/// The most user references a name can hold.
pub const MACH_PORT_UREFS_MAX: u32 = 0xffff;

/// Attribute flavor: `mach_port_limits_t` (the queue limit).
pub const MACH_PORT_LIMITS_INFO: i32 = 1;
/// Attribute flavor: `mach_port_status_t`.
pub const MACH_PORT_RECEIVE_STATUS: i32 = 2;
/// `mach_port_limits_t` is one natural.
pub const MACH_PORT_LIMITS_INFO_COUNT: u32 = 1;
/// `mach_port_status_t` is ten naturals.
pub const MACH_PORT_RECEIVE_STATUS_COUNT: u32 = 10;
/// The default queue limit of a new port.
pub const MACH_PORT_QLIMIT_DEFAULT: u32 = 5;
/// The largest queue limit a user may set.
pub const MACH_PORT_QLIMIT_MAX: u32 = 1024;

/// `mach_port_construct` flag: the context is also the guard.
pub const MPO_CONTEXT_AS_GUARD: u32 = 0x01;
/// `mach_port_construct` flag: use `mpl.mpl_qlimit`.
pub const MPO_QLIMIT: u32 = 0x02;
/// `mach_port_construct` flag: also insert a send right under the same name.
pub const MPO_INSERT_SEND_RIGHT: u32 = 0x10;
/// `mach_port_construct` flag: the guard is strict.
pub const MPO_STRICT: u32 = 0x20;
/// `mach_port_construct` flags accepted as no-ops (importance and scheduling hints).
pub const MPO_IGNORED: u32 = 0x04 | 0x08 | 0x40;

// MIG's error codes (`mach/mig_errors.h`): what stubs and servers answer.

/// `MIG_TYPE_ERROR`: a descriptor or type does not match the routine.
pub const MIG_TYPE_ERROR: KernReturn = -300;
/// `MIG_REPLY_MISMATCH`: the reply's id is not the request's plus 100.
pub const MIG_REPLY_MISMATCH: KernReturn = -301;
/// `MIG_REMOTE_ERROR`: the server answered with an error.
pub const MIG_REMOTE_ERROR: KernReturn = -302;
/// `MIG_BAD_ID`: the server does not know the routine.
pub const MIG_BAD_ID: KernReturn = -303;
/// `MIG_BAD_ARGUMENTS`: sizes or counts of the message are wrong.
pub const MIG_BAD_ARGUMENTS: KernReturn = -304;
/// `MIG_NO_REPLY`: the server will answer later, or never (no reply is sent).
pub const MIG_NO_REPLY: KernReturn = -305;
/// `MIG_EXCEPTION`: the server routine raised an exception (a Rust panic).
pub const MIG_EXCEPTION: KernReturn = -306;
/// `MIG_ARRAY_TOO_LARGE`: more elements than the routine's bound or the buffer's room.
pub const MIG_ARRAY_TOO_LARGE: KernReturn = -307;
/// `MIG_SERVER_DIED`: the server went away before replying.
pub const MIG_SERVER_DIED: KernReturn = -308;
/// `MIG_TRAILER_ERROR`: the request's trailer lacks what the routine reads.
pub const MIG_TRAILER_ERROR: KernReturn = -309;

// notify.h
/// A send or send-once right with a dead-name request was deleted.
pub const MACH_NOTIFY_PORT_DELETED: i32 = 0o101;
/// The receive right was destroyed with a port-destroyed request (not emulated).
pub const MACH_NOTIFY_PORT_DESTROYED: i32 = 0o105;
/// The port has no more send rights.
pub const MACH_NOTIFY_NO_SENDERS: i32 = 0o106;
/// A send-once right was destroyed without being used.
pub const MACH_NOTIFY_SEND_ONCE: i32 = 0o107;
/// The port a name denoted has died.
pub const MACH_NOTIFY_DEAD_NAME: i32 = 0o110;

/// `NDR_record`: the data representation every MIG message carries (little endian).
pub const NDR_RECORD: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// `mach_msg_header_t`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgHeader {
    /// Dispositions and the complex bit.
    pub msgh_bits: u32,
    /// Message size in bytes, without the trailer.
    pub msgh_size: u32,
    /// Destination on send, reply port on receive.
    pub msgh_remote_port: MachPortName,
    /// Reply port on send, the port received on on receive.
    pub msgh_local_port: MachPortName,
    /// The voucher (always null here).
    pub msgh_voucher_port: MachPortName,
    /// The message id.
    pub msgh_id: i32,
}
const _: () = assert!(core::mem::size_of::<MachMsgHeader>() == 24);

/// `mach_msg_body_t`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgBody {
    /// How many descriptors follow.
    pub msgh_descriptor_count: u32,
}
const _: () = assert!(core::mem::size_of::<MachMsgBody>() == 4);

/// `mach_msg_port_descriptor_t` (LP64). The bit-fields are one word: see
/// `port_descriptor_word`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgPortDescriptor {
    /// The port name.
    pub name: MachPortName,
    /// Padding.
    pub pad1: u32,
    /// pad2:16, disposition:8, type:8.
    pub word: u32,
}
const _: () = assert!(core::mem::size_of::<MachMsgPortDescriptor>() == 12);

/// `mach_msg_ool_descriptor64_t`. See `ool_descriptor_word`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgOolDescriptor {
    /// The region's address.
    pub address: u64,
    /// deallocate:8, copy:8, pad1:8, type:8.
    pub word: u32,
    /// The region's size.
    pub size: u32,
}
const _: () = assert!(core::mem::size_of::<MachMsgOolDescriptor>() == 16);

/// `mach_msg_ool_ports_descriptor64_t`. See `ool_ports_descriptor_word`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgOolPortsDescriptor {
    /// The array's address.
    pub address: u64,
    /// deallocate:8, copy:8, disposition:8, type:8.
    pub word: u32,
    /// How many names.
    pub count: u32,
}
const _: () = assert!(core::mem::size_of::<MachMsgOolPortsDescriptor>() == 16);

/// `NDR_record_t`.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct NdrRecord {
    /// The eight NDR bytes.
    pub bytes: [u8; 8],
}
const _: () = assert!(core::mem::size_of::<NdrRecord>() == 8);

impl NdrRecord {
    /// `NDR_record`, as every MIG message on a little-endian machine carries it.
    pub const DEFAULT: NdrRecord = NdrRecord { bytes: NDR_RECORD };
}

/// `mig_reply_error_t`: the 36-byte error reply of a MIG server.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MigReplyError {
    /// The header.
    pub head: MachMsgHeader,
    /// The data representation.
    pub ndr: NdrRecord,
    /// The return code.
    pub ret_code: KernReturn,
}
const _: () = assert!(core::mem::size_of::<MigReplyError>() == 36);

/// `mach_msg_body_t`.
pub const MACH_MSG_BODY_SIZE: usize = 4;
/// `mach_msg_port_descriptor_t` on LP64.
pub const PORT_DESCRIPTOR_SIZE: usize = 12;
/// `mach_msg_ool_descriptor64_t` and `mach_msg_ool_ports_descriptor64_t`.
pub const OOL_DESCRIPTOR_SIZE: usize = 16;
/// `mach_msg_header_t`.
pub const HEADER_SIZE: usize = 24;
/// The largest message this emulation accepts (inline bytes).
pub const MESSAGE_SIZE_MAX: usize = 64 << 20;
/// The most descriptors one message may carry.
pub const DESCRIPTOR_COUNT_MAX: u32 = 1 << 16;
/// The most ports one out-of-line port array may carry.
pub const OOL_PORTS_COUNT_MAX: u32 = 1 << 20;

/// `mach_msg_max_trailer_t`: every received message is followed by a prefix of this.
#[repr(C, packed(4))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct MachMsgMaxTrailer {
    /// Always `MACH_MSG_TRAILER_FORMAT_0`.
    pub msgh_trailer_type: u32,
    /// The size of the trailer the receiver asked for.
    pub msgh_trailer_size: u32,
    /// The port's sequence number when the message was dequeued.
    pub msgh_seqno: u32,
    /// The sender's `{uid, gid}`.
    pub msgh_sender: [u32; 2],
    /// The sender's audit token.
    pub msgh_audit: [u32; 8],
    /// The receiving port's context.
    pub msgh_context: u64,
    /// Audit-visible data (always 0).
    pub msgh_ad: u32,
    /// MAC labels (always 0).
    pub msgh_labels: u32,
}
const _: () = assert!(core::mem::size_of::<MachMsgMaxTrailer>() == 68);

/// Reads a native-endian `u32` at `off`; `None` when out of range.
pub fn read_u32(buf: &[u8], off: usize) -> Option<u32> {
    let b = buf.get(off..off.checked_add(4)?)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a native-endian `u64` at `off`; `None` when out of range.
pub fn read_u64(buf: &[u8], off: usize) -> Option<u64> {
    let b = buf.get(off..off.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_ne_bytes(a))
}

/// Writes a native-endian `u32` at `off` (the caller has checked the range).
pub fn write_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Writes a native-endian `u64` at `off` (the caller has checked the range).
pub fn write_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

impl MachMsgHeader {
    /// Reads a header from the first 24 bytes of `buf`.
    pub fn read(buf: &[u8]) -> Option<MachMsgHeader> {
        Some(MachMsgHeader {
            msgh_bits: read_u32(buf, 0)?,
            msgh_size: read_u32(buf, 4)?,
            msgh_remote_port: read_u32(buf, 8)?,
            msgh_local_port: read_u32(buf, 12)?,
            msgh_voucher_port: read_u32(buf, 16)?,
            msgh_id: read_u32(buf, 20)? as i32,
        })
    }

    /// Writes the header into the first 24 bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) {
        write_u32(buf, 0, self.msgh_bits);
        write_u32(buf, 4, self.msgh_size);
        write_u32(buf, 8, self.msgh_remote_port);
        write_u32(buf, 12, self.msgh_local_port);
        write_u32(buf, 16, self.msgh_voucher_port);
        write_u32(buf, 20, self.msgh_id as u32);
    }
}

/// Builds the last word of a port descriptor (pad2:16, disposition:8, type:8).
pub const fn port_descriptor_word(disposition: MachMsgTypeName) -> u32 {
    (disposition << 16) | (MACH_MSG_PORT_DESCRIPTOR << 24)
}

/// Builds the flags word of an OOL descriptor (deallocate:8, copy:8, pad:8, type:8).
pub const fn ool_descriptor_word(deallocate: bool, copy: u32) -> u32 {
    (deallocate as u32) | (copy << 8) | (MACH_MSG_OOL_DESCRIPTOR << 24)
}

/// Builds the flags word of an OOL ports descriptor (deallocate:8, copy:8, disposition:8, type:8).
pub const fn ool_ports_descriptor_word(deallocate: bool, copy: u32, disposition: u32) -> u32 {
    (deallocate as u32) | (copy << 8) | (disposition << 16) | (MACH_MSG_OOL_PORTS_DESCRIPTOR << 24)
}

/// The name of a `kern_return_t`, `mach_msg_return_t` or MIG code, for messages.
pub fn code_name(code: i32) -> Option<&'static str> {
    Some(match code {
        KERN_SUCCESS => "KERN_SUCCESS",
        KERN_INVALID_ADDRESS => "KERN_INVALID_ADDRESS",
        KERN_NO_SPACE => "KERN_NO_SPACE",
        KERN_INVALID_ARGUMENT => "KERN_INVALID_ARGUMENT",
        KERN_FAILURE => "KERN_FAILURE",
        KERN_RESOURCE_SHORTAGE => "KERN_RESOURCE_SHORTAGE",
        KERN_NOT_RECEIVER => "KERN_NOT_RECEIVER",
        KERN_ALREADY_IN_SET => "KERN_ALREADY_IN_SET",
        KERN_NOT_IN_SET => "KERN_NOT_IN_SET",
        KERN_NAME_EXISTS => "KERN_NAME_EXISTS",
        KERN_ABORTED => "KERN_ABORTED",
        KERN_INVALID_NAME => "KERN_INVALID_NAME",
        KERN_INVALID_TASK => "KERN_INVALID_TASK",
        KERN_INVALID_RIGHT => "KERN_INVALID_RIGHT",
        KERN_INVALID_VALUE => "KERN_INVALID_VALUE",
        KERN_UREFS_OVERFLOW => "KERN_UREFS_OVERFLOW",
        KERN_INVALID_CAPABILITY => "KERN_INVALID_CAPABILITY",
        KERN_RIGHT_EXISTS => "KERN_RIGHT_EXISTS",
        KERN_OPERATION_TIMED_OUT => "KERN_OPERATION_TIMED_OUT",
        KERN_NOT_SUPPORTED => "KERN_NOT_SUPPORTED",
        BOOTSTRAP_NOT_PRIVILEGED => "BOOTSTRAP_NOT_PRIVILEGED",
        BOOTSTRAP_NAME_IN_USE => "BOOTSTRAP_NAME_IN_USE",
        BOOTSTRAP_UNKNOWN_SERVICE => "BOOTSTRAP_UNKNOWN_SERVICE",
        BOOTSTRAP_SERVICE_ACTIVE => "BOOTSTRAP_SERVICE_ACTIVE",
        BOOTSTRAP_BAD_COUNT => "BOOTSTRAP_BAD_COUNT",
        BOOTSTRAP_NO_MEMORY => "BOOTSTRAP_NO_MEMORY",
        BOOTSTRAP_NO_CHILDREN => "BOOTSTRAP_NO_CHILDREN",
        MACH_SEND_INVALID_DATA => "MACH_SEND_INVALID_DATA",
        MACH_SEND_INVALID_DEST => "MACH_SEND_INVALID_DEST",
        MACH_SEND_TIMED_OUT => "MACH_SEND_TIMED_OUT",
        MACH_SEND_INTERRUPTED => "MACH_SEND_INTERRUPTED",
        MACH_SEND_MSG_TOO_SMALL => "MACH_SEND_MSG_TOO_SMALL",
        MACH_SEND_INVALID_REPLY => "MACH_SEND_INVALID_REPLY",
        MACH_SEND_INVALID_RIGHT => "MACH_SEND_INVALID_RIGHT",
        MACH_SEND_INVALID_MEMORY => "MACH_SEND_INVALID_MEMORY",
        MACH_SEND_TOO_LARGE => "MACH_SEND_TOO_LARGE",
        MACH_SEND_INVALID_TYPE => "MACH_SEND_INVALID_TYPE",
        MACH_SEND_INVALID_HEADER => "MACH_SEND_INVALID_HEADER",
        MACH_SEND_INVALID_OPTIONS => "MACH_SEND_INVALID_OPTIONS",
        MACH_RCV_INVALID_NAME => "MACH_RCV_INVALID_NAME",
        MACH_RCV_TIMED_OUT => "MACH_RCV_TIMED_OUT",
        MACH_RCV_TOO_LARGE => "MACH_RCV_TOO_LARGE",
        MACH_RCV_INTERRUPTED => "MACH_RCV_INTERRUPTED",
        MACH_RCV_PORT_CHANGED => "MACH_RCV_PORT_CHANGED",
        MACH_RCV_INVALID_DATA => "MACH_RCV_INVALID_DATA",
        MACH_RCV_PORT_DIED => "MACH_RCV_PORT_DIED",
        MACH_RCV_HEADER_ERROR => "MACH_RCV_HEADER_ERROR",
        MACH_RCV_BODY_ERROR => "MACH_RCV_BODY_ERROR",
        MACH_RCV_INVALID_TRAILER => "MACH_RCV_INVALID_TRAILER",
        MIG_TYPE_ERROR => "MIG_TYPE_ERROR",
        MIG_REPLY_MISMATCH => "MIG_REPLY_MISMATCH",
        MIG_REMOTE_ERROR => "MIG_REMOTE_ERROR",
        MIG_BAD_ID => "MIG_BAD_ID",
        MIG_BAD_ARGUMENTS => "MIG_BAD_ARGUMENTS",
        MIG_NO_REPLY => "MIG_NO_REPLY",
        MIG_EXCEPTION => "MIG_EXCEPTION",
        MIG_ARRAY_TOO_LARGE => "MIG_ARRAY_TOO_LARGE",
        MIG_SERVER_DIED => "MIG_SERVER_DIED",
        MIG_TRAILER_ERROR => "MIG_TRAILER_ERROR",
        _ => return None,
    })
}

/// Shows a code as its name and number (`MIG_ARRAY_TOO_LARGE (-307)`), or the number
/// alone (in hex for `mach_msg` codes) when it has no known name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub i32);

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match code_name(self.0) {
            Some(name) if self.0 >= 0x1000_0000 => write!(f, "{name} ({:#x})", self.0),
            Some(name) => write!(f, "{name} ({})", self.0),
            None if self.0 >= 0x1000_0000 => write!(f, "{:#x}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::{FromBytes, IntoBytes};

    #[test]
    fn zerocopy_views_match_the_byte_accessors() {
        let h = MachMsgHeader {
            msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
            msgh_size: 36,
            msgh_remote_port: 0x103,
            msgh_local_port: 0x203,
            msgh_voucher_port: 0,
            msgh_id: 3204,
        };
        let mut b = [0u8; 24];
        h.write(&mut b);
        assert_eq!(h.as_bytes(), &b);
        assert_eq!(MachMsgHeader::read_from_bytes(&b).unwrap(), h);
        assert_eq!(core::mem::offset_of!(MigReplyError, ret_code), 32);
        assert_eq!(core::mem::offset_of!(MachMsgMaxTrailer, msgh_context), 52);
        let d = MachMsgPortDescriptor {
            name: 5,
            pad1: 0,
            word: port_descriptor_word(MACH_MSG_TYPE_MOVE_SEND),
        };
        assert_eq!(
            read_u32(d.as_bytes(), 8).unwrap() >> 16 & 0xff,
            MACH_MSG_TYPE_MOVE_SEND
        );
        assert_eq!(NdrRecord::DEFAULT.as_bytes(), &NDR_RECORD);
    }

    #[test]
    fn notification_ids_are_xnus() {
        assert_eq!(MACH_NOTIFY_PORT_DELETED, 0x41);
        assert_eq!(MACH_NOTIFY_NO_SENDERS, 0x46);
        assert_eq!(MACH_NOTIFY_SEND_ONCE, 0x47);
        assert_eq!(MACH_NOTIFY_DEAD_NAME, 0x48);
        assert_eq!(MACH_PORT_TYPE_SEND, 0x1_0000);
        assert_eq!(MACH_PORT_TYPE_DEAD_NAME, 0x10_0000);
    }

    #[test]
    fn codes_show_their_names() {
        assert_eq!(
            Code(MIG_ARRAY_TOO_LARGE).to_string(),
            "MIG_ARRAY_TOO_LARGE (-307)"
        );
        assert_eq!(
            Code(KERN_INVALID_VALUE).to_string(),
            "KERN_INVALID_VALUE (18)"
        );
        assert_eq!(
            Code(MACH_SEND_INVALID_DEST).to_string(),
            "MACH_SEND_INVALID_DEST (0x10000003)"
        );
        assert_eq!(Code(12345).to_string(), "12345");
        assert_eq!(code_name(KERN_SUCCESS), Some("KERN_SUCCESS"));
    }
}
