//! The typed binding IR: what one routine's API is, computed once for both writers.
//!
//! The front end's IR describes the wire. This module describes what crosses the C ABI
//! and what a caller holds: per routine the `In` and `Out` C structs with each field's
//! role, type, size and offset (the contract both compilers assert), and per argument its
//! shape, the right it sends or receives and who holds it after the call, where its count
//! comes from, and the trailer field it reads. Arguments are named by their index in
//! `Routine::args`, never by name, so renaming one for a language keeps every link.
//!
//! The Rust and Zig writers print this; neither derives it again.

use migz_defs::ir::{Arg, ArgKind, Count, Dealloc, Routine, Type, msgt};

/// How an argument's value is represented in `In`/`Out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One port in line (a port descriptor).
    Port,
    /// An in-line array of `n` ports (one descriptor each); `var` when counted.
    PortArray {
        /// The bound.
        n: u64,
        /// Whether a count travels.
        var: bool,
    },
    /// Memory out of line (one descriptor).
    Ool {
        /// Whether its size varies.
        var: bool,
        /// The element count (the bound when `var`, 0 when unbounded).
        n: u64,
    },
    /// An array of ports out of line (one descriptor).
    OolPorts {
        /// Whether its size varies.
        var: bool,
        /// The element count (the bound when `var`, 0 when unbounded).
        n: u64,
    },
    /// An array of `n` out-of-line elements (memory, or port arrays when `ports`), one
    /// descriptor each; `var` for `array[*:n]`. Each element holds `el_n` items when it
    /// is fixed, else at most `el_n` (0: unbounded) counted in `<name>Subs`.
    OolArray {
        /// How many elements (the bound when `var`).
        n: u64,
        /// Whether a count of elements travels.
        var: bool,
        /// Whether the elements are port arrays.
        ports: bool,
        /// Whether each element's size varies.
        el_var: bool,
        /// Items per element (the bound when `el_var`, 0 when unbounded).
        el_n: u64,
    },
    /// A fixed-size value in line.
    Value,
    /// A variable array in line, of at most `max` elements.
    VarInline {
        /// The bound.
        max: u64,
    },
    /// A C string in line, of at most `max` bytes with its NUL.
    CStr {
        /// The bound, NUL included.
        max: u64,
        /// Whether only the used part travels (`c_string[*:N]`).
        varying: bool,
    },
}

/// The shape of an argument of type `ty`.
pub fn shape(ty: &Type) -> Shape {
    if let (Some(n), Some(el)) = (ty.ool_elements.filter(|n| *n > 1), &ty.element) {
        return Shape::OolArray {
            n,
            var: ty.var_array,
            ports: ty.is_port(),
            el_var: el.var_array,
            el_n: el.element_count_max(),
        };
    }
    if ty.is_port() {
        if ty.inline {
            if ty.is_multiple_kpd() {
                Shape::PortArray {
                    n: ty.element_count_max(),
                    var: ty.var_array,
                }
            } else {
                Shape::Port
            }
        } else {
            Shape::OolPorts {
                var: ty.var_array,
                n: ty.element_count_max(),
            }
        }
    } else if !ty.inline {
        Shape::Ool {
            var: ty.var_array,
            n: ty.element_count_max(),
        }
    } else if ty.is_string {
        Shape::CStr {
            max: ty.number,
            varying: ty.var_array,
        }
    } else if ty.var_array {
        Shape::VarInline {
            max: ty.element_count_max(),
        }
    } else {
        Shape::Value
    }
}

/// Whether an argument is data (in the message body or descriptors), not a header port,
/// a client option or a trailer field.
pub fn is_data(arg: &Arg) -> bool {
    matches!(arg.kind, ArgKind::In | ArgKind::Out | ArgKind::InOut)
}

/// The disposition a polymorphic argument is sent with unless the caller says otherwise:
/// the declared one, or `COPY_SEND` when the type is `polymorphic`.
pub fn poly_default(a: &Arg) -> u32 {
    if a.ty.in_name == msgt::POLYMORPHIC {
        msgt::COPY_SEND
    } else {
        a.ty.in_name
    }
}

/// The argument whose count `a` shares (`SameCount`), by its index.
pub fn shared_count(a: &Arg) -> Option<usize> {
    match a.count {
        Count::Same(t) => Some(t),
        _ => None,
    }
}

