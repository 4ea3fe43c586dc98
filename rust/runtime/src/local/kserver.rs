//! The emulation's answers to messages sent to its own ports, as xnu's kernel serves its
//! objects' ports (`ipc_kobject_server`): a message to a task port runs the `mach_port.defs`
//! routine its id names on that task's space (or `task.defs`' `task_get_special_port` and
//! `task_set_special_port`), in the sender's thread, and the reply goes
//! to the message's reply right in Apple MIG's exact layout; the host port answers
//! `mach_host.defs`' `_host_page_size`; any other id, and any message to a bootstrap
//! namespace's port, is answered `MIG_BAD_ID`. A request
//! whose size or complex bit is not the routine's is answered `MIG_BAD_ARGUMENTS`, as a
//! MIG server stub answers it. The request's rights are consumed: those a routine does
//! not keep are released with the request.
//!
//! The layouts are those `migz layout` prints for `mach_port.defs` (LP64, the same on
//! both macOS architectures), written out here so the runtime needs no `.defs` at run time.

use std::sync::Arc;

use super::kmsg::{KDesc, KRight, Kmsg, PortVal};
use super::port;
use super::space::{Space, disp_received_type};
use super::task::KObject;
use crate::abi::*;
use crate::error::Error;

/// The `mach_port` subsystem's first id, `mach_port_names`.
pub const MACH_PORT_NAMES_ID: i32 = 3200;
/// `mach_port_type`.
pub const MACH_PORT_TYPE_ID: i32 = 3201;
/// `mach_port_allocate_name`.
pub const MACH_PORT_ALLOCATE_NAME_ID: i32 = 3203;
/// `mach_port_allocate`.
pub const MACH_PORT_ALLOCATE_ID: i32 = 3204;
/// `mach_port_deallocate`.
pub const MACH_PORT_DEALLOCATE_ID: i32 = 3206;
/// `mach_port_get_refs`.
pub const MACH_PORT_GET_REFS_ID: i32 = 3207;
/// `mach_port_mod_refs`.
pub const MACH_PORT_MOD_REFS_ID: i32 = 3208;
/// `mach_port_set_mscount`.
pub const MACH_PORT_SET_MSCOUNT_ID: i32 = 3210;
/// `mach_port_move_member`.
pub const MACH_PORT_MOVE_MEMBER_ID: i32 = 3212;
/// `mach_port_request_notification`.
pub const MACH_PORT_REQUEST_NOTIFICATION_ID: i32 = 3213;
/// `mach_port_insert_right`.
pub const MACH_PORT_INSERT_RIGHT_ID: i32 = 3214;
/// `mach_port_extract_right`.
pub const MACH_PORT_EXTRACT_RIGHT_ID: i32 = 3215;
/// `mach_port_get_attributes`.
pub const MACH_PORT_GET_ATTRIBUTES_ID: i32 = 3217;
/// `mach_port_set_attributes`.
pub const MACH_PORT_SET_ATTRIBUTES_ID: i32 = 3218;
/// `mach_port_get_srights`.
pub const MACH_PORT_GET_SRIGHTS_ID: i32 = 3222;
/// `mach_port_get_context`.
pub const MACH_PORT_GET_CONTEXT_ID: i32 = 3228;
/// `mach_port_set_context`.
pub const MACH_PORT_SET_CONTEXT_ID: i32 = 3229;
/// `mach_port_destruct`.
pub const MACH_PORT_DESTRUCT_ID: i32 = 3232;
/// `mach_port_guard`.
pub const MACH_PORT_GUARD_ID: i32 = 3233;
/// `mach_port_construct`.
pub const MACH_PORT_CONSTRUCT_ID: i32 = 3231;
/// `mach_port_unguard`.
pub const MACH_PORT_UNGUARD_ID: i32 = 3234;

/// `task.defs`' `task_get_special_port`.
pub const TASK_GET_SPECIAL_PORT_ID: i32 = 3409;
/// `task.defs`' `task_set_special_port`.
pub const TASK_SET_SPECIAL_PORT_ID: i32 = 3410;

