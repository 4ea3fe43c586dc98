//! Semantic analysis: resolves types, applies migcom's argument defaults and flag rules,
//! numbers the routines, and asks [`crate::layout`] for every message layout.

use crate::ast::{self, ArgType, Decoration, Direction, Flag, IpcName, ItemKind, TypeSpec};
use crate::diag::{Diagnostic, Diags};
use crate::ir::{self, Arg, ConsumeOnSendError, Count, Dealloc, Subsystem, Type, msgt};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;

/// The largest in-line message migz accepts: Mach refuses messages above 64 MiB anyway, and
/// a bound keeps absurd array sizes from turning into absurd allocations anywhere later.
pub const MESSAGE_SIZE_MAX: u64 = 64 << 20;

/// The size in bits and the send/receive names of a symbolic IPC type.
fn symbolic(name: &str) -> Option<(u32, u32, u32)> {
    const PORT: u32 = 32;
    Some(match name {
        "MACH_MSG_TYPE_UNSTRUCTURED" => (0, 0, 0),
        "MACH_MSG_TYPE_BIT" => (0, 0, 1),
        "MACH_MSG_TYPE_BOOLEAN" => (0, 0, 32),
        "MACH_MSG_TYPE_INTEGER_16" => (1, 1, 16),
        "MACH_MSG_TYPE_INTEGER_32" => (2, 2, 32),
        "MACH_MSG_TYPE_CHAR" => (8, 8, 8),
        "MACH_MSG_TYPE_BYTE" => (9, 9, 8),
        "MACH_MSG_TYPE_INTEGER_8" => (9, 9, 8),
        "MACH_MSG_TYPE_REAL" => (10, 10, 0),
        "MACH_MSG_TYPE_INTEGER_64" => (11, 11, 64),
        "MACH_MSG_TYPE_STRING" | "MACH_MSG_TYPE_STRING_C" => (12, 12, 0),
        "MACH_MSG_TYPE_PORT_NAME" => (msgt::PORT_NAME, msgt::PORT_NAME, PORT),
        "MACH_MSG_TYPE_MOVE_RECEIVE" => (msgt::MOVE_RECEIVE, msgt::MOVE_RECEIVE, PORT),
        "MACH_MSG_TYPE_MOVE_SEND" => (msgt::MOVE_SEND, msgt::MOVE_SEND, PORT),
        "MACH_MSG_TYPE_MOVE_SEND_ONCE" => (msgt::MOVE_SEND_ONCE, msgt::MOVE_SEND_ONCE, PORT),
        "MACH_MSG_TYPE_COPY_SEND" => (msgt::COPY_SEND, msgt::MOVE_SEND, PORT),
        "MACH_MSG_TYPE_MAKE_SEND" => (msgt::MAKE_SEND, msgt::MOVE_SEND, PORT),
        "MACH_MSG_TYPE_MAKE_SEND_ONCE" => (msgt::MAKE_SEND_ONCE, msgt::MOVE_SEND_ONCE, PORT),
        "MACH_MSG_TYPE_PORT_RECEIVE" => (msgt::POLYMORPHIC, msgt::MOVE_RECEIVE, PORT),
        "MACH_MSG_TYPE_PORT_SEND" => (msgt::POLYMORPHIC, msgt::MOVE_SEND, PORT),
        "MACH_MSG_TYPE_PORT_SEND_ONCE" => (msgt::POLYMORPHIC, msgt::MOVE_SEND_ONCE, PORT),
        "MACH_MSG_TYPE_POLYMORPHIC" => (msgt::POLYMORPHIC, msgt::POLYMORPHIC, PORT),
        "MACH_MSG_TYPE_REAL_32" => (10, 10, 32),
        "MACH_MSG_TYPE_REAL_64" => (10, 10, 64),
        _ => return None,
    })
}

struct Analyzer<'a> {
    map: &'a SourceMap,
    types: HashMap<String, Type>,
    type_order: Vec<String>,
    diags: Diags,
}

