//! The idiomatic Zig API of a generated file: the namespace `<subsystem>.api`, written
//! beside the C-ABI-shaped functions (`In`/`Out` structs, `kern_return_t`), which stay as
//! they are because Rust calls their exports and the idiomatic functions call them.
//!
//! Per routine, `api.<routine>` takes the `.defs` arguments positionally, typed rights
//! (`migz.SendRight`, `migz.SendOnceRight`, `migz.ReceiveRight`, `migz.PolyRight`),
//! enums where an argument takes a right kind or a disposition (`migz.PortRight`,
//! `migz.Disposition`), and slices for arrays; it returns its results (one directly,
//! several as `<Routine>Result`) or a `migz.Error`, whose exact code `migz.lastCode()`
//! keeps. It calls the routine's existing client function, so Apple's reply port
//! handling, timeouts and reply checks stay in one place. `api.Server(Impl)` adapts an
//! implementation with the same typed methods onto the existing `Server`.
//!
//! The idiomatic functions live in `api` rather than taking the top-level names, so the
//! existing functions and their C-ABI exports keep their names; `const mach_port =
//! @import("mach_port").api;` gives a user the natural names. An argument shape this
//! writer cannot express yet (arrays of rights, arrays of out-of-line elements, explicit
//! reply ports, `Dealloc` arrays, `InOut` arguments) leaves the routine out of `api`, with
//! a comment saying why; its server method then keeps the raw `(in, out)` signature.

use crate::binding::{Ownership, RightKind, Shape, shape};
use crate::names::{camel, is_identifier, pascal, zig_ident};
use crate::zig::{leaf_bits, signature};
use migz_defs::ir::{Arg, ArgKind, ConsumeOnSendError, Count, Dealloc, Routine, Subsystem, Type};
use migz_defs::ir::{RoutineKind, msgt};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The file-level name under which `api` reaches the existing functions.
pub(crate) const WIRE: &str = "wire";

/// How a right is passed to or returned from a call.
struct RightType {
    /// The Zig type.
    ty: &'static str,
    /// Whether the message takes it away from its holder.
    moved: bool,
}

/// The Zig type of a right a caller holds.
fn right_type(kind: RightKind) -> &'static str {
    match kind {
        RightKind::Send => "migz.SendRight",
        RightKind::SendOnce => "migz.SendOnceRight",
        RightKind::Receive => "migz.ReceiveRight",
        RightKind::Any => "migz.PolyRight",
    }
}

/// The typed right that sends one right with disposition `d` (the binding's, as the Rust
/// writer types it): moved rights are owned values the call takes, copied and made rights
/// are lent.
fn send_right(d: u32) -> Option<RightType> {
    let sent = crate::binding::sent_right(d)?;
    Some(RightType {
        ty: right_type(sent.kind),
        moved: sent.ownership == Ownership::Moved,
    })
}

/// The owned right a received right of `ty` becomes (`migz.AnyRight` for polymorphic).
fn recv_right(ty: &Type) -> Option<&'static str> {
    Some(match crate::binding::received_right(ty)? {
        RightKind::Any => "migz.AnyRight",
        kind => right_type(kind),
    })
}

/// The runtime enum of a scalar argument that takes a right kind or a disposition.
fn value_enum(ty: &Type) -> Option<&'static str> {
    if ty.element.is_some() || ty.element_bits != 32 || ty.is_port() {
        return None;
    }
    match ty.name.as_str() {
        "mach_port_right_t" => Some("migz.PortRight"),
        "mach_msg_type_name_t" => Some("migz.Disposition"),
        _ => None,
    }
}

/// Zig types as the Zig writer names them: the `.defs` alias where the writer declared
/// one for the same structure, else the structure.
struct Types<'a> {
    aliases: &'a BTreeMap<String, String>,
}

impl Types<'_> {
    fn scalar(bits: u32, signed: bool) -> String {
        match bits {
            8 | 16 | 32 | 64 => format!("{}{bits}", if signed { 'i' } else { 'u' }),
            b => format!("[{}]u8", b.div_ceil(8).max(1)),
        }
    }

    /// The type of a fixed-size in-line value (the Zig writer's `value_type`).
    fn value(&self, ty: &Type) -> String {
        let structural = if ty.is_port() && ty.element.is_none() {
            "migz.Port".to_string()
        } else {
            match &ty.element {
                None => Self::scalar(ty.element_bits, ty.signed),
                Some(_) if ty.element_bits == 1 => format!("[{}]u8", ty.inline_bytes()),
                Some(el) => format!("[{}]{}", ty.element_count_max(), self.value(el)),
            }
        };
        if is_identifier(&ty.name) && !ty.var_array && ty.inline {
            let alias = zig_ident(&ty.name);
            if self.aliases.get(&alias) == Some(&structural) {
                return alias;
            }
        }
        structural
    }

    /// The type of one counted element of an array (the Zig writer's `elem_type`).
    fn elem(&self, ty: &Type) -> String {
        if ty.is_port() {
            return "migz.Port".to_string();
        }
        match &ty.element {
            Some(el) => self.value(el),
            None => Self::scalar(ty.element_bits, ty.signed),
        }
    }
}

/// One parameter of a client function or server method: its name and type.
struct Param {
    name: String,
    ty: String,
    /// Said in the doc comment.
    note: Option<String>,
}

/// One result: the `Out` field it comes from or goes to, and its types on either side.
struct Result {
    field: String,
    client_ty: String,
    /// From `out` into the client's value.
    client_expr: String,
    server_ty: String,
    /// The statement storing the server's value (the expression given) into `out`.
    server_store: Snippet,
    /// Whether the store can fail (`MIG_ARRAY_TOO_LARGE`); it then ends in `catch`.
    fallible: bool,
    /// How a server's value (the expression given) that moves a right releases it when no
    /// reply takes it.
    server_release: Option<Snippet>,
}

/// Zig code around a value that is named later: called with the value's expression.
type Snippet = Box<dyn Fn(&str) -> String>;

/// The typed view of one routine, or why it has none.
struct Plan {
    client: Vec<Param>,
    /// `In` field initializers of the client call.
    inputs: Vec<(String, String)>,
    /// Moved rights to release when the request kept them: (parameter, polymorphic).
    moved: Vec<(String, bool)>,
    /// Whether packing the request checks lengths (then the function packs it once first
    /// when it moves rights).
    checked: bool,
    /// Whether building the `In` struct can fail by itself (`try`).
    fallible_inputs: bool,
    server: Vec<Param>,
    /// The server method's arguments, from `in`.
    server_args: Vec<String>,
    results: Vec<Result>,
}

