//! The C ABI of the local Mach port emulation (see `bridge/migz.h`).