/// The routines a task port answers (the rest of `mach_port.defs` and `task.defs` is
/// `MIG_BAD_ID`).
pub const TASK_PORT_ROUTINES: &[i32] = &[
    TASK_GET_SPECIAL_PORT_ID,
    TASK_SET_SPECIAL_PORT_ID,
    MACH_PORT_NAMES_ID,
    MACH_PORT_TYPE_ID,
    MACH_PORT_ALLOCATE_NAME_ID,
    MACH_PORT_ALLOCATE_ID,
    MACH_PORT_DEALLOCATE_ID,
    MACH_PORT_GET_REFS_ID,
    MACH_PORT_MOD_REFS_ID,
    MACH_PORT_SET_MSCOUNT_ID,
    MACH_PORT_MOVE_MEMBER_ID,
    MACH_PORT_REQUEST_NOTIFICATION_ID,
    MACH_PORT_INSERT_RIGHT_ID,
    MACH_PORT_EXTRACT_RIGHT_ID,
    MACH_PORT_GET_ATTRIBUTES_ID,
    MACH_PORT_SET_ATTRIBUTES_ID,
    MACH_PORT_GET_SRIGHTS_ID,
    MACH_PORT_GET_CONTEXT_ID,
    MACH_PORT_SET_CONTEXT_ID,
    MACH_PORT_CONSTRUCT_ID,
    MACH_PORT_DESTRUCT_ID,
    MACH_PORT_GUARD_ID,
    MACH_PORT_UNGUARD_ID,
];

/// The most naturals a `mach_port_info_t` holds (`array[*:17] of integer_t`).
const PORT_INFO_MAX: u32 = 17;
/// Where a simple request's arguments start: after the header and the NDR record.
const ARGS: usize = 32;

/// What a routine answers: a `kern_return_t` failure (sent as `mig_reply_error_t`), or
/// the reply body after the header.
enum Answer {
    /// `RetCode` alone, or a failure.
    Code(KernReturn),
    /// A simple reply: `NDR`, `RetCode` = `KERN_SUCCESS`, then these bytes.
    Data(Vec<u8>),
    /// A complex reply of one port descriptor (`msgh_body`, the descriptor).
    Port(PortVal, MachMsgTypeName),
    /// A complex reply: the bytes after the header, and the descriptors' contents (their
    /// offsets from the message's start).
    Complex(Vec<u8>, Vec<KDesc>),
}

impl From<Result<(), Error>> for Answer {
    fn from(r: Result<(), Error>) -> Answer {
        Answer::Code(r.err().map_or(KERN_SUCCESS, |e| e.code()))
    }
}

/// The request's bytes with its checked size and complex bit.
struct Request<'a> {
    bytes: &'a [u8],
    complex: bool,
}

impl Request<'_> {
    fn u32_at(&self, off: usize) -> u32 {
        read_u32(self.bytes, off).unwrap_or(0)
    }
    fn i32_at(&self, off: usize) -> i32 {
        self.u32_at(off) as i32
    }
    fn u64_at(&self, off: usize) -> u64 {
        u64::from(self.u32_at(off)) | (u64::from(self.u32_at(off + 4)) << 32)
    }
    /// Whether the request is a simple one of exactly `size` bytes.
    fn simple(&self, size: usize) -> bool {
        !self.complex && self.bytes.len() == size
    }
}

/// Serves a message sent to a port of the emulation's own (`port.kobject` is set) and
/// sends the reply, if the message has a reply right.
pub fn serve(mut kmsg: Kmsg) {
    let kobject = kmsg.dest.port().clone();
    let reply = std::mem::replace(&mut kmsg.reply, PortVal::Null);
    let answer = match kobject.kobject.get() {
        Some(KObject::Task(space)) => match space.upgrade() {
            Some(inner) => task_routine(&Space { inner }, &mut kmsg),
            None => Answer::Code(KERN_INVALID_TASK),
        },
        Some(KObject::Host) => host_routine(&kmsg),
        _ => Answer::Code(MIG_BAD_ID),
    };
    let id = kmsg.id;
    // The request, with whatever rights the routine left in it, is released here.
    drop(kmsg);
    let PortVal::Right(reply) = reply else {
        return;
    };
    if let Some(dead) = port::enqueue_kernel(&reply.port().clone(), reply_kmsg(reply, id, answer)) {
        drop(dead);
    }
}

