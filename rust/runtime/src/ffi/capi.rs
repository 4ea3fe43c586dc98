//! The C ABI of the local Mach port emulation (`bridge/migz.h`): `migz1_`-prefixed
//! functions with the signatures and return codes of the kernel calls they mirror. Each one
//! checks its pointers, resolves its task handle to a space and calls the safe runtime,
//! catching panics so nothing unwinds into C or Zig; `stream` adds the rings and channels
//! shared with Zig.
//!
//! The functions live in this crate, not only in the `migz-ffi` static library, so that
//! every Rust program using migz links them: the Zig half that `migz-build` links calls
//! them, and a crate that depends on `migz` alone must not need to name another crate for
//! the linker to keep them.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

pub mod stream;
pub use stream::*;

use crate::Space;
use crate::abi::*;
use crate::error::Error;
use crate::local::{Memory, PortOptions};
use crate::sys::mem as sys_mem;

/// `mach_port_t` / `mach_port_name_t`.
pub type MachPortT = u32;
/// `kern_return_t`.
pub type KernReturnT = i32;

thread_local! {
    static CURRENT: Cell<u32> = const { Cell::new(0) };
}

/// The space this thread's `mach_msg` and reply-port calls use; `None` when the thread
/// chose a task that has since been destroyed (rather than silently using another space).
fn current() -> Option<Space> {
    let t = CURRENT.with(|c| c.get());
    if t == 0 {
        return Some(Space::global().clone());
    }
    Space::from_task(t)
}

/// Runs `f`, turning a panic into `KERN_FAILURE`.
fn guard(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(KERN_FAILURE)
}

/// Runs `f` on the space `task` names, or answers `KERN_INVALID_TASK`.
fn with_task(task: MachPortT, f: impl FnOnce(&Space) -> Result<(), Error>) -> i32 {
    guard(|| match Space::from_task(task) {
        Some(s) => match f(&s) {
            Ok(()) => KERN_SUCCESS,
            Err(e) => e.code(),
        },
        None => KERN_INVALID_TASK,
    })
}

/// Writes `v` through `p` when it is not null.
///
/// # Safety
/// `p` is null or valid for a write of `T`.
unsafe fn put<T>(p: *mut T, v: T) -> Result<(), Error> {
    if p.is_null() {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: non-null, and the caller promised it is valid for writes.
    unsafe { p.write_unaligned(v) };
    Ok(())
}

/// `mach_task_self()`: the process-wide default space.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_task_self() -> MachPortT {
    catch_unwind(|| Space::global().task()).unwrap_or(0)
}

/// Creates an isolated space (a task of its own) and returns its handle in `*task`.
///
/// # Safety
/// `task` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_task_create(task: *mut MachPortT) -> KernReturnT {
    guard(|| {
        let s = Space::new();
        let handle = s.task();
        // Spaces live as long as a handle refers to them; the registry of tasks only holds
        // weak references, so the created space is kept alive here until destroyed.
        kept().push(s);
        // SAFETY: the caller promised `task` is valid for a write.
        match unsafe { put(task, handle) } {
            Ok(()) => KERN_SUCCESS,
            Err(e) => e.code(),
        }
    })
}

static KEPT: std::sync::Mutex<Vec<Space>> = std::sync::Mutex::new(Vec::new());

fn kept() -> std::sync::MutexGuard<'static, Vec<Space>> {
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Destroys a space made by `migz1_task_create`, releasing every right in it.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_task_destroy(task: MachPortT) -> KernReturnT {
    guard(|| {
        let removed = {
            let mut k = kept();
            let i = k.iter().position(|s| s.task() == task);
            i.map(|i| k.swap_remove(i))
        };
        match removed {
            Some(s) => {
                drop(s);
                KERN_SUCCESS
            }
            None => KERN_INVALID_TASK,
        }
    })
}

/// Makes `task` the space this thread's `migz1_mach_msg` and `migz1_mig_*` calls use
/// (`MACH_PORT_NULL` goes back to `migz1_task_self()`).
#[unsafe(no_mangle)]
pub extern "C" fn migz1_task_set_current(task: MachPortT) -> KernReturnT {
    guard(|| {
        if task != 0 && Space::from_task(task).is_none() {
            return KERN_INVALID_TASK;
        }
        CURRENT.with(|c| c.set(task));
        KERN_SUCCESS
    })
}

