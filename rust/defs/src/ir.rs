//! The IR every back end reads: one [`Subsystem`] with resolved types, message ids and the
//! request and reply layouts of every routine, computed once for the LP64 xnu ABI.

use crate::source::Span;

/// `msgt_name` values of xnu (`mach/message.h`).
pub mod msgt {
    /// `MACH_MSG_TYPE_PORT_NAME`.
    pub const PORT_NAME: u32 = 15;
    /// `MACH_MSG_TYPE_MOVE_RECEIVE` (also `PORT_RECEIVE`).
    pub const MOVE_RECEIVE: u32 = 16;
    /// `MACH_MSG_TYPE_MOVE_SEND` (also `PORT_SEND`).
    pub const MOVE_SEND: u32 = 17;
    /// `MACH_MSG_TYPE_MOVE_SEND_ONCE` (also `PORT_SEND_ONCE`).
    pub const MOVE_SEND_ONCE: u32 = 18;
    /// `MACH_MSG_TYPE_COPY_SEND`.
    pub const COPY_SEND: u32 = 19;
    /// `MACH_MSG_TYPE_MAKE_SEND`.
    pub const MAKE_SEND: u32 = 20;
    /// `MACH_MSG_TYPE_MAKE_SEND_ONCE`.
    pub const MAKE_SEND_ONCE: u32 = 21;
    /// `MACH_MSG_TYPE_POLYMORPHIC`: the disposition is chosen at run time.
    pub const POLYMORPHIC: u32 = u32::MAX;

    /// Whether a `msgt_name` carries a port right (or may, for polymorphic).
    pub fn is_port(name: u32) -> bool {
        (MOVE_RECEIVE..=MAKE_SEND_ONCE).contains(&name) || name == POLYMORPHIC
    }

    /// The disposition a right arrives with after the kernel's copyout.
    pub fn received_as(name: u32) -> u32 {
        match name {
            COPY_SEND | MAKE_SEND => MOVE_SEND,
            MAKE_SEND_ONCE => MOVE_SEND_ONCE,
            other => other,
        }
    }
}

/// A resolved type, the analogue of migcom's `ipc_type_t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type {
    /// The name it was declared with (or a description for anonymous types).
    pub name: String,
    /// The C type the user side sees (`ctype:`/`cusertype:`, else the name).
    pub user_type: String,
    /// The C type the server side sees (`ctype:`/`cservertype:`, else the name).
    pub server_type: String,
    /// `intran:`/`outtran:`/`destructor:` functions and the translated type, if any.
    pub translation: Translation,
    /// `msgt_name` when sent.
    pub in_name: u32,
    /// `msgt_name` when received.
    pub out_name: u32,
    /// Bits of one element.
    pub element_bits: u32,
    /// Elements (the maximum for a bounded variable array, 0 for an unbounded one).
    pub number: u64,
    /// Carried in the message body (false: out of line, through a descriptor).
    pub inline: bool,
    /// A variable-length array (`array[*:n]`, `array[]`, `c_string[*:n]`).
    pub var_array: bool,
    /// Declared with `struct[n]`.
    pub is_struct: bool,
    /// A C string.
    pub is_string: bool,
    /// `PointerTo`/`ValueOf` types, which have no fixed wire layout.
    pub native: bool,
    /// Whether a scalar is signed. MIG itself does not know; migz guesses from the C names
    /// (`int32_t`, `integer_t`, `natural_t`, `unsigned`, ...) for the generated APIs.
    pub signed: bool,
    /// The element type of an array, struct or pointer.
    pub element: Option<Box<Type>>,
    /// Sent out of line because of a `^` (migcom clears its `itMigInLine`): such a type
    /// cannot be made out of line again, while an unbounded `array[]`, out of line only
    /// by MIG's choice, can take a `^`.
    pub pointer: bool,
    /// Where a `struct[n]` layer (n > 1) over port rights was written, if the type has
    /// one: migcom lays it out as one port descriptor for n ports and its stubs do not
    /// compile, so an argument of such a type is refused.
    pub struct_of_ports: Option<Span>,
    /// An array layer over an out-of-line type (`array[2] of buf_t` with
    /// `buf_t = array[] of int32_t`): how many elements, each its own descriptor
    /// (migcom's `itKPD_Number`; the bound for `array[*:N]`). `element` is the
    /// out-of-line type. The back ends generate them for more than one element.
    pub ool_elements: Option<u64>,
}

