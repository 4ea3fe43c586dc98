//! The OS facts the emulation reports in trailers (user and group ids) and thread pinning
//! for benchmarks; small wrappers over libc where std has no safe call.

/// The effective user and group ids of the process, for the sender security token.
pub fn effective_ids() -> (u32, u32) {
    #[cfg(unix)]
    {
        // SAFETY: geteuid and getegid take no arguments, cannot fail and touch no memory.
        unsafe { (libc::geteuid(), libc::getegid()) }
    }
    #[cfg(not(unix))]
    {
        (0, 0)
    }
}

/// Pins the calling thread to one CPU; returns false when the OS refused.
pub fn pin_current_thread(cpu: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: cpu_set_t is plain data for which all-zero bytes is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        if cpu >= 8 * std::mem::size_of::<libc::cpu_set_t>() {
            return false;
        }
        // SAFETY: `cpu` was checked to be inside the set just above.
        unsafe { libc::CPU_SET(cpu, &mut set) };
        // SAFETY: pid 0 means the calling thread; `set` is a valid cpu_set_t of the size passed.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        false
    }
}
