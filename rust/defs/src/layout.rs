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
            // An in-line array of no ports: migcom declares one descriptor (it writes `[n]`
            // only for more than one) and counts none (its itKPD_Number is 0). `migz gen`
            // refuses such an argument.
            let no_ports = ty.element_count_max() == 0;
            if ty.inline && ty.is_multiple_kpd() && !no_ports {
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
                descriptor_count += u32::from(!no_ports);
            } else if let Some(n) = ty.ool_elements.filter(|n| *n > 1) {
                // migcom's multiple KPD over out-of-line elements: one descriptor each,
                // all of them sent whatever the count.
                let n32 =
                    u32::try_from(n).map_err(|_| format!("`{}` has too many elements", a.name))?;
                let (kind, c_type) = if ty.is_port() {
                    ("mach_msg_ool_ports_descriptor_t", true)
                } else {
                    ("mach_msg_ool_descriptor_t", false)
                };
                push(
                    &mut fields,
                    a.name.clone(),
                    OOL_DESCRIPTOR_SIZE as u64 * n,
                    FieldKind::OolDescriptorArray {
                        arg: i,
                        count: n32,
                        ports: c_type,
                    },
                    format!("{kind}[{n}]"),
                );
                descriptor_count += n32;
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
            (carried_here(a) && (!a.ty.is_port() || has_count_field(a) || a.ty.has_sub_counts()))
                || count_in_out_here(a)
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
            if ty.has_sub_counts() {
                // migcom's rtAddCountArg for a multiple KPD of variable elements: a count
                // per element (`Subs`), itself a variable array with its own count when
                // the outer array is variable; no `Cnt` for the outer array.
                let n = ty.ool_elements.unwrap_or(0);
                let n32 = u32::try_from(n).map_err(|_| "too many elements".to_string())?;
                if ty.var_array {
                    push(
                        &mut fields,
                        format!("{}SubsCnt", a.name),
                        4,
                        FieldKind::Count { arg: i },
                        "mach_msg_type_number_t".into(),
                    );
                    push(
                        &mut fields,
                        format!("{}Subs", a.name),
                        4 * n,
                        FieldKind::VarData {
                            arg: i,
                            element_size: 4,
                            max_count: n32,
                        },
                        format!("mach_msg_type_number_t[{n}]"),
                    );
                    var_bytes += 4 * n;
                } else {
                    push(
                        &mut fields,
                        format!("{}Subs", a.name),
                        4 * n,
                        FieldKind::SubCounts { arg: i, count: n32 },
                        format!("mach_msg_type_number_t[{n}]"),
                    );
                }
            } else if ty.is_kpd() {
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
    // Apple's mig declares any size its 32-bit arithmetic holds; sending more than
    // Mach's limit fails at run time, which `migz gen` refuses up front.
    if offset > u64::from(u32::MAX) {
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

#[cfg(test)]
mod tests {
    use crate::ir::{FieldKind, Layout, Routine};

    fn routines(text: &str) -> Vec<Routine> {
        let out = crate::run_text(
            std::path::Path::new("t.defs"),
            text.to_string(),
            &Default::default(),
        );
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        out.subsystems.into_iter().next().unwrap().routines
    }

    fn names(l: &Layout) -> Vec<(&str, u32, u32)> {
        l.fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.size))
            .collect()
    }

    const PRELUDE: &str = "subsystem t 100;\n\
        type int32_t = MACH_MSG_TYPE_INTEGER_32;\n\
        type int16_t = MACH_MSG_TYPE_INTEGER_16;\n\
        type char = MACH_MSG_TYPE_CHAR;\n\
        type mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n";

    #[test]
    fn variable_array_count_comes_first_and_later_fields_move_up() {
        let r = &routines(&format!(
            "{PRELUDE}routine sum_array(server_port : mach_port_t; in data : array[*:1024] of int32_t; \
             in after : int32_t; out total : int32_t);"
        ))[0];
        assert_eq!(r.id, 100);
        assert_eq!(
            names(&r.request),
            [
                ("Head", 0, 24),
                ("NDR", 24, 8),
                ("dataCnt", 32, 4),
                ("data", 36, 4096),
                ("after", 4132, 4)
            ]
        );
        assert_eq!(r.request.size, 4136);
        assert_eq!(r.request.min_size, 40);
        let (offsets, size) = r.request.wire_offsets(&[3]).unwrap();
        assert_eq!(offsets[4], 36 + 12);
        assert_eq!(size, 52);
        assert!(r.request.wire_offsets(&[1025]).is_none());
        let reply = r.reply.as_ref().unwrap();
        assert_eq!(
            names(reply),
            [
                ("Head", 0, 24),
                ("NDR", 24, 8),
                ("RetCode", 32, 4),
                ("total", 36, 4)
            ]
        );
    }

    #[test]
    fn odd_sizes_get_pad_fields_and_wire_rounding() {
        let r = &routines(&format!(
            "{PRELUDE}simpleroutine s(p : mach_port_t; a : int16_t; b : array[*:5] of char; c : int32_t);"
        ))[0];
        assert_eq!(
            names(&r.request),
            [
                ("Head", 0, 24),
                ("NDR", 24, 8),
                ("a", 32, 2),
                ("aPad", 34, 2),
                ("bCnt", 36, 4),
                ("b", 40, 5),
                ("bPad", 45, 3),
                ("c", 48, 4)
            ]
        );
        assert!(r.reply.is_none());
        // Two chars take 4 bytes on the wire; the pad is part of that rounding.
        let (offsets, size) = r.request.wire_offsets(&[2]).unwrap();
        assert_eq!(offsets[7], 44);
        assert_eq!(size, 48);
    }

    #[test]
    fn ports_and_out_of_line_make_a_complex_message() {
        let r = &routines(&format!(
            "{PRELUDE}type ool_t = ^array[] of int32_t;\ntype ports_t = array[] of mach_port_t;\n\
             type poly_t = polymorphic;\n\
             routine r(p : mach_port_t; in port : mach_port_t; in poly : poly_t; in ool : ool_t, Dealloc[]; \
             out ports : ports_t; out n : int32_t);"
        ))[0];
        assert!(r.request.complex);
        assert_eq!(r.request.descriptor_count, 3);
        assert_eq!(
            names(&r.request),
            [
                ("Head", 0, 24),
                ("msgh_body", 24, 4),
                ("port", 28, 12),
                ("poly", 40, 12),
                ("ool", 52, 16),
                ("NDR", 68, 8),
                ("oolCnt", 76, 4)
            ]
        );
        assert!(r.args[2].poly);
        let reply = r.reply.as_ref().unwrap();
        assert!(reply.complex);
        assert!(matches!(
            reply.fields[2].kind,
            FieldKind::OolPortsDescriptor { .. }
        ));
        assert_eq!(
            names(reply),
            [
                ("Head", 0, 24),
                ("msgh_body", 24, 4),
                ("ports", 28, 16),
                ("NDR", 44, 8),
                ("portsCnt", 52, 4),
                ("n", 56, 4)
            ]
        );
    }

    #[test]
    fn varying_c_string_has_offset_and_count() {
        let r = &routines(&format!(
            "{PRELUDE}routine r(p : mach_port_t; out s : c_string[*:10]);"
        ))[0];
        let reply = r.reply.as_ref().unwrap();
        assert_eq!(
            names(reply),
            [
                ("Head", 0, 24),
                ("NDR", 24, 8),
                ("RetCode", 32, 4),
                ("sOffset", 36, 4),
                ("sCnt", 40, 4),
                ("s", 44, 10),
                ("sPad", 54, 2)
            ]
        );
    }

    #[test]
    fn arrays_of_out_of_line_elements_are_a_descriptor_each_with_sub_counts() {
        let r = &routines(&format!(
            "{PRELUDE}type buf_t = array[] of int32_t;\n\
             type bufs_t = array[2] of buf_t;\n\
             type vbufs_t = array[*:3] of buf_t;\n\
             type fixed_t = ^array[4] of int32_t;\n\
             type vfixeds_t = array[*:2] of fixed_t;\n\
             type one_t = array[1] of buf_t;\n\
             routine r(p : mach_port_t; in a : bufs_t; in b : vbufs_t; in d : vfixeds_t; \
             in e : one_t; in h : int32_t);"
        ))[0];
        assert_eq!(r.request.descriptor_count, 2 + 3 + 2 + 1);
        assert_eq!(
            names(&r.request),
            [
                ("Head", 0, 24),
                ("msgh_body", 24, 4),
                ("a", 28, 32),
                ("b", 60, 48),
                ("d", 108, 32),
                ("e", 140, 16),
                ("NDR", 156, 8),
                ("aSubs", 164, 8),
                ("bSubsCnt", 172, 4),
                ("bSubs", 176, 12),
                ("dCnt", 188, 4),
                ("h", 192, 4)
            ]
        );
        // The variable `bSubs` moves `dCnt` and `h` up on the wire.
        assert_eq!(r.request.min_size, 196 - 12);
        let text = format!(
            "{PRELUDE}type buf_t = array[] of int32_t;\ntype many_t = array[] of buf_t;\n\
             type twice_t = ^buf_t;\n"
        );
        let out = crate::run_text(std::path::Path::new("t.defs"), text, &Default::default());
        let codes: Vec<&str> = out.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["type-too-complex"]);
    }

    #[test]
    fn a_second_subsystem_renames_the_one_subsystem_and_numbering_goes_on() {
        let text = "type int32_t = MACH_MSG_TYPE_INTEGER_32;\n\
            type port = MACH_MSG_TYPE_COPY_SEND;\n\
            routine early(server : port; x : int32_t);\n\
            subsystem first 100;\n\
            routine a(server : port; x : int32_t);\n\
            skip;\n\
            subsystem KernelServer second 200;\n\
            routine b(server : port; x : int32_t);\n";
        let out = crate::run_text(
            std::path::Path::new("t.defs"),
            text.to_string(),
            &Default::default(),
        );
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        assert_eq!(out.subsystems.len(), 1);
        let sub = &out.subsystems[0];
        assert_eq!(
            (sub.name.as_str(), sub.base, sub.kernel_server),
            ("second", 200, true)
        );
        let ids: Vec<(&str, u32)> = sub
            .routines
            .iter()
            .map(|r| (r.name.as_str(), r.id))
            .collect();
        assert_eq!(ids, [("early", 200), ("a", 201), ("b", 203)]);
        assert_eq!(sub.id_count, 4);
    }

    #[test]
    fn skip_consumes_an_id_and_count_in_out_travels_in_the_request() {
        let rs = routines(&format!(
            "{PRELUDE}skip;\nroutine r(p : mach_port_t; out info : array[*:8] of int32_t, CountInOut);"
        ));
        assert_eq!(rs[0].id, 101);
        assert_eq!(rs[0].reply_id(), 201);
        assert_eq!(
            names(&rs[0].request),
            [("Head", 0, 24), ("NDR", 24, 8), ("infoCnt", 32, 4)]
        );
    }
}
