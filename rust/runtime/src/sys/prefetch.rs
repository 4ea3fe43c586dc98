//! A hint to the CPU to start loading memory into its cache before it is read.

/// The cache line size the hints step by.
const LINE: usize = 64;

/// Asks the CPU to start loading every cache line of `bytes` into its nearest cache, and
/// returns at once. A hint only: it changes no value, and where the CPU has no such
/// instruction it does nothing. Worth it for data written on another core and read soon
/// after, whose lines the hardware prefetcher fetches one page at a time.
pub fn prefetch(bytes: &[u8]) {
    for line in bytes.chunks(LINE) {
        line_hint(line.as_ptr());
    }
}

#[cfg(target_arch = "x86_64")]
fn line_hint(p: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch reads nothing the program sees and cannot fault, whatever the
    // address; `p` points into a live slice besides.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
}

#[cfg(target_arch = "aarch64")]
fn line_hint(p: *const u8) {
    // SAFETY: `prfm` only hints the memory system; it reads nothing into a register,
    // cannot fault, and touches no flags or stack.
    unsafe {
        std::arch::asm!("prfm pldl1keep, [{0}]", in(reg) p, options(nostack, preserves_flags, readonly))
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn line_hint(_p: *const u8) {}