/// Analyzes a parsed file. Returns its subsystem (none without a `subsystem` statement; as
/// in migcom a later statement renames the one subsystem and moves its base, and routines
/// are numbered in file order from the first) and the diagnostics.
pub fn analyze(map: &SourceMap, file: &ast::File) -> (Vec<Subsystem>, Diags) {
    let mut a = Analyzer {
        map,
        types: HashMap::new(),
        type_order: Vec::new(),
        diags: Diags::new(),
    };
    let mut subsystems: Vec<Subsystem> = Vec::new();
    let mut settings = Settings::default();
    let mut pending_imports = Vec::new();
    let mut number = 0u32;
    let mut seen_routines: HashMap<String, Span> = HashMap::new();
    let mut early_routines: Vec<ir::Routine> = Vec::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Subsystem {
                kernel_user,
                kernel_server,
                name,
                base,
            } => {
                // migcom keeps one subsystem: a later statement renames it and moves its
                // base (for every routine, as ids are base + number at the end), the
                // numbering goes on, and the kernel keywords are the new statement's.
                if let Some(sub) = subsystems.last_mut() {
                    a.diags.push(
                        Diagnostic::warning(
                            "second-subsystem",
                            format!(
                                "previous Subsystem decl (of `{}`) will be ignored",
                                sub.name
                            ),
                        )
                        .at(
                            name.span,
                            "this name and base apply to every routine of the file",
                        )
                        .also(sub.span, "the previous subsystem")
                        .note("Apple's mig generates one subsystem per file, numbered on from the first routine"),
                    );
                    sub.name = name.text.clone();
                    sub.base = *base;
                    sub.kernel_user = *kernel_user;
                    sub.kernel_server = *kernel_server;
                    sub.span = item.span;
                    sub.imports.append(&mut pending_imports);
                } else {
                    subsystems.push(Subsystem {
                        name: name.text.clone(),
                        base: *base,
                        kernel_user: *kernel_user,
                        kernel_server: *kernel_server,
                        user_prefix: String::new(),
                        server_prefix: String::new(),
                        server_demux: None,
                        wait_time: None,
                        send_time: None,
                        msg_option: None,
                        error_proc: None,
                        use_special_reply_port: false,
                        consume_on_send_error: ConsumeOnSendError::None,
                        rcs_id: None,
                        imports: std::mem::take(&mut pending_imports),
                        routines: std::mem::take(&mut early_routines),
                        types: std::sync::Arc::from([]),
                        id_count: 0,
                        span: item.span,
                    });
                }
            }
            ItemKind::WaitTime(v) => settings.wait_time = v.as_ref().map(|i| i.text.clone()),
            ItemKind::SendTime(v) => settings.send_time = v.as_ref().map(|i| i.text.clone()),
            ItemKind::MsgOption(v) => {
                settings.msg_option = (v.text != "MACH_MSG_OPTION_NONE").then(|| v.text.clone())
            }
            ItemKind::UseSpecialReplyPort(n) => settings.use_special_reply_port = *n != 0,
            ItemKind::ConsumeOnSendError(v) => {
                settings.consume_on_send_error = match v.text.to_ascii_lowercase().as_str() {
                    "timeout" => ConsumeOnSendError::Timeout,
                    "any" => ConsumeOnSendError::Any,
                    _ => ConsumeOnSendError::None,
                }
            }
            ItemKind::UserTypeLimit(_) | ItemKind::OnStackLimit(_) | ItemKind::Error_ => {}
            ItemKind::Error(v) => settings.error_proc = Some(v.text.clone()),
            ItemKind::ServerPrefix(v) => settings.server_prefix = v.text.clone(),
            ItemKind::UserPrefix(v) => settings.user_prefix = v.text.clone(),
            ItemKind::ServerDemux(v) => settings.server_demux = Some(v.text.clone()),
            ItemKind::RcsId(s) => settings.rcs_id = Some(s.clone()),
            ItemKind::Import { kind, file } => {
                let import = ir::Import {
                    kind: *kind,
                    file: file.clone(),
                };
                match subsystems.last_mut() {
                    Some(s) => s.imports.push(import),
                    None => pending_imports.push(import),
                }
            }
            ItemKind::Type(nt) => {
                if let Some(ty) = a.named_type(nt) {
                    if a.types.contains_key(&ty.name) {
                        a.diags.push(
                            Diagnostic::warning(
                                "type-redefined",
                                format!("overriding previous definition of `{}`", ty.name),
                            )
                            .at(nt.name.span, "redefined here"),
                        );
                    } else {
                        a.type_order.push(ty.name.clone());
                    }
                    a.types.insert(ty.name.clone(), ty);
                }
            }
            ItemKind::Skip => {
                number += 1;
            }
            ItemKind::Routine(r) => {
                let this = number;
                number += 1;
                if let Some(prev) = seen_routines.insert(r.name.text.clone(), r.name.span) {
                    a.diags.push(
                        Diagnostic::error(
                            "duplicate-routine",
                            format!("routine `{}` is declared twice", r.name.text),
                        )
                        .at(r.name.span, "declared again here")
                        .also(prev, "first declared here"),
                    );
                }
                // A routine before the subsystem statement is numbered like the others
                // (migcom numbers routines as it meets them and adds the base at the end).
                let kernel = subsystems
                    .last()
                    .map_or((false, false), |s| (s.kernel_user, s.kernel_server));
                if let Some(routine) = a.routine(r, this, 0, &settings, kernel, item.span) {
                    match subsystems.last_mut() {
                        Some(sub) => sub.routines.push(routine),
                        None => early_routines.push(routine),
                    }
                }
            }
        }
        if let Some(sub) = subsystems.last_mut() {
            sub.id_count = number;
        }
    }
    for sub in &mut subsystems {
        for r in &mut sub.routines {
            r.id = sub.base.wrapping_add(r.number);
        }
    }
    // One list of named types shared by every subsystem: copying it into each would make
    // memory grow as subsystem statements times types.
    let types: std::sync::Arc<[Type]> = a
        .type_order
        .iter()
        .filter_map(|n| a.types.get(n).cloned())
        .collect();
    for sub in &mut subsystems {
        sub.user_prefix = settings.user_prefix.clone();
        sub.server_prefix = settings.server_prefix.clone();
        sub.server_demux = settings.server_demux.clone();
        sub.wait_time = settings.wait_time.clone();
        sub.send_time = settings.send_time.clone();
        sub.msg_option = settings.msg_option.clone();
        sub.error_proc = settings.error_proc.clone();
        sub.use_special_reply_port = settings.use_special_reply_port;
        sub.consume_on_send_error = settings.consume_on_send_error;
        sub.rcs_id = settings.rcs_id.clone();
        sub.types = types.clone();
    }
    (subsystems, a.diags)
}

/// migcom's more_global: nothing can be generated without a subsystem name, so a file
/// checked or generated on its own needs one. Files of types only are meant to be included
/// by one that has it, and stay fine there. The run reports this only when nothing else
/// went wrong: a statement that did not parse may have been the subsystem.
pub(crate) fn no_subsystem(file: &ast::File) -> Diagnostic {
    let d = Diagnostic::error("no-subsystem", "no SubSystem declaration").note(
        "Apple's mig refuses a file without `subsystem NAME BASE;`; a file of `type` \
         lines only is meant to be #included by one that has it",
    );
    match file.items.first() {
        Some(first) => d.at(
            first.span,
            "the file starts here and never names a subsystem",
        ),
        None => d,
    }
}

#[derive(Default)]
struct Settings {
    user_prefix: String,
    server_prefix: String,
    server_demux: Option<String>,
    wait_time: Option<String>,
    send_time: Option<String>,
    msg_option: Option<String>,
    error_proc: Option<String>,
    use_special_reply_port: bool,
    consume_on_send_error: ConsumeOnSendError,
    rcs_id: Option<String>,
}

