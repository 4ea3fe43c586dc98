//! The macros of the bridge between Rust and Zig in one process: [`zig_entry!`]
//! declares an entry a Zig file exports as a safe Rust function, [`export_entry!`] exports
//! a safe Rust function as an entry Zig calls, and [`zig_producer!`] declares a Zig ring
//! producer that takes a stream's producer end. Their `unsafe` (the foreign call, the
//! unmangled symbol) is here, so crates using them can forbid `unsafe_code`; the safe
//! helpers around them are in [`crate::bridge`].
//!
//! [`zig_entry!`]: crate::zig_entry
//! [`export_entry!`]: crate::export_entry
//! [`zig_producer!`]: crate::zig_producer

/// `migz1_entry_fn` of `bridge/migz.h`: the C shape of a bridge entry.
pub type EntryFn = extern "C" fn(task: u32, port: u32, arg: u64) -> i32;

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
        // The shape `migz1_entry_fn` of bridge/migz.h.
        const _: $crate::ffi::EntryFn = $symbol;
    };
}

/// Declares a Zig ring producer entry (`migz.bridge.exportProducer`, or any Zig
/// `export fn (ring: ?*migz1_ring_t, arg: u64) callconv(.c) i32` that takes over the
/// producer's end) as a safe function `fn(end: ProducerEnd, arg: u64) -> i32`, which
/// gives the ring's producer end to Zig and returns the entry's `MIGZ1_STREAM_*` status.
/// It runs the producer on the calling thread: call it from a thread of its own (or
/// `spawn_blocking`) while a task reads the [`RingStream`](crate::stream::RingStream).
///
/// ```ignore
/// migz::zig_producer! {
///     /// The Zig producer of `zig/producer.zig`: writes `arg` items, then closes.
///     pub fn produce = my_crate_zig_produce;
/// }
/// let (stream, end) = migz::stream::from_zig::<i32>(1 << 20)?;
/// std::thread::spawn(move || produce(end, 1 << 30));
/// ```
#[macro_export]
macro_rules! zig_producer {
    ($(#[$attr:meta])* $vis:vis fn $name:ident = $symbol:ident;) => {
        $(#[$attr])*
        $vis fn $name(end: $crate::stream::ProducerEnd, arg: u64) -> i32 {
            unsafe extern "C" {
                fn $symbol(ring: *mut $crate::ffi::RawRing, arg: u64) -> i32;
            }
            // SAFETY: the pointer carries the producer's reference to a live ring (or is
            // null, which the entry refuses), and the entry takes that reference over, as
            // `into_raw` gives it up; the entry returns a status without unwinding.
            unsafe { $symbol(end.into_raw(), arg) }
        }
    };
}
