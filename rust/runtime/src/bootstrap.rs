//! Finding services by name, as a Mac program does through launchd: look a service up
//! (a send right), check in under a name (its receive right) or register a send right
//! under a name, through the task's bootstrap port. Generic over the transport: on the
//! kernel (`mach::Kernel`) these are libSystem's `bootstrap_*` calls, on the emulation
//! (`Space`) a namespace with launchd's answers (see `local::Bootstrap`).
//!
//! ```
//! use migz::{Space, bootstrap, local::Bootstrap};
//!
//! let (server, client) = (Space::new(), Space::new());
//! // A namespace of their own (by default every space shares `Bootstrap::global()`).
//! let names = Bootstrap::new();
//! server.set_bootstrap(&names);
//! client.set_bootstrap(&names);
//!
//! let port = bootstrap::check_in(&bootstrap::port(&server)?, "com.example.echo")?;
//! let service = bootstrap::look_up(&bootstrap::port(&client)?, "com.example.echo")?;
//! assert_eq!(
//!     bootstrap::look_up(&bootstrap::port(&client)?, "com.example.nothing").unwrap_err(),
//!     bootstrap::BootstrapError::UnknownService,
//! );
//! drop((port, service));
//! server.assert_no_leaks();
//! client.assert_no_leaks();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ffi::CString;

use crate::abi::*;
use crate::local::Space;
use crate::rights::{ReceiveRight, SendRight};
use crate::transport::Transport;

/// A failed bootstrap call: launchd's codes by name, and any other code as it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BootstrapError {
    /// `BOOTSTRAP_NOT_PRIVILEGED` (1100): the name belongs to another job (space).
    #[error("the service belongs to another job")]
    NotPrivileged,
    /// `BOOTSTRAP_NAME_IN_USE` (1101): a service of that name exists.
    #[error("the name is in use")]
    NameInUse,
    /// `BOOTSTRAP_UNKNOWN_SERVICE` (1102): no service has that name.
    #[error("unknown service")]
    UnknownService,
    /// `BOOTSTRAP_SERVICE_ACTIVE` (1103): the service is already checked in or registered.
    #[error("the service is active")]
    ServiceActive,
    /// `BOOTSTRAP_BAD_COUNT` (1104): the name does not fit `name_t` (127 bytes).
    #[error("bad count (a name longer than 127 bytes)")]
    BadCount,
    /// `BOOTSTRAP_NO_MEMORY` (1105).
    #[error("the bootstrap server is out of memory")]
    NoMemory,
    /// The name holds a NUL byte, which no C string can carry; nothing was called
    /// (`KERN_INVALID_ARGUMENT`).
    #[error("the name holds a NUL byte")]
    InvalidName,
    /// The task has no bootstrap port (`MACH_PORT_NULL`).
    #[error("the task has no bootstrap port")]
    NoBootstrapPort,
    /// Any other code: a kernel or `mach_msg` code, such as `MACH_SEND_INVALID_DEST`
    /// for a bootstrap port that is dead or no bootstrap server's.
    #[error("bootstrap call failed with {}", crate::abi::Code(*.0))]
    Other(KernReturn),
}

impl BootstrapError {
    /// The error for a code (`BOOTSTRAP_*` by name, anything else as `Other`).
    pub fn from_code(code: KernReturn) -> BootstrapError {
        match code {
            BOOTSTRAP_NOT_PRIVILEGED => BootstrapError::NotPrivileged,
            BOOTSTRAP_NAME_IN_USE => BootstrapError::NameInUse,
            BOOTSTRAP_UNKNOWN_SERVICE => BootstrapError::UnknownService,
            BOOTSTRAP_SERVICE_ACTIVE => BootstrapError::ServiceActive,
            BOOTSTRAP_BAD_COUNT => BootstrapError::BadCount,
            BOOTSTRAP_NO_MEMORY => BootstrapError::NoMemory,
            other => BootstrapError::Other(other),
        }
    }

    /// The code a C caller would see.
    pub fn code(&self) -> KernReturn {
        match *self {
            BootstrapError::NotPrivileged => BOOTSTRAP_NOT_PRIVILEGED,
            BootstrapError::NameInUse => BOOTSTRAP_NAME_IN_USE,
            BootstrapError::UnknownService => BOOTSTRAP_UNKNOWN_SERVICE,
            BootstrapError::ServiceActive => BOOTSTRAP_SERVICE_ACTIVE,
            BootstrapError::BadCount => BOOTSTRAP_BAD_COUNT,
            BootstrapError::NoMemory => BOOTSTRAP_NO_MEMORY,
            BootstrapError::InvalidName => KERN_INVALID_ARGUMENT,
            BootstrapError::NoBootstrapPort => MACH_SEND_INVALID_DEST,
            BootstrapError::Other(code) => code,
        }
    }
}

fn c_name(name: &str) -> Result<CString, BootstrapError> {
    CString::new(name).map_err(|_| BootstrapError::InvalidName)
}

/// The task's bootstrap port (`task_get_special_port(TASK_BOOTSTRAP_PORT)`), a send right
/// of its own.
pub fn port<T: Transport>(task: &T) -> Result<SendRight<T>, BootstrapError> {
    match task.task_get_special_port(TASK_BOOTSTRAP_PORT) {
        Ok(MACH_PORT_NULL) => Err(BootstrapError::NoBootstrapPort),
        Ok(name) => Ok(SendRight::from_raw(task.clone(), name)),
        Err(e) => Err(BootstrapError::Other(e.code())),
    }
}

/// `bootstrap_look_up`: a send right to the service `name`.
pub fn look_up<T: Transport>(
    bp: &SendRight<T>,
    name: &str,
) -> Result<SendRight<T>, BootstrapError> {
    let name = c_name(name)?;
    let task = bp.task();
    task.bootstrap_look_up(bp.name(), &name)
        .map(|n| SendRight::from_raw(task.clone(), n))
        .map_err(BootstrapError::from_code)
}

/// `bootstrap_check_in`: the receive right of the service `name`, which was declared for
/// this task or, unknown until now, becomes this task's. When the receive right goes, the
/// name is unknown again and the send rights clients looked up become dead names.
pub fn check_in<T: Transport>(
    bp: &SendRight<T>,
    name: &str,
) -> Result<ReceiveRight<T>, BootstrapError> {
    let name = c_name(name)?;
    let task = bp.task();
    task.bootstrap_check_in(bp.name(), &name)
        .map(|n| ReceiveRight::from_raw(task.clone(), n))
        .map_err(BootstrapError::from_code)
}

/// `bootstrap_register`: registers a copy of `service` under `name` (launchd deprecates
/// it in favour of `check_in`, and a Mac may answer `NotPrivileged`).
pub fn register<T: Transport>(
    bp: &SendRight<T>,
    name: &str,
    service: &SendRight<T>,
) -> Result<(), BootstrapError> {
    let name = c_name(name)?;
    bp.task()
        .bootstrap_register(bp.name(), &name, service.name())
        .map_err(BootstrapError::from_code)
}

/// The task's bootstrap port on the emulation's default space, for programs that use one
/// space (`Space::global()`).
pub fn global_port() -> Result<SendRight<Space>, BootstrapError> {
    port(Space::global())
}
