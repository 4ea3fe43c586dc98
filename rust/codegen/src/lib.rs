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
