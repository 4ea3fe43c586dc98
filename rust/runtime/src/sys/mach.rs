//! The kernel calls behind the `mach` transport (Apple systems only): thin safe wrappers
//! over `mach2` and libSystem's `mach_port_*` MIG stubs, each returning the kernel's code.
//! Pointers passed down always come from Rust references of the right size.

use mach2::message::mach_msg_header_t;

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

/// Copies `region` into fresh kernel-allocated memory of `task` that a message can move
/// (its descriptor marked to deallocate), and returns that memory's address; the region
/// is freed. `Err` gives the region back when the allocation fails.
pub fn give_region(task: u32, region: super::mem::Region) -> Result<usize, super::mem::Region> {
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
    Ok(addr)
}

/// Deallocates the memory [`give_region`] made for a message that was not sent.
pub fn take_back_region(task: u32, addr: usize, size: usize) {
    // SAFETY: the range is memory `give_region` allocated and nothing else refers to now
    // that its message will not be sent.
    unsafe {
        vm_deallocate(task, addr, size);
    }
}

/// `mach_msg_destroy` on a received message: releases its rights and out-of-line memory.
/// The message is copied to an aligned buffer first; one whose header claims more bytes
/// than `msg` holds is left alone (it cannot have come from the kernel).
pub fn msg_destroy(msg: &[u8]) {
    let header = std::mem::size_of::<mach_msg_header_t>();
    if msg.len() < header {
        return;
    }
    let size = u32::from_ne_bytes([msg[4], msg[5], msg[6], msg[7]]) as usize;
    if size < header || size > msg.len() {
        return;
    }
    let mut words = vec![0u32; size.div_ceil(4)];
    for (w, chunk) in words.iter_mut().zip(msg[..size].chunks(4)) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        *w = u32::from_ne_bytes(b);
    }
    // SAFETY: `words` is a 4-byte aligned copy of the whole message (`msgh_size` bytes, as
    // checked), which is all mach_msg_destroy reads; it deallocates what the descriptors
    // name in our own task, as it does for any received message.
    unsafe { mach_msg_destroy(words.as_mut_ptr().cast()) }
}

/// Takes the out-of-line region of `size` bytes at `addr` that the kernel mapped into
/// `task` for a received message: its bytes move to a runtime
/// [`Region`](super::mem::Region), which frees itself like any other, and the kernel's
/// mapping is deallocated.
pub fn take_region(task: u32, addr: usize, size: usize) -> Option<super::mem::Region> {
    if addr == 0 || size == 0 {
        return None;
    }
    // SAFETY: the address and size come from an out-of-line descriptor of a message the
    // kernel delivered to this task, so the range is mapped and readable until we
    // deallocate it just below.
    let region = unsafe { super::mem::Region::copy_from_raw(addr, size) };
    // SAFETY: the range is the kernel's mapping for that message, now copied and owned by
    // no one else; deallocating it is what the receiver of the message must do.
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

/// `mach_msg` on a byte buffer that holds at least `max(send_size, rcv_size)` bytes.
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
