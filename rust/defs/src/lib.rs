//! The migz front end: from a `.defs` file to one IR with message ids and byte-exact
//! request and reply layouts, as Apple's MIG computes them.
//!
//! The pipeline is [`pp`] (a C preprocessor), [`parse`] (a recovering parser into an
//! [`ast`]), then [`sema`] (types, implicit arguments, ids) and [`layout`].

pub mod diag;
pub mod pp;
pub mod source;