/// Plans the typed API of `r`, or says which argument it cannot express.
fn plan(r: &Routine, types: &Types, names: &Names) -> std::result::Result<Plan, String> {
    let mut p = Plan {
        client: Vec::new(),
        inputs: Vec::new(),
        moved: Vec::new(),
        checked: false,
        fallible_inputs: false,
        server: Vec::new(),
        server_args: Vec::new(),
        results: Vec::new(),
    };
    for a in &r.args {
        let field = zig_ident(&a.name);
        let param = names.param(&a.name);
        let why = |what: &str| Err(format!("`{}` is {what}", a.name));
        if a.ty.ool_elements.is_some() && a.ty.is_port() {
            return why("an array of out-of-line port arrays");
        }
        match a.kind {
            ArgKind::RequestPort => {
                let Some(rt) = send_right(a.ty.in_name) else {
                    return why("a request port of an unusual disposition");
                };
                // A polymorphic request port goes with its default disposition.
                let rt = if a.ty.in_name == msgt::POLYMORPHIC {
                    send_right(msgt::COPY_SEND).expect("copy_send is a right")
                } else {
                    rt
                };
                let note = if rt.moved { "moved" } else { "lent" };
                p.client.push(Param {
                    name: param.clone(),
                    ty: rt.ty.into(),
                    note: Some(format!("`{param}`, the server's port, is {note}")),
                });
                p.inputs.push((field.clone(), format!("{param}.name")));
                if rt.moved {
                    p.moved.push((param.clone(), false));
                }
                p.server.push(Param {
                    name: param,
                    ty: "migz.Port".into(),
                    note: None,
                });
                p.server_args.push(format!("in.{field}"));
                continue;
            }
            ArgKind::WaitTime | ArgKind::SendTime => {
                p.client.push(Param {
                    name: param.clone(),
                    ty: "u32".into(),
                    note: Some(format!("`{param}` is a timeout in milliseconds")),
                });
                p.inputs.push((field, param));
                continue;
            }
            ArgKind::MsgOption => {
                p.client.push(Param {
                    name: param.clone(),
                    ty: "i32".into(),
                    note: None,
                });
                p.inputs.push((field, param));
                continue;
            }
            ArgKind::MsgSeqno | ArgKind::ServerSecToken | ArgKind::SecToken => {
                let ty = if a.kind == ArgKind::MsgSeqno {
                    "u32"
                } else {
                    "migz.SecurityToken"
                };
                p.server.push(Param {
                    name: param,
                    ty: ty.into(),
                    note: None,
                });
                p.server_args.push(format!("in.{field}"));
                continue;
            }
            ArgKind::AuditToken | ArgKind::ServerAuditToken => {
                p.server.push(Param {
                    name: param,
                    ty: "migz.AuditToken".into(),
                    note: None,
                });
                p.server_args.push(format!("in.{field}"));
                continue;
            }
            ArgKind::ServerContextToken => {
                p.server.push(Param {
                    name: param,
                    ty: "u64".into(),
                    note: None,
                });
                p.server_args.push(format!("in.{field}"));
                continue;
            }
            ArgKind::ServerImpl => continue,
            ArgKind::ReplyPort | ArgKind::UReplyPort | ArgKind::SReplyPort => {
                return why("an explicit reply port");
            }
            ArgKind::UserSecToken | ArgKind::UserAuditToken | ArgKind::UserImpl => {
                return why("a client-side trailer argument");
            }
            ArgKind::InOut => {
                // A value, a right or out-of-line memory goes both ways: a parameter and a
                // result. In-line arrays keep the raw function (their count goes both ways).
                let both_ways =
                    matches!(shape(&a.ty), Shape::Value | Shape::Port | Shape::Ool { .. });
                if !both_ways || a.ty.in_name == msgt::POLYMORPHIC {
                    return why("an array or polymorphic right both sent and returned (InOut)");
                }
                input(a, &field, &param, types, &mut p)?;
                output(a, &r.args, &field, types, &mut p)?;
            }
            ArgKind::In => input(a, &field, &param, types, &mut p)?,
            ArgKind::Out => output(a, &r.args, &field, types, &mut p)?,
        }
    }
    // A request whose pack checks lengths may fail before anything is sent, leaving the
    // moved rights with the caller: the function packs it once first to know (below), which
    // needs the `In` struct built without a `try` of its own.
    if p.checked && !p.moved.is_empty() && p.fallible_inputs {
        return Err(
            "moving a right beside an array of rights whose length the request checks".into(),
        );
    }
    Ok(p)
}