/// Builds the reply to request `id` on the right `dest`.
fn reply_kmsg(dest: KRight, id: i32, answer: Answer) -> Kmsg {
    let dest_type = dest.kind().received_type();
    let mut bytes = vec![0u8; HEADER_SIZE];
    let mut descs = Vec::new();
    let mut complex = false;
    match answer {
        Answer::Code(code) => {
            bytes.extend_from_slice(&NDR_RECORD);
            bytes.extend_from_slice(&code.to_ne_bytes());
        }
        Answer::Data(data) => {
            bytes.extend_from_slice(&NDR_RECORD);
            bytes.extend_from_slice(&KERN_SUCCESS.to_ne_bytes());
            bytes.extend_from_slice(&data);
        }
        Answer::Port(val, rtype) => {
            complex = true;
            bytes.extend_from_slice(&1u32.to_ne_bytes());
            bytes.extend_from_slice(&[0u8; 12]);
            descs.push(KDesc::Port {
                off: 28,
                rtype,
                val,
            });
        }
        Answer::Complex(body, d) => {
            complex = true;
            bytes.extend_from_slice(&body);
            descs = d;
        }
    }
    debug_assert_eq!(bytes.len() % 4, 0);
    Kmsg {
        bits: mach_msgh_bits(dest_type, 0) | if complex { MACH_MSGH_BITS_COMPLEX } else { 0 },
        size: bytes.len() as u32,
        id: id.wrapping_add(100),
        dest,
        reply: PortVal::Null,
        bytes: bytes.into(),
        descs,
        kernel: true,
    }
}

/// `_host_page_size` of `mach_host.defs`.
pub const HOST_PAGE_SIZE_ID: i32 = 202;

/// Runs the `mach_host.defs` routine `kmsg.id`: only `_host_page_size`, which answers the
/// emulation's page (the alignment of its `vm_allocate` regions).
fn host_routine(kmsg: &Kmsg) -> Answer {
    let r = Request {
        bytes: &kmsg.bytes[..(kmsg.size as usize).min(kmsg.bytes.len())],
        complex: kmsg.bits & MACH_MSGH_BITS_COMPLEX != 0,
    };
    match kmsg.id {
        HOST_PAGE_SIZE_ID if r.simple(HEADER_SIZE) => {
            let page = crate::sys::mem::REGION_ALIGN as u64;
            Answer::Data(page.to_ne_bytes().to_vec())
        }
        HOST_PAGE_SIZE_ID => Answer::Code(MIG_BAD_ARGUMENTS),
        _ => Answer::Code(MIG_BAD_ID),
    }
}

