//! Tests of the C ABI (`bridge/migz.h`) from C: `client.c`, compiled by this crate's build
//! script, talks to a Rust server through `migz-ffi`, and the header is checked to declare
//! exactly the functions the runtime exports. Nothing here is published.