/// Whether the routine names its reply port as an argument (`replyport`, `sreplyport`,
/// `ureplyport`).
pub fn has_reply_port_arg(r: &Routine) -> bool {
    r.args.iter().any(|a| {
        matches!(
            a.kind,
            ArgKind::ReplyPort | ArgKind::SReplyPort | ArgKind::UReplyPort
        )
    })
}

/// The kind of a port right as a caller holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightKind {
    /// A send right.
    Send,
    /// A send-once right.
    SendOnce,
    /// A receive right.
    Receive,
    /// A right whose kind travels with it: a polymorphic argument.
    Any,
}

/// Who holds a sent right after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The message takes it (a move): the caller passes it by value.
    Moved,
    /// The caller keeps it (a copy or a make): it is lent to the call.
    Lent,
}

/// The right a caller passes to send one port with a disposition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentRight {
    /// The right the caller holds (a make-send is made from a receive right).
    pub kind: RightKind,
    /// Whether the message takes it. A polymorphic one is `Moved`: the value says per
    /// variant what it lends or gives.
    pub ownership: Ownership,
}

/// The right the caller passes to send with disposition `d`, if `d` sends a right.
pub fn sent_right(d: u32) -> Option<SentRight> {
    let (kind, ownership) = match d {
        msgt::MOVE_SEND => (RightKind::Send, Ownership::Moved),
        msgt::MOVE_SEND_ONCE => (RightKind::SendOnce, Ownership::Moved),
        msgt::MOVE_RECEIVE => (RightKind::Receive, Ownership::Moved),
        msgt::COPY_SEND => (RightKind::Send, Ownership::Lent),
        msgt::MAKE_SEND | msgt::MAKE_SEND_ONCE => (RightKind::Receive, Ownership::Lent),
        msgt::POLYMORPHIC => (RightKind::Any, Ownership::Moved),
        _ => return None,
    };
    Some(SentRight { kind, ownership })
}

/// The right a receiver owns for a received port of type `ty`, if it carries one.
pub fn received_right(ty: &Type) -> Option<RightKind> {
    if ty.out_name == msgt::POLYMORPHIC {
        return Some(RightKind::Any);
    }
    Some(match msgt::received_as(ty.out_name) {
        msgt::MOVE_SEND => RightKind::Send,
        msgt::MOVE_SEND_ONCE => RightKind::SendOnce,
        msgt::MOVE_RECEIVE => RightKind::Receive,
        _ => return None,
    })
}

/// Where an argument's count comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountSource {
    /// It is not an array: no count.
    None,
    /// A fixed array of this many elements: the type says.
    Fixed(u64),
    /// Its own count field.
    Own,
    /// `SameCount`: the count of the argument at this index.
    Same(usize),
    /// `CountInOut`: the caller's room travels in the request, the count in the reply.
    InOut,
    /// A varying C string: its length up to the NUL.
    StringLength,
}

/// The trailer field a server-side argument reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrailerRole {
    /// The request's sequence number (`MsgSeqno`).
    Seqno,
    /// The sender's security token.
    SecToken,
    /// The sender's audit token.
    AuditToken,
    /// The receive right's context.
    Context,
}

/// One argument's binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgBinding {
    /// Its shape, for data arguments.
    pub shape: Option<Shape>,
    /// The right a sender passes, for port data.
    pub sent: Option<SentRight>,
    /// The right a receiver owns, for port data.
    pub received: Option<RightKind>,
    /// Where its count comes from.
    pub count: CountSource,
    /// The trailer field it reads, for trailer arguments.
    pub trailer: Option<TrailerRole>,
}

/// What a field of an `In`/`Out` struct holds for its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRole {
    /// The argument's value (a port, a value, a slice, an array of slices).
    Value,
    /// How many elements are valid (`<name>Cnt`).
    Count,
    /// `CountInOut`: how many elements the caller can take.
    Room,
    /// The disposition a polymorphic argument travels with (`<name>Poly`).
    Poly,
    /// Whether sending also deallocates (`Dealloc[]`).
    Dealloc,
}