/// Runs the `mach_port.defs` routine `kmsg.id` on `space`.
fn task_routine(space: &Space, kmsg: &mut Kmsg) -> Answer {
    let r = Request {
        bytes: &kmsg.bytes[..(kmsg.size as usize).min(kmsg.bytes.len())],
        complex: kmsg.bits & MACH_MSGH_BITS_COMPLEX != 0,
    };
    let bad = Answer::Code(MIG_BAD_ARGUMENTS);
    match kmsg.id {
        MACH_PORT_NAMES_ID if r.simple(24) => names(space),
        MACH_PORT_CONSTRUCT_ID => construct(space, &r, &mut kmsg.descs),
        MACH_PORT_TYPE_ID if r.simple(36) => match space.port_type(r.u32_at(ARGS)) {
            Ok(t) => Answer::Data(t.to_ne_bytes().to_vec()),
            Err(e) => Answer::Code(e.code()),
        },
        MACH_PORT_ALLOCATE_NAME_ID if r.simple(40) => space
            .port_allocate_name(r.u32_at(ARGS), r.u32_at(ARGS + 4))
            .into(),
        MACH_PORT_ALLOCATE_ID if r.simple(36) => match space.port_allocate(r.u32_at(ARGS)) {
            Ok(n) => Answer::Data(n.to_ne_bytes().to_vec()),
            Err(e) => Answer::Code(e.code()),
        },
        MACH_PORT_DEALLOCATE_ID if r.simple(36) => space.port_deallocate(r.u32_at(ARGS)).into(),
        MACH_PORT_GET_REFS_ID if r.simple(40) => {
            match space.port_get_refs(r.u32_at(ARGS), r.u32_at(ARGS + 4)) {
                Ok(n) => Answer::Data(n.to_ne_bytes().to_vec()),
                Err(e) => Answer::Code(e.code()),
            }
        }
        MACH_PORT_GET_SRIGHTS_ID if r.simple(36) => match space.port_get_srights(r.u32_at(ARGS)) {
            Ok(n) => Answer::Data(n.to_ne_bytes().to_vec()),
            Err(e) => Answer::Code(e.code()),
        },
        MACH_PORT_MOD_REFS_ID if r.simple(44) => space
            .port_mod_refs(r.u32_at(ARGS), r.u32_at(ARGS + 4), r.i32_at(ARGS + 8))
            .into(),
        MACH_PORT_SET_MSCOUNT_ID if r.simple(40) => space
            .port_set_mscount(r.u32_at(ARGS), r.u32_at(ARGS + 4))
            .into(),
        MACH_PORT_MOVE_MEMBER_ID if r.simple(40) => space
            .port_move_member(r.u32_at(ARGS), r.u32_at(ARGS + 4))
            .into(),
        MACH_PORT_REQUEST_NOTIFICATION_ID => request_notification(space, &r, &mut kmsg.descs),
        MACH_PORT_INSERT_RIGHT_ID => insert_right(space, &r, &mut kmsg.descs),
        MACH_PORT_EXTRACT_RIGHT_ID if r.simple(40) => {
            extract_right(space, r.u32_at(ARGS), r.u32_at(ARGS + 4))
        }
        MACH_PORT_GET_ATTRIBUTES_ID if r.simple(44) => {
            let room = r.u32_at(ARGS + 8).min(PORT_INFO_MAX);
            let mut info = vec![0u32; room as usize];
            match space.port_get_attributes(r.u32_at(ARGS), r.i32_at(ARGS + 4), &mut info) {
                Ok(n) => {
                    let n = n.min(room);
                    let mut data = n.to_ne_bytes().to_vec();
                    for v in &info[..n as usize] {
                        data.extend_from_slice(&v.to_ne_bytes());
                    }
                    Answer::Data(data)
                }
                Err(e) => Answer::Code(e.code()),
            }
        }
        MACH_PORT_SET_ATTRIBUTES_ID => {
            let count = r.u32_at(ARGS + 8);
            if count > PORT_INFO_MAX || !r.simple(44 + 4 * count as usize) {
                return bad;
            }
            let info: Vec<u32> = (0..count as usize)
                .map(|i| r.u32_at(ARGS + 12 + 4 * i))
                .collect();
            space
                .port_set_attributes(r.u32_at(ARGS), r.i32_at(ARGS + 4), &info)
                .into()
        }
        MACH_PORT_GET_CONTEXT_ID if r.simple(36) => match space.port_get_context(r.u32_at(ARGS)) {
            Ok(c) => Answer::Data(c.to_ne_bytes().to_vec()),
            Err(e) => Answer::Code(e.code()),
        },
        MACH_PORT_SET_CONTEXT_ID if r.simple(44) => space
            .port_set_context(r.u32_at(ARGS), r.u64_at(ARGS + 4))
            .into(),
        MACH_PORT_DESTRUCT_ID if r.simple(48) => space
            .port_destruct(r.u32_at(ARGS), r.i32_at(ARGS + 4), r.u64_at(ARGS + 8))
            .into(),
        MACH_PORT_GUARD_ID if r.simple(48) => space
            .port_guard(r.u32_at(ARGS), r.u64_at(ARGS + 4), r.u32_at(ARGS + 12) != 0)
            .into(),
        MACH_PORT_UNGUARD_ID if r.simple(44) => space
            .port_unguard(r.u32_at(ARGS), r.u64_at(ARGS + 4))
            .into(),
        TASK_GET_SPECIAL_PORT_ID if r.simple(36) => {
            let _f = super::kmsg::FlushOnDrop;
            match space.special_port_right(r.i32_at(ARGS)) {
                Ok(right) => Answer::Port(
                    right.map_or(PortVal::Null, PortVal::Right),
                    MACH_MSG_TYPE_PORT_SEND,
                ),
                Err(e) => Answer::Code(e.code()),
            }
        }
        TASK_SET_SPECIAL_PORT_ID => set_special_port(space, &r, &mut kmsg.descs),
        id if TASK_PORT_ROUTINES.contains(&id) => bad,
        _ => Answer::Code(MIG_BAD_ID),
    }
}

