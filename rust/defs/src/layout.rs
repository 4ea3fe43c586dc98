//! Message layouts, byte for byte as Apple's MIG lays them out on LP64 (`#pragma pack(4)`):
//! the header; for complex messages `msgh_body` and one descriptor per port or out-of-line
//! argument; `NDR` when plain data follows; `RetCode` only in simple replies; then the
//! in-line data in declaration order, with a variable array's count before it and
//! `Offset`/`Cnt` before a varying C string, each item padded to 4 bytes.

use crate::ir::{Arg, ArgKind, Count, Field, FieldKind, Layout};

/// `sizeof(mach_msg_header_t)`.
pub const HEADER_SIZE: u32 = 24;
/// `sizeof(mach_msg_body_t)`.
pub const BODY_SIZE: u32 = 4;
/// `sizeof(mach_msg_port_descriptor_t)`.
pub const PORT_DESCRIPTOR_SIZE: u32 = 12;
/// `sizeof(mach_msg_ool_descriptor_t)` on LP64 (also the OOL-ports descriptor).
pub const OOL_DESCRIPTOR_SIZE: u32 = 16;
/// `sizeof(NDR_record_t)`.
pub const NDR_SIZE: u32 = 8;
/// `sizeof(mig_reply_error_t)`: header, NDR and RetCode.
pub const REPLY_ERROR_SIZE: u32 = 36;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Reply,
}

/// Whether an argument travels in the message's header rather than its body.
fn in_header(arg: &Arg) -> bool {
    matches!(
        arg.kind,
        ArgKind::RequestPort | ArgKind::ReplyPort | ArgKind::SReplyPort | ArgKind::UReplyPort
    )
}

/// Whether an argument has data (descriptor or body) in this message.
fn carried(arg: &Arg, side: Side, complex_request: bool) -> bool {
    if in_header(arg) {
        return false;
    }
    match side {
        // A RetCode-flagged argument of a simpleroutine leaves a complex request.
        Side::Request => arg.in_request && !(arg.ret_code && complex_request),
        Side::Reply => arg.in_reply,
    }
}

/// Computes the request layout and, for routines, the reply layout.
pub fn compute(args: &[Arg], one_way: bool) -> Result<(Layout, Option<Layout>), String> {
    let request = message(args, Side::Request)?;
    let reply = if one_way {
        None
    } else {
        Some(message(args, Side::Reply)?)
    };
    Ok((request, reply))
}

