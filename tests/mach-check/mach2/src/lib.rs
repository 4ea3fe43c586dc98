//! The items of `mach2` 0.4 that `rust/runtime/src/sys/mach.rs` uses, declared with the
//! same types, so that the kernel transport type-checks where `mach2` does not build (it
//! stops with a `compile_error!` off Apple systems). Declarations only: nothing here is
//! ever called or linked.

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
    unsafe extern "C" {
        static mach_task_self_: u32;
    }

    /// `mach_task_self()`.
    ///
    /// # Safety
    /// As in `mach2`: reads the task port name libSystem sets up.
    pub unsafe fn mach_task_self() -> u32 {
        // SAFETY: declared only to type-check callers; as in `mach2`, the static is
        // written by libSystem before `main`.
        unsafe { mach_task_self_ }
    }
}