/// `task_set_special_port`: the request carries the send right (`special_port`, a port
/// descriptor at 28) already taken from the sender, then `NDR` and `which_port` (48). A
/// null or dead right clears the port, as `MACH_PORT_NULL` does in the direct call.
fn set_special_port(space: &Space, r: &Request<'_>, descs: &mut Vec<KDesc>) -> Answer {
    // Rights released below (the old port, a refused right) are flushed when this drops.
    let _f = super::kmsg::FlushOnDrop;
    let val = match one_port(r, 52, descs) {
        Ok(v) => v,
        Err(code) => return Answer::Code(code),
    };
    let right = match val {
        PortVal::Right(right) if right.kind() == super::kmsg::RightKind::Send => Some(right),
        // A receive or send-once right is not a special port: it is released with the
        // refusal (xnu's stub takes only send rights for `mach_port_t`).
        PortVal::Right(_) => return Answer::Code(KERN_INVALID_CAPABILITY),
        PortVal::Null | PortVal::Dead => None,
    };
    space.set_special_port_right(r.i32_at(48), right).into()
}

/// `mach_port_insert_right`: the request carries the right (`poly`, a port descriptor at
/// 28) already taken from the sender; it is given the name `name` (at 48) in `space`.
fn insert_right(space: &Space, r: &Request<'_>, descs: &mut Vec<KDesc>) -> Answer {
    let val = match one_port(r, 52, descs) {
        Ok(v) => v,
        Err(code) => return Answer::Code(code),
    };
    let name = r.u32_at(48);
    match val {
        PortVal::Right(right) => {
            let _f = super::kmsg::FlushOnDrop;
            let mut t = space.lock();
            match space.copyout_at(&mut t, name, PortVal::Right(right)) {
                Ok(()) => Answer::Code(KERN_SUCCESS),
                // The right goes back into the request, to be released with it.
                Err((e, v)) => {
                    drop(t);
                    drop(v);
                    Answer::Code(e.code())
                }
            }
        }
        // A null or dead `poly` is no right to insert.
        PortVal::Null | PortVal::Dead => Answer::Code(KERN_INVALID_CAPABILITY),
    }
}

/// An out-of-line descriptor's bytes in a reply (its address is written on copyout).
fn ool_desc(body: &mut Vec<u8>, size: usize) {
    body.extend_from_slice(&0u64.to_ne_bytes());
    body.extend_from_slice(&ool_descriptor_word(true, MACH_MSG_VIRTUAL_COPY).to_ne_bytes());
    body.extend_from_slice(&(size as u32).to_ne_bytes());
}

/// `mach_port_names`: every name of `space` and its type, as two out-of-line arrays
/// (`names` at 28, `types` at 44, then `NDR`, `namesCnt`, `typesCnt`).
fn names(space: &Space) -> Answer {
    let all = space.names();
    let mut names = Vec::with_capacity(all.len() * 4);
    let mut types = Vec::with_capacity(all.len() * 4);
    for (n, t) in &all {
        names.extend_from_slice(&n.to_ne_bytes());
        types.extend_from_slice(&t.to_ne_bytes());
    }
    let region = |bytes: &[u8]| {
        if bytes.is_empty() {
            Ok(None)
        } else {
            crate::sys::mem::Region::copy_of(bytes)
                .map(Some)
                .ok_or(KERN_RESOURCE_SHORTAGE)
        }
    };
    let (names_region, types_region) = match (region(&names), region(&types)) {
        (Ok(n), Ok(t)) => (n, t),
        _ => return Answer::Code(KERN_RESOURCE_SHORTAGE),
    };
    let count = all.len() as u32;
    let mut body = 2u32.to_ne_bytes().to_vec();
    ool_desc(&mut body, names.len());
    ool_desc(&mut body, types.len());
    body.extend_from_slice(&NDR_RECORD);
    body.extend_from_slice(&count.to_ne_bytes());
    body.extend_from_slice(&count.to_ne_bytes());
    let descs = vec![
        KDesc::Ool {
            off: 28,
            copy: MACH_MSG_VIRTUAL_COPY,
            region: names_region,
            size: names.len() as u32,
        },
        KDesc::Ool {
            off: 44,
            copy: MACH_MSG_VIRTUAL_COPY,
            region: types_region,
            size: types.len() as u32,
        },
    ];
    Answer::Complex(body, descs)
}