/// Right accounting: how many names, out-of-line regions and live ports `task` still holds.
///
/// # Safety
/// Each pointer is null (not wanted) or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_task_leaks(
    task: MachPortT,
    names: *mut u32,
    regions: *mut u32,
    ports: *mut u32,
) -> KernReturnT {
    with_task(task, |s| {
        let l = s.leaks();
        for (p, v) in [
            (names, l.names.len()),
            (regions, l.regions.len()),
            (ports, l.live_ports),
        ] {
            if !p.is_null() {
                // SAFETY: non-null, and the caller promised it is valid for a write.
                unsafe { put(p, v as u32)? };
            }
        }
        Ok(())
    })
}

/// `mach_msg`, on the calling thread's current space.
///
/// Addresses inside the message are read as the kernel reads them, through checked
/// copies, so a bad one is an error code and never a fault: out-of-line memory or a port
/// array that cannot be read is `MACH_SEND_INVALID_MEMORY` (nothing is taken from the
/// sender), and a receive buffer that cannot be written is `MACH_RCV_INVALID_DATA`: a
/// message received into it is destroyed, as xnu destroys one it cannot copy out, its
/// rights and memory released.
///
/// # Safety
/// `msg` is valid for reads of `send_size` bytes when sending. The out-of-line memory and
/// port arrays the message names, and the receive buffer, are the caller's to hand over
/// for the call (nothing else uses them meanwhile); a bad one needs no promise: it is
/// answered, not dereferenced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_msg(
    msg: *mut u8,
    option: i32,
    send_size: u32,
    rcv_size: u32,
    rcv_name: MachPortT,
    timeout: u32,
    notify: MachPortT,
) -> i32 {
    guard(|| {
        let sending = option & MACH_SEND_MSG != 0;
        let receiving = option & MACH_RCV_MSG != 0;
        if msg.is_null() {
            return if sending {
                MACH_SEND_INVALID_DATA
            } else {
                MACH_RCV_INVALID_DATA
            };
        }
        let Some(space) = current() else {
            return if sending {
                MACH_SEND_INVALID_DEST
            } else {
                MACH_RCV_INVALID_NAME
            };
        };
        // No message is larger than MESSAGE_SIZE_MAX (a larger send is refused before its
        // bytes matter), so the private buffer is bounded whatever the sizes say.
        let send_len = if sending {
            (send_size as usize).min(MESSAGE_SIZE_MAX + 4)
        } else {
            0
        };
        let rcv_len = if receiving {
            (rcv_size as usize).min(MESSAGE_SIZE_MAX + MAX_TRAILER_SIZE as usize)
        } else {
            0
        };
        let mut buf = vec![0u8; send_len.max(rcv_len)];
        // The message itself is read directly, as the caller promised it readable: a
        // checked copy costs a system call (two through a pipe, which measured doubled a
        // round trip). What it names by address (out-of-line memory, port arrays) and the
        // receive buffer, which the kernel checks too, go through checked copies.
        // SAFETY: `mach_msg`'s contract: `msg` is valid for reads of `send_size` bytes when
        // sending; `buf` holds `send_len <= send_size` bytes and is a fresh allocation.
        unsafe { std::ptr::copy_nonoverlapping(msg, buf.as_mut_ptr(), send_len) };
        // SAFETY: `mach_msg`'s contract makes the caller vouch that out-of-line memory and
        // port arrays it names are its own to send; unmapped ones are answered.
        let foreign = unsafe { sys_mem::ForeignMemory::new() };
        let rc = space.mach_msg_with(
            &mut buf,
            option,
            send_size,
            rcv_len as u32,
            rcv_name,
            timeout,
            notify,
            Memory::Foreign(&foreign),
        );
        if !receiving {
            return rc;
        }
        // What the receive wrote: the message and its trailer; for a message too large, its
        // size alone when it stays queued (MACH_RCV_LARGE), else the header.
        let (from, to) = match rc {
            MACH_MSG_SUCCESS => (0, received_len(&buf, rcv_len)),
            MACH_RCV_TOO_LARGE if option & MACH_RCV_LARGE != 0 => (4, rcv_len.clamp(4, 8)),
            MACH_RCV_TOO_LARGE => (0, rcv_len.min(HEADER_SIZE)),
            _ => return rc,
        };
        let written = to;
        // SAFETY: the receive buffer is the caller's, handed over for the call; no Rust
        // reference points into it.
        if unsafe { sys_mem::write_checked(msg as usize + from, &buf[from..to]) } {
            return rc;
        }
        if rc == MACH_MSG_SUCCESS {
            space.msg_destroy(&buf[..written]);
        }
        MACH_RCV_INVALID_DATA
    })
}