fn message(args: &[Arg], side: Side) -> Result<Layout, String> {
    if let Some(a) = args
        .iter()
        .find(|a| a.ty.native && (a.in_request || a.in_reply))
    {
        return Err(format!(
            "argument `{}` has a native type (PointerTo/ValueOf), which has no fixed wire layout",
            a.name
        ));
    }
    let complex = args
        .iter()
        .any(|a| carried(a, side, false) && a.ty.is_kpd());
    let carried_here = |a: &Arg| carried(a, side, complex);
    let mut fields = Vec::new();
    let mut offset = 0u64;
    let mut push =
        |fields: &mut Vec<Field>, name: String, size: u64, kind: FieldKind, c_type: String| {
            fields.push(Field {
                name,
                offset: offset as u32,
                size: size as u32,
                kind,
                c_type,
            });
            offset += size;
        };
    push(
        &mut fields,
        "Head".into(),
        HEADER_SIZE as u64,
        FieldKind::Header,
        "mach_msg_header_t".into(),
    );
    let mut descriptor_count = 0u32;
    if complex {
        push(
            &mut fields,
            "msgh_body".into(),
            BODY_SIZE as u64,
            FieldKind::Body,
            "mach_msg_body_t".into(),
        );
        for (i, a) in args.iter().enumerate() {
            if !carried_here(a) || !a.ty.is_kpd() {
                continue;
            }
            let ty = &a.ty;
            if ty.inline && ty.is_multiple_kpd() {
                let n = ty.element_count_max();
                let n32 =
                    u32::try_from(n).map_err(|_| format!("`{}` has too many ports", a.name))?;
                push(
                    &mut fields,
                    a.name.clone(),
                    PORT_DESCRIPTOR_SIZE as u64 * n,
                    FieldKind::PortDescriptorArray { arg: i, count: n32 },
                    format!("mach_msg_port_descriptor_t[{n}]"),
                );
                descriptor_count += n32;
            } else if ty.inline {
                push(
                    &mut fields,
                    a.name.clone(),
                    PORT_DESCRIPTOR_SIZE as u64,
                    FieldKind::PortDescriptor { arg: i },
                    "mach_msg_port_descriptor_t".into(),
                );
                descriptor_count += 1;
            } else if ty.is_port() {
                push(
                    &mut fields,
                    a.name.clone(),
                    OOL_DESCRIPTOR_SIZE as u64,
                    FieldKind::OolPortsDescriptor { arg: i },
                    "mach_msg_ool_ports_descriptor_t".into(),
                );
                descriptor_count += 1;
            } else {
                push(
                    &mut fields,
                    a.name.clone(),
                    OOL_DESCRIPTOR_SIZE as u64,
                    FieldKind::OolDescriptor { arg: i },
                    "mach_msg_ool_descriptor_t".into(),
                );
                descriptor_count += 1;
            }
        }
    }
    let count_in_out_here =
        |a: &Arg| side == Side::Request && a.count_in_out && a.in_reply && !a.in_request;
    let has_count_field = |a: &Arg| matches!(a.count, Count::Own | Count::StringLength);
    // migcom puts the NDR label in whenever untyped data follows: any non-port argument
    // (out-of-line data counts) or any count.
    let ndr = side == Side::Reply && !complex
        || args.iter().any(|a| {
            (carried_here(a) && (!a.ty.is_port() || has_count_field(a))) || count_in_out_here(a)
        });
    if ndr {
        push(
            &mut fields,
            "NDR".into(),
            NDR_SIZE as u64,
            FieldKind::Ndr,
            "NDR_record_t".into(),
        );
    }
    if side == Side::Reply && !complex {
        push(
            &mut fields,
            "RetCode".into(),
            4,
            FieldKind::RetCode,
            "kern_return_t".into(),
        );
    }
    let mut var_bytes = 0u64;
    for (i, a) in args.iter().enumerate() {
        if carried_here(a) {
            let ty = &a.ty;
            if ty.is_kpd() {
                if has_count_field(a) {
                    push(
                        &mut fields,
                        format!("{}Cnt", a.name),
                        4,
                        FieldKind::Count { arg: i },
                        "mach_msg_type_number_t".into(),
                    );
                }
            } else if ty.var_array {
                if ty.is_string {
                    push(
                        &mut fields,
                        format!("{}Offset", a.name),
                        4,
                        FieldKind::StringOffset { arg: i },
                        "mach_msg_type_number_t".into(),
                    );
                }
                if has_count_field(a) {
                    push(
                        &mut fields,
                        format!("{}Cnt", a.name),
                        4,
                        FieldKind::Count { arg: i },
                        "mach_msg_type_number_t".into(),
                    );
                }
                let bytes = ty.inline_bytes();
                let element_size = ty.element_bytes();
                let max_count = ty.element_count_max();
                let el_type = ty
                    .element
                    .as_ref()
                    .map_or(ty.user_type.clone(), |e| e.user_type.clone());
                push(
                    &mut fields,
                    a.name.clone(),
                    bytes,
                    FieldKind::VarData {
                        arg: i,
                        element_size: u32::try_from(element_size)
                            .map_err(|_| "element too large".to_string())?,
                        max_count: u32::try_from(max_count)
                            .map_err(|_| "array too large".to_string())?,
                    },
                    format!("{el_type}[{max_count}]"),
                );
                let pad = bytes.next_multiple_of(4) - bytes;
                var_bytes += bytes + pad;
                if pad > 0 {
                    push(
                        &mut fields,
                        format!("{}Pad", a.name),
                        pad,
                        FieldKind::Pad { arg: i },
                        format!("char[{pad}]"),
                    );
                }
            } else {
                let bytes = ty.inline_bytes();
                push(
                    &mut fields,
                    a.name.clone(),
                    bytes,
                    FieldKind::Data { arg: i },
                    ty.user_type.clone(),
                );
                let pad = bytes.next_multiple_of(4) - bytes;
                if pad > 0 {
                    push(
                        &mut fields,
                        format!("{}Pad", a.name),
                        pad,
                        FieldKind::Pad { arg: i },
                        format!("char[{pad}]"),
                    );
                }
            }
        }
        if count_in_out_here(a) {
            push(
                &mut fields,
                format!("{}Cnt", a.name),
                4,
                FieldKind::Count { arg: i },
                "mach_msg_type_number_t".into(),
            );
        }
    }
    if offset > crate::sema::MESSAGE_SIZE_MAX {
        return Err(format!("the message would take {offset} bytes"));
    }
    Ok(Layout {
        complex,
        descriptor_count,
        size: offset as u32,
        min_size: (offset - var_bytes) as u32,
        fields,
    })
}