/// Plans an argument that the request carries.
fn input(
    a: &Arg,
    field: &str,
    param: &str,
    types: &Types,
    p: &mut Plan,
) -> std::result::Result<(), String> {
    let why = |what: &str| Err(format!("`{}` is {what}", a.name));
    match shape(&a.ty) {
        Shape::Port => {
            let Some(rt) = send_right(a.ty.in_name) else {
                return why("a right of an unusual disposition");
            };
            let poly = a.ty.in_name == msgt::POLYMORPHIC;
            let note = match (poly, rt.moved) {
                (true, _) => "moved or lent as its variant says",
                (false, true) => "moved: the call takes it, also when it fails",
                (false, false) => "lent: it stays the caller's",
            };
            p.client.push(Param {
                name: param.into(),
                ty: rt.ty.into(),
                note: Some(format!("`{param}` is {note}")),
            });
            let poly_field = zig_ident(&format!("{}_poly", a.name));
            if poly {
                p.inputs.push((field.into(), format!("{param}.name()")));
                p.inputs
                    .push((poly_field.clone(), format!("{param}.disposition()")));
            } else {
                p.inputs.push((field.into(), format!("{param}.name")));
            }
            // The server owns what arrived; a polymorphic right says its kind in `_poly`.
            let Some(owned) = recv_right(&a.ty) else {
                return why("a right the server cannot own");
            };
            p.server.push(Param {
                name: param.into(),
                ty: format!("?{owned}"),
                note: None,
            });
            p.server_args.push(if owned == "migz.AnyRight" {
                format!("migz.AnyRight.fromReceived(in.{field}, in.{poly_field})")
            } else {
                format!("migz.received({owned}, in.{field})")
            });
            if rt.moved {
                p.moved.push((param.into(), poly));
            }
        }
        Shape::PortArray { n, var } | Shape::OolPorts { n, var } => {
            // Lent rights only: moved ones would need releasing per element on failure.
            let ool = matches!(shape(&a.ty), Shape::OolPorts { .. });
            let (rt, owned) = match (send_right(a.ty.in_name), recv_right(&a.ty)) {
                (Some(rt), Some(owned)) if !rt.moved => (rt, owned),
                _ => return why("an array of rights the call moves"),
            };
            if !var && !ool {
                // A fixed number of rights: an array of exactly that many, both ways.
                p.client.push(Param {
                    name: param.into(),
                    ty: format!("[{n}]{}", rt.ty),
                    note: Some(format!("`{param}` is lent: its rights stay the caller's")),
                });
                p.inputs.push((
                    field.into(),
                    format!("migz.names({}, &{param})[0..{n}].*", rt.ty),
                ));
                p.server.push(Param {
                    name: param.into(),
                    ty: format!("migz.InlineRights({owned}, {n})"),
                    note: None,
                });
                p.server_args.push(format!(
                    "migz.InlineRights({owned}, {n}).of(in.{field}, {n})"
                ));
                return Ok(());
            }
            if !var || !matches!(a.count, Count::Own) {
                return why("an array of rights of fixed or shared length");
            }
            p.client.push(Param {
                name: param.into(),
                ty: format!("[]const {}", rt.ty),
                note: Some(format!("`{param}` is lent: its rights stay the caller's")),
            });
            let cnt = zig_ident(&format!("{}_cnt", a.name));
            if ool {
                p.inputs
                    .push((field.into(), format!(".of(migz.names({}, {param}))", rt.ty)));
                p.server.push(Param {
                    name: param.into(),
                    ty: format!("migz.OolRights({owned})"),
                    note: None,
                });
                p.server_args
                    .push(format!("migz.OolRights({owned}).fromReceived(in.{field})"));
            } else {
                p.fallible_inputs = true;
                p.inputs.push((
                    field.into(),
                    format!("try migz.inlineNames({n}, {}, {param})", rt.ty),
                ));
                p.inputs
                    .push((cnt.clone(), format!("@intCast({param}.len)")));
                p.server.push(Param {
                    name: param.into(),
                    ty: format!("migz.InlineRights({owned}, {n})"),
                    note: None,
                });
                p.server_args.push(format!(
                    "migz.InlineRights({owned}, {n}).of(in.{field}, in.{cnt})"
                ));
            }
            p.checked = true;
        }
        Shape::OolArray { n, var, .. } => {
            // One region per slice: lent when sent (the kernel copies them), owned when
            // received.
            if a.dealloc == Dealloc::Yes {
                return why("deallocated when sent (Dealloc)");
            }
            let Some(element) = &a.ty.element else {
                return why("an array of out-of-line elements of no type");
            };
            let el = types.elem(element);
            let note = (a.dealloc == Dealloc::Maybe).then(|| {
                format!("`{param}` is sent as copies (`{WIRE}` can deallocate them instead)")
            });
            let cnt = zig_ident(&format!("{}_cnt", a.name));
            p.client.push(Param {
                name: param.into(),
                ty: if var {
                    format!("[]const []const {el}")
                } else {
                    format!("[{n}][]const {el}")
                },
                note,
            });
            let list = if var {
                param.to_string()
            } else {
                format!("&{param}")
            };
            p.inputs.push((
                field.into(),
                format!("try migz.oolSlices({n}, {el}, {list})"),
            ));
            if var {
                p.inputs
                    .push((cnt.clone(), format!("@intCast({param}.len)")));
            }
            p.fallible_inputs = true;
            p.checked = true;
            let count = if var {
                format!("in.{cnt}")
            } else {
                n.to_string()
            };
            p.server.push(Param {
                name: param.into(),
                ty: format!("migz.OolSlices({el}, {n})"),
                note: None,
            });
            p.server_args
                .push(format!("migz.OolSlices({el}, {n}).of(in.{field}, {count})"));
        }
        Shape::Value => {
            let (ty, to_wire, from_wire) = match value_enum(&a.ty) {
                Some(e) => (
                    e.to_string(),
                    format!("@backingInt({param})"),
                    format!("@fromBackingInt(in.{field})"),
                ),
                None => (types.value(&a.ty), param.into(), format!("in.{field}")),
            };
            p.client.push(Param {
                name: param.into(),
                ty: ty.clone(),
                note: None,
            });
            p.inputs.push((field.into(), to_wire));
            p.server.push(Param {
                name: param.into(),
                ty,
                note: None,
            });
            p.server_args.push(from_wire);
        }
        Shape::Ool { .. } => {
            if a.dealloc == Dealloc::Yes {
                return why("deallocated when sent (Dealloc)");
            }
            let el = types.elem(&a.ty);
            // With `Dealloc[]` the memory is sent as a copy; the raw function can move it.
            let note = (a.dealloc == Dealloc::Maybe).then(|| {
                format!("`{param}` is sent as a copy (`{WIRE}` can deallocate it instead)")
            });
            p.client.push(Param {
                name: param.into(),
                ty: format!("[]const {el}"),
                note,
            });
            p.inputs.push((field.into(), format!(".of({param})")));
            p.server.push(Param {
                name: param.into(),
                ty: format!("migz.OolSlice({el})"),
                note: None,
            });
            p.server_args
                .push(format!("migz.OolSlice({el}).fromReceived(in.{field})"));
            p.checked = true;
        }
        Shape::VarInline { .. } | Shape::CStr { .. } => {
            let el = if a.ty.is_string {
                "u8".to_string()
            } else {
                types.elem(&a.ty)
            };
            p.client.push(Param {
                name: param.into(),
                ty: format!("[]const {el}"),
                note: None,
            });
            p.inputs.push((field.into(), format!(".of({param})")));
            // Message bodies keep 4-byte alignment, so 8-byte elements arrive 4-aligned.
            let align = if leaf_bits(&a.ty) >= 64 {
                "align(4) "
            } else {
                ""
            };
            p.server.push(Param {
                name: param.into(),
                ty: format!("[]{align}const {el}"),
                note: None,
            });
            p.server_args.push(format!("in.{field}.items()"));
            p.checked = true;
        }
    }
    Ok(())
}