/// How many bytes a received message and its trailer fill in a buffer of `max` bytes.
fn received_len(buf: &[u8], max: usize) -> usize {
    let size = read_u32(buf, 4).unwrap_or(0) as usize;
    let trailer = read_u32(buf, size + 4).unwrap_or(0) as usize;
    (size + trailer).min(max).min(buf.len())
}

/// `mach_msg_destroy`: releases the rights and memory a received message carries, in the
/// calling thread's current space. A message that cannot be read is left alone.
///
/// # Safety
/// As for `mach_msg_destroy`: the message is the caller's. A bad address needs no
/// promise: it is read through checked copies.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_msg_destroy(msg: *const u8) {
    let _ = catch_unwind(|| {
        if msg.is_null() {
            return;
        }
        let mut head = [0u8; HEADER_SIZE];
        // SAFETY: the message is the caller's to read, by `mach_msg_destroy`'s contract.
        if !unsafe { sys_mem::read_checked(msg as usize, &mut head) } {
            return;
        }
        let size = read_u32(&head, 4).unwrap_or(0).max(HEADER_SIZE as u32) as usize;
        let mut all = vec![0u8; size.min(MESSAGE_SIZE_MAX)];
        // SAFETY: as for the header.
        if !unsafe { sys_mem::read_checked(msg as usize, &mut all) } {
            return;
        }
        if let Some(s) = current() {
            s.msg_destroy(&all);
        }
    });
}

/// `mach_port_allocate`.
///
/// # Safety
/// `name` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_allocate(
    task: MachPortT,
    right: u32,
    name: *mut MachPortT,
) -> KernReturnT {
    with_task(task, |s| {
        let n = s.port_allocate(right)?;
        // SAFETY: the caller promised `name` is valid for a write.
        unsafe { put(name, n) }.inspect_err(|_| {
            let _ = s.port_mod_refs(n, right, -1);
        })
    })
}

/// `mach_port_allocate_name`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_allocate_name(
    task: MachPortT,
    right: u32,
    name: MachPortT,
) -> KernReturnT {
    with_task(task, |s| s.port_allocate_name(right, name))
}

/// `mach_port_deallocate`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_deallocate(task: MachPortT, name: MachPortT) -> KernReturnT {
    with_task(task, |s| s.port_deallocate(name))
}

/// `mach_port_mod_refs`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_mod_refs(
    task: MachPortT,
    name: MachPortT,
    right: u32,
    delta: i32,
) -> KernReturnT {
    with_task(task, |s| s.port_mod_refs(name, right, delta))
}

/// `mach_port_get_refs`.
///
/// # Safety
/// `refs` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_get_refs(
    task: MachPortT,
    name: MachPortT,
    right: u32,
    refs: *mut u32,
) -> KernReturnT {
    with_task(task, |s| {
        let r = s.port_get_refs(name, right)?;
        // SAFETY: the caller promised `refs` is valid for a write.
        unsafe { put(refs, r) }
    })
}

/// `mach_port_type`.
///
/// # Safety
/// `ptype` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_type(
    task: MachPortT,
    name: MachPortT,
    ptype: *mut u32,
) -> KernReturnT {
    with_task(task, |s| {
        let t = s.port_type(name)?;
        // SAFETY: the caller promised `ptype` is valid for a write.
        unsafe { put(ptype, t) }
    })
}

/// `mach_port_insert_right`: `poly` is a name in the calling thread's current space.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_insert_right(
    task: MachPortT,
    name: MachPortT,
    poly: MachPortT,
    poly_poly: u32,
) -> KernReturnT {
    with_task(task, |s| {
        s.port_insert_right(name, &current().ok_or(Error::InvalidTask)?, poly, poly_poly)
    })
}

