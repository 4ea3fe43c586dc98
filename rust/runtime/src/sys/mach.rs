//! The kernel calls behind the `mach` transport (Apple systems only): thin safe wrappers
//! over `mach2` and libSystem's `mach_port_*` MIG stubs, each returning the kernel's code.
//! Pointers passed down always come from Rust references of the right size.
//!
//! Out-of-line memory is named by addresses inside message bytes, which safe callers can
//! write at will, so no function here reads, frees or sends memory on an address alone: a
//! book of the regions this process holds for messages (the ones [`give_region`] made to
//! be sent, and the ones the kernel mapped for a message [`msg`] received) vouches for each
//! address first. A region leaves the book when it is taken, freed or moved by a send, so
//! it is never freed twice; a send whose outcome for a moved region the kernel does not
//! say forgets the region rather than risk freeing someone else's memory.

use crate::abi::{
    MACH_MSG_OOL_DESCRIPTOR, MACH_MSG_OOL_PORTS_DESCRIPTOR, MACH_MSG_OOL_VOLATILE_DESCRIPTOR,
    MACH_MSG_PORT_DESCRIPTOR, MACH_MSGH_BITS_COMPLEX, MACH_RCV_MSG, MACH_SEND_INTERRUPTED,
    MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_MEMORY,
    MACH_SEND_INVALID_REPLY, MACH_SEND_INVALID_TYPE, MACH_SEND_MSG, MACH_SEND_MSG_TOO_SMALL,
    MACH_SEND_TIMED_OUT, MACH_SEND_TOO_LARGE, read_u32, read_u64, write_u32, write_u64,
};
use mach2::message::mach_msg_header_t;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

unsafe extern "C" {
    fn mach_port_get_refs(task: u32, name: u32, right: u32, refs: *mut u32) -> i32;
    fn mach_port_type(task: u32, name: u32, ptype: *mut u32) -> i32;
    fn mach_port_extract_right(
        task: u32,
        name: u32,
        msgt: u32,
        poly: *mut u32,
        poly_poly: *mut u32,
    ) -> i32;
    fn mach_port_get_context(task: u32, name: u32, context: *mut u64) -> i32;
    fn mach_port_set_context(task: u32, name: u32, context: u64) -> i32;
    fn mach_port_guard(task: u32, name: u32, guard: u64, strict: u32) -> i32;
    fn mach_port_unguard(task: u32, name: u32, guard: u64) -> i32;
    fn mach_port_set_mscount(task: u32, name: u32, mscount: u32) -> i32;
    fn mach_port_get_attributes(
        task: u32,
        name: u32,
        flavor: i32,
        info: *mut i32,
        count: *mut u32,
    ) -> i32;
    fn mach_port_set_attributes(
        task: u32,
        name: u32,
        flavor: i32,
        info: *mut i32,
        count: u32,
    ) -> i32;
    fn mach_port_move_member(task: u32, member: u32, after: u32) -> i32;
    fn mach_port_request_notification(
        task: u32,
        name: u32,
        msgid: i32,
        sync: u32,
        notify: u32,
        notify_poly: u32,
        previous: *mut u32,
    ) -> i32;
    fn mach_port_allocate(task: u32, right: u32, name: *mut u32) -> i32;
    fn mach_port_mod_refs(task: u32, name: u32, right: u32, delta: i32) -> i32;
    fn mach_port_insert_right(task: u32, name: u32, poly: u32, poly_poly: u32) -> i32;
    fn mach_port_construct(
        task: u32,
        options: *mut PortOptions,
        context: u64,
        name: *mut u32,
    ) -> i32;
    fn mach_port_destruct(task: u32, name: u32, srdelta: i32, guard: u64) -> i32;
    fn mach_msg_destroy(msg: *mut mach_msg_header_t);
    fn vm_deallocate(task: u32, address: usize, size: usize) -> i32;
    fn vm_allocate(task: u32, address: *mut usize, size: usize, flags: i32) -> i32;
}

