//! The two macros of the bridge between Rust and Zig in one process: [`zig_entry!`]
//! declares an entry a Zig file exports as a safe Rust function, [`export_entry!`] exports
//! a safe Rust function as an entry Zig calls. Their `unsafe` (the foreign call, the
//! unmangled symbol) is here, so crates using them can forbid `unsafe_code`; the safe
//! helpers around them are in [`crate::bridge`].
//!
//! [`zig_entry!`]: crate::zig_entry
//! [`export_entry!`]: crate::export_entry

/// Declares a Zig bridge entry (`migz.bridge.exportServer`/`exportEntry`, or any Zig
/// `export fn (task: u32, port: u32, arg: u64) callconv(.c) i32`) as a safe function
/// `fn(space: &Space, port: MachPortName, arg: u64) -> i32`, which
/// [`crate::bridge::serve_in_zig`] and [`crate::bridge::call_zig`] take.
///
/// ```ignore
/// migz::zig_entry! {
///     /// The Zig `array_test` server of `src/server.zig`.
///     pub fn zig_server = my_array_test_zig_server;
/// }
/// ```
///
/// The entry's contract is the bridge's: it accepts any task, port and argument (it
/// checks them and answers with a code), never unwinds, and returns a
/// `kern_return_t`/`mach_msg_return_t`.
#[macro_export]
macro_rules! zig_entry {
    ($(#[$attr:meta])* $vis:vis fn $name:ident = $symbol:ident;) => {
        $(#[$attr])*
        $vis fn $name(space: &$crate::Space, port: $crate::abi::MachPortName, arg: u64) -> i32 {
            unsafe extern "C" {
                // SAFETY: a bridge entry takes three integers, checks them itself and
                // returns a code without unwinding, so it is sound to call with any values.
                safe fn $symbol(task: u32, port: u32, arg: u64) -> i32;
            }
            $symbol(space.task(), port, arg)
        }
    };
}

/// Exports a safe Rust function `fn(&Space, MachPortName, u64) -> i32` as a bridge entry
/// named `symbol`, which Zig declares as
/// `extern fn symbol(task: u32, port: u32, arg: u64) callconv(.c) i32`. The entry resolves
/// the task (0: the process-wide space), runs the function and turns a panic into
/// `KERN_FAILURE`, so nothing unwinds into Zig.
///
/// ```ignore
/// fn serve(space: &migz::Space, port: u32, arg: u64) -> i32 { /* ... */ 0 }
/// migz::export_entry!(my_rust_server => serve);
/// ```
#[macro_export]
macro_rules! export_entry {
    ($symbol:ident => $function:path) => {
        // SAFETY: the symbol is the crate's own bridge entry; a clash with another symbol
        // of the same name fails the link rather than calling the wrong function.
        #[unsafe(no_mangle)]
        pub extern "C" fn $symbol(task: u32, port: u32, arg: u64) -> i32 {
            $crate::bridge::run_entry(task, port, arg, $function)
        }
    };
}
