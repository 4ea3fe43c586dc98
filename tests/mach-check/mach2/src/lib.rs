//! The items of `mach2` 0.4 that `rust/runtime/src/sys/mach.rs` uses, declared with the
//! same types, so that the kernel transport type-checks where `mach2` does not build (it
//! stops with a `compile_error!` off Apple systems). `mach_msg` is left to the linker:
//! `migz-mach-check`'s tests bind it to the emulation's `migz1_mach_msg`.

#![allow(non_camel_case_types)]

/// Messages.
pub mod message {
    /// `mach_msg_header_t`.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default)]
    pub struct mach_msg_header_t {
        /// `msgh_bits`.
        pub msgh_bits: u32,
        /// `msgh_size`.
        pub msgh_size: u32,
        /// `msgh_remote_port`.
        pub msgh_remote_port: u32,
        /// `msgh_local_port`.
        pub msgh_local_port: u32,
        /// `msgh_voucher_port`.
        pub msgh_voucher_port: u32,
        /// `msgh_id`.
        pub msgh_id: i32,
    }

    unsafe extern "C" {
        /// `mach_msg`.
        pub fn mach_msg(
            msg: *mut mach_msg_header_t,
            option: i32,
            send_size: u32,
            recv_size: u32,
            recv_name: u32,
            timeout: u32,
            notify: u32,
        ) -> i32;
    }
}

/// Traps.
pub mod traps {
    /// `mach_task_self()`: here the emulation's process-wide space, which is the task the
    /// simulated kernel's calls (see `tests/mach-check/build.rs`) act on.
    ///
    /// # Safety
    /// None needed here; `unsafe` as in `mach2`, whose version reads a libSystem static.
    pub unsafe fn mach_task_self() -> u32 {
        migz::Space::global().task()
    }
}