/// `VM_FLAGS_ANYWHERE`.
const VM_FLAGS_ANYWHERE: i32 = 1;

/// Who holds a region in the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    /// Made by [`give_region`] for a message to move; ours until a send moves it.
    Given,
    /// Mapped by the kernel for a message this process received; ours to take or free.
    Received,
}

/// The regions of this process that messages carry: address to size and holder. The
/// kernel never maps two live regions at one address, so the address is the key.
static BOOK: Mutex<BTreeMap<usize, (usize, Holder)>> = Mutex::new(BTreeMap::new());

fn book() -> MutexGuard<'static, BTreeMap<usize, (usize, Holder)>> {
    // The book holds plain numbers, consistent after any panic, so a poisoned lock is used.
    BOOK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes the region of exactly `size` bytes at `addr` held by `holder` out of the book:
/// whether it was there.
fn claim(
    book: &mut BTreeMap<usize, (usize, Holder)>,
    addr: usize,
    size: usize,
    holder: Holder,
) -> bool {
    if book.get(&addr) == Some(&(size, holder)) {
        book.remove(&addr);
        true
    } else {
        false
    }
}

/// The out-of-line descriptor (memory or ports) at `offset` of a message, naming `size`
/// bytes at `addr`.
#[derive(Clone, Copy, Debug)]
struct OolAt {
    offset: usize,
    addr: usize,
    size: usize,
    deallocate: bool,
}

