//! libSystem's bootstrap and special-port calls behind the `mach` transport's services
//! (Apple systems only): `bootstrap_look_up`, `bootstrap_check_in`, `bootstrap_register`,
//! `task_get_special_port`, `task_set_special_port` and `mach_host_self`, as thin safe
//! wrappers returning the kernel's (or launchd's) code. Names are `CStr`s and out
//! parameters Rust locals, so every pointer passed down is valid for the call.

use std::ffi::{CStr, c_char};

unsafe extern "C" {
    fn bootstrap_look_up(bp: u32, service_name: *const c_char, sp: *mut u32) -> i32;
    fn bootstrap_check_in(bp: u32, service_name: *const c_char, sp: *mut u32) -> i32;
    fn bootstrap_register(bp: u32, service_name: *const c_char, sp: u32) -> i32;
    fn task_get_special_port(task: u32, which_port: i32, special_port: *mut u32) -> i32;
    fn task_set_special_port(task: u32, which_port: i32, special_port: u32) -> i32;
    fn mach_host_self() -> u32;
}

/// `bootstrap_look_up`: a send right to the service, or launchd's code.
pub fn look_up(bp: u32, name: &CStr) -> Result<u32, i32> {
    let mut sp = 0u32;
    // SAFETY: `name` is NUL-terminated and outlives the call; `sp` is a local.
    let kr = unsafe { bootstrap_look_up(bp, name.as_ptr(), &mut sp) };
    if kr == 0 { Ok(sp) } else { Err(kr) }
}

/// `bootstrap_check_in`: the receive right of the service, or launchd's code.
pub fn check_in(bp: u32, name: &CStr) -> Result<u32, i32> {
    let mut sp = 0u32;
    // SAFETY: `name` is NUL-terminated and outlives the call; `sp` is a local.
    let kr = unsafe { bootstrap_check_in(bp, name.as_ptr(), &mut sp) };
    if kr == 0 { Ok(sp) } else { Err(kr) }
}

/// `bootstrap_register`: registers a copy of the send right `sp` under the name.
pub fn register(bp: u32, name: &CStr, sp: u32) -> i32 {
    // SAFETY: `name` is NUL-terminated and outlives the call.
    unsafe { bootstrap_register(bp, name.as_ptr(), sp) }
}

/// `task_get_special_port`.
pub fn get_special_port(task: u32, which: i32) -> Result<u32, i32> {
    let mut port = 0u32;
    // SAFETY: `port` is a local.
    let kr = unsafe { task_get_special_port(task, which, &mut port) };
    if kr == 0 { Ok(port) } else { Err(kr) }
}

/// `task_set_special_port`.
pub fn set_special_port(task: u32, which: i32, port: u32) -> i32 {
    // SAFETY: plain values only.
    unsafe { task_set_special_port(task, which, port) }
}

/// `mach_host_self()`: a new user reference of the host port's send right.
pub fn host_self() -> u32 {
    // SAFETY: no arguments; the call only adds a reference to the caller's space.
    unsafe { mach_host_self() }
}