/// Plans an argument that the reply carries.
fn output(
    a: &Arg,
    args: &[Arg],
    field: &str,
    types: &Types,
    p: &mut Plan,
) -> std::result::Result<(), String> {
    // The field's name, owned by the snippets that store into it.
    let f = field.to_string();
    let why = |what: &str| Err(format!("`{}` is {what}", a.name));
    let result = match shape(&a.ty) {
        Shape::Port => {
            let Some(owned) = recv_right(&a.ty) else {
                return why("a right of an unusual disposition");
            };
            let Some(rt) = send_right(a.ty.in_name) else {
                return why("a right of an unusual disposition");
            };
            if a.ty.out_name == msgt::POLYMORPHIC {
                let poly = zig_ident(&format!("{}_poly", a.name));
                Result {
                    field: field.into(),
                    client_ty: format!("?{owned}"),
                    client_expr: format!("migz.AnyRight.fromReceived(out.{field}, out.{poly})"),
                    server_ty: "?migz.PolyRight".into(),
                    server_store: Box::new(move |v| {
                        format!(
                            "if ({v}) |right| {{\n    out.{f} = right.name();\n    out.{poly} = right.disposition();\n}}"
                        )
                    }),
                    fallible: false,
                    server_release: Some(Box::new(|v| {
                        format!("if ({v}) |right| right.release();")
                    })),
                }
            } else {
                Result {
                    field: field.into(),
                    client_ty: format!("?{owned}"),
                    client_expr: format!("migz.received({owned}, out.{field})"),
                    server_ty: format!("?{}", rt.ty),
                    // `out` starts with every port null.
                    server_store: Box::new(move |v| {
                        format!("if ({v}) |right| out.{f} = right.name;")
                    }),
                    fallible: false,
                    server_release: rt.moved.then(|| -> Snippet {
                        Box::new(|v| format!("if ({v}) |right| right.deinit();"))
                    }),
                }
            }
        }
        Shape::PortArray { n, var } | Shape::OolPorts { n, var } => {
            // The server lends the rights (the reply copies or makes them) or gives them
            // (the reply moves them, and destroys them if it is not sent); the client owns
            // what arrives.
            let ool = matches!(shape(&a.ty), Shape::OolPorts { .. });
            let (rt, owned) = match (send_right(a.ty.in_name), recv_right(&a.ty)) {
                (Some(rt), Some(owned)) if owned != "migz.AnyRight" => (rt, owned),
                _ => return why("an array of polymorphic rights in the reply"),
            };
            let lent = rt.ty;
            // Given rights go back to the server when an answer cannot be built.
            let server_release = || -> Option<Snippet> {
                rt.moved.then(|| -> Snippet {
                    Box::new(|v| format!("for ({v}) |right| right.deinit();"))
                })
            };
            if !var && !ool {
                // A fixed number of rights: the server lends or gives exactly that many.
                Result {
                    field: field.into(),
                    client_ty: format!("migz.InlineRights({owned}, {n})"),
                    client_expr: format!(".of(out.{field}, {n})"),
                    server_ty: format!("[{n}]{lent}"),
                    server_store: Box::new(move |v| {
                        assign(&f, &format!("migz.names({lent}, &{v})[0..{n}].*"))
                    }),
                    fallible: false,
                    server_release: server_release(),
                }
            } else {
                let counted = reply_count(a, args);
                let Some((cnt, same)) = counted.filter(|_| var && (!ool || a.count == Count::Own))
                else {
                    return why("an array of rights of fixed or shared length");
                };
                if ool {
                    Result {
                        field: field.into(),
                        client_ty: format!("migz.OolRights({owned})"),
                        client_expr: format!("migz.OolRights({owned}).fromReceived(out.{field})"),
                        server_ty: format!("[]const {lent}"),
                        server_store: Box::new(move |v| {
                            assign(&f, &format!(".of(migz.names({lent}, {v}))"))
                        }),
                        fallible: false,
                        server_release: server_release(),
                    }
                } else {
                    Result {
                        field: field.into(),
                        client_ty: format!("migz.InlineRights({owned}, {n})"),
                        client_expr: format!(".of(out.{field}, out.{cnt})"),
                        server_ty: format!("[]const {lent}"),
                        // With SameCount the count is the earlier array's, which this one must
                        // match (it was stored first: results keep their order).
                        server_store: Box::new(move |v| match same {
                            true => format!(
                                "migz.copyNamesSame(\n    &out.{f},\n    {lent},\n    {v},\n    out.{cnt},\n)"
                            ),
                            false => format!("out.{cnt} = migz.copyNames(&out.{f}, {lent}, {v})"),
                        }),
                        fallible: true,
                        server_release: server_release(),
                    }
                }
            }
        }
        Shape::OolArray { n, var, .. } => {
            // The server lends one slice per region (the kernel copies them); the client
            // owns what arrives.
            if a.dealloc != Dealloc::No {
                return why("an array of out-of-line elements the reply deallocates");
            }
            let Some(element) = &a.ty.element else {
                return why("an array of out-of-line elements of no type");
            };
            let el = types.elem(element);
            let slices = format!("migz.OolSlices({el}, {n})");
            if var {
                let cnt = zig_ident(&format!("{}_cnt", a.name));
                if a.count != Count::Own {
                    return why("an array of out-of-line elements counted by another");
                }
                Result {
                    field: field.into(),
                    client_ty: slices.clone(),
                    client_expr: format!(".of(out.{field}, out.{cnt})"),
                    server_ty: format!("[]const []const {el}"),
                    server_store: Box::new(move |v| {
                        format!(
                            "out.{cnt} = migz.copyOolSlices(\n    {el},\n    &out.{f},\n    {v},\n)"
                        )
                    }),
                    fallible: true,
                    server_release: None,
                }
            } else {
                Result {
                    field: field.into(),
                    client_ty: slices,
                    client_expr: format!(".of(out.{field}, {n})"),
                    server_ty: format!("[{n}][]const {el}"),
                    server_store: Box::new(move |v| {
                        format!("out.{f} = migz.oolSlices(\n    {n},\n    {el},\n    &{v},\n)")
                    }),
                    fallible: true,
                    server_release: None,
                }
            }
        }
        Shape::Value => match value_enum(&a.ty) {
            Some(e) => Result {
                field: field.into(),
                client_ty: e.into(),
                client_expr: format!("@fromBackingInt(out.{field})"),
                server_ty: e.into(),
                server_store: Box::new(move |v| assign(&f, &format!("@backingInt({v})"))),
                fallible: false,
                server_release: None,
            },
            None => {
                let ty = types.value(&a.ty);
                Result {
                    field: field.into(),
                    client_ty: ty.clone(),
                    client_expr: format!("out.{field}"),
                    server_ty: ty,
                    server_store: Box::new(move |v| assign(&f, v)),
                    fallible: false,
                    server_release: None,
                }
            }
        },
        Shape::Ool { .. } => {
            let el = types.elem(&a.ty);
            let client_ty = format!("migz.OolSlice({el})");
            let client_expr = format!("migz.OolSlice({el}).fromReceived(out.{field})");
            match a.dealloc {
                // The server lends memory that the kernel copies.
                Dealloc::No => Result {
                    field: field.into(),
                    client_ty,
                    client_expr,
                    server_ty: format!("[]const {el}"),
                    server_store: Box::new(move |v| assign(&f, &format!(".of({v})"))),
                    fallible: false,
                    server_release: None,
                },
                // The reply takes the server's memory away (`Dealloc`).
                Dealloc::Yes => Result {
                    field: field.into(),
                    client_ty: client_ty.clone(),
                    client_expr,
                    server_ty: client_ty,
                    server_store: Box::new(move |v| assign(&f, &format!(".of({v}.items)"))),
                    fallible: false,
                    server_release: Some(Box::new(|v| format!("{v}.deinit();"))),
                },
                Dealloc::Maybe => return why("deallocated as the server decides (Dealloc[])"),
            }
        }
        Shape::VarInline { max } => {
            let Some((cnt, same)) = reply_count(a, args) else {
                return why("a reply array counted by an out-of-line argument");
            };
            let el = types.elem(&a.ty);
            Result {
                field: field.into(),
                client_ty: format!("migz.InlineArray({el}, {max})"),
                client_expr: format!(".of(out.{field}, out.{cnt})"),
                server_ty: format!("[]const {el}"),
                // With SameCount the count is the earlier array's, which this one must
                // match (it was stored first: results keep their order).
                server_store: Box::new(move |v| match same {
                    true => format!(
                        "migz.copySame(\n    {el},\n    &out.{f},\n    {v},\n    out.{cnt},\n)"
                    ),
                    false => {
                        format!("out.{cnt} = migz.copyOut(\n    {el},\n    &out.{f},\n    {v},\n)")
                    }
                }),
                fallible: true,
                server_release: None,
            }
        }
        Shape::CStr { max, .. } => Result {
            field: field.into(),
            client_ty: format!("migz.InlineArray(u8, {max})"),
            client_expr: format!("migz.InlineArray(u8, {max}).fromCString(out.{field})"),
            server_ty: "[]const u8".into(),
            server_store: Box::new(move |v| format!("migz.copyCString(&out.{f}, {v})")),
            fallible: true,
            server_release: None,
        },
    };
    p.results.push(result);
    Ok(())
}