/// The out-of-line descriptors of the message in `msg[..size]` that name memory (a size
/// above 0), read as the kernel reads them: `Err` with the kernel's code when the
/// descriptors run past `size` or one has a type the kernel does not know.
fn ool_descriptors(msg: &[u8], size: usize) -> Result<Vec<OolAt>, i32> {
    const GUARDED_PORT: u32 = 4;
    let size = size.min(msg.len());
    let bits = read_u32(msg, 0).ok_or(MACH_SEND_MSG_TOO_SMALL)?;
    if bits & MACH_MSGH_BITS_COMPLEX == 0 {
        return Ok(Vec::new());
    }
    let count = read_u32(msg, 24).ok_or(MACH_SEND_MSG_TOO_SMALL)? as usize;
    // Each descriptor takes at least 12 bytes, which bounds the loop below.
    if size < 28 || count > (size - 28) / 12 {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut out = Vec::new();
    let mut off = 28;
    for _ in 0..count {
        let word = read_u32(msg, off + 8).filter(|_| off + 12 <= size);
        let word = word.ok_or(MACH_SEND_MSG_TOO_SMALL)?;
        let kind = word >> 24;
        let len = match kind {
            MACH_MSG_PORT_DESCRIPTOR => 12,
            MACH_MSG_OOL_DESCRIPTOR
            | MACH_MSG_OOL_PORTS_DESCRIPTOR
            | MACH_MSG_OOL_VOLATILE_DESCRIPTOR
            | GUARDED_PORT => 16,
            _ => return Err(MACH_SEND_INVALID_TYPE),
        };
        if off + len > size {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        if matches!(
            kind,
            MACH_MSG_OOL_DESCRIPTOR
                | MACH_MSG_OOL_PORTS_DESCRIPTOR
                | MACH_MSG_OOL_VOLATILE_DESCRIPTOR
        ) {
            let addr = read_u64(msg, off).unwrap_or(0) as usize;
            let n = read_u32(msg, off + 12).unwrap_or(0) as usize;
            // An out-of-line port array holds 4-byte names in user space.
            let bytes = if kind == MACH_MSG_OOL_PORTS_DESCRIPTOR {
                n * 4
            } else {
                n
            };
            if bytes > 0 {
                out.push(OolAt {
                    offset: off,
                    addr,
                    size: bytes,
                    deallocate: word & 0xff != 0,
                });
            }
        }
        off += len;
    }
    Ok(out)
}

/// Books the regions of a message the kernel just delivered into `msg`.
fn record_received(msg: &[u8]) {
    let size = read_u32(msg, 4).unwrap_or(0) as usize;
    if let Ok(regions) = ool_descriptors(msg, size) {
        let mut book = book();
        for r in regions {
            book.insert(r.addr, (r.size, Holder::Received));
        }
    }
}

/// Claims, before a send, every region the message in `msg[..size]` names: each must be
/// one [`give_region`] made (memory a received message brought, or any other address, is
/// refused with `MACH_SEND_INVALID_MEMORY`, before the kernel sees it).
fn claim_for_send(msg: &[u8], size: usize) -> Result<Vec<OolAt>, i32> {
    let regions = ool_descriptors(msg, size)?;
    let mut book = book();
    for (i, r) in regions.iter().enumerate() {
        if !claim(&mut book, r.addr, r.size, Holder::Given) {
            for back in &regions[..i] {
                book.insert(back.addr, (back.size, Holder::Given));
            }
            return Err(MACH_SEND_INVALID_MEMORY);
        }
    }
    Ok(regions)
}

/// Settles the regions [`claim_for_send`] claimed, after the kernel answered `rc`: a
/// region the message did not deallocate is still ours; a moved one is gone once sent,
/// still ours when the kernel refused the header (it copied nothing in), ours at the
/// address the kernel wrote back when the send timed out or was interrupted (it gave the
/// message back, as a pseudo-receive); after any other failure the kernel may have freed
/// it, so it is forgotten (a leak at worst, never a second free).
fn settle_send(rc: i32, claimed: &[OolAt], msg: &[u8]) {
    let sent = rc == 0 || (0x1000_4000..0x1000_8000).contains(&rc);
    let untouched = matches!(
        rc,
        MACH_SEND_INVALID_DEST
            | MACH_SEND_INVALID_REPLY
            | MACH_SEND_INVALID_HEADER
            | MACH_SEND_TOO_LARGE
    );
    let given_back = matches!(rc, MACH_SEND_TIMED_OUT | MACH_SEND_INTERRUPTED);
    let mut book = book();
    for r in claimed {
        if !r.deallocate || untouched {
            book.insert(r.addr, (r.size, Holder::Given));
        } else if !sent && given_back {
            match read_u64(msg, r.offset) {
                Some(addr) if addr != 0 => {
                    book.insert(addr as usize, (r.size, Holder::Given));
                }
                _ => {}
            }
        }
    }
}

/// Copies `region` into fresh kernel-allocated memory of this task that a message can
/// move (its descriptor marked to deallocate), and returns that memory's address; the
/// region is freed. `Err` gives the region back when the allocation fails. (The regions
/// calls take no task: the book and the copies are this process's memory.)
pub fn give_region(region: super::mem::Region) -> Result<usize, super::mem::Region> {
    let task = task_self();
    let size = region.len();
    let mut addr = 0usize;
    // SAFETY: `addr` is a valid place for the kernel to write the new address.
    let r = unsafe { vm_allocate(task, &mut addr, size, VM_FLAGS_ANYWHERE) };
    if r != 0 || addr == 0 {
        return Err(region);
    }
    // SAFETY: the kernel just mapped `size` writable bytes at `addr` for us alone, and the
    // region is a distinct allocation of exactly `size` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(region.addr() as *const u8, addr as *mut u8, size);
    }
    book().insert(addr, (size, Holder::Given));
    Ok(addr)
}

/// Deallocates the memory [`give_region`] made at `addr` for a message that was not sent;
/// any other range is left alone.
pub fn take_back_region(addr: usize, size: usize) {
    if !claim(&mut book(), addr, size, Holder::Given) {
        return;
    }
    let task = task_self();
    // SAFETY: the book vouches that the range is memory `give_region` allocated and no
    // send moved; it left the book just now, so nothing else will free it.
    unsafe {
        vm_deallocate(task, addr, size);
    }
}

/// `mach_msg_destroy` on a received message: releases its rights, and the out-of-line
/// memory the kernel mapped for it. The message is copied to an aligned buffer first; one
/// whose header claims more bytes than `msg` holds is left alone (it cannot have come from
/// the kernel). A region the book does not hold as received is not touched (its
/// descriptor is emptied in the copy, so rights in an unknown port array stay too), and
/// descriptors the kernel could not have written leave only the header's rights released.
pub fn msg_destroy(msg: &[u8]) {
    let header = std::mem::size_of::<mach_msg_header_t>();
    if msg.len() < header {
        return;
    }
    let size = u32::from_ne_bytes([msg[4], msg[5], msg[6], msg[7]]) as usize;
    if size < header || size > msg.len() {
        return;
    }
    let mut copy = msg[..size].to_vec();
    match ool_descriptors(&copy, size) {
        Ok(regions) => {
            let mut book = book();
            for r in regions {
                if !claim(&mut book, r.addr, r.size, Holder::Received) {
                    write_u64(&mut copy, r.offset, 0);
                    write_u32(&mut copy, r.offset + 12, 0);
                }
            }
        }
        Err(_) => {
            let bits = read_u32(&copy, 0).unwrap_or(0);
            write_u32(&mut copy, 0, bits & !MACH_MSGH_BITS_COMPLEX);
        }
    }
    let mut words = vec![0u32; size.div_ceil(4)];
    for (w, chunk) in words.iter_mut().zip(copy.chunks(4)) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        *w = u32::from_ne_bytes(b);
    }
    // SAFETY: `words` is a 4-byte aligned copy of the whole message (`msgh_size` bytes, as
    // checked), which is all mach_msg_destroy reads; every descriptor left in it that
    // names memory names a region the kernel mapped for this received message (the book
    // vouched for it, and it left the book just now), which is what mach_msg_destroy
    // deallocates; rights are released by name, which the kernel checks.
    unsafe { mach_msg_destroy(words.as_mut_ptr().cast()) }
}