/// The translation decorations of a type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Translation {
    /// The translated (server-internal) type.
    pub trans_type: Option<String>,
    /// `intran:` function.
    pub in_tran: Option<String>,
    /// `outtran:` function.
    pub out_tran: Option<String>,
    /// `destructor:` function.
    pub destructor: Option<String>,
}

impl Type {
    /// Whether values of this type are port rights (or arrays of them).
    pub fn is_port(&self) -> bool {
        msgt::is_port(self.in_name) || msgt::is_port(self.out_name)
    }

    /// Whether either side is `MACH_MSG_TYPE_POLYMORPHIC`, so a disposition travels with it.
    pub fn is_polymorphic(&self) -> bool {
        self.in_name == msgt::POLYMORPHIC || self.out_name == msgt::POLYMORPHIC
    }

    /// Bytes of the value in line (the maximum for variable arrays).
    pub fn inline_bytes(&self) -> u64 {
        (self.number.saturating_mul(self.element_bits as u64)).div_ceil(8)
    }

    /// Bytes of one element as it is counted (for arrays: the element type's bytes; for
    /// in-line port arrays one port, see [`Type::element_count_max`]).
    pub fn element_bytes(&self) -> u64 {
        if self.inline && self.is_port() {
            return (self.element_bits as u64).div_ceil(8).max(1);
        }
        match &self.element {
            Some(e) => e.inline_bytes().max(1),
            None => (self.element_bits as u64).div_ceil(8).max(1),
        }
    }

    /// How many elements of `element_bytes` make the maximum (the declared bound). An
    /// in-line array of ports counts ports: migcom multiplies its descriptor count
    /// (`itKPD_Number`) through every array layer, so `array[2] of p3_t` with
    /// `p3_t = array[3] of mach_port_t` is 6 port descriptors, and a variable one's count
    /// is a number of descriptors too (its count argument has multiplier 1).
    pub fn element_count_max(&self) -> u64 {
        if self.inline && self.is_port() {
            return self.number;
        }
        match &self.element {
            Some(e) if e.number > 0 => self.number / e.number,
            _ => self.number,
        }
    }

    /// Whether an array of out-of-line elements has variable-sized elements, so a count
    /// per element (`<name>Subs`) travels in the body.
    pub fn has_sub_counts(&self) -> bool {
        self.ool_elements.is_some_and(|n| n > 1)
            && self.element.as_ref().is_some_and(|e| e.var_array)
    }

    /// migcom's "kernel processed data": sent through a descriptor.
    pub fn is_kpd(&self) -> bool {
        self.is_port() || !self.inline
    }

    /// An in-line array of ports, sent as an array of port descriptors.
    pub fn is_multiple_kpd(&self) -> bool {
        self.inline && self.is_port() && self.number > 1
            || self.inline && self.is_port() && self.var_array
    }

    /// An in-line variable array of plain data (migcom's `IS_VARIABLE_SIZED_UNTYPED`).
    pub fn is_variable_inline(&self) -> bool {
        self.var_array && self.inline && !self.is_port()
    }
}

/// Routine or simpleroutine.
pub use crate::ast::RoutineKind;

/// What an argument is, after migcom's defaults (the first argument without a direction
/// is the request port; others default to `In`).
pub use crate::ast::Direction as ArgKind;

/// How an out-of-line argument's memory is released after sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dealloc {
    /// Never (the default).
    No,
    /// Always (`Dealloc`).
    Yes,
    /// The caller decides per call (`Dealloc[]`): an implicit boolean argument.
    Maybe,
}

/// How an argument's count travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// Not a variable array.
    None,
    /// Its own `<name>Cnt`.
    Own,
    /// `SameCount`: the count of an earlier argument, by its index in the routine's
    /// arguments (an index, so renaming an argument keeps the link).
    Same(usize),
    /// A varying C string: `<name>Offset` and `<name>Cnt` in the message, no count argument.
    StringLength,
}