/// The C type of an `In`/`Out` field, in neither language: each writer names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CType {
    /// `bool`.
    Bool,
    /// A 32-bit unsigned integer (counts, dispositions, timeouts, sequence numbers).
    U32,
    /// A 32-bit signed integer (`mach_msg` options).
    I32,
    /// A 64-bit unsigned integer (a receive right's context).
    U64,
    /// A port name.
    Port,
    /// A security token: two 32-bit words.
    SecToken,
    /// An audit token: eight 32-bit words.
    AuditToken,
    /// A byte.
    Byte,
    /// A fixed value of the argument's type.
    Value,
    /// One counted element of the argument's array type.
    Element,
    /// `n` of a type.
    Array(Box<CType>, u64),
    /// A borrowed slice of in-line elements: pointer and length.
    Slice(Box<CType>),
    /// An out-of-line region of elements: laid out as a slice.
    OolSlice(Box<CType>),
}

impl CType {
    /// The C size and alignment (LP64) of this type for an argument of type `ty`.
    pub fn size_align(&self, ty: &Type) -> (u64, u64) {
        match self {
            CType::Bool | CType::Byte => (1, 1),
            CType::U32 | CType::I32 | CType::Port => (4, 4),
            CType::U64 => (8, 8),
            CType::SecToken => (8, 4),
            CType::AuditToken => (32, 4),
            CType::Value => value_size_align(ty),
            CType::Element => element_size_align(ty),
            CType::Array(el, n) => {
                let (size, align) = el.size_align(ty);
                (size * n, align)
            }
            CType::Slice(_) | CType::OolSlice(_) => (16, 8),
        }
    }

    /// Whether the type borrows the caller's memory (a slice).
    pub fn borrows(&self) -> bool {
        match self {
            CType::Slice(_) | CType::OolSlice(_) => true,
            CType::Array(el, _) => el.borrows(),
            _ => false,
        }
    }
}

/// Size and alignment of a scalar of `bits`: a byte array when it is not a C integer.
fn scalar_size_align(bits: u32) -> (u64, u64) {
    match bits {
        8 | 16 | 32 | 64 => (u64::from(bits / 8), u64::from(bits / 8)),
        b => (u64::from(b.div_ceil(8).max(1)), 1),
    }
}

/// Size and alignment of a fixed value of `ty` in line.
pub fn value_size_align(ty: &Type) -> (u64, u64) {
    if ty.is_port() && ty.element.is_none() {
        return (4, 4);
    }
    match &ty.element {
        None => scalar_size_align(ty.element_bits),
        Some(_) if ty.element_bits == 1 => (ty.inline_bytes(), 1),
        Some(el) => {
            let (size, align) = value_size_align(el);
            (size * ty.element_count_max(), align)
        }
    }
}

/// Size and alignment of one counted element of an array type.
pub fn element_size_align(ty: &Type) -> (u64, u64) {
    if let (Some(_), Some(el)) = (ty.ool_elements, &ty.element) {
        return element_size_align(el);
    }
    if ty.is_port() {
        return (4, 4);
    }
    match &ty.element {
        Some(el) => value_size_align(el),
        None => scalar_size_align(ty.element_bits),
    }
}

/// One field of an `In`/`Out` struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CField {
    /// Its name before a language sanitizes it: the argument's name, or it with `_cnt`,
    /// `_poly` or `_dealloc`.
    pub name: String,
    /// The argument it belongs to (an index in `Routine::args`).
    pub arg: usize,
    /// What it holds.
    pub role: FieldRole,
    /// Its type.
    pub ty: CType,
    /// Its size in bytes.
    pub size: u64,
    /// Its alignment.
    pub align: u64,
    /// Its offset in the struct.
    pub offset: u64,
    /// What it is, for the field's doc comment.
    pub doc: Option<String>,
    /// Its value when the caller does not set it, where that is not zero: the declared
    /// disposition of a polymorphic argument, or the room of a `CountInOut` one.
    pub default: Option<u64>,
}

/// An `In` or `Out` struct: its fields in order and its C size (LP64).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CStruct {
    /// The fields, with their offsets.
    pub fields: Vec<CField>,
    /// The size, padded to the alignment.
    pub size: u64,
}