/// Takes the out-of-line region of `size` bytes at `addr` that the kernel mapped into this
/// task for a received message: its bytes move to a runtime
/// [`Region`](super::mem::Region), which frees itself like any other, and the kernel's
/// mapping is deallocated. `None`, touching nothing, for a range the book does not hold as
/// received.
pub fn take_region(addr: usize, size: usize) -> Option<super::mem::Region> {
    if addr == 0 || size == 0 || !claim(&mut book(), addr, size, Holder::Received) {
        return None;
    }
    let task = task_self();
    // SAFETY: the book vouches that the range is the kernel's mapping for a message this
    // process received, mapped and readable until we deallocate it just below; it left
    // the book just now, so no one else reads or frees it meanwhile.
    let region = unsafe { super::mem::Region::copy_from_raw(addr, size) };
    // SAFETY: as above: the mapping is now copied and owned by no one else; deallocating it
    // is what the receiver of the message must do.
    unsafe {
        vm_deallocate(task, addr, size);
    }
    region
}

/// `mach_port_options_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PortOptions {
    /// `MPO_*` flags.
    pub flags: u32,
    /// The queue limit.
    pub qlimit: u32,
    /// Reserved.
    pub reserved: [u64; 2],
}

/// `mach_task_self()`.
pub fn task_self() -> u32 {
    // SAFETY: reads the process's task port name, set up by libSystem before main.
    unsafe { mach2::traps::mach_task_self() }
}

