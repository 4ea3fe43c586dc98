//! Names: case conversion and the one sanitizer per language that keeps `.defs` names
//! from colliding with keywords, primitives or the names generated code uses itself.

/// `sum_array` → `SumArray`; `mach_port_allocate` → `MachPortAllocate`.
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'R');
    }
    out
}

/// `sum_array` → `sumArray`.
pub fn camel(name: &str) -> String {
    let p = pascal(name);
    let mut chars = p.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => p,
    }
}

const ZIG_KEYWORDS: &[&str] = &[
    "addrspace",
    "align",
    "allowzero",
    "and",
    "anyframe",
    "anytype",
    "asm",
    "break",
    "callconv",
    "catch",
    "comptime",
    "const",
    "continue",
    "defer",
    "else",
    "enum",
    "errdefer",
    "error",
    "export",
    "extern",
    "fn",
    "for",
    "if",
    "inline",
    "linksection",
    "noalias",
    "noinline",
    "nosuspend",
    "opaque",
    "or",
    "orelse",
    "packed",
    "pub",
    "resume",
    "return",
    "struct",
    "suspend",
    "switch",
    "test",
    "threadlocal",
    "try",
    "union",
    "unreachable",
    "var",
    "volatile",
    "while",
];

/// Zig's primitive type names and literals, which declarations may not shadow.
const ZIG_PRIMITIVES: &[&str] = &[
    "anyerror",
    "anyopaque",
    "bool",
    "c_char",
    "c_int",
    "c_long",
    "c_longdouble",
    "c_longlong",
    "c_short",
    "c_uint",
    "c_ulong",
    "c_ulonglong",
    "c_ushort",
    "comptime_float",
    "comptime_int",
    "f16",
    "f32",
    "f64",
    "f80",
    "f128",
    "isize",
    "noreturn",
    "type",
    "usize",
    "void",
    "true",
    "false",
    "null",
    "undefined",
];

/// Names the generated Zig file declares or imports at its top level.
const ZIG_RESERVED: &[&str] = &[
    "std",
    "migz",
    "assert",
    "Server",
    "subsystem_name",
    "base_id",
];

fn is_int_primitive(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 1 && (b[0] == b'i' || b[0] == b'u') && b[1..].iter().all(u8::is_ascii_digit)
}

/// A `.defs` name as a Zig identifier: keywords become `@"name"`, names that would shadow a
/// primitive or one of the generated file's own declarations get a trailing `_`.
pub fn zig_ident(name: &str) -> String {
    if ZIG_KEYWORDS.contains(&name) {
        format!("@\"{name}\"")
    } else if ZIG_PRIMITIVES.contains(&name)
        || is_int_primitive(name)
        || ZIG_RESERVED.contains(&name)
    {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// A `.defs` name as a Rust identifier: keywords become raw identifiers (`r#type`); the
/// few that cannot be raw (`self`, `Self`, `super`, `crate`, `_`) get a trailing `_`.
pub fn rust_ident(name: &str) -> String {
    if ["self", "Self", "super", "crate", "_"].contains(&name) {
        format!("{name}_")
    } else if RUST_KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// Whether a string is a plain C identifier (type names can be anonymous descriptions).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `sub` with every argument named like a fixed message field (`head`, `body`, `ndr`,
/// `ret_code`) renamed with a trailing `_`, as both writers name them, so field names agree
/// across languages (`ndr` is a real argument name in iokit.defs, where C tells `NDR` from
/// `ndr` by case).
pub fn unclash_arguments(sub: &migz_defs::ir::Subsystem) -> migz_defs::ir::Subsystem {
    let mut renamed = sub.clone();
    for r in &mut renamed.routines {
        for a in &mut r.args {
            if ["head", "body", "ndr", "ret_code"].contains(&a.name.as_str()) {
                a.name.push('_');
            }
        }
    }
    renamed
}

/// The name of a message struct field, the same in both languages before each language's
/// sanitizer: Apple's `Head`/`msgh_body`/`NDR`/`RetCode` as `head`/`body`/`ndr`/`ret_code`,
/// an argument's own name, and `<arg>_cnt`/`_offset`/`_pad` for MIG's `<arg>Cnt`/`Offset`/`Pad`.
pub fn message_field(f: &migz_defs::ir::Field, args: &[migz_defs::ir::Arg]) -> String {
    use migz_defs::ir::FieldKind;
    let arg_name = |i: usize| args[i].name.clone();
    match &f.kind {
        FieldKind::Header => "head".to_string(),
        FieldKind::Body => "body".to_string(),
        FieldKind::Ndr => "ndr".to_string(),
        FieldKind::RetCode => "ret_code".to_string(),
        // Apple's `<name>SubsCnt` and `<name>Subs` of a variable array of out-of-line
        // elements.
        FieldKind::Count { arg } if args[*arg].ty.has_sub_counts() => {
            format!("{}_subs_cnt", arg_name(*arg))
        }
        FieldKind::VarData { arg, .. } if args[*arg].ty.ool_elements.is_some() => {
            format!("{}_subs", arg_name(*arg))
        }
        FieldKind::Count { arg } => format!("{}_cnt", arg_name(*arg)),
        FieldKind::StringOffset { arg } => format!("{}_offset", arg_name(*arg)),
        FieldKind::Pad { arg } => format!("{}_pad", arg_name(*arg)),
        FieldKind::SubCounts { arg, .. } => format!("{}_subs", arg_name(*arg)),
        FieldKind::PortDescriptor { arg }
        | FieldKind::PortDescriptorArray { arg, .. }
        | FieldKind::OolDescriptor { arg }
        | FieldKind::OolPortsDescriptor { arg }
        | FieldKind::OolDescriptorArray { arg, .. }
        | FieldKind::Data { arg }
        | FieldKind::VarData { arg, .. } => arg_name(*arg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(pascal("sum_array"), "SumArray");
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("self"), "self_");
        assert_eq!(rust_ident("port"), "port");
        assert_eq!(camel("mach_port_allocate"), "machPortAllocate");
        assert_eq!(camel("_kernelrpc_x"), "kernelrpcX");
        assert_eq!(zig_ident("error"), "@\"error\"");
        assert_eq!(zig_ident("type"), "type_");
        assert_eq!(zig_ident("u8"), "u8_");
        assert_eq!(zig_ident("migz"), "migz_");
        assert_eq!(zig_ident("name"), "name");
        assert!(is_identifier("mach_port_t"));
        assert!(!is_identifier("array[*:4] of int"));
    }
}