/// A routine's binding: its arguments' and its `In`/`Out` structs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// One per argument of the routine, in order.
    pub args: Vec<ArgBinding>,
    /// What the request carries from the caller (and the server's trailer fields).
    pub input: CStruct,
    /// What the reply carries back.
    pub output: CStruct,
}

impl Binding {
    /// The binding of routine `r`.
    pub fn of(r: &Routine) -> Binding {
        Binding {
            args: r.args.iter().map(arg_binding).collect(),
            input: lay_out(input_fields(r)),
            output: lay_out(output_fields(r)),
        }
    }
}

fn arg_binding(a: &Arg) -> ArgBinding {
    let data = is_data(a);
    let ty = &a.ty;
    let count = if a.count_in_out {
        CountSource::InOut
    } else {
        match a.count {
            Count::Same(t) => CountSource::Same(t),
            Count::Own => CountSource::Own,
            Count::StringLength => CountSource::StringLength,
            Count::None if ty.element.is_some() || !ty.inline => {
                CountSource::Fixed(ty.element_count_max())
            }
            Count::None => CountSource::None,
        }
    };
    let trailer = match a.kind {
        ArgKind::MsgSeqno => Some(TrailerRole::Seqno),
        ArgKind::SecToken | ArgKind::ServerSecToken => Some(TrailerRole::SecToken),
        ArgKind::AuditToken | ArgKind::ServerAuditToken => Some(TrailerRole::AuditToken),
        ArgKind::ServerContextToken => Some(TrailerRole::Context),
        _ => None,
    };
    let port = data && ty.is_port();
    ArgBinding {
        shape: data.then(|| shape(ty)),
        sent: port.then(|| sent_right(ty.in_name)).flatten(),
        received: port.then(|| received_right(ty)).flatten(),
        count,
        trailer,
    }
}

fn field(r: &Routine, arg: usize, role: FieldRole, ty: CType, doc: Option<String>) -> CField {
    let a = &r.args[arg];
    let name = match role {
        FieldRole::Value => a.name.clone(),
        FieldRole::Count | FieldRole::Room => format!("{}_cnt", a.name),
        FieldRole::Poly => format!("{}_poly", a.name),
        FieldRole::Dealloc => format!("{}_dealloc", a.name),
    };
    let (size, align) = ty.size_align(&a.ty);
    let default = match role {
        FieldRole::Poly => Some(u64::from(poly_default(a))),
        FieldRole::Room => Some(a.ty.element_count_max()),
        _ => None,
    };
    CField {
        name,
        arg,
        role,
        ty,
        size,
        align,
        offset: 0,
        doc,
        default,
    }
}

/// Which message an argument's fields are for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Reply,
}