/// `mach_port_extract_right`: the right lands in the calling thread's current space.
///
/// # Safety
/// `poly` and `poly_poly` are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_extract_right(
    task: MachPortT,
    name: MachPortT,
    msgt_name: u32,
    poly: *mut MachPortT,
    poly_poly: *mut u32,
) -> KernReturnT {
    with_task(task, |s| {
        if poly.is_null() || poly_poly.is_null() {
            return Err(Error::InvalidArgument);
        }
        let (n, t) =
            s.port_extract_right(name, msgt_name, &current().ok_or(Error::InvalidTask)?)?;
        // SAFETY: both pointers are non-null and the caller promised they are writable.
        unsafe {
            put(poly, n)?;
            put(poly_poly, t)
        }
    })
}

/// `mach_port_options_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MachPortOptions {
    /// `MPO_*` flags.
    pub flags: u32,
    /// `mach_port_limits_t`.
    pub mpl_qlimit: u32,
    /// Reserved.
    pub reserved: [u64; 2],
}
const _: () = assert!(std::mem::size_of::<MachPortOptions>() == 24);

/// `mach_port_construct`.
///
/// # Safety
/// `options` is valid for a read and `name` for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_construct(
    task: MachPortT,
    options: *const MachPortOptions,
    context: u64,
    name: *mut MachPortT,
) -> KernReturnT {
    with_task(task, |s| {
        if options.is_null() {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: non-null, and the caller promised it is readable.
        let o = unsafe { options.read_unaligned() };
        let n = s.port_construct(
            &PortOptions {
                flags: o.flags,
                qlimit: o.mpl_qlimit,
            },
            context,
        )?;
        // SAFETY: the caller promised `name` is valid for a write.
        unsafe { put(name, n) }
    })
}

/// `mach_port_destruct`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_destruct(
    task: MachPortT,
    name: MachPortT,
    srdelta: i32,
    guard_value: u64,
) -> KernReturnT {
    with_task(task, |s| s.port_destruct(name, srdelta, guard_value))
}

/// `mach_port_guard`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_guard(
    task: MachPortT,
    name: MachPortT,
    guard_value: u64,
    strict: u32,
) -> KernReturnT {
    with_task(task, |s| s.port_guard(name, guard_value, strict != 0))
}

/// `mach_port_unguard`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_unguard(
    task: MachPortT,
    name: MachPortT,
    guard_value: u64,
) -> KernReturnT {
    with_task(task, |s| s.port_unguard(name, guard_value))
}

/// `mach_port_get_context`.
///
/// # Safety
/// `context` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_get_context(
    task: MachPortT,
    name: MachPortT,
    context: *mut u64,
) -> KernReturnT {
    with_task(task, |s| {
        let c = s.port_get_context(name)?;
        // SAFETY: the caller promised `context` is valid for a write.
        unsafe { put(context, c) }
    })
}

/// `mach_port_set_context`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_set_context(
    task: MachPortT,
    name: MachPortT,
    context: u64,
) -> KernReturnT {
    with_task(task, |s| s.port_set_context(name, context))
}

/// `mach_port_set_mscount`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_set_mscount(
    task: MachPortT,
    name: MachPortT,
    mscount: u32,
) -> KernReturnT {
    with_task(task, |s| s.port_set_mscount(name, mscount))
}

/// `mach_port_set_attributes`.
///
/// # Safety
/// `info` is valid for reads of `count` naturals.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_set_attributes(
    task: MachPortT,
    name: MachPortT,
    flavor: i32,
    info: *const u32,
    count: u32,
) -> KernReturnT {
    with_task(task, |s| {
        if info.is_null() || count > 64 {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: non-null, bounded, and the caller promised `count` naturals are readable.
        let v = unsafe { std::slice::from_raw_parts(info, count as usize) }.to_vec();
        s.port_set_attributes(name, flavor, &v)
    })
}

/// `mach_port_get_attributes`: `*count` is the room in `info` on entry and the naturals
/// written on return.
///
/// # Safety
/// `count` is valid for a read and write, `info` for writes of `*count` naturals.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_get_attributes(
    task: MachPortT,
    name: MachPortT,
    flavor: i32,
    info: *mut u32,
    count: *mut u32,
) -> KernReturnT {
    with_task(task, |s| {
        if info.is_null() || count.is_null() {
            return Err(Error::InvalidArgument);
        }
        // SAFETY: non-null, and the caller promised it is readable.
        let room = unsafe { count.read_unaligned() }.min(64) as usize;
        let mut tmp = vec![0u32; room];
        let n = s.port_get_attributes(name, flavor, &mut tmp)?;
        // SAFETY: the caller promised `info` holds `*count` naturals; we write at most `room`.
        unsafe {
            std::ptr::copy_nonoverlapping(tmp.as_ptr(), info, n as usize);
            put(count, n)
        }
    })
}

