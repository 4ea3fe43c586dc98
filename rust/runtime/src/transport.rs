//! The one internal interface both transports implement: the kernel calls typed rights
//! and generated stubs need. `local::Space` implements it everywhere; on Apple systems
//! `mach::Kernel` implements it over the real kernel through `mach2`.

use crate::abi::*;
use crate::error::Error;

/// The kernel calls of one task, on some transport.
pub trait Transport: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// `mach_msg`.
    #[allow(clippy::too_many_arguments)]
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn;
    /// `mach_port_allocate`.
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error>;
    /// `mach_port_construct` with flags, a queue limit and a context.
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error>;
    /// `mach_port_destruct`.
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error>;
    /// `mach_port_mod_refs`.
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error>;
    /// `mach_port_get_refs`.
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error>;
    /// `mach_port_type`.
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error>;
    /// `mach_port_insert_right` within the task.
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error>;
    /// `mach_port_extract_right` within the task: a new name for the right and its type.
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error>;
    /// `mach_port_get_context`.
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error>;
    /// `mach_port_set_context`.
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error>;
    /// `mach_port_guard`.
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error>;
    /// `mach_port_unguard`.
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error>;
    /// `mach_port_set_mscount`.
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error>;
    /// `mach_port_get_attributes`.
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error>;
    /// `mach_port_set_attributes`.
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error>;
    /// `mach_port_move_member`.
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error>;
    /// `mach_port_request_notification`.
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error>;
}

impl Transport for crate::local::Space {
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
        crate::local::Space::mach_msg(
            self, buf, option, send_size, rcv_size, rcv_name, timeout, notify,
        )
    }
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        crate::local::Space::port_allocate(self, right)
    }
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error> {
        crate::local::Space::port_construct(
            self,
            &crate::local::PortOptions { flags, qlimit },
            context,
        )
    }
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        crate::local::Space::port_destruct(self, name, srdelta, guard)
    }
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        crate::local::Space::port_mod_refs(self, name, right, delta)
    }
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        crate::local::Space::port_get_refs(self, name, right)
    }
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        crate::local::Space::port_type(self, name)
    }
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        crate::local::Space::port_insert_right(self, name, self, poly, disp)
    }
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        crate::local::Space::port_extract_right(self, name, disp, self)
    }
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        crate::local::Space::port_get_context(self, name)
    }
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        crate::local::Space::port_set_context(self, name, context)
    }
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        crate::local::Space::port_guard(self, name, guard, strict)
    }
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        crate::local::Space::port_unguard(self, name, guard)
    }
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        crate::local::Space::port_set_mscount(self, name, mscount)
    }
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        crate::local::Space::port_get_attributes(self, name, flavor, info)
    }
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        crate::local::Space::port_set_attributes(self, name, flavor, info)
    }
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        crate::local::Space::port_move_member(self, member, after)
    }
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        crate::local::Space::port_request_notification(self, name, msgid, sync, notify, disp)
    }
}