/// The fields of data argument `i` in `In` (request side) or `Out` (reply side).
fn data_fields(r: &Routine, i: usize, side: Side, out: &mut Vec<CField>) {
    let a = &r.args[i];
    let ty = &a.ty;
    let same = matches!(a.count, Count::Same(_));
    let u32_field = |role, doc: Option<String>| field(r, i, role, CType::U32, doc);
    let poly = |out: &mut Vec<CField>| {
        if ty.is_polymorphic() {
            out.push(u32_field(
                FieldRole::Poly,
                Some(format!(
                    "The disposition `{}` travels with (MIG's `{}Poly`).",
                    a.name, a.name
                )),
            ));
        }
    };
    let dealloc = |out: &mut Vec<CField>| {
        if a.dealloc == Dealloc::Maybe {
            out.push(field(
                r,
                i,
                FieldRole::Dealloc,
                CType::Bool,
                Some(format!(
                    "Whether sending `{}` also deallocates it (MIG's `Dealloc[]`).",
                    a.name
                )),
            ));
        }
    };
    let value = |ty: CType, doc: Option<String>| field(r, i, FieldRole::Value, ty, doc);
    match shape(ty) {
        Shape::OolArray { n, var, ports, .. } => {
            let sent = if var {
                format!(" (the first `{}_cnt` are sent)", a.name)
            } else {
                String::new()
            };
            out.push(value(
                CType::Array(Box::new(CType::OolSlice(Box::new(CType::Element))), n),
                Some(format!(
                    "{n} {} sent out of line, one descriptor each{sent}.",
                    if ports { "port arrays" } else { "arrays" }
                )),
            ));
            if var {
                out.push(u32_field(
                    FieldRole::Count,
                    Some(format!(
                        "How many of `{}` are carried (at most {n}).",
                        a.name
                    )),
                ));
            }
            dealloc(out);
            if ports {
                poly(out);
            }
        }
        Shape::Port => {
            out.push(value(CType::Port, None));
            poly(out);
        }
        Shape::PortArray { n, var } => {
            out.push(value(CType::Array(Box::new(CType::Port), n), None));
            if var && !same {
                out.push(u32_field(FieldRole::Count, None));
            }
            poly(out);
        }
        Shape::OolPorts { .. } => {
            out.push(value(
                CType::OolSlice(Box::new(CType::Port)),
                Some("Sent out of line.".into()),
            ));
            dealloc(out);
            poly(out);
        }
        Shape::Ool { .. } => {
            out.push(value(
                CType::OolSlice(Box::new(CType::Element)),
                Some("Sent out of line.".into()),
            ));
            dealloc(out);
        }
        Shape::CStr { max, .. } => out.push(match side {
            Side::Request => value(
                CType::Slice(Box::new(CType::Byte)),
                Some(format!(
                    "A C string of at most {} bytes, without its NUL.",
                    max.saturating_sub(1)
                )),
            ),
            Side::Reply => value(
                CType::Array(Box::new(CType::Byte), max),
                Some("NUL-terminated.".into()),
            ),
        }),
        Shape::VarInline { max } => match side {
            Side::Request => out.push(value(
                CType::Slice(Box::new(CType::Element)),
                Some(format!("At most {max} elements.")),
            )),
            Side::Reply => {
                out.push(value(CType::Array(Box::new(CType::Element), max), None));
                if !same {
                    out.push(u32_field(
                        FieldRole::Count,
                        Some(format!("How many elements of `{}` are valid.", a.name)),
                    ));
                }
            }
        },
        Shape::Value => out.push(value(CType::Value, None)),
    }
}

fn input_fields(r: &Routine) -> Vec<CField> {
    let mut ins = Vec::new();
    let poly_only = |i: usize, ins: &mut Vec<CField>| {
        let a = &r.args[i];
        if a.ty.is_polymorphic() {
            ins.push(field(
                r,
                i,
                FieldRole::Poly,
                CType::U32,
                Some(format!("The disposition `{}` travels with.", a.name)),
            ));
        }
    };
    for (i, a) in r.args.iter().enumerate() {
        let own = |ty: CType, doc: &str| field(r, i, FieldRole::Value, ty, Some(doc.into()));
        match a.kind {
            ArgKind::RequestPort => {
                ins.push(own(
                    CType::Port,
                    "The server's port: where the request goes (the server sees its own name).",
                ));
                poly_only(i, &mut ins);
            }
            ArgKind::ReplyPort | ArgKind::UReplyPort | ArgKind::SReplyPort => {
                ins.push(own(CType::Port, "The reply port."));
                poly_only(i, &mut ins);
            }
            ArgKind::WaitTime | ArgKind::SendTime => {
                ins.push(own(CType::U32, "Client only: timeout in milliseconds."))
            }
            ArgKind::MsgOption => {
                ins.push(own(CType::I32, "Client only: extra `mach_msg` options."))
            }
            ArgKind::MsgSeqno => ins.push(own(
                CType::U32,
                "Server only: the request's sequence number, from its trailer.",
            )),
            ArgKind::SecToken | ArgKind::ServerSecToken => ins.push(own(
                CType::SecToken,
                "Server only: the sender's security token, from the trailer.",
            )),
            ArgKind::AuditToken | ArgKind::ServerAuditToken => ins.push(own(
                CType::AuditToken,
                "Server only: the sender's audit token, from the trailer.",
            )),
            ArgKind::ServerContextToken => ins.push(own(
                CType::U64,
                "Server only: the receive right's context, from the trailer.",
            )),
            ArgKind::In | ArgKind::InOut => data_fields(r, i, Side::Request, &mut ins),
            ArgKind::Out if a.count_in_out => ins.push(field(
                r,
                i,
                FieldRole::Room,
                CType::U32,
                Some(format!(
                    "How many elements of `{}` the caller can take (MIG's CountInOut).",
                    a.name
                )),
            )),
            ArgKind::Out
            | ArgKind::UserSecToken
            | ArgKind::UserAuditToken
            | ArgKind::UserImpl
            | ArgKind::ServerImpl => {}
        }
    }
    ins
}