/// `mach_port_move_member`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_port_move_member(
    task: MachPortT,
    member: MachPortT,
    after: MachPortT,
) -> KernReturnT {
    with_task(task, |s| s.port_move_member(member, after))
}

/// `mach_port_request_notification`.
///
/// # Safety
/// `previous` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_mach_port_request_notification(
    task: MachPortT,
    name: MachPortT,
    msgid: i32,
    sync: u32,
    notify: MachPortT,
    notify_poly: u32,
    previous: *mut MachPortT,
) -> KernReturnT {
    with_task(task, |s| {
        if previous.is_null() {
            return Err(Error::InvalidArgument);
        }
        let p = s.port_request_notification(name, msgid, sync, notify, notify_poly)?;
        // SAFETY: non-null, and the caller promised it is writable.
        unsafe { put(previous, p) }
    })
}

/// `mig_get_reply_port`: the calling thread's reply port in its current space (0 on failure).
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mig_get_reply_port() -> MachPortT {
    catch_unwind(|| {
        current()
            .and_then(|s| s.mig_get_reply_port().ok())
            .unwrap_or(0)
    })
    .unwrap_or(0)
}

/// `mig_dealloc_reply_port`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mig_dealloc_reply_port(reply: MachPortT) {
    let _ = catch_unwind(|| {
        if let Some(s) = current() {
            let _ = s.mig_dealloc_reply_port(reply);
        }
    });
}

/// `mig_put_reply_port`.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mig_put_reply_port(reply: MachPortT) {
    let _ = catch_unwind(|| {
        if let Some(s) = current() {
            s.mig_put_reply_port(reply);
        }
    });
}

/// `vm_allocate` (always anywhere): a zeroed, page-aligned region owned by `task`, which
/// can travel in an OOL descriptor without being copied.
///
/// # Safety
/// `address` is valid for a read and write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_vm_allocate(
    task: MachPortT,
    address: *mut usize,
    size: usize,
    flags: i32,
) -> KernReturnT {
    let _ = flags;
    with_task(task, |s| {
        let a = s.vm_allocate(size)?;
        // SAFETY: the caller promised `address` is writable.
        unsafe { put(address, a) }.inspect_err(|_| {
            let _ = s.vm_deallocate(a, size);
        })
    })
}

/// `vm_deallocate`: frees a region `task` owns (from `migz1_vm_allocate` or received
/// out-of-line memory).
#[unsafe(no_mangle)]
pub extern "C" fn migz1_vm_deallocate(task: MachPortT, address: usize, size: usize) -> KernReturnT {
    with_task(task, |s| s.vm_deallocate(address, size))
}

/// `mach_task_self()`: the calling thread's current space's send right to its own task
/// port, whose name is the space's task handle (0 when the thread's space is gone).
/// Messages to it are answered by the emulation, so generated `mach_port.defs` stubs work.
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_task_self() -> MachPortT {
    catch_unwind(|| current().map_or(0, |s| s.mach_task_self())).unwrap_or(0)
}

/// `mach_host_self()`: a send right to the host port in the calling thread's current
/// space; each call adds a user reference, as in xnu (0 on failure).
#[unsafe(no_mangle)]
pub extern "C" fn migz1_mach_host_self() -> MachPortT {
    catch_unwind(|| current().and_then(|s| s.mach_host_self().ok()).unwrap_or(0)).unwrap_or(0)
}

/// `task_get_special_port`: the right lands in the calling thread's current space.
///
/// # Safety
/// `port` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_task_get_special_port(
    task: MachPortT,
    which: i32,
    port: *mut MachPortT,
) -> KernReturnT {
    with_task(task, |s| {
        if port.is_null() {
            return Err(Error::InvalidArgument);
        }
        let into = current().ok_or(Error::InvalidTask)?;
        let n = s.task_get_special_port(which, &into)?;
        // SAFETY: non-null, and the caller promised it is writable.
        unsafe { put(port, n) }.inspect_err(|_| {
            let _ = into.port_deallocate(n);
        })
    })
}

/// `task_set_special_port`: `port` names a send right in the calling thread's current
/// space (or is `MACH_PORT_NULL`).
#[unsafe(no_mangle)]
pub extern "C" fn migz1_task_set_special_port(
    task: MachPortT,
    which: i32,
    port: MachPortT,
) -> KernReturnT {
    with_task(task, |s| {
        let from = current().ok_or(Error::InvalidTask)?;
        s.task_set_special_port(which, &from, port)
    })
}

