//! migz code generators. Each reads the front end's IR ([`migz_defs::ir::Subsystem`]) and
//! writes one formatted source file per subsystem: [`zig`] for the Zig stubs with the
//! packing hot loop and its C-ABI exports, [`rust`] for the Rust side that calls them (laid
//! out by `prettyplease`).

#![forbid(unsafe_code)]

pub mod binding;
pub mod names;
pub mod rust;
pub mod zig;
mod zig_api;

/// The version written into `@generated` banners.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name, such as `array_test.zig`.
    pub name: String,
    /// Its contents.
    pub contents: String,
}

/// Why a subsystem cannot be generated, if it cannot: a message over Mach's size limit, a
/// type Apple lays out but cannot carry (see `degenerate`), or an argument that is an array
/// of one out-of-line element (`array[1] of buf_t`), which migcom lays out as a single
/// descriptor whose size it takes from the element's item (not the element), or an array
/// of out-of-line elements whose count is another argument's (`SameCount`; `CountInOut`
/// is ignored on them, as migcom ignores it). The generated file is then only a compile
/// error saying so, and `migz gen` fails.
pub fn unsupported(sub: &migz_defs::ir::Subsystem) -> Option<String> {
    use migz_defs::ir::Count;
    if let Some(why) = unsendable(sub).or_else(|| degenerate(sub)) {
        return Some(why);
    }
    sub.routines.iter().find_map(|r| {
        let a = r.args.iter().find(|a| {
            a.ty.ool_elements == Some(1)
                || (a.ty.ool_elements.is_some()
                    && (matches!(a.count, Count::Same(_)) || a.count_in_out))
        })?;
        let why = if a.ty.ool_elements == Some(1) {
            "is an array of one out-of-line element"
        } else {
            "is an array of out-of-line elements with SameCount"
        };
        Some(format!(
            "migz cannot generate routine `{}` yet: argument `{}` {why}",
            r.name, a.name
        ))
    })
}

/// A routine whose request or reply is larger than Mach's message limit: Apple's mig
/// declares it (and `migz check` accepts it with a warning), but no kernel would carry it,
/// so nothing is generated for it.
fn unsendable(sub: &migz_defs::ir::Subsystem) -> Option<String> {
    let limit = migz_defs::sema::MESSAGE_SIZE_MAX;
    sub.routines.iter().find_map(|r| {
        let size = u64::from(r.request.size).max(r.reply.as_ref().map_or(0, |l| u64::from(l.size)));
        (size > limit).then(|| {
            format!(
                "migz cannot generate routine `{}`: a message of {size} bytes is over Mach's limit of {limit} bytes",
                r.name
            )
        })
    })
}

/// An argument of a type Apple's mig accepts but cannot carry: an in-line array of no
/// ports (its header declares a descriptor its client does not count), or an out-of-line
/// type whose element is out of line too (an array of out-of-line arrays collapsed into
/// one region, whose client and server disagree on its size). `migz check` warns about
/// both; nothing is generated for them.
fn degenerate(sub: &migz_defs::ir::Subsystem) -> Option<String> {
    sub.routines.iter().find_map(|r| {
        let a = r.args.iter().find(|a| {
            let t = &a.ty;
            let no_ports = t.inline && t.is_port() && t.element_count_max() == 0;
            let collapsed = !t.inline
                && t.ool_elements.is_none()
                && t.element.as_ref().is_some_and(|e| !e.inline || e.ool_elements.is_some());
            no_ports || collapsed
        })?;
        Some(format!(
            "migz cannot generate routine `{}`: Apple's mig lays out argument `{}` but its stubs cannot carry it",
            r.name, a.name
        ))
    })
}

/// The one subsystem of a `.defs` text, for unit tests of the writers.
#[cfg(test)]
pub(crate) fn test_subsystem(defs: &str) -> migz_defs::ir::Subsystem {
    let out = migz_defs::run_text(
        std::path::Path::new("t.defs"),
        defs.to_string(),
        &Default::default(),
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    out.subsystems.into_iter().next().unwrap()
}