/// One argument of a routine.
#[derive(Clone, Debug)]
pub struct Arg {
    /// Its name.
    pub name: String,
    /// Its role.
    pub kind: ArgKind,
    /// Its type.
    pub ty: Type,
    /// Whether it is in the request message (body, descriptor or header).
    pub in_request: bool,
    /// Whether it is in the reply message.
    pub in_reply: bool,
    /// How its count travels.
    pub count: Count,
    /// `CountInOut`: the caller's buffer size travels in the request as `<name>Cnt`.
    pub count_in_out: bool,
    /// A `<name>Poly` disposition argument goes with it.
    pub poly: bool,
    /// Its deallocation rule.
    pub dealloc: Dealloc,
    /// `PhysicalCopy`.
    pub physical_copy: bool,
    /// `Overwrite`.
    pub overwrite: bool,
    /// `auto`.
    pub auto: bool,
    /// `const`.
    pub is_const: bool,
    /// `RetCode` (simpleroutines only).
    pub ret_code: bool,
    /// Where it was written.
    pub span: Span,
}

/// The role of one field of a message struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// `mach_msg_header_t Head`.
    Header,
    /// `mach_msg_body_t msgh_body`.
    Body,
    /// One `mach_msg_port_descriptor_t` for argument `arg`.
    PortDescriptor {
        /// Index into the routine's arguments.
        arg: usize,
    },
    /// `mach_msg_port_descriptor_t name[n]` for an in-line array of ports.
    PortDescriptorArray {
        /// Index into the routine's arguments.
        arg: usize,
        /// How many descriptors (always all of them are sent).
        count: u32,
    },
    /// `mach_msg_ool_descriptor_t`.
    OolDescriptor {
        /// Index into the routine's arguments.
        arg: usize,
    },
    /// `mach_msg_ool_ports_descriptor_t`.
    OolPortsDescriptor {
        /// Index into the routine's arguments.
        arg: usize,
    },
    /// `mach_msg_ool_descriptor_t name[n]` (or the out-of-line ports descriptor) for an
    /// array of out-of-line elements, one descriptor each.
    OolDescriptorArray {
        /// Index into the routine's arguments.
        arg: usize,
        /// How many descriptors (always all of them are sent).
        count: u32,
        /// Out-of-line port arrays rather than memory.
        ports: bool,
    },
    /// `mach_msg_type_number_t <name>Subs[n]`: the element count of each out-of-line
    /// element of a fixed array of them. (For a variable array, `<name>SubsCnt` is a
    /// [`FieldKind::Count`] and `<name>Subs` a [`FieldKind::VarData`] of 4-byte counts.)
    SubCounts {
        /// Index into the routine's arguments.
        arg: usize,
        /// How many counts.
        count: u32,
    },
    /// `NDR_record_t NDR`.
    Ndr,
    /// `kern_return_t RetCode`.
    RetCode,
    /// `mach_msg_type_number_t <name>Cnt`.
    Count {
        /// The argument counted.
        arg: usize,
    },
    /// `mach_msg_type_number_t <name>Offset` before a varying C string (MIG sends 0).
    StringOffset {
        /// The string argument.
        arg: usize,
    },
    /// In-line data of fixed size.
    Data {
        /// Index into the routine's arguments.
        arg: usize,
    },
    /// An in-line variable array, declared at its maximum. On the wire it takes
    /// `round_up(count * element_size, 4)` bytes and every later field moves up.
    VarData {
        /// Index into the routine's arguments.
        arg: usize,
        /// Bytes of one counted element.
        element_size: u32,
        /// The bound.
        max_count: u32,
    },
    /// `char <name>Pad[n]` after data whose size is not a multiple of 4. After a
    /// variable array it belongs to the array's rounding and is not sent separately.
    Pad {
        /// Index into the routine's arguments.
        arg: usize,
    },
}

/// One field of a message struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Apple's name for it.
    pub name: String,
    /// Byte offset in the C struct (variable arrays at their maximum).
    pub offset: u32,
    /// Byte size in the C struct.
    pub size: u32,
    /// What it is.
    pub kind: FieldKind,
    /// Its C type as Apple's header spells it.
    pub c_type: String,
}

/// The layout of one message (request or reply), `#pragma pack(4)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `MACH_MSGH_BITS_COMPLEX`.
    pub complex: bool,
    /// Descriptors in the message (`msgh_descriptor_count`).
    pub descriptor_count: u32,
    /// `sizeof` the C struct: the maximum message size.
    pub size: u32,
    /// The size with every variable array empty: the least valid `msgh_size`.
    pub min_size: u32,
    /// The fields in order.
    pub fields: Vec<Field>,
}