/// The `Out` field an in-line reply array's count is in: its own, or with `SameCount` that of
/// the earlier in-line array it shares it with; `None` for a count of another kind.
fn reply_count(a: &Arg, args: &[Arg]) -> Option<(String, bool)> {
    let of = |b: &Arg| zig_ident(&format!("{}_cnt", b.name));
    match (a.count == Count::Own, crate::binding::shared_count(a)) {
        (true, _) => Some((of(a), false)),
        (false, Some(t)) => matches!(
            shape(&args[t].ty),
            Shape::VarInline { .. } | Shape::PortArray { var: true, .. }
        )
        .then(|| (of(&args[t]), true)),
        _ => None,
    }
}

/// Names a parameter may not take: every declaration of the file and of `api` (Zig refuses
/// a parameter that shadows one), and the generated bodies' locals.
struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    fn new(sub: &Subsystem, aliases: &BTreeMap<String, String>) -> Names {
        let mut taken: BTreeSet<String> = [
            "std",
            "migz",
            "assert",
            "subsystem_name",
            "base_id",
            "id_count",
            "request_size_max",
            "reply_size_max",
            "Server",
            "TestStub",
            "ApiTestStub",
            "Adapter",
            "api",
            WIRE,
            "in",
            "out",
            "kr",
            "v",
            "res",
            "err",
            "self",
            "right",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        taken.extend(aliases.keys().cloned());
        for r in &sub.routines {
            taken.insert(format!("{}_id", r.name));
            taken.insert(zig_ident(&camel(&r.name)));
        }
        Names { taken }
    }

    /// The parameter name of argument `name`: its own, or with `_arg` appended on a clash.
    fn param(&self, name: &str) -> String {
        let id = zig_ident(name);
        if self.taken.contains(&id) {
            zig_ident(&format!("{name}_arg"))
        } else {
            id
        }
    }
}

/// The client's return type and the expression building it from `out`.
fn client_return(r: &Routine, p: &Plan) -> (String, String) {
    match p.results.as_slice() {
        [] => ("void".into(), String::new()),
        [one] => (one.client_ty.clone(), one.client_expr.clone()),
        many => {
            let mut value = ".{\n".to_string();
            for x in many {
                field_init(&mut value, "            ", &x.field, &x.client_expr);
            }
            value.push_str("        }");
            (format!("{}Result", pascal(&r.name)), value)
        }
    }
}

/// The server method's result type.
fn server_return(r: &Routine, p: &Plan) -> String {
    match p.results.as_slice() {
        [] => "void".into(),
        [one] => one.server_ty.clone(),
        _ => format!("{}Answer", pascal(&r.name)),
    }
}

