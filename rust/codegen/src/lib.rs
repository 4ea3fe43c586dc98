//! migz code generators. Each reads the front end's IR ([`migz_defs::ir::Subsystem`]) and
//! writes one formatted source file per subsystem: [`zig`] for the Zig stubs with the
//! packing hot loop and its C-ABI exports, [`rust`] for the Rust side that calls them.

#![forbid(unsafe_code)]

pub mod names;
pub mod rust;
pub mod zig;

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

/// Why a subsystem cannot be generated yet, if it cannot: an argument that is an array of
/// out-of-line elements (one descriptor per element, Apple's `<name>Subs` counts), which
/// the front end lays out as Apple does but neither back end generates. The generated
/// file is then only a compile error saying so, and `migz gen` fails.
pub fn unsupported(sub: &migz_defs::ir::Subsystem) -> Option<String> {
    sub.routines.iter().find_map(|r| {
        let a = r.args.iter().find(|a| a.ty.ool_elements.is_some())?;
        Some(format!(
            "migz cannot generate routine `{}` yet: argument `{}` is an array of out-of-line elements",
            r.name, a.name
        ))
    })
}
