//! The migz runtime: typed Mach port rights, messages and transports.