/// Appends `text` re-indented by `indent`.
fn indented(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// `.field = value,` at `indent`, within 100 columns (see `wrapped`).
fn field_init(out: &mut String, indent: &str, field: &str, value: &str) {
    wrapped(out, indent, &format!(".{field} = "), value, ",");
}

/// The indentation of the adapter methods' bodies, where the server stores go.
const ADAPTER_INDENT: &str = "                ";

/// `out.<field> = expr;` as a store of the adapter writes it (within 100 columns once
/// indented by `ADAPTER_INDENT`).
fn assign(field: &str, expr: &str) -> String {
    let mut s = String::new();
    let width = 100 - ADAPTER_INDENT.len();
    wrapped_within(&mut s, "", &format!("out.{field} = "), expr, ";", width);
    s.truncate(s.trim_end().len());
    s
}

/// `lead`, `value` and `trail` on one line at `indent`, or, past 100 columns and when
/// `value` ends in a call, as zig fmt lays that out: one argument a line.
fn wrapped(out: &mut String, indent: &str, lead: &str, value: &str, trail: &str) {
    wrapped_within(out, indent, lead, value, trail, 100);
}

/// `wrapped` within `width` columns.
fn wrapped_within(
    out: &mut String,
    indent: &str,
    lead: &str,
    value: &str,
    trail: &str,
    width: usize,
) {
    let line = format!("{indent}{lead}{value}{trail}");
    // The parenthesis that the value's last one closes: its last call's arguments.
    let mut depth = 0;
    let last_call = value.char_indices().rev().find_map(|(i, ch)| {
        match ch {
            ')' => depth += 1,
            '(' => depth -= 1,
            _ => {}
        }
        (depth == 0).then_some(i)
    });
    let call = last_call.filter(|_| line.len() > width && value.ends_with(')'));
    let Some(open) = call else {
        let _ = writeln!(out, "{line}");
        return;
    };
    let _ = writeln!(out, "{indent}{lead}{}", &value[..=open]);
    let mut depth = 0;
    let mut arg = String::new();
    for ch in value[open + 1..value.len() - 1].chars() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                let _ = writeln!(out, "{indent}    {},", arg.trim());
                arg.clear();
                continue;
            }
            _ => {}
        }
        arg.push(ch);
    }
    if !arg.trim().is_empty() {
        let _ = writeln!(out, "{indent}    {},", arg.trim());
    }
    let _ = writeln!(out, "{indent}){trail}");
}

/// The client function of a planned routine.
fn client(out: &mut String, sub: &Subsystem, r: &Routine, p: &Plan) {
    let p_name = pascal(&r.name);
    let f = zig_ident(&camel(&r.name));
    let (ret, value) = client_return(r, p);
    if p.results.len() > 1 {
        let _ = writeln!(
            out,
            "    /// Results of `{}`.\n    pub const {ret} = struct {{",
            r.name
        );
        for x in &p.results {
            let _ = writeln!(out, "        {}: {},", x.field, x.client_ty);
        }
        out.push_str("    };\n\n");
    }
    let head = format!("    /// Calls `{}` (id {})", r.name, r.id);
    let through = format!("through `{WIRE}.{f}`,");
    if head.len() + through.len() < 100 {
        let _ = writeln!(out, "{head} {through}");
    } else {
        let _ = writeln!(out, "{head}\n    /// {through}");
    }
    out.push_str("    /// which keeps Apple's reply port handling, timeouts and reply checks.\n");
    for note in p.client.iter().filter_map(|x| x.note.as_ref()) {
        let _ = writeln!(out, "    /// {note}.");
    }
    let params: Vec<String> = p
        .client
        .iter()
        .map(|x| format!("{}: {}", x.name, x.ty))
        .collect();
    signature(
        out,
        "    ",
        &format!("pub fn {f}"),
        &params,
        &format!("migz.Error!{ret}"),
    );
    let inputs = if p.inputs.is_empty() {
        "&.{}".to_string()
    } else {
        let mut s = "&.{\n".to_string();
        for (field, value) in &p.inputs {
            field_init(&mut s, "            ", field, value);
        }
        s.push_str("        }");
        s
    };
    let simple = r.kind == RoutineKind::SimpleRoutine;
    let release_moved = |out: &mut String, indent: &str| {
        for (m, poly) in &p.moved {
            let release = if *poly { "release" } else { "deinit" };
            let _ = writeln!(out, "{indent}{m}.{release}();");
        }
    };
    let inputs = if p.checked && !p.moved.is_empty() {
        // The request may not pack (too long an array): then nothing is sent, and the
        // rights the call takes are released here.
        let _ = writeln!(
            out,
            "        const in: {p_name}In = {};\n        if (migz.packFailure(\n            {WIRE}.{p_name}Request,\n            {WIRE}.pack{p_name}Request,\n            &in,\n        )) |code| {{",
            inputs.trim_start_matches('&')
        );
        release_moved(out, "            ");
        out.push_str("            return migz.fail(code);\n        }\n");
        "&in".to_string()
    } else {
        inputs
    };
    if simple {
        let _ = writeln!(out, "        const kr = {WIRE}.{f}({inputs});");
    } else {
        let _ = writeln!(
            out,
            "        var out: {p_name}Out = .{{}};\n        const kr = {WIRE}.{f}({inputs}, &out);"
        );
    }
    if p.moved.is_empty() {
        out.push_str("        if (kr != migz.kern.success) return migz.fail(kr);\n");
    } else {
        let mode = match sub.consume_on_send_error {
            ConsumeOnSendError::None => "none",
            ConsumeOnSendError::Timeout => "timeout",
            ConsumeOnSendError::Any => "any",
        };
        let _ = writeln!(
            out,
            "        if (kr != migz.kern.success) {{\n            // A request that was not sent leaves its moved rights here: release them.\n            if (migz.rightsKept(kr, .{mode})) {{"
        );
        release_moved(out, "                ");
        out.push_str("            }\n            return migz.fail(kr);\n        }\n");
    }
    if !simple && !value.is_empty() {
        let _ = writeln!(out, "        return {value};");
    }
    out.push_str("    }\n\n");
}