/// `mach_msg` on a byte buffer that holds at least `max(send_size, rcv_size)` bytes. A
/// message to send may name only out-of-line memory [`give_region`] made (anything else
/// is `MACH_SEND_INVALID_MEMORY`, and a descriptor the kernel would refuse gets its code,
/// before the kernel sees the message); the regions of a received one go into the book.
pub fn msg(
    buf: &mut [u8],
    option: i32,
    send_size: u32,
    rcv_size: u32,
    rcv_name: u32,
    timeout: u32,
    notify: u32,
) -> i32 {
    let need = (send_size.max(rcv_size)) as usize;
    if buf.len() < need || buf.len() < std::mem::size_of::<mach_msg_header_t>() {
        return crate::abi::MACH_SEND_INVALID_DATA;
    }
    let claimed = if option & MACH_SEND_MSG != 0 {
        match claim_for_send(buf, send_size as usize) {
            Ok(claimed) => claimed,
            Err(code) => return code,
        }
    } else {
        Vec::new()
    };
    let rc = raw_msg(
        buf, need, option, send_size, rcv_size, rcv_name, timeout, notify,
    );
    if option & MACH_SEND_MSG != 0 {
        settle_send(rc, &claimed, buf);
    }
    if option & MACH_RCV_MSG != 0 && rc == 0 {
        record_received(buf);
    }
    rc
}

/// [`msg`] once its buffer is checked to hold `need` bytes.
#[allow(clippy::too_many_arguments)]
fn raw_msg(
    buf: &mut [u8],
    need: usize,
    option: i32,
    send_size: u32,
    rcv_size: u32,
    rcv_name: u32,
    timeout: u32,
    notify: u32,
) -> i32 {
    // The kernel accepts any 4-byte aligned buffer; an unaligned one is copied through an
    // aligned scratch buffer.
    if !(buf.as_ptr() as usize).is_multiple_of(4) {
        let mut words = vec![0u32; need.div_ceil(4)];
        let bytes = need.min(buf.len());
        for (i, chunk) in buf[..bytes].chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            words[i] = u32::from_ne_bytes(w);
        }
        // SAFETY: `words` holds `need` bytes, 4-byte aligned, for the kernel to read and write.
        let r = unsafe {
            mach2::message::mach_msg(
                words.as_mut_ptr().cast(),
                option,
                send_size,
                rcv_size,
                rcv_name,
                timeout,
                notify,
            )
        };
        for (i, w) in words.iter().enumerate() {
            let b = w.to_ne_bytes();
            let end = ((i + 1) * 4).min(bytes);
            buf[i * 4..end].copy_from_slice(&b[..end - i * 4]);
        }
        return r;
    }
    // SAFETY: `buf` is 4-byte aligned and holds `need` bytes, as mach_msg requires.
    unsafe {
        mach2::message::mach_msg(
            buf.as_mut_ptr().cast(),
            option,
            send_size,
            rcv_size,
            rcv_name,
            timeout,
            notify,
        )
    }
}

/// `mach_port_allocate`.
pub fn allocate(task: u32, right: u32) -> Result<u32, i32> {
    let mut name = 0;
    // SAFETY: `name` is a valid u32 to write.
    let r = unsafe { mach_port_allocate(task, right, &mut name) };
    if r == 0 { Ok(name) } else { Err(r) }
}

/// `mach_port_construct`.
pub fn construct(task: u32, flags: u32, qlimit: u32, context: u64) -> Result<u32, i32> {
    let mut o = PortOptions {
        flags,
        qlimit,
        reserved: [0; 2],
    };
    let mut name = 0;
    // SAFETY: `o` and `name` are valid for the call.
    let r = unsafe { mach_port_construct(task, &mut o, context, &mut name) };
    if r == 0 { Ok(name) } else { Err(r) }
}

/// `mach_port_destruct`.
pub fn destruct(task: u32, name: u32, srdelta: i32, guard: u64) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_destruct(task, name, srdelta, guard) }
}

/// `mach_port_mod_refs`.
pub fn mod_refs(task: u32, name: u32, right: u32, delta: i32) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_mod_refs(task, name, right, delta) }
}

