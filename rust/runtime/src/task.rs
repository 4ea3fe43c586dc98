//! A task's own port, the host's port and the task's special ports, generic over the
//! transport: on the kernel `mach_task_self()`, `mach_host_self()` and libSystem's
//! `task_get_special_port`/`task_set_special_port`; on the emulation each `Space` has a
//! task port whose messages the emulation answers (the `mach_port_*` routines of
//! `mach_port.defs` and `task.defs`' `task_get_special_port`/`task_set_special_port`,
//! `MIG_BAD_ID` for routines it lacks), and the host port answers `_host_page_size` of
//! `mach_host.defs` (`MIG_BAD_ID` for the rest). So generated stubs of `mach_port.defs`
//! and `task.defs` can be called on the task's own port as on a Mac.

use crate::abi::*;
use crate::error::Error;
use crate::rights::SendRight;
use crate::transport::Transport;

/// `mach_task_self()`: the name of the task's send right to its own port. The task owns
/// it (do not deallocate it); for a right of your own use [`task_port`].
pub fn task_self<T: Transport>(task: &T) -> Result<MachPortName, Error> {
    task.task_self_port()
}

/// A send right of its own to the task's port (`task_get_special_port(TASK_KERNEL_PORT)`).
pub fn task_port<T: Transport>(task: &T) -> Result<SendRight<T>, Error> {
    special_port(task, TASK_KERNEL_PORT)?.ok_or(Error::InvalidName)
}

/// `mach_host_self()`: a send right to the host port, released when dropped.
pub fn host_self<T: Transport>(task: &T) -> Result<SendRight<T>, Error> {
    task.host_self_port()
        .map(|n| SendRight::from_raw(task.clone(), n))
}

/// `task_get_special_port`: a send right to the special port `which` (`TASK_KERNEL_PORT`,
/// `TASK_HOST_PORT`, `TASK_BOOTSTRAP_PORT`), `None` when it is unset.
pub fn special_port<T: Transport>(task: &T, which: i32) -> Result<Option<SendRight<T>>, Error> {
    match task.task_get_special_port(which)? {
        MACH_PORT_NULL => Ok(None),
        name => Ok(Some(SendRight::from_raw(task.clone(), name))),
    }
}

/// `task_set_special_port`: makes a copy of `port` (or nothing) the special port `which`.
pub fn set_special_port<T: Transport>(
    task: &T,
    which: i32,
    port: Option<&SendRight<T>>,
) -> Result<(), Error> {
    task.task_set_special_port(which, port.map_or(MACH_PORT_NULL, SendRight::name))
}