impl Analyzer<'_> {
    fn named_type(&mut self, nt: &ast::NamedType) -> Option<Type> {
        let mut ty = self.type_spec(&nt.spec)?;
        // A declaration names the type anew (migcom's itResetType): translations and C
        // names of the type it was made from do not carry over.
        ty.name = nt.name.text.clone();
        ty.user_type = nt.name.text.clone();
        ty.server_type = nt.name.text.clone();
        ty.translation = ir::Translation::default();
        let mut user = None;
        let mut server = None;
        for d in &nt.decorations {
            match d {
                Decoration::CType(t) => {
                    user = Some(t.text.clone());
                    server = Some(t.text.clone());
                }
                Decoration::CUserType(t) => user = Some(t.text.clone()),
                Decoration::CServerType(t) => server = Some(t.text.clone()),
                Decoration::InTran {
                    trans_type,
                    function,
                    server_type,
                } => {
                    ty.translation.trans_type = Some(trans_type.text.clone());
                    ty.translation.in_tran = Some(function.text.clone());
                    server = Some(server_type.text.clone());
                }
                Decoration::OutTran {
                    server_type,
                    function,
                    trans_type,
                } => {
                    ty.translation.trans_type = Some(trans_type.text.clone());
                    ty.translation.out_tran = Some(function.text.clone());
                    server = Some(server_type.text.clone());
                }
                Decoration::Destructor {
                    function,
                    trans_type,
                } => {
                    ty.translation.trans_type = Some(trans_type.text.clone());
                    ty.translation.destructor = Some(function.text.clone());
                }
            }
        }
        if ty.element.is_none() {
            ty.signed = signedness(&nt.name.text).unwrap_or(ty.signed);
        }
        if let Some(u) = user {
            ty.user_type = u;
        }
        if let Some(s) = server {
            ty.server_type = s;
        }
        Some(ty)
    }

    fn too_complicated(&mut self, span: Span, why: &str) -> Option<Type> {
        self.diags.push(
            Diagnostic::error(
                "type-too-complex",
                "IPC type declaration is too complicated",
            )
            .at(span, why.to_string()),
        );
        None
    }

    /// Refuses a type whose constructors nest, through named types, deeper than the parser
    /// allows in one declaration: each named type holds its whole element chain, so an
    /// unbounded chain of `type tN = array[1] of tN-1;` would take memory and time growing
    /// as the square of the file.
    fn within_depth(&mut self, ty: Type, span: Span) -> Option<Type> {
        let mut depth = 0;
        let mut at = ty.element.as_deref();
        while let Some(el) = at {
            depth += 1;
            at = el.element.as_deref();
        }
        if depth > crate::parse::TYPE_DEPTH_MAX {
            self.diags.push(
                Diagnostic::error("type-too-deep", "type constructors nest too deeply")
                    .at(
                        span,
                        format!(
                            "more than {} levels, counting named types",
                            crate::parse::TYPE_DEPTH_MAX
                        ),
                    )
                    .note("declare the type with fewer `array`, `struct` and `^` layers"),
            );
            return None;
        }
        Some(ty)
    }

    /// migcom's `sizeof(...) == 0` warning: a fixed type of no bytes is declared as a
    /// field of no bytes and carries nothing.
    fn warn_empty(&mut self, ty: &Type, span: Span) {
        if ty.number == 0 && !ty.var_array {
            self.diags.push(
                Diagnostic::warning("zero-size", "this type has a size of 0 bytes")
                    .at(span, "declared with 0 elements")
                    .note("Apple's mig warns `sizeof(...) == 0` and declares an empty field"),
            );
        }
    }

    /// An array whose elements are out-of-line types: migcom sends one descriptor per
    /// element (its `itKPD_Number` multiplied by the count), which only works on an
    /// element of one descriptor, and an unbounded array of them is too complicated.
    fn ool_array(
        &mut self,
        spec: &TypeSpec,
        el: Type,
        count: u64,
        varying: bool,
        span: Span,
    ) -> Option<Type> {
        if count == 0 && !varying && el.ool_elements.is_none() {
            // migcom multiplies the descriptor count by 0 and then, seeing no multiple,
            // declares one descriptor and checks it as one element (see `collapsed`).
            return Some(self.collapsed(spec, &el, false, 1, span));
        }
        if el.ool_elements.is_some() || count == 0 {
            self.diags.push(
                Diagnostic::error(
                    "type-too-complex",
                    "IPC type decl is too complicated for Kernel Processed Data",
                )
                .at(
                    span,
                    if count == 0 {
                        "an unbounded array of out-of-line elements"
                    } else {
                        "an array of arrays of out-of-line elements"
                    },
                )
                .note(
                    "Apple's mig refuses it: give the array a bound, and one level of descriptors",
                ),
            );
            return None;
        }
        if count > u64::from(u16::MAX) {
            return self.too_complicated(span, "too many out-of-line elements");
        }
        let name = self_describe(self.map, spec);
        Some(out_of_line_over(name, el, 1, varying, Some(count)))
    }

    /// A type migcom accepts but collapses: `array[0] of` an out-of-line type, or a `^`
    /// over an array of unbounded arrays. Its header declares one descriptor (and a count
    /// when `varying`), its stubs send one element's bytes (or a size of 0 per element)
    /// and its server checks disagree with its client, so nothing sensible travels. migz
    /// lays it out as Apple does, with a warning, and `migz gen` refuses it: the type is
    /// out of line and so is its element (`migz_codegen::unsupported`).
    fn collapsed(
        &mut self,
        spec: &TypeSpec,
        t: &Type,
        varying: bool,
        bound: u64,
        span: Span,
    ) -> Type {
        let name = self_describe(self.map, spec);
        self.diags.push(
            Diagnostic::warning(
                "collapsed-type",
                format!("Apple's mig collapses `{name}` into one out-of-line region"),
            )
            .at(
                span,
                "an array of out-of-line arrays that migcom reduces to one descriptor",
            )
            .note(
                "its stubs send and check one element (the client and server disagree), so \
                 `migz gen` refuses it; write `array[N] of` the out-of-line type without `^`, \
                 with N > 0",
            ),
        );
        let inner = t.element.as_deref().unwrap_or(t);
        let el = if t.ool_elements.is_some() {
            inner.clone()
        } else {
            t.clone()
        };
        out_of_line_over(name, el, bound, varying, None)
    }

    /// The size rules of an argument's type. migcom never refuses a size: it computes
    /// them in 32-bit arithmetic, which wraps, and a type nobody uses costs nothing. So
    /// migz checks sizes where a type is used: a type whose data cannot be described by
    /// Mach's 32-bit sizes is refused; in-line data over Mach's message limit is
    /// declared (as Apple declares it) with a warning, and `migz gen` refuses to
    /// generate a routine that could never be sent.
    fn check_size(&mut self, ty: &Type, arg: &str, span: Span) -> Option<()> {
        let bytes = (ty.number as u128 * ty.element_bits as u128).div_ceil(8);
        if bytes > u128::from(u32::MAX) {
            self.diags.push(
                Diagnostic::error(
                    "type-too-large",
                    format!("`{arg}`'s type `{}` would take {bytes} bytes", ty.name),
                )
                .at(span, "too large for a Mach message")
                .note(
                    "Mach describes sizes in 32 bits (Apple's mig computes them in 32 bits, \
                     which wraps around)",
                ),
            );
            return None;
        }
        if ty.inline && bytes > u128::from(MESSAGE_SIZE_MAX) {
            self.diags.push(
                Diagnostic::warning(
                    "type-too-large",
                    format!("`{arg}` carries {bytes} bytes in line"),
                )
                .at(span, "too large for a Mach message")
                .note(format!(
                    "Mach refuses messages over {MESSAGE_SIZE_MAX} bytes: the routine can be \
                     declared but never sent, and `migz gen` refuses it; send the data out of \
                     line with `^`"
                )),
            );
        }
        Some(())
    }

    fn type_spec(&mut self, spec: &TypeSpec) -> Option<Type> {
        let describe = |s: &TypeSpec| self_describe(self.map, s);
        match spec {
            TypeSpec::Named(id) => match self.types.get(&id.text) {
                Some(t) => Some(t.clone()),
                None => {
                    self.diags.push(
                        Diagnostic::error("unknown-type", format!("unknown type `{}`", id.text))
                            .at(id.span, "not declared by a `type` statement or an #include"),
                    );
                    None
                }
            },
            TypeSpec::Ipc {
                send,
                receive,
                span,
            } => {
                let first = self.ipc_name(send, *span)?;
                let (in_name, out_name, bits) = match receive {
                    None => first,
                    Some(r) => {
                        let second = self.ipc_name(r, *span)?;
                        let bits = match (first.2, second.2) {
                            (a, b) if a == b => a,
                            (0, b) => b,
                            (a, 0) => a,
                            (a, b) => {
                                self.diags.push(
                                    Diagnostic::error(
                                        "ipc-size-mismatch",
                                        format!("sizes in IPC types ({a}, {b}) aren't equal"),
                                    )
                                    .at(*span, "both sides of `|` must have the same size"),
                                );
                                return None;
                            }
                        };
                        (first.0, second.1, bits)
                    }
                };
                if bits == 0 {
                    self.diags.push(
                        Diagnostic::error("ipc-no-size", "this IPC type has no size")
                            .at(*span, "migz cannot lay out a value of unknown size")
                            .note("use a sized type such as MACH_MSG_TYPE_INTEGER_32, or an array of one"),
                    );
                    return None;
                }
                let name = describe(spec);
                Some(Type {
                    name: name.clone(),
                    user_type: name.clone(),
                    server_type: name,
                    translation: Default::default(),
                    in_name,
                    out_name,
                    element_bits: bits,
                    number: 1,
                    inline: true,
                    var_array: false,
                    is_struct: false,
                    is_string: false,
                    native: false,
                    signed: false,
                    element: None,
                    pointer: false,
                    struct_of_ports: None,
                    ool_elements: None,
                })
            }
            TypeSpec::Array {
                count,
                element,
                span,
            } => {
                let el = self.type_spec(element)?;
                // migcom's itArrayDecl: an array of an out-of-line type is an array of
                // descriptors, an array of a variable array is too complicated.
                if !el.inline {
                    return self.ool_array(spec, el, *count, false, *span);
                }
                if el.var_array {
                    return self.too_complicated(*span, "the element type is a variable array");
                }
                let mut ty = el.clone();
                ty.name = describe(spec);
                ty.user_type = ty.name.clone();
                ty.server_type = ty.name.clone();
                ty.number = el.number.saturating_mul(*count);
                ty.is_struct = false;
                ty.is_string = false;
                ty.element = Some(Box::new(el));
                self.warn_empty(&ty, *span);
                self.within_depth(ty, *span)
            }
            TypeSpec::Struct {
                count,
                element,
                span,
            } => {
                let el = self.type_spec(element)?;
                // migcom's itStructDecl.
                if !el.inline || el.var_array {
                    return self.too_complicated(
                        *span,
                        "a struct's element type must be fixed-size and in line",
                    );
                }
                let mut ty = el.clone();
                ty.name = describe(spec);
                ty.user_type = ty.name.clone();
                ty.server_type = ty.name.clone();
                ty.number = el.number.saturating_mul(*count);
                ty.is_struct = true;
                ty.is_string = false;
                if el.is_port() && *count > 1 {
                    ty.struct_of_ports = Some(*span);
                }
                ty.element = Some(Box::new(el));
                self.warn_empty(&ty, *span);
                self.within_depth(ty, *span)
            }
            TypeSpec::VarArray { max, element, span } => {
                let el = self.type_spec(element)?;
                // migcom's itVarArrayDecl.
                if !el.inline {
                    return self.ool_array(spec, el, max.unwrap_or(0), true, *span);
                }
                if el.var_array {
                    return self.too_complicated(*span, "the element type is a variable array");
                }
                let mut ty = el.clone();
                ty.name = describe(spec);
                ty.user_type = ty.name.clone();
                ty.server_type = ty.name.clone();
                ty.var_array = true;
                ty.is_struct = false;
                ty.is_string = false;
                match max {
                    Some(0) | None => {
                        // Unbounded: migcom sends it out of line.
                        ty.number = 0;
                        ty.inline = false;
                    }
                    Some(n) => {
                        ty.number = el.number.saturating_mul(*n);
                    }
                }
                ty.element = Some(Box::new(el));
                self.within_depth(ty, *span)
            }
            TypeSpec::Pointer { target, span } => {
                let t = self.type_spec(target)?;
                // migcom's itPtrDecl: an unbounded `array[]` is out of line by MIG's choice
                // and takes a `^`; anything a `^` already made out of line does not.
                if !t.inline && t.pointer {
                    self.diags.push(
                        Diagnostic::error(
                            "already-out-of-line",
                            "IPC type decl is already defined to be Out-Of-Line",
                        )
                        .at(
                            *span,
                            "this `^` applies to a type that is already out of line",
                        )
                        .note("remove one `^`"),
                    );
                    return None;
                }
                if let Some(n) = t.ool_elements {
                    // migcom's itPtrDecl resets the descriptor count to one: the array of
                    // descriptors collapses into one region.
                    let mut ty = self.collapsed(spec, &t, t.var_array, n, *span);
                    ty.pointer = true;
                    return self.within_depth(ty, *span);
                }
                let mut ty = t.clone();
                ty.name = describe(spec);
                ty.user_type = ty.name.clone();
                ty.server_type = ty.name.clone();
                ty.inline = false;
                ty.pointer = true;
                if ty.element.is_none() {
                    ty.element = Some(Box::new(t));
                }
                self.within_depth(ty, *span)
            }
            TypeSpec::CString { max, varying, span } => {
                let ch = Type {
                    name: "char".into(),
                    user_type: "char".into(),
                    server_type: "char".into(),
                    translation: Default::default(),
                    in_name: 8,
                    out_name: 8,
                    element_bits: 8,
                    number: 1,
                    inline: true,
                    var_array: false,
                    is_struct: false,
                    is_string: false,
                    native: false,
                    signed: false,
                    element: None,
                    pointer: false,
                    struct_of_ports: None,
                    ool_elements: None,
                };
                let name = describe(spec);
                let ty = Type {
                    name: name.clone(),
                    user_type: name.clone(),
                    server_type: name,
                    translation: Default::default(),
                    in_name: 12,
                    out_name: 12,
                    element_bits: 8,
                    number: *max,
                    inline: true,
                    var_array: *varying,
                    is_struct: false,
                    is_string: true,
                    native: false,
                    signed: false,
                    element: Some(Box::new(ch)),
                    pointer: false,
                    struct_of_ports: None,
                    ool_elements: None,
                };
                self.warn_empty(&ty, *span);
                Some(ty)
            }
            TypeSpec::Native { phrase, .. } => Some(Type {
                name: phrase.clone(),
                user_type: phrase.clone(),
                server_type: phrase.clone(),
                translation: Default::default(),
                in_name: 0,
                out_name: 0,
                element_bits: 0,
                number: 1,
                inline: true,
                var_array: false,
                is_struct: false,
                is_string: false,
                native: true,
                signed: false,
                element: None,
                pointer: false,
                struct_of_ports: None,
                ool_elements: None,
            }),
        }
    }

    fn ipc_name(&mut self, name: &IpcName, span: Span) -> Option<(u32, u32, u32)> {
        match name {
            IpcName::Number(n) => Some((*n, *n, 0)),
            IpcName::Symbolic(s) => match symbolic(s) {
                Some(t) => Some(t),
                None => {
                    self.diags.push(
                        Diagnostic::error("unknown-ipc-type", format!("unknown IPC type `{s}`"))
                            .at(span, "not one of migcom's MACH_MSG_TYPE_* names"),
                    );
                    None
                }
            },
        }
    }

    fn arg_type(&mut self, ty: &ArgType) -> Option<Type> {
        match ty {
            ArgType::Named(id) => self.type_spec(&TypeSpec::Named(id.clone())),
            ArgType::Inline(nt) => {
                let t = self.named_type(nt)?;
                self.types.insert(t.name.clone(), t.clone());
                self.type_order.push(t.name.clone());
                Some(t)
            }
            ArgType::Native(spec) => self.type_spec(spec),
            ArgType::Anonymous(spec, decorations) => {
                let name = self_describe(self.map, spec);
                let nt = ast::NamedType {
                    name: ast::Ident {
                        text: name,
                        span: spec.span(),
                    },
                    spec: spec.clone(),
                    decorations: decorations.clone(),
                };
                self.named_type(&nt)
            }
        }
    }

    /// A type constructor written in an argument (`data : array[*:4] of int32_t`) is a
    /// migz extension: Apple's grammar takes a type name, `name = spec` or a native type
    /// there, and its `mig` stops with a syntax error.
    fn warn_in_place(&mut self, arg: &str, spec: &TypeSpec) {
        let text = self_describe(self.map, spec);
        self.diags.push(
            Diagnostic::warning(
                "apple-syntax",
                format!("Apple's mig rejects the type of `{arg}` written in place"),
            )
            .at(spec.span(), "a type constructor in an argument is a migz extension")
            .note(format!(
                "declare it with a `type` line, `type {arg}_t = {text};`, and write `{arg} : {arg}_t`"
            )),
        );
    }

    /// migcom's rtCheckRoutineArg: a routine has one request port, one reply port, one
    /// timeout and one message option. When a role comes again, the earlier argument
    /// "won't be used" (migcom warns, never checks its type, and sends nothing for it),
    /// except that a `SendTime` after a `WaitTime` is the one left unused. The unused
    /// argument is dropped here, with that warning. Returns whether `arg` itself is the
    /// one dropped.
    fn supersede_role(
        &mut self,
        routine: &str,
        args: &mut Vec<Arg>,
        role_checks: &mut Vec<Option<&ast::Arg>>,
        arg: &Arg,
    ) -> bool {
        let role = |k: Direction| match k {
            Direction::RequestPort => Some("RequestPort"),
            Direction::ReplyPort | Direction::SReplyPort | Direction::UReplyPort => {
                Some("ReplyPort")
            }
            Direction::WaitTime | Direction::SendTime => Some("WaitTime/SendTime type"),
            Direction::MsgOption => Some("MsgOption"),
            _ => None,
        };
        let Some(mine) = role(arg.kind) else {
            return false;
        };
        let Some(at) = args.iter().position(|b| role(b.kind) == Some(mine)) else {
            return false;
        };
        if arg.kind == Direction::SendTime && args[at].kind == Direction::WaitTime {
            self.diags.push(
                Diagnostic::warning(
                    "unused-argument",
                    format!(
                        "SendTime type argument after a WaitTime in {routine}; SendTime {} won't be used",
                        arg.name
                    ),
                )
                .at(arg.span, "dropped: the WaitTime argument sets the timeout")
                .also(args[at].span, "the WaitTime argument"),
            );
            return true;
        }
        let old = args.remove(at);
        role_checks.remove(at);
        // SameCount links are indices: those past the removed argument move down one, and
        // one to the removed argument itself counts on its own.
        for a in args.iter_mut() {
            match a.count {
                Count::Same(t) if t > at => a.count = Count::Same(t - 1),
                Count::Same(t) if t == at => a.count = Count::Own,
                _ => {}
            }
        }
        let what = if arg.kind == Direction::SendTime {
            "SendTime type"
        } else {
            mine
        };
        self.diags.push(
            Diagnostic::warning(
                "unused-argument",
                format!(
                    "multiple {what} args in {routine}; {} won't be used",
                    old.name
                ),
            )
            .at(old.span, "dropped: Apple's mig sends nothing for it")
            .also(arg.span, "the argument that takes its role"),
        );
        false
    }

    fn warn_flag(&mut self, span: Span, arg: &str, why: &str) {
        self.diags.push(
            Diagnostic::warning("ignored-flag", format!("{arg}: {why}"))
                .at(span, "this flag has no effect"),
        );
    }

    fn routine(
        &mut self,
        r: &ast::Routine,
        number: u32,
        base: u32,
        settings: &Settings,
        (kernel_user, kernel_server): (bool, bool),
        span: Span,
    ) -> Option<ir::Routine> {
        let one_way = r.kind == ast::RoutineKind::SimpleRoutine;
        let mut args: Vec<Arg> = Vec::new();
        let mut failed = false;
        let mut names: HashMap<&str, Span> = HashMap::new();
        let mut has_request_port = false;
        // The arguments whose role types are checked once every argument is known: a
        // role given twice keeps only its last holder (see `supersede_role`).
        let mut role_checks: Vec<Option<&ast::Arg>> = Vec::new();
        for a in &r.args {
            if let Some(prev) = names.insert(a.name.text.as_str(), a.name.span) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate-argument",
                        format!("argument `{}` appears twice", a.name.text),
                    )
                    .at(a.name.span, "again here")
                    .also(prev, "first here"),
                );
                failed = true;
            }
            if let ArgType::Anonymous(spec, _) = &a.ty {
                self.warn_in_place(&a.name.text, spec);
            }
            let Some(ty) = self.arg_type(&a.ty) else {
                failed = true;
                continue;
            };
            if self.check_size(&ty, &a.name.text, a.span).is_none() {
                failed = true;
                continue;
            }
            if let Some(layer) = ty.struct_of_ports {
                // migcom multiplies the element count of a struct but not its descriptor
                // count: its header has one port descriptor for all the ports, and its
                // stubs do not compile.
                self.diags.push(
                    Diagnostic::error(
                        "struct-of-ports",
                        format!(
                            "`{}` sends a `struct` of port rights, which Apple's MIG cannot carry",
                            a.name.text
                        ),
                    )
                    .at(a.name.span, "its type has a struct layer over ports")
                    .also(layer, "Apple's mig lays this out as one port descriptor")
                    .note(
                        "declare it as `array[N] of` the port type: one port descriptor per right",
                    ),
                );
                failed = true;
                continue;
            }
            let kind = match a.direction {
                Some(d) => d,
                None if !has_request_port => Direction::RequestPort,
                None => Direction::In,
            };
            has_request_port |= kind == Direction::RequestPort;
            let (in_request, in_reply) = match kind {
                Direction::In | Direction::RequestPort | Direction::ReplyPort => (true, false),
                Direction::SReplyPort | Direction::UReplyPort => (true, false),
                Direction::Out => (false, true),
                Direction::InOut => (true, true),
                _ => (false, false),
            };
            let has = |f: Flag| a.flags.iter().find(|(x, _)| *x == f).map(|(_, s)| *s);
            let mut arg = Arg {
                name: a.name.text.clone(),
                kind,
                ty: ty.clone(),
                in_request,
                in_reply,
                count: Count::None,
                count_in_out: false,
                poly: ty.is_polymorphic(),
                dealloc: Dealloc::No,
                physical_copy: false,
                overwrite: false,
                auto: has(Flag::Auto).is_some(),
                is_const: has(Flag::Const).is_some(),
                ret_code: false,
                span: a.span,
            };
            // Dealloc, NotDealloc and Dealloc[].
            let maybe = has(Flag::MaybeDealloc);
            let yes = has(Flag::Dealloc);
            let no = has(Flag::NotDealloc);
            if let Some(s) = maybe.or(yes) {
                if maybe.is_some() && (yes.is_some() || no.is_some()) {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "Dealloc and NotDealloc ignored with Dealloc[]",
                    );
                }
                if yes.is_some() && no.is_some() && maybe.is_none() {
                    self.warn_flag(s, &arg.name, "Dealloc and NotDealloc cancel out");
                } else if ty.inline && !ty.is_port() {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "Dealloc is meaningless for this type of argument",
                    );
                } else if maybe.is_some() && ty.inline {
                    // migcom's rtSuffixExtArg: `Dealloc[]` becomes a `deallocate` field of
                    // the descriptor, and a port descriptor has none.
                    self.diags.push(
                        Diagnostic::error(
                            "kpd-inconsistent",
                            format!("{}: Type of kernel processed data inconsistent", arg.name),
                        )
                        .at(s, "`Dealloc[]` on a port sent in line")
                        .note(
                            "Apple's mig refuses it: a port descriptor has no deallocate flag; \
                             only out-of-line data and out-of-line port arrays take `Dealloc[]`",
                        ),
                    );
                    failed = true;
                } else {
                    arg.dealloc = if maybe.is_some() {
                        Dealloc::Maybe
                    } else {
                        Dealloc::Yes
                    };
                }
            }
            if let Some(s) = has(Flag::CountInOut) {
                if !in_reply {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "CountInOut is ignored: the argument must be Out",
                    );
                } else if !ty.var_array || !ty.inline {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "CountInOut is ignored: the argument isn't variable or in line",
                    );
                } else {
                    arg.count_in_out = true;
                }
            }
            if let Some(s) = has(Flag::PhysicalCopy) {
                if ty.inline {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "PhysicalCopy is ignored, the argument is copied in line anyway",
                    );
                } else if ty.is_port() {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "PhysicalCopy does not apply to ports and arrays of ports",
                    );
                } else {
                    arg.physical_copy = true;
                }
            }
            if let Some(s) = has(Flag::Overwrite) {
                if ty.inline || !in_reply || in_request {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "Overwrite is ignored: it must be Out and out of line",
                    );
                } else if kernel_user {
                    self.diags.push(
                        Diagnostic::error(
                            "overwrite-kernel-user",
                            "Overwrite option(s) do not match with the KernelUser personality",
                        )
                        .at(s, "Apple's mig refuses Overwrite in a KernelUser subsystem")
                        .note("drop `Overwrite` or `KernelUser`"),
                    );
                    failed = true;
                } else {
                    arg.overwrite = true;
                }
            }
            if let Some(s) = has(Flag::RetCode) {
                if !ty.inline || ty.element_bits != 32 || ty.number != 1 {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "RetCode is ignored: the type doesn't match a MIG RetCode",
                    );
                } else if !one_way {
                    self.diags.push(
                        Diagnostic::error(
                            "retcode-in-routine",
                            format!("{}: RetCode is allowed only for simpleroutines", arg.name),
                        )
                        .at(s, "not allowed in a routine"),
                    );
                    failed = true;
                } else if args.iter().any(|x: &Arg| x.ret_code) {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "RetCode is ignored: only one argument can be flagged as RetCode",
                    );
                } else {
                    arg.ret_code = true;
                }
            }
            if ty.var_array {
                arg.count = if ty.is_string && ty.inline {
                    Count::StringLength
                } else {
                    Count::Own
                };
            }
            if let Some(s) = has(Flag::SameCount) {
                let prev = args.last();
                if !ty.var_array {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "SameCount is ignored: the argument is not variable",
                    );
                } else if let Some(prev) = prev {
                    if !prev.ty.var_array {
                        self.warn_flag(
                            s,
                            &arg.name,
                            "SameCount is ignored: the adjacent argument is not variable",
                        );
                    } else if prev.kind != arg.kind || prev.count_in_out != arg.count_in_out {
                        self.warn_flag(
                            s,
                            &arg.name,
                            "SameCount is ignored: inconsistent with the adjacent argument",
                        );
                    } else {
                        let target = match prev.count {
                            Count::Same(t) => t,
                            _ => args.len() - 1,
                        };
                        arg.count = Count::Same(target);
                    }
                } else {
                    self.warn_flag(
                        s,
                        &arg.name,
                        "SameCount is ignored: there is no previous argument",
                    );
                }
            }
            if ty.is_variable_inline() && in_request && in_reply {
                self.diags.push(
                    Diagnostic::error(
                        "inout-variable",
                        format!(
                            "{}: in-line variable-sized arguments can't be InOut",
                            arg.name
                        ),
                    )
                    .at(
                        a.name.span,
                        "make it `in` or `out`, or send it out of line with `^`",
                    ),
                );
                failed = true;
            }
            // A variable array of out-of-line elements carries its per-element counts as
            // an in-line variable array (`<name>Subs`), which migcom refuses to make InOut
            // as it refuses any in-line variable array.
            if ty.ool_elements.is_some() && ty.var_array && in_request && in_reply {
                self.diags.push(
                    Diagnostic::error(
                        "inout-variable",
                        format!(
                            "{}Subs: in-line variable-sized arguments can't be InOut",
                            arg.name
                        ),
                    )
                    .at(
                        a.name.span,
                        "its element counts travel in line as a variable array",
                    )
                    .note("make it `in` or `out`, or give the array a fixed count"),
                );
                failed = true;
            }
            if ty.native && !matches!(kind, Direction::In | Direction::Out | Direction::InOut) {
                self.diags.push(
                    Diagnostic::error("native-direction", "illegal direction for a native type")
                        .at(
                            a.span,
                            "PointerTo and ValueOf arguments must be in, out or inout",
                        ),
                );
                failed = true;
            }
            if self.supersede_role(&r.name.text, &mut args, &mut role_checks, &arg) {
                continue;
            }
            role_checks.push((!ty.native).then_some(a));
            args.push(arg);
        }
        for (arg, a) in args.iter().zip(&role_checks) {
            if let Some(a) = a {
                self.check_role(arg, a);
            }
        }
        let request_ports = args
            .iter()
            .filter(|a| a.kind == Direction::RequestPort)
            .count();
        if request_ports == 0 && !failed {
            self.diags.push(
                Diagnostic::error(
                    "no-request-port",
                    format!(
                        "routine `{}` doesn't have a server port argument",
                        r.name.text
                    ),
                )
                .at(
                    r.name.span,
                    "the first argument without a direction is the request port",
                )
                .note("add a first argument such as `server : mach_port_t`"),
            );
            failed = true;
        }
        // migcom's rtCheckRoutine: a simpleroutine has no reply, so nothing may come back
        // to the client, trailers the client receives included.
        if one_way
            && let Some(out) = args.iter().find(|a| {
                a.in_reply
                    || matches!(
                        a.kind,
                        Direction::SecToken
                            | Direction::AuditToken
                            | Direction::UserSecToken
                            | Direction::UserAuditToken
                            | Direction::UserImpl
                    )
            })
        {
            self.diags.push(
                Diagnostic::error(
                    "out-in-simpleroutine",
                    format!("simpleroutine `{}` has an out argument", r.name.text),
                )
                .at(out.span, "a simpleroutine has no reply to carry it")
                .note("make it a `routine`, or drop the argument"),
            );
            failed = true;
        }
        // migcom's rtProcessUseSpecialReplyPort, for every routine that waits for a reply
        // on the special reply port (no explicit user reply port).
        if settings.use_special_reply_port
            && (kernel_user || kernel_server)
            && !one_way
            && !args
                .iter()
                .any(|a| matches!(a.kind, Direction::ReplyPort | Direction::UReplyPort))
        {
            self.diags.push(
                Diagnostic::error(
                    "special-reply-port-kernel",
                    "UseSpecialReplyPort option cannot be used with KernelUser / KernelServer",
                )
                .at(r.name.span, "this routine would use the special reply port")
                .note("Apple's mig refuses it; drop `UseSpecialReplyPort 1` or the kernel keyword"),
            );
            failed = true;
        }
        if failed {
            return None;
        }
        let doc = doc_comment_before(self.map, span);
        let (request, reply) = match crate::layout::compute(&args, one_way) {
            Ok(l) => l,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        "layout",
                        format!("routine `{}` cannot be laid out: {e}", r.name.text),
                    )
                    .at(r.name.span, "here"),
                );
                return None;
            }
        };
        Some(ir::Routine {
            name: r.name.text.clone(),
            kind: r.kind,
            number,
            id: base.wrapping_add(number),
            args,
            request,
            reply,
            doc,
            span,
        })
    }

    /// Checks the types of arguments with special roles, as migcom's `itCheck*Type` do.
    fn check_role(&mut self, arg: &Arg, a: &ast::Arg) {
        let ty = &arg.ty;
        // One 32-bit value in line, not an array: migcom's checks also want `itStruct`,
        // which its scalars and `struct[1]` have and arrays and strings do not.
        let single = ty.inline
            && !ty.var_array
            && !ty.is_string
            && ty.number == 1
            && ty.element_bits == 32
            && (ty.element.is_none() || ty.is_struct);
        let bad = match arg.kind {
            // migcom's itCheckRequestPortType: a send or send-once right as received.
            Direction::RequestPort => (!(single
                && matches!(
                    ty.out_name,
                    msgt::MOVE_SEND | msgt::MOVE_SEND_ONCE | msgt::POLYMORPHIC
                )))
            .then_some("isn't a proper request port: it must be one send or send-once right"),
            // migcom's itCheckReplyPortType.
            Direction::ReplyPort | Direction::SReplyPort | Direction::UReplyPort => (!(single
                && matches!(
                    ty.out_name,
                    msgt::MOVE_SEND | msgt::MOVE_SEND_ONCE | msgt::POLYMORPHIC
                )))
            .then_some("isn't a proper reply port: it must be one send or send-once right"),
            // migcom's itCheckIntType.
            Direction::WaitTime | Direction::SendTime | Direction::MsgOption => {
                (!(single && ty.in_name == 2 && ty.out_name == 2))
                    .then_some("isn't a proper integer: it must be a MACH_MSG_TYPE_INTEGER_32")
            }
            // migcom never checks a trailer's type (its check runs before it counts the
            // trailer arguments); migz reads the sequence number as 32 bits.
            Direction::MsgSeqno => {
                (!(ty.inline && ty.number == 1 && ty.element_bits == 32 && !ty.is_port()))
                    .then_some("must be a 32-bit integer")
            }
            _ => None,
        };
        if let Some(why) = bad {
            self.diags.push(
                Diagnostic::error("bad-role-type", format!("argument `{}` {why}", arg.name))
                    .at(a.span, format!("its type is `{}`", ty.name)),
            );
        }
    }
}