fn output_fields(r: &Routine) -> Vec<CField> {
    let mut outs = Vec::new();
    for (i, a) in r.args.iter().enumerate() {
        if is_data(a) && a.in_reply {
            data_fields(r, i, Side::Reply, &mut outs);
        }
    }
    outs
}

/// Places `fields` as C does (LP64): each at the next multiple of its alignment, the
/// size padded to the largest alignment.
fn lay_out(mut fields: Vec<CField>) -> CStruct {
    let mut off = 0u64;
    let mut align = 1u64;
    for f in &mut fields {
        off = off.next_multiple_of(f.align);
        f.offset = off;
        off += f.size;
        align = align.max(f.align);
    }
    CStruct {
        fields,
        size: off.next_multiple_of(align),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migz_defs::ir::Subsystem;

    const DEFS: &str = r#"
subsystem t 100;
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type int64_t = MACH_MSG_TYPE_INTEGER_64;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
type mach_port_move_send_t = MACH_MSG_TYPE_MOVE_SEND;
type mach_port_make_send_once_t = MACH_MSG_TYPE_MAKE_SEND_ONCE;
type mach_port_move_receive_t = MACH_MSG_TYPE_MOVE_RECEIVE;
type mach_port_poly_t = polymorphic;
type ints_t = array[*:8] of int32_t;
type quad_t = array[4] of int32_t;
type buf_t = ^array[] of int32_t;
type bufs_t = array[*:3] of buf_t;
type ports_t = array[*:2] of mach_port_move_send_t;
type ool_ports_t = ^array[] of mach_port_t;
type name_t = c_string[*:16];
routine values(server : mach_port_t; q : quad_t; wide : int64_t; out sum : int32_t);
routine arrays(server : mach_port_t; xs : ints_t; ys : ints_t, SameCount; out zs : ints_t,
    CountInOut; out ws : ints_t);
routine ports(server : mach_port_t; give : mach_port_move_send_t; lend : mach_port_t;
    once : mach_port_make_send_once_t; poly : mach_port_poly_t; list : ports_t;
    out back : mach_port_move_receive_t; out many : ool_ports_t);
routine ool(server : mach_port_t; data : buf_t, Dealloc[]; bufs : bufs_t; name : name_t;
    out got : buf_t);
type audit_token_t = struct[8] of int32_t;
routine trailer(server : mach_port_t; msgseqno seqno : int32_t;
    serveraudittoken audit : audit_token_t; waittime timeout : int32_t);
"#;

    fn subsystem() -> Subsystem {
        crate::test_subsystem(DEFS)
    }

    fn routine<'a>(sub: &'a Subsystem, name: &str) -> (&'a Routine, Binding) {
        let r = sub.routines.iter().find(|r| r.name == name).unwrap();
        (r, Binding::of(r))
    }

    /// Name, offset and size of every field of a struct.
    fn layout(s: &CStruct) -> Vec<(&str, u64, u64)> {
        s.fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.size))
            .collect()
    }

    #[test]
    fn values_are_laid_out_as_c() {
        let sub = subsystem();
        let (_, b) = routine(&sub, "values");
        assert_eq!(
            layout(&b.input),
            [("server", 0, 4), ("q", 4, 16), ("wide", 24, 8)]
        );
        assert_eq!(b.input.size, 32);
        assert_eq!(layout(&b.output), [("sum", 0, 4)]);
        assert_eq!(b.args[1].shape, Some(Shape::Value));
        assert_eq!(b.args[1].count, CountSource::Fixed(4));
        assert_eq!(b.args[2].count, CountSource::None);
    }

    #[test]
    fn counts_name_their_source_by_index() {
        let sub = subsystem();
        let (_, b) = routine(&sub, "arrays");
        let counts: Vec<CountSource> = b.args.iter().map(|a| a.count).collect();
        assert_eq!(
            counts,
            [
                CountSource::None,
                CountSource::Own,
                CountSource::Same(1),
                CountSource::InOut,
                CountSource::Own,
            ]
        );
        // Slices in the request; the SameCount one has no count of its own; the caller's
        // room for a CountInOut result travels in `In` with the bound as its default.
        let input: Vec<(&str, FieldRole, Option<u64>)> = b
            .input
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.role, f.default))
            .collect();
        assert_eq!(
            input,
            [
                ("server", FieldRole::Value, None),
                ("xs", FieldRole::Value, None),
                ("ys", FieldRole::Value, None),
                ("zs_cnt", FieldRole::Room, Some(8)),
            ]
        );
        assert_eq!(b.input.fields[1].ty, CType::Slice(Box::new(CType::Element)));
        assert_eq!(
            layout(&b.output),
            [
                ("zs", 0, 32),
                ("zs_cnt", 32, 4),
                ("ws", 36, 32),
                ("ws_cnt", 68, 4)
            ]
        );
    }

    #[test]
    fn rights_say_who_holds_them() {
        let sub = subsystem();
        let (_, b) = routine(&sub, "ports");
        let sent: Vec<Option<SentRight>> = b.args.iter().map(|a| a.sent).collect();
        let right = |kind, ownership| Some(SentRight { kind, ownership });
        assert_eq!(
            sent,
            [
                None,
                right(RightKind::Send, Ownership::Moved),
                right(RightKind::Send, Ownership::Lent),
                right(RightKind::Receive, Ownership::Lent),
                right(RightKind::Any, Ownership::Moved),
                right(RightKind::Send, Ownership::Moved),
                right(RightKind::Receive, Ownership::Moved),
                right(RightKind::Send, Ownership::Lent),
            ]
        );
        assert_eq!(b.args[6].received, Some(RightKind::Receive));
        assert_eq!(b.args[7].received, Some(RightKind::Send));
        assert_eq!(b.args[4].received, Some(RightKind::Any));
        assert_eq!(b.args[5].shape, Some(Shape::PortArray { n: 2, var: true }));
        assert_eq!(b.args[7].shape, Some(Shape::OolPorts { var: true, n: 0 }));
        // A polymorphic right's disposition travels in `<name>_poly`, copy-send unless
        // the caller says otherwise.
        let poly = b
            .input
            .fields
            .iter()
            .find(|f| f.name == "poly_poly")
            .unwrap();
        assert_eq!(
            (poly.role, poly.arg, poly.default),
            (FieldRole::Poly, 4, Some(19))
        );
    }

    #[test]
    fn out_of_line_regions_are_slices_with_their_options() {
        let sub = subsystem();
        let (_, b) = routine(&sub, "ool");
        assert_eq!(
            b.args[2].shape,
            Some(Shape::OolArray {
                n: 3,
                var: true,
                ports: false,
                el_var: true,
                el_n: 0
            })
        );
        assert_eq!(
            b.args[3].shape,
            Some(Shape::CStr {
                max: 16,
                varying: true
            })
        );
        assert_eq!(b.args[3].count, CountSource::StringLength);
        assert_eq!(
            layout(&b.input),
            [
                ("server", 0, 4),
                ("data", 8, 16),
                ("data_dealloc", 24, 1),
                ("bufs", 32, 48),
                ("bufs_cnt", 80, 4),
                ("name", 88, 16),
            ]
        );
        let bufs = &b.input.fields[3];
        assert_eq!(
            bufs.ty,
            CType::Array(Box::new(CType::OolSlice(Box::new(CType::Element))), 3)
        );
        assert!(bufs.ty.borrows());
        assert_eq!(layout(&b.output), [("got", 0, 16)]);
    }

    #[test]
    fn trailer_and_client_arguments_have_their_roles() {
        let sub = subsystem();
        let (_, b) = routine(&sub, "trailer");
        let roles: Vec<Option<TrailerRole>> = b.args.iter().map(|a| a.trailer).collect();
        assert_eq!(
            roles,
            [
                None,
                Some(TrailerRole::Seqno),
                Some(TrailerRole::AuditToken),
                None
            ]
        );
        assert_eq!(
            layout(&b.input),
            [
                ("server", 0, 4),
                ("seqno", 4, 4),
                ("audit", 8, 32),
                ("timeout", 40, 4)
            ]
        );
        assert!(b.output.fields.is_empty());
        assert_eq!(b.output.size, 0);
    }
}