impl Layout {
    /// The real wire offsets and total size for actual element counts of the variable
    /// arrays, given in field order. Fields after a variable array move up by what the
    /// array does not use; the array itself takes `round_up(count * size, 4)` bytes.
    /// Returns `None` when a count exceeds its bound or there are too few counts.
    pub fn wire_offsets(&self, counts: &[u32]) -> Option<(Vec<u32>, u32)> {
        let mut offsets = Vec::with_capacity(self.fields.len());
        let mut offset = 0u32;
        let mut counts = counts.iter();
        let mut after_var = false;
        for f in &self.fields {
            offsets.push(offset);
            match &f.kind {
                FieldKind::VarData {
                    element_size,
                    max_count,
                    ..
                } => {
                    let n = *counts.next()?;
                    if n > *max_count {
                        return None;
                    }
                    offset += (n * element_size).next_multiple_of(4);
                    after_var = true;
                    continue;
                }
                FieldKind::Pad { .. } if after_var => {}
                _ => offset += f.size,
            }
            after_var = false;
        }
        Some((offsets, offset))
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One routine (or simpleroutine).
#[derive(Clone, Debug)]
pub struct Routine {
    /// Its name.
    pub name: String,
    /// Routine or simpleroutine.
    pub kind: RoutineKind,
    /// Its index in the subsystem (skips count).
    pub number: u32,
    /// The request's `msgh_id`: base + number.
    pub id: u32,
    /// Its arguments, after defaults (implicit counts, polys and deallocs are described on
    /// each argument, not listed separately).
    pub args: Vec<Arg>,
    /// The request layout.
    pub request: Layout,
    /// The reply layout; `None` for a simpleroutine.
    pub reply: Option<Layout>,
    /// The comment written just before it in the `.defs`, if any.
    pub doc: Option<String>,
    /// Where it was declared.
    pub span: Span,
}

impl Routine {
    /// The reply's `msgh_id`: request id + 100.
    pub fn reply_id(&self) -> u32 {
        self.id + 100
    }

    /// The index of the request port argument.
    pub fn request_port(&self) -> Option<usize> {
        self.args
            .iter()
            .position(|a| a.kind == ArgKind::RequestPort)
    }
}

/// How a client treats its own rights when a send fails (`ConsumeOnSendError`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsumeOnSendError {
    /// Rights and memory stay with the caller (the default).
    #[default]
    None,
    /// Consumed when the send timed out.
    Timeout,
    /// Consumed on any send error.
    Any,
}

/// An `import` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Which headers it goes to.
    pub kind: crate::ast::ImportKind,
    /// The file with its quotes or brackets.
    pub file: String,
}

/// One subsystem: everything a back end needs.
#[derive(Clone, Debug)]
pub struct Subsystem {
    /// Its name.
    pub name: String,
    /// The first message id.
    pub base: u32,
    /// `KernelUser`.
    pub kernel_user: bool,
    /// `KernelServer`.
    pub kernel_server: bool,
    /// `UserPrefix`.
    pub user_prefix: String,
    /// `ServerPrefix`.
    pub server_prefix: String,
    /// `ServerDemux`, if renamed.
    pub server_demux: Option<String>,
    /// `WaitTime` in force at the end of the file, if any.
    pub wait_time: Option<String>,
    /// `SendTime` in force, if any.
    pub send_time: Option<String>,
    /// `MsgOption` in force, if any.
    pub msg_option: Option<String>,
    /// `error` procedure.
    pub error_proc: Option<String>,
    /// `UseSpecialReplyPort 1`.
    pub use_special_reply_port: bool,
    /// `ConsumeOnSendError`.
    pub consume_on_send_error: ConsumeOnSendError,
    /// `rcsid`.
    pub rcs_id: Option<String>,
    /// Imports in order.
    pub imports: Vec<Import>,
    /// Routines in id order (skips are not listed; they only consume numbers).
    pub routines: Vec<Routine>,
    /// Named types in declaration order (one list shared by every subsystem of a file).
    pub types: std::sync::Arc<[Type]>,
    /// The number of message ids used (routines and skips).
    pub id_count: u32,
    /// Where the subsystem statement is.
    pub span: Span,
}
