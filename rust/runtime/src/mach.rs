//! The `mach` transport: the real macOS kernel, for Apple systems. It mirrors the local
//! transport's API through the same `Transport` trait, so typed rights and generated
//! stubs run unchanged on either; the calls themselves are in `sys::mach`.
//!
//! It is compiled only for `target_vendor = "apple"`. This repository's Linux CI cannot
//! build for Apple targets, so `tests/mach-check` builds and lints this file and
//! `sys/mach.rs` against a stand-in of the `mach2` items they use, and its test runs
//! generated clients and servers on them against a simulated kernel: the `mach_*` and
//! `vm_*` calls linked to the emulation's C ABI. They have not run against a real kernel.
//!
//! Generated clients' `_async` methods make their call in place (see
//! [`Transport::msg_call_async`]) and generated servers receive on a thread of their own
//! (see [`Transport::receive_stream`]). Out-of-line memory is copied once each way: a
//! region a message moves is copied into memory from `vm_allocate` (the runtime's
//! regions are not the kernel's to deallocate), and received memory is copied out of the
//! kernel's mapping. Addresses in messages are checked against the regions the transport
//! made or received (see `sys::mach`), so no safe call reads, frees or sends memory on a
//! caller's word.

use crate::abi::*;
use crate::error::Error;
use crate::sys::mach as k;
use crate::transport::Transport;

/// A task's port space in the kernel (`mach_task_self()` by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel {
    task: MachPortName,
}

impl Kernel {
    /// The calling process's task.
    pub fn task_self() -> Kernel {
        Kernel {
            task: k::task_self(),
        }
    }
}

/// A failed call's code as an error (a stray 0 cannot happen, but maps to `Failure`).
fn err(code: i32) -> Error {
    Error::check(code).err().unwrap_or(Error::Failure)
}

fn unit(code: i32) -> Result<(), Error> {
    Error::check(code)
}

impl Transport for Kernel {
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn {
        k::msg(buf, option, send_size, rcv_size, rcv_name, timeout, notify)
    }
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        k::allocate(self.task, right).map_err(err)
    }
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error> {
        k::construct(self.task, flags, qlimit, context).map_err(err)
    }
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        unit(k::destruct(self.task, name, srdelta, guard))
    }
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        unit(k::mod_refs(self.task, name, right, delta))
    }
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        k::get_refs(self.task, name, right).map_err(err)
    }
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        k::port_type(self.task, name).map_err(err)
    }
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        unit(k::insert_right(self.task, name, poly, disp))
    }
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        k::extract_right(self.task, name, disp).map_err(err)
    }
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        k::get_context(self.task, name).map_err(err)
    }
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        unit(k::set_context(self.task, name, context))
    }
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        unit(k::guard(self.task, name, guard, strict))
    }
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        unit(k::unguard(self.task, name, guard))
    }
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        unit(k::set_mscount(self.task, name, mscount))
    }
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        k::get_attributes(self.task, name, flavor, info).map_err(err)
    }
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        unit(k::set_attributes(self.task, name, flavor, info))
    }
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        unit(k::move_member(self.task, member, after))
    }
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        k::request_notification(self.task, name, msgid, sync, notify, disp).map_err(err)
    }
    fn msg_destroy(&self, msg: &[u8]) {
        k::msg_destroy(msg)
    }
    fn task_self_port(&self) -> Result<MachPortName, Error> {
        Ok(self.task)
    }
    fn host_self_port(&self) -> Result<MachPortName, Error> {
        match crate::sys::bootstrap::host_self() {
            MACH_PORT_NULL => Err(Error::Failure),
            name => Ok(name),
        }
    }
    fn task_get_special_port(&self, which: i32) -> Result<MachPortName, Error> {
        crate::sys::bootstrap::get_special_port(self.task, which).map_err(err)
    }
    fn task_set_special_port(&self, which: i32, port: MachPortName) -> Result<(), Error> {
        unit(crate::sys::bootstrap::set_special_port(
            self.task, which, port,
        ))
    }
    fn bootstrap_look_up(
        &self,
        bp: MachPortName,
        name: &std::ffi::CStr,
    ) -> Result<MachPortName, KernReturn> {
        crate::sys::bootstrap::look_up(bp, name)
    }
    fn bootstrap_check_in(
        &self,
        bp: MachPortName,
        name: &std::ffi::CStr,
    ) -> Result<MachPortName, KernReturn> {
        crate::sys::bootstrap::check_in(bp, name)
    }
    fn bootstrap_register(
        &self,
        bp: MachPortName,
        name: &std::ffi::CStr,
        sp: MachPortName,
    ) -> Result<(), KernReturn> {
        match crate::sys::bootstrap::register(bp, name, sp) {
            KERN_SUCCESS => Ok(()),
            code => Err(code),
        }
    }
    fn take_region(&self, addr: usize, size: usize) -> Option<crate::sys::mem::Region> {
        k::take_region(addr, size)
    }
    fn give_region(
        &self,
        region: crate::sys::mem::Region,
    ) -> Result<usize, crate::sys::mem::Region> {
        k::give_region(region)
    }
    fn take_back_region(&self, addr: usize, size: usize) {
        k::take_back_region(addr, size)
    }
}