/// The adapter method that turns the raw server call into the typed one, or forwards the
/// raw call for a routine without a typed view.
fn adapter_method(out: &mut String, r: &Routine, p: Option<&Plan>) {
    let p_name = pascal(&r.name);
    let f = zig_ident(&camel(&r.name));
    signature(
        out,
        "            ",
        &format!("pub fn {f}"),
        &[
            "self: *const Self".into(),
            format!("in: *const {p_name}In"),
            format!("out: *{p_name}Out"),
        ],
        "migz.KernReturn",
    );
    let ind = ADAPTER_INDENT;
    let Some(p) = p else {
        let _ = writeln!(out, "{ind}return self.impl.{f}(in, out);\n            }}\n");
        return;
    };
    let one_line = format!("self.impl.{f}({})", p.server_args.join(", "));
    let catch_len = "catch |err| return migz.codeToSend(err);".len();
    let call = if ind.len() + "const res = ".len() + one_line.len() + 1 + catch_len <= 100 {
        one_line
    } else {
        let mut s = format!("self.impl.{f}(\n");
        for a in &p.server_args {
            wrapped(&mut s, &format!("{ind}    "), "", a, ",");
        }
        let _ = write!(s, "{ind})");
        s
    };
    let catch = "catch |err| return migz.codeToSend(err);";
    if p.results.is_empty() {
        let _ = writeln!(
            out,
            "{ind}_ = out;\n{ind}{call} {catch}\n{ind}return migz.kern.success;"
        );
        out.push_str("            }\n\n");
        return;
    }
    let _ = writeln!(out, "{ind}const res = {call} {catch}");
    let value = |x: &Result| {
        if p.results.len() == 1 {
            "res".to_string()
        } else {
            format!("res.{}", x.field)
        }
    };
    // Stores that can fail go first; a failure releases the rights the answer moves.
    let releases: Vec<String> = p
        .results
        .iter()
        .filter_map(|x| x.server_release.as_ref().map(|rel| rel(&value(x))))
        .collect();
    for x in p.results.iter().filter(|x| x.fallible) {
        let store = (x.server_store)(&value(x));
        let store = store.replace('\n', &format!("\n{ind}"));
        let _ = writeln!(out, "{ind}{store} catch |err| {{");
        for rel in &releases {
            let _ = writeln!(out, "{ind}    {rel}");
        }
        let _ = writeln!(out, "{ind}    return migz.codeToSend(err);\n{ind}}};");
    }
    for x in p.results.iter().filter(|x| !x.fallible) {
        indented(out, ind, &(x.server_store)(&value(x)));
    }
    let _ = writeln!(out, "{ind}return migz.kern.success;\n            }}\n");
}

/// A method of the test implementation that fails every routine, so the test block
/// analyzes `api.Server`.
fn stub_method(out: &mut String, r: &Routine, p: Option<&Plan>) {
    let f = zig_ident(&camel(&r.name));
    let p_name = pascal(&r.name);
    let (params, ret, body): (Vec<String>, String, &str) = match p {
        Some(p) => (
            std::iter::once("_: *ApiTestStub".to_string())
                .chain(p.server.iter().map(|x| format!("_: {}", x.ty)))
                .collect(),
            format!("migz.Error!{}", server_ret_path(r, p)),
            "return error.Failure;",
        ),
        None => (
            vec![
                "_: *ApiTestStub".into(),
                format!("_: *const {p_name}In"),
                format!("_: *{p_name}Out"),
            ],
            "migz.KernReturn".into(),
            "return migz.kern.failure;",
        ),
    };
    signature(out, "    ", &format!("pub fn {f}"), &params, &ret);
    let _ = writeln!(out, "        {body}\n    }}");
}

/// The server method's result type as seen from outside `api`.
fn server_ret_path(r: &Routine, p: &Plan) -> String {
    let t = server_return(r, p);
    if p.results.len() > 1 {
        format!("api.{t}")
    } else {
        t
    }
}

/// The doc comment and opening of `api` (`@SUB@`: the subsystem).
/// What `api` is, for its doc comment.
fn api_doc(sub: &str) -> String {
    format!(
        "The idiomatic API of `{sub}`: per routine a function with the `.defs` arguments in \
         order, typed rights (a moved right is taken by the call, a copied or made one is \
         lent), enums for right kinds and dispositions, slices for arrays, the results returned \
         (several as `<Routine>Result`) and failures as `migz.Error`, whose exact code \
         `migz.lastCode()` keeps. Each calls the function of the same name above, which keeps \
         Apple's semantics (reply port, timeouts, reply checks) and whose C-ABI exports Rust \
         uses: those keep the top-level names, and `@import(\"{sub}\").api` gives these the \
         natural ones. A routine whose arguments this API cannot express yet is left out, with \
         a comment saying why."
    )
}

