//! Nothing but a home for `tests/hostile.rs`, which runs the C program `c/hostile.c`
//! (compiled by `build.rs` against `bridge/migz.h`) on the emulation's C ABI.