/// Reads a service name: at most `BOOTSTRAP_MAX_NAME_LEN` bytes up to its NUL, or
/// `BOOTSTRAP_BAD_COUNT` when no NUL comes within them.
///
/// # Safety
/// `name` is null or a NUL-terminated string.
unsafe fn service_name(name: *const std::ffi::c_char) -> Result<Vec<u8>, KernReturnT> {
    if name.is_null() {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let mut v = Vec::new();
    for i in 0..BOOTSTRAP_MAX_NAME_LEN {
        // SAFETY: the caller promised a NUL-terminated string, and the loop stops at its
        // NUL, so every byte read is within it.
        let b = unsafe { name.add(i).read() } as u8;
        if b == 0 {
            return Ok(v);
        }
        v.push(b);
    }
    Err(BOOTSTRAP_BAD_COUNT)
}

/// Runs a bootstrap call on the calling thread's current space and writes the name it
/// gives through `out`, releasing the right again when `out` is null.
///
/// # Safety
/// `name` is null or a NUL-terminated string, `out` is null or valid for a write.
unsafe fn bootstrap_call(
    name: *const std::ffi::c_char,
    out: *mut MachPortT,
    f: impl FnOnce(&Space, &[u8]) -> Result<MachPortT, KernReturnT>,
) -> KernReturnT {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let name = match unsafe { service_name(name) } {
            Ok(n) => n,
            Err(code) => return code,
        };
        if out.is_null() {
            return KERN_INVALID_ARGUMENT;
        }
        let Some(s) = current() else {
            return MACH_SEND_INVALID_DEST;
        };
        match f(&s, &name) {
            Ok(n) => {
                // SAFETY: non-null, and the caller promised it is writable.
                unsafe { out.write_unaligned(n) };
                KERN_SUCCESS
            }
            Err(code) => code,
        }
    })
}

/// `bootstrap_look_up`: a send right to the service `service_name` of the namespace the
/// send right `bp` (in the calling thread's current space) reaches. Codes are launchd's
/// (`BOOTSTRAP_UNKNOWN_SERVICE`, ...).
///
/// # Safety
/// `service_name` is a NUL-terminated string, `sp` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_bootstrap_look_up(
    bp: MachPortT,
    service_name: *const std::ffi::c_char,
    sp: *mut MachPortT,
) -> KernReturnT {
    // SAFETY: forwarded from the caller.
    unsafe { bootstrap_call(service_name, sp, |s, n| s.bootstrap_look_up(bp, n)) }
}

/// `bootstrap_check_in`: the receive right of the service `service_name` (see
/// `Space::bootstrap_check_in`).
///
/// # Safety
/// `service_name` is a NUL-terminated string, `sp` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_bootstrap_check_in(
    bp: MachPortT,
    service_name: *const std::ffi::c_char,
    sp: *mut MachPortT,
) -> KernReturnT {
    // SAFETY: forwarded from the caller.
    unsafe { bootstrap_call(service_name, sp, |s, n| s.bootstrap_check_in(bp, n)) }
}

/// `bootstrap_create_service`: declares `service_name` for the calling space and gives a
/// send right to it; the receive right waits for `migz1_bootstrap_check_in`.
///
/// # Safety
/// `service_name` is a NUL-terminated string, `sp` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_bootstrap_create_service(
    bp: MachPortT,
    service_name: *const std::ffi::c_char,
    sp: *mut MachPortT,
) -> KernReturnT {
    // SAFETY: forwarded from the caller.
    unsafe { bootstrap_call(service_name, sp, |s, n| s.bootstrap_create_service(bp, n)) }
}

/// `bootstrap_register`: registers a copy of the send right `sp` under `service_name`.
///
/// # Safety
/// `service_name` is a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migz1_bootstrap_register(
    bp: MachPortT,
    service_name: *const std::ffi::c_char,
    sp: MachPortT,
) -> KernReturnT {
    let mut unused = 0;
    // SAFETY: forwarded from the caller; `unused` is a local.
    unsafe {
        bootstrap_call(service_name, &mut unused, |s, n| {
            s.bootstrap_register(bp, n, sp).map(|()| 0)
        })
    }
}