/// An out-of-line type named `name` over the out-of-line type `el`: an array of them
/// (`ool_elements`, one descriptor each) or the one region migcom collapses them into.
/// migcom copies `itMigInLine` from the element, so `pointer` is the element's: a `^`
/// over an array of unbounded arrays is taken (and collapses it), over an array of `^`
/// types not.
fn out_of_line_over(
    name: String,
    el: Type,
    number: u64,
    varying: bool,
    ool_elements: Option<u64>,
) -> Type {
    Type {
        name: name.clone(),
        user_type: name.clone(),
        server_type: name,
        translation: Default::default(),
        in_name: el.in_name,
        out_name: el.out_name,
        element_bits: el.element_bits,
        number,
        inline: false,
        var_array: varying,
        is_struct: false,
        is_string: false,
        native: false,
        signed: el.signed,
        pointer: el.pointer,
        struct_of_ports: el.struct_of_ports,
        ool_elements,
        element: Some(Box::new(el)),
    }
}

/// Signedness from a C type name, where the name says it.
fn signedness(name: &str) -> Option<bool> {
    let n = name.to_ascii_lowercase();
    if n.starts_with("uint")
        || n.starts_with("unsigned")
        || n.starts_with("natural")
        || n.starts_with("u_")
    {
        Some(false)
    } else if n.starts_with("int")
        || n == "boolean_t"
        || n == "kern_return_t"
        || n.ends_with("_delta_t")
        || n.starts_with("integer")
    {
        Some(true)
    } else {
        None
    }
}