/// `mach_port_get_refs`.
pub fn get_refs(task: u32, name: u32, right: u32) -> Result<u32, i32> {
    let mut refs = 0;
    // SAFETY: `refs` is a valid u32 to write.
    let r = unsafe { mach_port_get_refs(task, name, right, &mut refs) };
    if r == 0 { Ok(refs) } else { Err(r) }
}

/// `mach_port_type`.
pub fn port_type(task: u32, name: u32) -> Result<u32, i32> {
    let mut t = 0;
    // SAFETY: `t` is a valid u32 to write.
    let r = unsafe { mach_port_type(task, name, &mut t) };
    if r == 0 { Ok(t) } else { Err(r) }
}

/// `mach_port_insert_right`.
pub fn insert_right(task: u32, name: u32, poly: u32, disp: u32) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_insert_right(task, name, poly, disp) }
}

/// `mach_port_extract_right`.
pub fn extract_right(task: u32, name: u32, disp: u32) -> Result<(u32, u32), i32> {
    let (mut n, mut t) = (0, 0);
    // SAFETY: both are valid u32s to write.
    let r = unsafe { mach_port_extract_right(task, name, disp, &mut n, &mut t) };
    if r == 0 { Ok((n, t)) } else { Err(r) }
}

/// `mach_port_get_context`.
pub fn get_context(task: u32, name: u32) -> Result<u64, i32> {
    let mut c = 0;
    // SAFETY: `c` is a valid u64 to write.
    let r = unsafe { mach_port_get_context(task, name, &mut c) };
    if r == 0 { Ok(c) } else { Err(r) }
}

/// `mach_port_set_context`.
pub fn set_context(task: u32, name: u32, context: u64) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_set_context(task, name, context) }
}

/// `mach_port_guard`.
pub fn guard(task: u32, name: u32, guard: u64, strict: bool) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_guard(task, name, guard, u32::from(strict)) }
}

/// `mach_port_unguard`.
pub fn unguard(task: u32, name: u32, guard: u64) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_unguard(task, name, guard) }
}

/// `mach_port_set_mscount`.
pub fn set_mscount(task: u32, name: u32, mscount: u32) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_set_mscount(task, name, mscount) }
}

/// `mach_port_get_attributes` into `info`; returns the count written.
pub fn get_attributes(task: u32, name: u32, flavor: i32, info: &mut [u32]) -> Result<u32, i32> {
    let mut count = info.len() as u32;
    // SAFETY: `info` holds `count` naturals for the kernel to write; `count` is valid.
    let r = unsafe {
        mach_port_get_attributes(task, name, flavor, info.as_mut_ptr().cast(), &mut count)
    };
    if r == 0 { Ok(count) } else { Err(r) }
}

/// `mach_port_set_attributes` from `info`.
pub fn set_attributes(task: u32, name: u32, flavor: i32, info: &[u32]) -> i32 {
    let mut copy = info.to_vec();
    // SAFETY: `copy` holds `info.len()` naturals; the kernel only reads them.
    unsafe {
        mach_port_set_attributes(
            task,
            name,
            flavor,
            copy.as_mut_ptr().cast(),
            copy.len() as u32,
        )
    }
}

/// `mach_port_move_member`.
pub fn move_member(task: u32, member: u32, after: u32) -> i32 {
    // SAFETY: plain values only.
    unsafe { mach_port_move_member(task, member, after) }
}

/// `mach_port_request_notification`.
pub fn request_notification(
    task: u32,
    name: u32,
    msgid: i32,
    sync: u32,
    notify: u32,
    disp: u32,
) -> Result<u32, i32> {
    let mut prev = 0;
    // SAFETY: `prev` is a valid u32 to write.
    let r =
        unsafe { mach_port_request_notification(task, name, msgid, sync, notify, disp, &mut prev) };
    if r == 0 { Ok(prev) } else { Err(r) }
}
