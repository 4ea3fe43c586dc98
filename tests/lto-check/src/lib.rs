//! Nothing to link: the test in `tests/inlining.rs` builds the crate in `fixture/` (a
//! project of its own, outside the workspace) with and without cross-language LTO and
//! reads its disassembly.