fn self_describe(map: &SourceMap, spec: &TypeSpec) -> String {
    let text = map.snippet(spec.span());
    if text.is_empty() || text.len() > 80 {
        "anonymous type".into()
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The comment that ends right before `span` (only whitespace between), as plain lines,
/// for the generated code's doc comments. Decorative `*` columns are removed.
pub fn doc_comment_before(map: &SourceMap, span: Span) -> Option<String> {
    let file = map.file(span.file);
    let before = file.text.get(..span.start as usize)?;
    let trimmed = before.trim_end();
    let body = if let Some(head) = trimmed.strip_suffix("*/") {
        let start = head.rfind("/*")?;
        // A comment after code on its line (`skip; /* task_resume */`) belongs to that
        // code, not to the next statement.
        let line_start = head[..start].rfind('\n').map_or(0, |i| i + 1);
        if !head[line_start..start].trim().is_empty() {
            return None;
        }
        head[start + 2..].to_string()
    } else {
        // `//` comment lines right above.
        let mut lines: Vec<&str> = Vec::new();
        for line in trimmed.lines().rev() {
            let l = line.trim();
            match l.strip_prefix("//") {
                Some(rest) => lines.push(rest),
                None => break,
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        lines.join("\n")
    };
    let lines: Vec<String> = body
        .lines()
        .map(|l| {
            let l = l.trim();
            let l = l.strip_prefix('*').unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l).trim_end().to_string()
        })
        .collect();
    let start = lines.iter().position(|l| !l.is_empty())?;
    let end = lines.iter().rposition(|l| !l.is_empty())?;
    let text = lines[start..=end].join("\n");
    (!text.trim().is_empty()).then_some(text)
}
