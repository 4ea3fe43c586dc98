//! Calls between Rust and Zig in one process, over the local transport: a Zig server
//! answering Rust clients, a Zig client calling a Rust server, a Rust server that Zig
//! starts. Every such call goes through an *entry*, one C shape both languages share,
//! `fn(task: u32, port: u32, arg: u64) -> i32` (see `zig/src/bridge.zig`): `task` names
//! the space ([`Space::task`]), `port` a right the callee takes or borrows, `arg` is the
//! callee's, and the result is a `kern_return_t` or `mach_msg_return_t`.
//!
//! Declare a Zig entry with [`zig_entry!`](crate::zig_entry) and export a Rust one with
//! [`export_entry!`](crate::export_entry); the functions here are what they run.
//!
//! ```
//! use migz::{Space, bridge, rights::allocate_pair};
//!
//! // A stand-in for a Zig server entry: it takes the receive right and serves until the
//! // last send right is gone (here it just destroys the right and reports success).
//! fn entry(space: &Space, port: u32, _limit: u64) -> i32 {
//!     let right = migz::rights::ReceiveRight::from_raw(space.clone(), port);
//!     drop(right);
//!     0
//! }
//! let space = Space::new();
//! let (port, send) = allocate_pair(&space).unwrap();
//! drop(send);
//! assert_eq!(bridge::serve_in_zig(port, 0, entry), Ok(()));
//! space.assert_no_leaks();
//! ```

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Space;
use crate::abi::{
    KERN_FAILURE, KERN_INVALID_RIGHT, KERN_INVALID_TASK, KERN_SUCCESS, KernReturn,
    MACH_PORT_RIGHT_SEND, MACH_PORT_TYPE_RECEIVE, MACH_PORT_TYPE_SEND, MachPortName,
};
use crate::error::Error;
use crate::rights::{ReceiveRight, SendRight};

/// A bridge entry as Rust calls it: what [`zig_entry!`](crate::zig_entry) declares.
pub type Entry = fn(&Space, MachPortName, u64) -> i32;

/// What an exported Rust entry runs (see [`export_entry!`](crate::export_entry)): resolves
/// `task` (0: [`Space::global`]), calls `f` and turns a panic into `KERN_FAILURE`.
pub fn run_entry(
    task: u32,
    port: MachPortName,
    arg: u64,
    f: impl FnOnce(&Space, MachPortName, u64) -> i32,
) -> i32 {
    catch_unwind(AssertUnwindSafe(|| {
        let space = if task == 0 {
            Space::global().clone()
        } else {
            match Space::from_task(task) {
                Some(s) => s,
                None => return KERN_INVALID_TASK,
            }
        };
        f(&space, port, arg)
    }))
    .unwrap_or(KERN_FAILURE)
}

/// Takes the receive right `name` of `space` that an entry was given, checking that it
/// is one (`KERN_INVALID_RIGHT` otherwise, and nothing is taken).
pub fn take_receive(space: &Space, name: MachPortName) -> Result<ReceiveRight<Space>, KernReturn> {
    match space.port_type(name) {
        Ok(t) if t & MACH_PORT_TYPE_RECEIVE != 0 => Ok(ReceiveRight::from_raw(space.clone(), name)),
        Ok(_) => Err(KERN_INVALID_RIGHT),
        Err(e) => Err(e.code()),
    }
}

/// A send right of its own for the send right `name` of `space` that an entry borrows
/// (one more user reference, released when the result drops), or `KERN_INVALID_RIGHT`.
pub fn borrow_send(space: &Space, name: MachPortName) -> Result<SendRight<Space>, KernReturn> {
    match space.port_type(name) {
        Ok(t) if t & MACH_PORT_TYPE_SEND != 0 => {
            space
                .port_mod_refs(name, MACH_PORT_RIGHT_SEND, 1)
                .map_err(|e| e.code())?;
            Ok(SendRight::from_raw(space.clone(), name))
        }
        Ok(_) => Err(KERN_INVALID_RIGHT),
        Err(e) => Err(e.code()),
    }
}

/// Runs a Zig server entry (`migz.bridge.exportServer`) on the calling thread: the entry
/// takes the receive right and serves until the port's last send right is gone or it has
/// answered `limit` requests (0: no limit). Make the clients' send rights first; run it
/// on a thread of its own (or `spawn_blocking`), since it blocks. Returns the entry's
/// code when it is not success.
pub fn serve_in_zig(port: ReceiveRight<Space>, limit: u64, entry: Entry) -> Result<(), KernReturn> {
    let space = port.task().clone();
    let name = port.into_raw();
    match entry(&space, name, limit) {
        KERN_SUCCESS => Ok(()),
        code => Err(code),
    }
}

/// Calls a Zig entry that borrows the send right `server` (a Zig client of a Rust or Zig
/// server), on the calling thread.
pub fn call_zig(server: &SendRight<Space>, arg: u64, entry: Entry) -> i32 {
    entry(server.task(), server.name(), arg)
}

/// Serving until the last client goes, which bridged servers usually want: see
/// [`crate::server`].
pub use crate::server::serve_until_no_senders;

/// Runs `future` to completion on a fresh current-thread tokio runtime: what a Rust
/// entry that Zig calls (a thread of Zig's, outside any runtime) does with an async server.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|_| Error::Failure)?;
    Ok(runtime.block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::allocate_pair;

    #[test]
    fn a_panicking_entry_answers_kern_failure() {
        let code = run_entry(0, 0, 0, |_, _, _| panic!("boom"));
        assert_eq!(code, KERN_FAILURE);
    }

    #[test]
    fn an_unknown_task_is_refused() {
        assert_eq!(run_entry(u32::MAX, 0, 0, |_, _, _| 0), KERN_INVALID_TASK);
    }

    #[test]
    fn entries_check_the_rights_they_are_given() {
        let space = Space::new();
        {
            let (port, send) = allocate_pair(&space).unwrap();
            let once = port.make_send_once().unwrap();
            assert_eq!(
                take_receive(&space, once.name()).err(),
                Some(KERN_INVALID_RIGHT)
            );
            assert_eq!(
                borrow_send(&space, once.name()).err(),
                Some(KERN_INVALID_RIGHT)
            );
            assert_eq!(
                take_receive(&space, 0x1234_5678).err(),
                Some(crate::abi::KERN_INVALID_NAME)
            );
            let borrowed = borrow_send(&space, send.name()).unwrap();
            drop(borrowed);
            // The caller's own reference is still there.
            assert_eq!(
                space.port_get_refs(send.name(), MACH_PORT_RIGHT_SEND),
                Ok(1)
            );
            let taken = take_receive(&space, port.into_raw()).unwrap();
            drop((taken, send, once));
        }
        space.assert_no_leaks();
    }

    #[test]
    fn serving_ends_when_the_last_send_right_goes() {
        let space = Space::new();
        {
            let (port, send) = allocate_pair(&space).unwrap();
            let second = send.copy_send().unwrap();
            let result = block_on(async {
                let serving = serve_until_no_senders(port, async |port| {
                    // A serve function that never ends by itself.
                    let _stream = port.messages()?;
                    futures::future::pending::<()>().await;
                    Ok(())
                });
                let dropping = async move {
                    tokio::task::yield_now().await;
                    drop(send);
                    tokio::task::yield_now().await;
                    drop(second);
                };
                futures::join!(serving, dropping).0
            })
            .unwrap();
            assert_eq!(result, Ok(()));
        }
        space.assert_no_leaks();
    }
}