/// `api.Server` and the opening of its adapter. `wire` is the file's name for itself
/// ([`WIRE`]).
const SERVER: &str = r#"    /// The server side: `Impl` has one method per routine taking the arguments the
    /// request carries as the functions above take them (received rights owned, arrays as
    /// slices, out-of-line memory as `migz.OolSlice`), and returning its results or a
    /// `migz.Error` (`migz.fail(code)` answers with that exact code). On success the method
    /// owns what the request brought; on an error the serve loop destroys it, as MIG does.
    /// A routine left out of `api` keeps the raw method `fn(self, in, out) KernReturn`.
    pub fn Server(comptime Impl: type) type {
        return migz.AdaptedServer(wire, Adapter, Impl);
    }

    /// The raw implementation `Server` calls: each method turns `in` into the typed
    /// arguments, calls `Impl`, and stores its answer in `out`.
    fn Adapter(comptime Impl: type) type {
        return struct {
            impl: *Impl,

            const Self = @This();

"#;

/// The test that analyzes `api` and `api.Server`, and the opening of its implementation.
const TEST: &str = r#"test {
    std.testing.refAllDecls(api);
    std.testing.refAllDecls(api.Server(ApiTestStub));
}

/// An implementation of `api` that fails every routine, so tests analyze `api.Server`.
const ApiTestStub = struct {
"#;

/// Writes the `api` namespace of `sub` and the test that analyzes it. `aliases` are the
/// type names the Zig writer declared (name to Zig type). Returns nothing for a
/// subsystem without routines.
pub(crate) fn generate(sub: &Subsystem, aliases: &BTreeMap<String, String>) -> String {
    if sub.routines.is_empty() {
        return String::new();
    }
    let types = Types { aliases };
    let names = Names::new(sub, aliases);
    let plans: Vec<std::result::Result<Plan, String>> = sub
        .routines
        .iter()
        .map(|r| plan(r, &types, &names))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "// ---- the idiomatic API ----\n");
    crate::zig::comment(&mut out, "///", &api_doc(&sub.name));
    let _ = writeln!(
        out,
        "pub const api = struct {{\n    \
         /// Bytes of the largest request, for `migz.bridge` serving with `api` as the stubs.\n    \
         pub const request_size_max = {WIRE}.request_size_max;\n    \
         /// Bytes of the largest reply.\n    \
         pub const reply_size_max = {WIRE}.reply_size_max;\n"
    );
    for (r, p) in sub.routines.iter().zip(&plans) {
        match p {
            Ok(p) => client(&mut out, sub, r, p),
            Err(why) => {
                let _ = writeln!(
                    out,
                    "    // `{}` has no typed function yet,\n    // because {why};\n    // call `{WIRE}.{}`.\n",
                    r.name,
                    zig_ident(&camel(&r.name))
                );
            }
        }
    }
    // Answers of several results, for the server methods.
    for (r, p) in sub.routines.iter().zip(&plans) {
        if let Ok(p) = p
            && p.results.len() > 1
        {
            let _ = writeln!(
                out,
                "    /// What a server answers to `{}`.\n    pub const {} = struct {{",
                r.name,
                server_return(r, p)
            );
            for x in &p.results {
                let _ = writeln!(out, "        {}: {},", x.field, x.server_ty);
            }
            out.push_str("    };\n\n");
        }
    }
    out.push_str(SERVER);
    for (r, p) in sub.routines.iter().zip(&plans) {
        adapter_method(&mut out, r, p.as_ref().ok());
    }
    // The last method is followed by the struct's end, not by a blank line.
    out.pop();
    out.push_str("        };\n    }\n};\n\n");
    out.push_str(TEST);
    for (r, p) in sub.routines.iter().zip(&plans) {
        stub_method(&mut out, r, p.as_ref().ok());
    }
    out.push_str("};\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFS: &str = r#"
subsystem t 100;
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
type mach_port_move_send_t = MACH_MSG_TYPE_MOVE_SEND;
type mach_port_make_send_t = MACH_MSG_TYPE_MAKE_SEND;
type mach_port_poly_t = polymorphic;
type mach_port_right_t = MACH_MSG_TYPE_INTEGER_32;
type ints_t = array[*:8] of int32_t;
type ports_t = array[] of mach_port_t;
routine typed(server : mach_port_t; right : mach_port_right_t; port : mach_port_make_send_t;
    poly : mach_port_poly_t; out sum : int32_t; out back : mach_port_move_send_t);
routine rights_array(server : mach_port_t; list : ports_t);
routine moved_beside_array(server : mach_port_t; give : mach_port_move_send_t; xs : ints_t);
routine clash(server : mach_port_t; int32_t : int32_t; kr : int32_t);
type moved_ports_t = array[] of mach_port_move_send_t;
routine moved_array(server : mach_port_t; list : moved_ports_t);
"#;

    fn subsystem() -> Subsystem {
        crate::test_subsystem(DEFS)
    }

    fn aliases() -> BTreeMap<String, String> {
        [("int32_t", "i32"), ("mach_port_right_t", "i32")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn rights_are_typed_as_the_rust_side_types_them() {
        let sub = subsystem();
        let aliases = aliases();
        let names = Names::new(&sub, &aliases);
        let types = Types { aliases: &aliases };
        let p = plan(&sub.routines[0], &types, &names).unwrap();
        let params: Vec<(&str, &str)> = p
            .client
            .iter()
            .map(|x| (x.name.as_str(), x.ty.as_str()))
            .collect();
        assert_eq!(
            params,
            [
                ("server", "migz.SendRight"),
                ("right_arg", "migz.PortRight"),
                ("port", "migz.ReceiveRight"),
                ("poly", "migz.PolyRight"),
            ]
        );
        // Only the polymorphic right may be moved; a made or copied one is lent.
        assert_eq!(p.moved, [("poly".to_string(), true)]);
        let results: Vec<&str> = p.results.iter().map(|x| x.client_ty.as_str()).collect();
        assert_eq!(results, ["int32_t", "?migz.SendRight"]);
        assert_eq!(p.results[1].server_ty, "?migz.SendRight");
        assert!(p.results[1].server_release.is_some());
    }

    #[test]
    fn shapes_it_cannot_express_fall_back_with_a_reason() {
        let sub = subsystem();
        let aliases = aliases();
        let names = Names::new(&sub, &aliases);
        let types = Types { aliases: &aliases };
        let why = |i: usize| plan(&sub.routines[i], &types, &names).err().unwrap();
        assert_eq!(why(4), "`list` is an array of rights the call moves");
    }

    #[test]
    fn a_right_moved_beside_a_checked_array_is_released_if_the_request_cannot_pack() {
        let sub = subsystem();
        let aliases = aliases();
        let names = Names::new(&sub, &aliases);
        let types = Types { aliases: &aliases };
        let p = plan(&sub.routines[2], &types, &names).unwrap();
        assert!(p.checked);
        assert_eq!(p.moved, [("give".to_string(), false)]);
        let text = generate(&sub, &aliases);
        let f = &text[text.find("pub fn movedBesideArray(").unwrap()..];
        let first = f.find("migz.packFailure(").unwrap();
        // Packed once first, and the right released before the call is made.
        assert!(first < f.find("give.deinit();").unwrap());
        assert!(f.find("give.deinit();").unwrap() < f.find("wire.movedBesideArray(").unwrap());
    }

    #[test]
    fn lent_arrays_of_rights_are_slices_and_arrive_owned() {
        let sub = subsystem();
        let aliases = aliases();
        let names = Names::new(&sub, &aliases);
        let types = Types { aliases: &aliases };
        let p = plan(&sub.routines[1], &types, &names).unwrap();
        assert_eq!(p.client[1].ty, "[]const migz.SendRight");
        assert_eq!(p.server[1].ty, "migz.OolRights(migz.SendRight)");
        assert!(p.moved.is_empty());
    }

    #[test]
    fn parameters_never_shadow_declarations_or_locals() {
        let sub = subsystem();
        let aliases = aliases();
        let names = Names::new(&sub, &aliases);
        assert_eq!(names.param("int32_t"), "int32_t_arg");
        assert_eq!(names.param("kr"), "kr_arg");
        assert_eq!(names.param("typed"), "typed_arg");
        assert_eq!(names.param("sum"), "sum");
    }

    #[test]
    fn the_namespace_stays_within_100_columns() {
        let sub = subsystem();
        let text = generate(&sub, &aliases());
        assert!(text.contains("pub const api = struct {"));
        assert!(text.contains("// `moved_array` has no typed function yet"));
        for line in text.lines() {
            assert!(line.len() <= 100, "{line}");
        }
    }
}