/// `mach_port_construct`: the options (`mach_port_options_t`, 24 bytes) travel out of
/// line (a descriptor at 28), the context at 52; the new name comes back.
fn construct(space: &Space, r: &Request<'_>, descs: &mut [KDesc]) -> Answer {
    if !r.complex || r.bytes.len() != 60 || r.u32_at(24) != 1 || descs.len() != 1 {
        return Answer::Code(MIG_BAD_ARGUMENTS);
    }
    let options = match &descs[0] {
        KDesc::Ool {
            off: 28,
            region: Some(region),
            ..
        } if region.len() >= 8 => region.as_slice(),
        KDesc::Ool { off: 28, .. } => return Answer::Code(KERN_INVALID_ARGUMENT),
        _ => return Answer::Code(MIG_TYPE_ERROR),
    };
    let word = |i: usize| read_u32(options, i).unwrap_or(0);
    let o = super::PortOptions {
        flags: word(0),
        qlimit: word(4),
    };
    match space.port_construct(&o, r.u64_at(52)) {
        Ok(n) => Answer::Data(n.to_ne_bytes().to_vec()),
        Err(e) => Answer::Code(e.code()),
    }
}

/// The port descriptor at 28 of a complex request of `size` bytes with one descriptor:
/// its right, taken out of the request. `Err` is the MIG code to answer.
fn one_port(r: &Request<'_>, size: usize, descs: &mut Vec<KDesc>) -> Result<PortVal, KernReturn> {
    if !r.complex || r.bytes.len() != size || r.u32_at(24) != 1 || descs.len() != 1 {
        return Err(MIG_BAD_ARGUMENTS);
    }
    match descs.pop() {
        Some(KDesc::Port { off: 28, val, .. }) => Ok(val),
        // Another descriptor goes back into the request, to be released with it.
        Some(other) => {
            descs.push(other);
            Err(MIG_TYPE_ERROR)
        }
        None => Err(MIG_BAD_ARGUMENTS),
    }
}

/// `mach_port_request_notification`: the request carries the notify send-once right
/// (`notify`, a port descriptor at 28); `name` (48), `msgid` (52) and `sync` (56) follow.
/// The previous send-once right, if any, comes back in the reply's port descriptor.
fn request_notification(space: &Space, r: &Request<'_>, descs: &mut Vec<KDesc>) -> Answer {
    let notify = match one_port(r, 60, descs) {
        Ok(PortVal::Right(right)) => Some(right),
        Ok(PortVal::Null) => None,
        Ok(PortVal::Dead) => return Answer::Code(KERN_INVALID_CAPABILITY),
        Err(code) => return Answer::Code(code),
    };
    match space.port_request_notification_with(r.u32_at(48), r.i32_at(52), r.u32_at(56), notify) {
        Ok(Some(previous)) => Answer::Port(PortVal::Right(previous), MACH_MSG_TYPE_PORT_SEND_ONCE),
        Ok(None) => Answer::Port(PortVal::Null, MACH_MSG_TYPE_PORT_SEND_ONCE),
        Err(e) => Answer::Code(e.code()),
    }
}

/// `mach_port_extract_right`: takes the right `msgt_name` names from `space` and carries
/// it back in the reply's port descriptor.
fn extract_right(space: &Space, name: MachPortName, msgt_name: MachMsgTypeName) -> Answer {
    if !(MACH_MSG_TYPE_MOVE_RECEIVE..=MACH_MSG_TYPE_MAKE_SEND_ONCE).contains(&msgt_name) {
        return Answer::Code(KERN_INVALID_VALUE);
    }
    let _f = super::kmsg::FlushOnDrop;
    let mut t = space.lock();
    match space.copyin_one(&mut t, name, msgt_name) {
        Ok(val) => {
            let rtype = match &val {
                PortVal::Right(r) => r.kind().received_type(),
                _ => disp_received_type(msgt_name),
            };
            Answer::Port(val, rtype)
        }
        Err(e) => Answer::Code(e.code()),
    }
}

/// Whether `p` is a port the emulation serves itself.
pub fn is_kobject(p: &Arc<super::port::Port>) -> bool {
    p.kobject.get().is_some()
}
