//! The Rust half of the bootstrap example: [`Adder`], a server that checks in under a
//! name and answers until a client asks it to stop, and [`call`], a client that looks a
//! name up and asks for sums; plus the bridge entries that run them for a Zig program
//! (see `tests/zig-host`). Everything here is generic over the transport: the kernel on
//! macOS (launchd answers the bootstrap calls), the emulation elsewhere.

use std::time::Duration;

use migz::abi::*;
use migz::bootstrap::{self, BootstrapError};
use migz::ffi::CallError;
use migz::rights::{ReceiveRight, SendRight};
use migz::{Space, Transport, bridge};

use crate::adder::{self, AdderClient, AdderServer, ServeResult};

/// The name the Rust server checks in under.
pub const RUST_SERVICE: &str = "com.example.migz.adder.rust";
/// The name the Zig server checks in under (`zig/service.zig` says the same).
pub const ZIG_SERVICE: &str = "com.example.migz.adder.zig";
/// The id of the message a server sends to its starter once it has checked in.
pub const READY_ID: i32 = 4699;
/// How long a starter waits for that message before it gives up.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a run of the example failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExampleError {
    /// A bootstrap call failed, with launchd's code.
    #[error("bootstrap: {0}")]
    Bootstrap(#[from] BootstrapError),
    /// A call to the service failed.
    #[error("call: {0}")]
    Call(#[from] CallError),
    /// A kernel call failed.
    #[error("kernel: {0}")]
    Kernel(#[from] migz::Error),
    /// The service answered a wrong sum.
    #[error("{a} + {b} came back as {sum}")]
    WrongSum {
        /// The first number.
        a: i32,
        /// The second number.
        b: i32,
        /// What the service answered.
        sum: i32,
    },
    /// A `mach_msg` or entry code.
    #[error("failed with {}", migz::abi::Code(*.0))]
    Code(i32),
}

impl ExampleError {
    /// The code a bridge entry returns for it.
    pub fn code(&self) -> i32 {
        match self {
            ExampleError::Bootstrap(e) => e.code(),
            ExampleError::Call(e) => e.code(),
            ExampleError::Kernel(e) => e.code(),
            ExampleError::WrongSum { .. } => KERN_FAILURE,
            ExampleError::Code(c) => *c,
        }
    }
}

/// The server: adds, and stops when asked.
#[derive(Debug, Default)]
pub struct Adder {
    stop: tokio::sync::Notify,
}

impl<T: Transport> AdderServer<T> for Adder {
    async fn add(&self, a: i32, b: i32) -> ServeResult<i32> {
        a.checked_add(b).ok_or(KERN_INVALID_VALUE)
    }
    async fn stop(&self) -> ServeResult<()> {
        // A permit is kept if `serve` is not waiting yet, so no stop is lost.
        self.stop.notify_one();
        Ok(())
    }
}

/// Checks in under `name` with `task`'s bootstrap server, tells `ready` (when given) that
/// it did, and answers requests one at a time until a `stop` arrives. Then the receive
/// right goes, and with it the name.
pub async fn serve<T: Transport>(
    task: &T,
    name: &str,
    ready: Option<&SendRight<T>>,
) -> Result<(), ExampleError> {
    let port: ReceiveRight<T> = bootstrap::check_in(&bootstrap::port(task)?, name)?;
    if let Some(ready) = ready {
        tell_ready(ready)?;
    }
    let server = Adder::default();
    // `stop` is answered in order after every earlier request's reply has been sent.
    tokio::select! {
        biased;
        served = adder::serve(&server, &port, 1) => served?,
        () = server.stop.notified() => {}
    }
    Ok(())
}

/// Sends `ready` an empty message with id [`READY_ID`].
pub fn tell_ready<T: Transport>(ready: &SendRight<T>) -> Result<(), ExampleError> {
    let mut msg = [0u8; HEADER_SIZE];
    MachMsgHeader {
        msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0),
        msgh_size: HEADER_SIZE as u32,
        msgh_remote_port: ready.name(),
        msgh_local_port: MACH_PORT_NULL,
        msgh_voucher_port: MACH_PORT_NULL,
        msgh_id: READY_ID,
    }
    .write(&mut msg);
    match ready
        .task()
        .mach_msg(&mut msg, MACH_SEND_MSG, HEADER_SIZE as u32, 0, 0, 0, 0)
    {
        MACH_MSG_SUCCESS => Ok(()),
        code => Err(ExampleError::Code(code)),
    }
}

/// Waits at most [`READY_TIMEOUT`] for the message [`tell_ready`] sends to `port`.
pub fn wait_ready<T: Transport>(port: &ReceiveRight<T>) -> Result<(), ExampleError> {
    let mut buf = [0u64; 16];
    let bytes = migz::zerocopy::IntoBytes::as_mut_bytes(&mut buf[..]);
    let ms = READY_TIMEOUT.as_millis() as u32;
    let option = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
    match port
        .task()
        .mach_msg(bytes, option, 0, bytes.len() as u32, port.name(), ms, 0)
    {
        MACH_MSG_SUCCESS if MachMsgHeader::read(bytes).map(|h| h.msgh_id) == Some(READY_ID) => {
            Ok(())
        }
        MACH_MSG_SUCCESS => {
            port.task().msg_destroy(bytes);
            Err(ExampleError::Code(MIG_BAD_ID))
        }
        code => Err(ExampleError::Code(code)),
    }
}

/// The client: looks `name` up with `task`'s bootstrap server, asks for `a + i` for each
/// `i` below `count` and checks the answers, then asks the server to stop.
pub fn call<T: Transport>(task: &T, name: &str, a: i32, count: i32) -> Result<(), ExampleError> {
    let client = AdderClient::new(bootstrap::look_up(&bootstrap::port(task)?, name)?);
    for b in 0..count {
        let sum = client.add(a, b, None)?;
        if Some(sum) != a.checked_add(b) {
            return Err(ExampleError::WrongSum { a, b, sum });
        }
    }
    client.stop(None)?;
    Ok(())
}

/// Asks the server under `name` to stop, if it can be found.
pub fn stop<T: Transport>(task: &T, name: &str) -> Result<(), ExampleError> {
    let client = AdderClient::new(bootstrap::look_up(&bootstrap::port(task)?, name)?);
    client.stop(None)?;
    Ok(())
}

/// The bridge entry of the Rust server: in space `space`, checks in under
/// [`RUST_SERVICE`], tells the send right `ready` (which it borrows) and serves until
/// stopped.
pub fn server_entry(space: &Space, ready: MachPortName, _arg: u64) -> i32 {
    let ready = match bridge::borrow_send(space, ready) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match bridge::block_on(serve(space, RUST_SERVICE, Some(&ready))) {
        Ok(Ok(())) => KERN_SUCCESS,
        Ok(Err(e)) => e.code(),
        Err(e) => e.code(),
    }
}

/// The bridge entry of the Rust client: in space `space`, looks up [`ZIG_SERVICE`], asks
/// for `arg` sums and stops the server.
pub fn client_entry(space: &Space, _port: MachPortName, arg: u64) -> i32 {
    let count = i32::try_from(arg).unwrap_or(i32::MAX);
    match call(space, ZIG_SERVICE, 40, count) {
        Ok(()) => KERN_SUCCESS,
        Err(e) => e.code(),
    }
}
