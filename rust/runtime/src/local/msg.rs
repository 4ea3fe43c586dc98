//! `mach_msg` over a space: copyin (taking rights and memory out of the sender's space
//! into a `Kmsg`), queueing with backpressure, and copyout (giving them to the receiver's
//! space), with xnu's checks, dispositions and return codes.
//!
//! Copyin is all or nothing: rights are taken from the table with an undo log, and any
//! error puts every entry back as it was, so a rejected message loses nothing (xnu
//! destroys the body on some errors; the emulation chooses to leave it with the sender).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::kmsg::{FlushOnDrop, KDesc, KRight, Kmsg, MsgBytes, PortVal, RightKind};
use super::park::{self, ThreadWaiter, Waiter};
use super::port::{self, Dequeue, Port, PortSetObj, Reserve};
use super::space::{Entry, Obj, Space, SpaceInner, Table, cancel_dnrequest, disp_received_type};
use super::vm;
use crate::abi::*;
use crate::error::Error;
use crate::sys::mem::{ForeignMemory, Region};
use zerocopy::IntoBytes;

/// A right taken from a table but not yet accounted on its port.
#[derive(Debug)]
pub enum Taken {
    /// `MACH_PORT_NULL`.
    Null,
    /// `MACH_PORT_DEAD` (or a dead name used in a body).
    Dead,
    /// A send right; `fresh` when it is a new right (the name kept references).
    Send {
        /// The port.
        port: Arc<Port>,
        /// Whether `srights` grows.
        fresh: bool,
    },
    /// A send right made from the receive right.
    MakeSend(Arc<Port>),
    /// A send-once right moved out of the table.
    SendOnce(Arc<Port>),
    /// A send-once right made from the receive right.
    MakeSendOnce(Arc<Port>),
    /// The receive right.
    Receive(Arc<Port>),
}

/// The name does not hold the right a disposition needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHeld;

/// An in-progress copyin with its undo log.
#[derive(Debug)]
pub struct Copyin<'a> {
    space: &'a Arc<SpaceInner>,
    undo: Vec<(MachPortName, Option<Entry>)>,
}

impl<'a> Copyin<'a> {
    /// Starts a copyin from `space`.
    pub fn new(space: &'a Arc<SpaceInner>) -> Copyin<'a> {
        Copyin {
            space,
            undo: Vec::new(),
        }
    }

    fn save(&mut self, t: &Table, name: MachPortName) {
        if !self.undo.iter().any(|(n, _)| *n == name) {
            self.undo.push((name, t.entries.get(&name).cloned()));
        }
    }

    /// Takes the right `disp` names under `name`. `body` allows dead names (which travel
    /// as `MACH_PORT_DEAD`), as xnu does for descriptors and reply ports.
    pub fn right(
        &mut self,
        t: &mut Table,
        name: MachPortName,
        disp: MachMsgTypeName,
        body: bool,
    ) -> Result<Taken, NotHeld> {
        if name == MACH_PORT_NULL {
            return Ok(Taken::Null);
        }
        if name == MACH_PORT_DEAD {
            return Ok(Taken::Dead);
        }
        t.check_dead(name);
        // Only moves change the entry; copies and makes leave nothing to undo.
        if matches!(
            disp,
            MACH_MSG_TYPE_MOVE_RECEIVE | MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MOVE_SEND_ONCE
        ) {
            self.save(t, name);
        }
        let e = t.entries.get_mut(&name).ok_or(NotHeld)?;
        let port = e.port_cloned();
        let dead = e.bits & MACH_PORT_TYPE_DEAD_NAME != 0;
        let has = |b: u32| e.bits & b != 0;
        let taken = match disp {
            MACH_MSG_TYPE_MOVE_RECEIVE if has(MACH_PORT_TYPE_RECEIVE) => {
                let p = port.ok_or(NotHeld)?;
                if p.lock().strict {
                    return Err(NotHeld);
                }
                e.bits &= !MACH_PORT_TYPE_RECEIVE;
                Taken::Receive(p)
            }
            MACH_MSG_TYPE_COPY_SEND if has(MACH_PORT_TYPE_SEND) => Taken::Send {
                port: port.ok_or(NotHeld)?,
                fresh: true,
            },
            MACH_MSG_TYPE_MOVE_SEND if has(MACH_PORT_TYPE_SEND) => {
                e.urefs -= 1;
                let fresh = e.urefs > 0;
                if !fresh {
                    e.bits &= !MACH_PORT_TYPE_SEND;
                }
                Taken::Send {
                    port: port.ok_or(NotHeld)?,
                    fresh,
                }
            }
            MACH_MSG_TYPE_MAKE_SEND if has(MACH_PORT_TYPE_RECEIVE) => {
                Taken::MakeSend(port.ok_or(NotHeld)?)
            }
            MACH_MSG_TYPE_MAKE_SEND_ONCE if has(MACH_PORT_TYPE_RECEIVE) => {
                Taken::MakeSendOnce(port.ok_or(NotHeld)?)
            }
            MACH_MSG_TYPE_MOVE_SEND_ONCE if has(MACH_PORT_TYPE_SEND_ONCE) => {
                e.bits &= !MACH_PORT_TYPE_SEND_ONCE;
                Taken::SendOnce(port.ok_or(NotHeld)?)
            }
            MACH_MSG_TYPE_COPY_SEND if dead && body => Taken::Dead,
            MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MOVE_SEND_ONCE if dead && body => {
                e.urefs -= 1;
                if e.urefs == 0 {
                    e.bits &= !MACH_PORT_TYPE_DEAD_NAME;
                }
                Taken::Dead
            }
            _ => return Err(NotHeld),
        };
        if e.bits & !MACH_PORT_TYPE_DNREQUEST == 0 {
            t.entries.remove(&name);
        }
        Ok(taken)
    }

    /// Puts every touched entry back.
    pub fn rollback(self, t: &mut Table) {
        for (name, e) in self.undo.into_iter().rev() {
            match e {
                Some(e) => {
                    t.entries.insert(name, e);
                }
                None => {
                    t.entries.remove(&name);
                }
            }
        }
    }

    /// Accounts one taken right on its port and finishes the copyin.
    pub fn commit_one(self, t: &mut Table, taken: Taken) -> PortVal {
        let v = account(taken);
        self.finish(t);
        v
    }

    /// Cleans up names that the copyin removed: their reverse mapping and dead-name requests.
    pub fn finish(self, t: &mut Table) {
        for (name, old) in self.undo {
            let Some(old) = old else { continue };
            if t.entries.contains_key(&name) {
                continue;
            }
            if let Obj::Port(p) = &old.obj {
                if t.by_port.get(&p.id) == Some(&name) {
                    t.by_port.remove(&p.id);
                }
                if old.bits & MACH_PORT_TYPE_DNREQUEST != 0 {
                    cancel_dnrequest(self.space, name, p, true);
                }
            }
        }
    }
}

impl Entry {
    fn port_cloned(&self) -> Option<Arc<Port>> {
        match &self.obj {
            Obj::Port(p) => Some(p.clone()),
            _ => None,
        }
    }
}

/// Turns a taken right into a right in flight, updating the port's counts.
pub fn account(taken: Taken) -> PortVal {
    match taken {
        Taken::Null => PortVal::Null,
        Taken::Dead => PortVal::Dead,
        Taken::Send { port, fresh } => {
            if fresh {
                port.srights
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
            PortVal::Right(KRight::adopt(port, RightKind::Send))
        }
        Taken::MakeSend(port) => {
            {
                let mut st = port.lock();
                st.mscount = st.mscount.wrapping_add(1);
                port.srights
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
            PortVal::Right(KRight::adopt(port, RightKind::Send))
        }
        Taken::SendOnce(port) => PortVal::Right(KRight::adopt(port, RightKind::SendOnce)),
        Taken::MakeSendOnce(port) => {
            port.sorights
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            PortVal::Right(KRight::adopt(port, RightKind::SendOnce))
        }
        Taken::Receive(port) => {
            let (pset, ws) = {
                let mut st = port.lock();
                st.receiver_name = 0;
                port.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                (st.pset.take(), st.recv_waiters.take())
            };
            // Threads waiting to receive under the old name must learn it is gone.
            park::wake_all(ws);
            if let Some(ps) = pset {
                ps.lock().members.retain(|m| !Arc::ptr_eq(m, &port));
            }
            PortVal::Right(KRight::adopt(port, RightKind::Receive))
        }
    }
}

/// Gives a right a name in the receiver's table: send rights merge with the name the
/// port already has there, as in xnu; a right to a dead port arrives as `MACH_PORT_DEAD`.
/// Send references saturate at `MACH_PORT_UREFS_MAX` (the extra right is released).
pub fn copyout_right(t: &mut Table, val: PortVal) -> Result<MachPortName, (Error, PortVal)> {
    let r = match val {
        PortVal::Null => return Ok(MACH_PORT_NULL),
        PortVal::Dead => return Ok(MACH_PORT_DEAD),
        PortVal::Right(r) => r,
    };
    // The port is read through the right, not cloned: its reference count is a line the
    // sender's CPU writes too.
    let (id, kind) = (r.port().id, r.kind());
    if kind != RightKind::Receive && !r.port().is_alive() {
        drop(r);
        return Ok(MACH_PORT_DEAD);
    }
    if kind != RightKind::SendOnce
        && let Some(&n) = t.by_port.get(&id)
        && let Some(e) = t.entries.get_mut(&n)
    {
        match kind {
            RightKind::Send if e.bits & MACH_PORT_TYPE_SEND != 0 => {
                if e.urefs < MACH_PORT_UREFS_MAX {
                    e.urefs += 1;
                }
                drop(r);
                return Ok(n);
            }
            RightKind::Send => {
                e.bits |= MACH_PORT_TYPE_SEND;
                e.urefs = 1;
                r.disarm();
                return Ok(n);
            }
            _ => {
                e.bits |= MACH_PORT_TYPE_RECEIVE;
                r.disarm().lock().receiver_name = n;
                return Ok(n);
            }
        }
    }
    let name = match t.fresh_name() {
        Ok(n) => n,
        Err(e) => return Err((e, PortVal::Right(r))),
    };
    let p = r.disarm();
    let (bits, urefs) = match kind {
        RightKind::Send => (MACH_PORT_TYPE_SEND, 1),
        RightKind::SendOnce => (MACH_PORT_TYPE_SEND_ONCE, 1),
        RightKind::Receive => {
            p.lock().receiver_name = name;
            (MACH_PORT_TYPE_RECEIVE, 0)
        }
    };
    if kind != RightKind::SendOnce {
        t.by_port.insert(p.id, name);
    }
    t.entries.insert(
        name,
        Entry {
            bits,
            urefs,
            obj: Obj::Port(p),
        },
    );
    Ok(name)
}

/// Queues a copied-in message, or destroys it when it carries the receive right of its
/// own destination: queued, such a message could never be received and its port would
/// live forever, so xnu destroys it and still reports success; the emulation does the same.
fn enqueue_or_destroy(res: port::Reservation, kmsg: Kmsg) {
    if super::kserver::is_kobject(kmsg.dest.port()) {
        // The emulation answers its own ports at once, in the sender's thread.
        drop(res);
        super::kserver::serve(kmsg);
        return;
    }
    let dest = kmsg.dest.port();
    let own_receive = |v: &PortVal| match v {
        PortVal::Right(r) => r.kind() == RightKind::Receive && Arc::ptr_eq(r.port(), dest),
        _ => false,
    };
    let circular = own_receive(&kmsg.reply)
        || kmsg.descs.iter().any(|d| match d {
            KDesc::Port { val, .. } => own_receive(val),
            KDesc::OolPorts { rights, .. } => rights.iter().any(own_receive),
            KDesc::Ool { .. } => false,
        });
    if circular {
        drop(res);
        drop(kmsg);
    } else if let Some(dead) = port::enqueue_reserved(res, kmsg) {
        drop(dead);
    }
}

/// Resolves the destination of a prepared message to its port, in a locked table.
fn resolve_locked(t: &mut Table, p: &Prepared<'_>) -> Result<Arc<Port>, MachMsgReturn> {
    let h = &p.h;
    let dest_disp = mach_msgh_bits_remote(h.msgh_bits);
    t.check_dead(h.msgh_remote_port);
    let e = t
        .entries
        .get(&h.msgh_remote_port)
        .ok_or(MACH_SEND_INVALID_DEST)?;
    let needed = match dest_disp {
        MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_COPY_SEND => MACH_PORT_TYPE_SEND,
        MACH_MSG_TYPE_MOVE_SEND_ONCE => MACH_PORT_TYPE_SEND_ONCE,
        _ => MACH_PORT_TYPE_RECEIVE,
    };
    match &e.obj {
        Obj::Port(port) if e.bits & needed != 0 => Ok(port.clone()),
        _ => Err(MACH_SEND_INVALID_DEST),
    }
}

/// How `mach_msg` may read out-of-line addresses.
#[derive(Clone, Copy, Debug)]
pub enum Memory<'a> {
    /// Only regions the sending space owns (the safe Rust API).
    Owned,
    /// Also any address the caller vouches for (the C ABI).
    Foreign(&'a ForeignMemory),
}

/// When to give up waiting.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    Poll,
    At(Instant),
    Never,
}

impl Deadline {
    fn new(enabled: bool, timeout_ms: u32) -> Deadline {
        if !enabled {
            Deadline::Never
        } else if timeout_ms == 0 {
            Deadline::Poll
        } else {
            Deadline::At(Instant::now() + Duration::from_millis(u64::from(timeout_ms)))
        }
    }
}

/// One step of a blocking operation.
enum Attempt<T> {
    Done(T),
    Wait(Option<u64>),
}

/// Runs `attempt` until it completes: first at once, then spinning and yielding while
/// `ready` says it may succeed (without `ready`, when the caller has spun already), then
/// parked with a waiter registered. `None` on timeout.
fn block<T>(
    deadline: Deadline,
    ready: Option<&dyn Fn() -> bool>,
    mut attempt: impl FnMut(Option<Waiter>) -> Attempt<T>,
    cancel: impl Fn(u64),
) -> Option<T> {
    if let Attempt::Done(v) = attempt(None) {
        return Some(v);
    }
    if let Deadline::Poll = deadline {
        return None;
    }
    if let Some(ready) = ready
        && let Some(v) = park::spin(ready, || match attempt(None) {
            Attempt::Done(v) => Some(v),
            Attempt::Wait(_) => None,
        })
    {
        return Some(v);
    }
    let w = ThreadWaiter::current();
    let at = match deadline {
        Deadline::At(d) => Some(d),
        _ => None,
    };
    loop {
        match attempt(Some(Waiter::Thread(w.clone()))) {
            Attempt::Done(v) => return Some(v),
            Attempt::Wait(id) => {
                if !w.park(at) {
                    if let Some(id) = id {
                        cancel(id);
                    }
                    return match attempt(None) {
                        Attempt::Done(v) => Some(v),
                        Attempt::Wait(_) => None,
                    };
                }
            }
        }
    }
}

/// The spinning phase of a receive on one port, with this thread's hand-off slot armed
/// (see `port::HandoffSlot`): a sender may hand the message over directly, and a message
/// that reaches the queue instead is dequeued from it. `None` when the spin budget ran
/// out, or for a poll, with the slot disarmed; the caller then goes on as `block` does.
fn receive_handed(
    p: &Arc<Port>,
    epoch: u64,
    (limit, trailer, large): (u32, u32, bool),
    deadline: Deadline,
) -> Option<Dequeue> {
    if matches!(deadline, Deadline::Poll) {
        return None;
    }
    port::HandoffSlot::with(|slot| {
        let attempt = || match port::dequeue_port_with_slot(p, epoch, limit, trailer, large, slot) {
            Dequeue::Empty(_) => None,
            other => Some(other),
        };
        // A message already queued is taken at once, and the first receive on a port
        // registers the slot there.
        if (p.has_message() || !slot.registered_on(p))
            && let Some(d) = attempt()
        {
            return Some(d);
        }
        slot.arm(p, epoch, limit, trailer);
        let got = park::spin(
            || slot.is_full() || p.has_message(),
            || {
                if let Some(d) = slot.try_take(p) {
                    return Some(Dequeue::Msg(d));
                }
                // The queue has a message (or the port died): leave the slot and dequeue.
                if let Some(d) = slot.disarm(p) {
                    return Some(Dequeue::Msg(d));
                }
                let got = attempt();
                if got.is_none() {
                    slot.arm(p, epoch, limit, trailer);
                }
                got
            },
        );
        if got.is_some() {
            return got;
        }
        slot.disarm(p).map(Dequeue::Msg)
    })
}

fn valid_port_disp(d: u32) -> bool {
    (MACH_MSG_TYPE_MOVE_RECEIVE..=MACH_MSG_TYPE_MAKE_SEND_ONCE).contains(&d)
}

fn valid_send_disp(d: u32) -> bool {
    matches!(
        d,
        MACH_MSG_TYPE_MOVE_SEND
            | MACH_MSG_TYPE_COPY_SEND
            | MACH_MSG_TYPE_MAKE_SEND
            | MACH_MSG_TYPE_MOVE_SEND_ONCE
            | MACH_MSG_TYPE_MAKE_SEND_ONCE
    )
}

/// The destination changed while the sender waited; resolve it again.
#[derive(Debug)]
pub struct Retry;

/// A message whose sizes and descriptor types have been checked.
#[derive(Debug)]
pub struct Prepared<'b> {
    buf: &'b [u8],
    h: MachMsgHeader,
    raw: Vec<RawDesc>,
    /// Whether the destination is a send-once right (which may pass the queue limit).
    pub once: bool,
}

impl<'b> Prepared<'b> {
    /// Checks `send_size` bytes of `buf` as a message to send.
    pub fn new(buf: &'b [u8], send_size: u32) -> Result<Prepared<'b>, MachMsgReturn> {
        let size = send_size as usize;
        if size < HEADER_SIZE || !size.is_multiple_of(4) {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        if size > MESSAGE_SIZE_MAX {
            return Err(MACH_SEND_TOO_LARGE);
        }
        if buf.len() < size {
            return Err(MACH_SEND_INVALID_DATA);
        }
        let buf = &buf[..size];
        let (h, raw) = parse(buf, size)?;
        let once = matches!(
            mach_msgh_bits_remote(h.msgh_bits),
            MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE
        );
        Ok(Prepared { buf, h, raw, once })
    }
}

/// A descriptor as parsed from the sender's bytes.
#[derive(Clone, Copy, Debug)]
enum RawDesc {
    Port {
        off: usize,
        name: u32,
        disp: u32,
    },
    Ool {
        off: usize,
        addr: usize,
        size: u32,
        dealloc: bool,
        copy: u32,
    },
    OolPorts {
        off: usize,
        addr: usize,
        count: u32,
        dealloc: bool,
        disp: u32,
    },
}

/// Checks sizes and descriptor types before anything is taken.
fn parse(buf: &[u8], send_size: usize) -> Result<(MachMsgHeader, Vec<RawDesc>), MachMsgReturn> {
    let h = MachMsgHeader::read(buf).ok_or(MACH_SEND_MSG_TOO_SMALL)?;
    if !valid_send_disp(mach_msgh_bits_remote(h.msgh_bits)) {
        return Err(MACH_SEND_INVALID_HEADER);
    }
    let local = mach_msgh_bits_local(h.msgh_bits);
    if h.msgh_local_port != MACH_PORT_NULL && !valid_send_disp(local) {
        return Err(MACH_SEND_INVALID_HEADER);
    }
    let mut descs = Vec::new();
    if h.msgh_bits & MACH_MSGH_BITS_COMPLEX == 0 {
        return Ok((h, descs));
    }
    let count = read_u32(buf, HEADER_SIZE)
        .filter(|_| send_size >= HEADER_SIZE + 4)
        .ok_or(MACH_SEND_MSG_TOO_SMALL)?;
    if count > DESCRIPTOR_COUNT_MAX {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut off = HEADER_SIZE + MACH_MSG_BODY_SIZE;
    for _ in 0..count {
        let word = read_u32(buf, off + 8)
            .filter(|_| off + 12 <= send_size)
            .ok_or(MACH_SEND_MSG_TOO_SMALL)?;
        let ty = word >> 24;
        let size = if ty == MACH_MSG_PORT_DESCRIPTOR {
            PORT_DESCRIPTOR_SIZE
        } else {
            OOL_DESCRIPTOR_SIZE
        };
        if off + size > send_size {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        let d = match ty {
            MACH_MSG_PORT_DESCRIPTOR => {
                let disp = (word >> 16) & 0xff;
                if !valid_port_disp(disp) || disp == MACH_MSG_TYPE_COPY_RECEIVE {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
                RawDesc::Port {
                    off,
                    name: read_u32(buf, off).unwrap_or(0),
                    disp,
                }
            }
            MACH_MSG_OOL_DESCRIPTOR | MACH_MSG_OOL_VOLATILE_DESCRIPTOR => {
                let copy = (word >> 8) & 0xff;
                if copy > MACH_MSG_VIRTUAL_COPY {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
                RawDesc::Ool {
                    off,
                    addr: read_u64(buf, off).unwrap_or(0) as usize,
                    size: read_u32(buf, off + 12).unwrap_or(0),
                    dealloc: word & 0xff != 0,
                    copy,
                }
            }
            MACH_MSG_OOL_PORTS_DESCRIPTOR => {
                let copy = (word >> 8) & 0xff;
                let disp = (word >> 16) & 0xff;
                if copy > MACH_MSG_VIRTUAL_COPY
                    || !valid_port_disp(disp)
                    || disp == MACH_MSG_TYPE_COPY_RECEIVE
                {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
                let count = read_u32(buf, off + 12).unwrap_or(0);
                if count > OOL_PORTS_COUNT_MAX {
                    return Err(MACH_SEND_TOO_LARGE);
                }
                RawDesc::OolPorts {
                    off,
                    addr: read_u64(buf, off).unwrap_or(0) as usize,
                    count,
                    dealloc: word & 0xff != 0,
                    disp,
                }
            }
            _ => return Err(MACH_SEND_INVALID_TYPE),
        };
        descs.push(d);
        off += size;
    }
    Ok((h, descs))
}

/// Reads `size` bytes of out-of-line data: moved when the sender owns exactly that region
/// and asked to deallocate it, copied otherwise.
fn take_memory(
    space: u64,
    mem: Memory<'_>,
    addr: usize,
    size: usize,
    dealloc: bool,
) -> Result<Option<Region>, ()> {
    if size == 0 {
        return Ok(None);
    }
    if size > vm::REGION_SIZE_MAX {
        return Err(());
    }
    if dealloc && let Some(r) = vm::take_exact(addr, size, space) {
        return Ok(Some(r));
    }
    if let Some(bytes) = vm::copy_out_of(addr, size, space) {
        return Ok(Region::copy_of(&bytes));
    }
    match mem {
        Memory::Foreign(f) => f.copy_region(addr, size).map(Some).ok_or(()),
        Memory::Owned => Err(()),
    }
}

fn memory_ok(space: u64, mem: Memory<'_>, addr: usize, size: usize) -> bool {
    size == 0
        || (size <= vm::REGION_SIZE_MAX
            && (vm::contains(addr, size, space) || matches!(mem, Memory::Foreign(_)) && addr != 0))
}

fn read_names(space: u64, mem: Memory<'_>, addr: usize, count: u32) -> Option<Vec<u32>> {
    let len = count as usize * 4;
    let bytes = if len == 0 {
        Vec::new()
    } else if let Some(b) = vm::copy_out_of(addr, len, space) {
        b
    } else {
        match mem {
            Memory::Foreign(f) => f.read(addr, len)?,
            Memory::Owned => return None,
        }
    };
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

impl Space {
    /// `mach_msg` on this space, with out-of-line addresses limited to regions this space
    /// owns (see `vm_allocate`). `buf` must hold `send_size` bytes to send and room for
    /// `rcv_size` bytes to receive.
    #[allow(clippy::too_many_arguments)]
    pub fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn {
        self.mach_msg_with(
            buf,
            option,
            send_size,
            rcv_size,
            rcv_name,
            timeout,
            notify,
            Memory::Owned,
        )
    }

    /// `mach_msg` with an explicit policy for out-of-line addresses (the C ABI passes
    /// `Memory::Foreign`).
    #[allow(clippy::too_many_arguments)]
    pub fn mach_msg_with(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        _notify: MachPortName,
        mem: Memory<'_>,
    ) -> MachMsgReturn {
        let _f = FlushOnDrop;
        if option & !MACH_MSG_OPTIONS_SUPPORTED != 0 {
            return if option & MACH_SEND_MSG != 0 {
                MACH_SEND_INVALID_OPTIONS
            } else {
                MACH_RCV_INVALID_DATA
            };
        }
        // The receive's source, when the send could resolve it under its own hold of the
        // table lock (see `send_simple`).
        let mut source = None;
        if option & MACH_SEND_MSG != 0 {
            let rcv = (option & MACH_RCV_MSG != 0).then_some((rcv_name, &mut source));
            let r = self.send(buf, option, send_size, timeout, mem, rcv);
            super::kmsg::flush();
            if r != MACH_MSG_SUCCESS {
                return r;
            }
        }
        if option & MACH_RCV_MSG != 0 {
            return self.receive(buf, option, rcv_size, rcv_name, timeout, source);
        }
        MACH_MSG_SUCCESS
    }

    fn send(
        &self,
        buf: &[u8],
        option: MachMsgOption,
        send_size: u32,
        timeout: u32,
        mem: Memory<'_>,
        rcv: Option<(MachPortName, &mut Option<Resolved>)>,
    ) -> MachMsgReturn {
        let p = match Prepared::new(buf, send_size) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if p.h.msgh_remote_port == self.inner.task {
            // The task's own port is named by its handle from the start, as
            // `mach_task_self()` is on a Mac: the right is made on first use.
            self.mach_task_self();
        }
        if p.raw.is_empty()
            && let Some(code) = self.send_simple(&p, rcv)
        {
            return code;
        }
        let deadline = Deadline::new(option & MACH_SEND_TIMEOUT != 0, timeout);
        // The destination can change between resolving it and copying in (another thread
        // may move its right); a few retries settle that without looping forever.
        // The fast path: when the queue has room, resolving, reserving and copying in
        // happen under one hold of the table lock.
        {
            let mut t = self.lock();
            let dest = match resolve_locked(&mut t, &p) {
                Ok(d) => d,
                Err(e) => return e,
            };
            // The resolved reference moves into the reservation: one reference count
            // update fewer on a line the receiver's CPU also writes.
            match port::reserve_owned(dest, p.once) {
                Err(true) => return MACH_SEND_INVALID_DEST,
                Err(false) => {}
                Ok(res) => {
                    let kmsg = match self.copyin(&mut t, &p, mem, res.port(), false) {
                        Ok(Some(k)) => k,
                        Ok(None) => unreachable!("only a dry run returns no message"),
                        Err(e) => {
                            drop(t);
                            drop(res);
                            return e;
                        }
                    };
                    drop(t);
                    enqueue_or_destroy(res, kmsg);
                    return MACH_MSG_SUCCESS;
                }
            }
        }
        for _ in 0..4 {
            let dest = match self.resolve_dest(&p) {
                Ok(d) => d,
                Err(e) => return e,
            };
            // A full queue makes the sender wait; a message that could never be sent must
            // fail first, so it is checked before waiting.
            if !p.once
                && !dest.has_room()
                && let Err(e) = self.validate(&p, mem, &dest)
            {
                return e;
            }
            let res = block(
                deadline,
                Some(&|| dest.has_room()),
                |w| match port::reserve(&dest, p.once, w) {
                    Reserve::Got(r) => Attempt::Done(Some(r)),
                    Reserve::Dead => Attempt::Done(None),
                    Reserve::Full(id) => Attempt::Wait(id),
                },
                |id| port::cancel_send_wait(&dest, id),
            );
            let res = match res {
                None => return MACH_SEND_TIMED_OUT,
                Some(None) => return MACH_SEND_INVALID_DEST,
                Some(Some(r)) => r,
            };
            match self.send_reserved(&p, mem, &dest, res) {
                Err(Retry) => continue,
                Ok(code) => return code,
            }
        }
        MACH_SEND_INVALID_DEST
    }

    /// The hot path of a message without descriptors sent through a copied send right (a
    /// request) or a moved send-once right without a reply right (a reply), to a queue with
    /// room: everything happens under one hold of this space's table lock, the destination
    /// port is only borrowed from the table, and the message's destination right is the
    /// queue's from the start (see `port::push_locked`). So the sender writes nothing on
    /// the destination port but its queue: not its reference count, not its right counts,
    /// lines its receiver writes too. `None` when the message needs the general path
    /// (which also reports every error), having changed nothing.
    ///
    /// With `rcv`, the call goes on to receive on that name: the name is resolved under
    /// the same hold of the lock, after the send, and left in `rcv`'s place (no right this
    /// path moves is a receive right, so the name means the same after the send).
    fn send_simple(
        &self,
        p: &Prepared<'_>,
        rcv: Option<(MachPortName, &mut Option<Resolved>)>,
    ) -> Option<MachMsgReturn> {
        let h = &p.h;
        let name = h.msgh_remote_port;
        let reply_disp = mach_msgh_bits_local(h.msgh_bits);
        let complex = h.msgh_bits & MACH_MSGH_BITS_COMPLEX;
        // Rights whose copyin takes no port lock, so that it may run under the
        // destination's (a made send right counts on its port under that port's lock).
        let plain_reply = h.msgh_local_port == MACH_PORT_NULL
            || matches!(
                reply_disp,
                MACH_MSG_TYPE_COPY_SEND
                    | MACH_MSG_TYPE_MOVE_SEND
                    | MACH_MSG_TYPE_MOVE_SEND_ONCE
                    | MACH_MSG_TYPE_MAKE_SEND_ONCE
            );
        if !plain_reply {
            return None;
        }
        let bytes = MsgBytes::copy_of(p.buf);
        let mut t = self.lock();
        t.check_dead(name);
        match mach_msgh_bits_remote(h.msgh_bits) {
            MACH_MSG_TYPE_COPY_SEND => {
                let id = match t.entries.get(&name) {
                    Some(Entry {
                        bits,
                        obj: Obj::Port(port),
                        ..
                    }) if bits & MACH_PORT_TYPE_SEND != 0 && !super::kserver::is_kobject(port) => {
                        port.id
                    }
                    _ => return None,
                };
                let mut cx = Copyin::new(&self.inner);
                let reply = if h.msgh_local_port == MACH_PORT_NULL {
                    Taken::Null
                } else {
                    match cx.right(&mut t, h.msgh_local_port, reply_disp, true) {
                        Ok(r) => r,
                        Err(NotHeld) => {
                            cx.rollback(&mut t);
                            return None;
                        }
                    }
                };
                // Taking the reply right may have changed the destination's name (the same
                // name moved as the reply, say): the destination is looked up again.
                let port = match t.entries.get(&name) {
                    Some(Entry {
                        bits,
                        obj: Obj::Port(port),
                        ..
                    }) if bits & MACH_PORT_TYPE_SEND != 0 && port.id == id => port,
                    _ => {
                        cx.rollback(&mut t);
                        return None;
                    }
                };
                let mut st = port.lock();
                if !st.active || !port::has_room_locked(&st, false) {
                    drop(st);
                    cx.rollback(&mut t);
                    return None;
                }
                // Commit: nothing below fails.
                let reply = account(reply);
                let reply_type = match &reply {
                    PortVal::Right(r) => r.kind().received_type(),
                    PortVal::Dead => disp_received_type(reply_disp),
                    PortVal::Null => 0,
                };
                let kmsg = Kmsg {
                    bits: complex | mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND, reply_type),
                    size: p.buf.len() as u32,
                    id: h.msgh_id,
                    dest: KRight::implicit(RightKind::Send),
                    reply,
                    bytes,
                    descs: Vec::new(),
                    kernel: false,
                };
                port::push_locked(port, &mut st, kmsg);
                let wake = port::finish_enqueue_later(port, st);
                cx.finish(&mut t);
                if let Some((name, source)) = rcv {
                    *source = Some(source_locked(&t, name));
                }
                drop(t);
                wake.wake();
                Some(MACH_MSG_SUCCESS)
            }
            MACH_MSG_TYPE_MOVE_SEND_ONCE if h.msgh_local_port == MACH_PORT_NULL => {
                match t.entries.get(&name) {
                    Some(Entry {
                        bits: MACH_PORT_TYPE_SEND_ONCE,
                        obj: Obj::Port(port),
                        ..
                    }) if !super::kserver::is_kobject(port) => {}
                    _ => return None,
                }
                // The name holds nothing else: the right leaves the table with its entry.
                let e = t.entries.remove(&name).expect("just looked up");
                let Obj::Port(port) = &e.obj else {
                    unreachable!("just matched a port")
                };
                let mut st = port.lock();
                if !st.active || !port::has_room_locked(&st, true) {
                    drop(st);
                    t.entries.insert(name, e);
                    return None;
                }
                let kmsg = Kmsg {
                    bits: complex | mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND_ONCE, 0),
                    size: p.buf.len() as u32,
                    id: h.msgh_id,
                    dest: KRight::implicit(RightKind::SendOnce),
                    reply: PortVal::Null,
                    bytes,
                    descs: Vec::new(),
                    kernel: false,
                };
                port::push_locked(port, &mut st, kmsg);
                let wake = port::finish_enqueue_later(port, st);
                if let Some((name, source)) = rcv {
                    *source = Some(source_locked(&t, name));
                }
                drop(t);
                drop(e);
                wake.wake();
                Some(MACH_MSG_SUCCESS)
            }
            _ => None,
        }
    }

    /// Resolves the destination of a prepared message to its port.
    pub(crate) fn resolve_dest(&self, p: &Prepared<'_>) -> Result<Arc<Port>, MachMsgReturn> {
        resolve_locked(&mut self.lock(), p)
    }

    /// Copies a message in and queues it into the slot `res` holds. `Err(Retry)` when the
    /// destination name now denotes another port.
    pub(crate) fn send_reserved(
        &self,
        p: &Prepared<'_>,
        mem: Memory<'_>,
        dest: &Arc<Port>,
        res: port::Reservation,
    ) -> Result<MachMsgReturn, Retry> {
        let kmsg = {
            let mut t = self.lock();
            match self.copyin(&mut t, p, mem, dest, false) {
                Ok(Some(k)) => k,
                Ok(None) => unreachable!("only a dry run returns no message"),
                Err(MACH_SEND_INVALID_DEST) if t.entries.contains_key(&p.h.msgh_remote_port) => {
                    drop(t);
                    drop(res);
                    return Err(Retry);
                }
                Err(e) => return Ok(e),
            }
        };
        enqueue_or_destroy(res, kmsg);
        Ok(MACH_MSG_SUCCESS)
    }

    fn copyin(
        &self,
        t: &mut Table,
        p: &Prepared<'_>,
        mem: Memory<'_>,
        expected: &Arc<Port>,
        dry_run: bool,
    ) -> Result<Option<Kmsg>, MachMsgReturn> {
        let (buf, h, raw) = (p.buf, &p.h, &p.raw[..]);
        let space_id = self.inner.id;
        let mut cx = Copyin::new(&self.inner);
        let dest_disp = mach_msgh_bits_remote(h.msgh_bits);
        let reply_disp = mach_msgh_bits_local(h.msgh_bits);
        let dest = match cx.right(t, h.msgh_remote_port, dest_disp, false) {
            Ok(Taken::Send { port, fresh }) if Arc::ptr_eq(&port, expected) => {
                Taken::Send { port, fresh }
            }
            Ok(Taken::MakeSend(p)) if Arc::ptr_eq(&p, expected) => Taken::MakeSend(p),
            Ok(Taken::SendOnce(p)) if Arc::ptr_eq(&p, expected) => Taken::SendOnce(p),
            Ok(Taken::MakeSendOnce(p)) if Arc::ptr_eq(&p, expected) => Taken::MakeSendOnce(p),
            _ => {
                cx.rollback(t);
                return Err(MACH_SEND_INVALID_DEST);
            }
        };
        let reply = if h.msgh_local_port == MACH_PORT_NULL {
            Taken::Null
        } else {
            match cx.right(t, h.msgh_local_port, reply_disp, true) {
                Ok(r) => r,
                Err(NotHeld) => {
                    cx.rollback(t);
                    return Err(MACH_SEND_INVALID_REPLY);
                }
            }
        };
        // Body rights: every name is taken (with undo) before anything is accounted.
        enum Pending {
            Port {
                off: usize,
                rtype: u32,
                t: Taken,
            },
            Ool {
                off: usize,
                copy: u32,
                addr: usize,
                size: u32,
                dealloc: bool,
            },
            OolPorts {
                off: usize,
                rtype: u32,
                t: Vec<Taken>,
                free: Option<(usize, usize)>,
            },
        }
        let mut pending = Vec::with_capacity(raw.len());
        let mut failure = None;
        for d in raw {
            match *d {
                RawDesc::Port { off, name, disp } => match cx.right(t, name, disp, true) {
                    Ok(tk) => pending.push(Pending::Port {
                        off,
                        rtype: disp_received_type(disp),
                        t: tk,
                    }),
                    Err(NotHeld) => {
                        failure = Some(MACH_SEND_INVALID_RIGHT);
                        break;
                    }
                },
                RawDesc::Ool {
                    off,
                    addr,
                    size,
                    dealloc,
                    copy,
                } => {
                    pending.push(Pending::Ool {
                        off,
                        copy,
                        addr,
                        size,
                        dealloc,
                    });
                }
                RawDesc::OolPorts {
                    off,
                    addr,
                    count,
                    dealloc,
                    disp,
                } => {
                    let Some(names) = read_names(space_id, mem, addr, count) else {
                        failure = Some(MACH_SEND_INVALID_MEMORY);
                        break;
                    };
                    let mut ts = Vec::with_capacity(names.len());
                    for n in names {
                        match cx.right(t, n, disp, true) {
                            Ok(tk) => ts.push(tk),
                            Err(NotHeld) => {
                                failure = Some(MACH_SEND_INVALID_RIGHT);
                                break;
                            }
                        }
                    }
                    if failure.is_some() {
                        break;
                    }
                    let free = (dealloc && count > 0).then_some((addr, count as usize * 4));
                    pending.push(Pending::OolPorts {
                        off,
                        rtype: disp_received_type(disp),
                        t: ts,
                        free,
                    });
                }
            }
        }
        if dry_run {
            // Only checking, as xnu would before it blocks on a full queue: every right
            // goes back and no memory is touched.
            if failure.is_none() {
                for p in &pending {
                    if let Pending::Ool { addr, size, .. } = p
                        && !memory_ok(space_id, mem, *addr, *size as usize)
                    {
                        failure = Some(MACH_SEND_INVALID_MEMORY);
                    }
                }
            }
            cx.rollback(t);
            return failure.map_or(Ok(None), Err);
        }
        // Memory: moved or copied, and put back if a later region fails.
        let mut regions: Vec<Option<Region>> = Vec::new();
        if failure.is_none() {
            for p in &pending {
                if let Pending::Ool {
                    addr,
                    size,
                    dealloc,
                    ..
                } = p
                {
                    match take_memory(space_id, mem, *addr, *size as usize, *dealloc) {
                        Ok(r) => regions.push(r),
                        Err(()) => {
                            failure = Some(MACH_SEND_INVALID_MEMORY);
                            break;
                        }
                    }
                }
            }
        }
        if let Some(e) = failure {
            for (p, r) in pending
                .iter()
                .filter(|p| matches!(p, Pending::Ool { .. }))
                .zip(regions)
            {
                if let (
                    Pending::Ool {
                        addr,
                        dealloc: true,
                        ..
                    },
                    Some(r),
                ) = (p, r)
                    && r.addr() == *addr
                {
                    vm::insert(r, space_id);
                }
            }
            cx.rollback(t);
            return Err(e);
        }
        // Commit: account every right on its port; nothing below can fail.
        let dest = account(dest);
        let reply = account(reply);
        let mut regions = regions.into_iter();
        let mut descs = Vec::with_capacity(pending.len());
        for p in pending {
            descs.push(match p {
                Pending::Port { off, rtype, t } => KDesc::Port {
                    off,
                    rtype,
                    val: account(t),
                },
                Pending::Ool {
                    off, copy, size, ..
                } => KDesc::Ool {
                    off,
                    copy,
                    region: regions.next().flatten(),
                    size,
                },
                Pending::OolPorts {
                    off,
                    rtype,
                    t,
                    free,
                } => {
                    if let Some((a, n)) = free {
                        let _ = vm::deallocate(a, n, space_id);
                    }
                    KDesc::OolPorts {
                        off,
                        rtype,
                        rights: t.into_iter().map(account).collect(),
                    }
                }
            });
        }
        cx.finish(t);
        let PortVal::Right(dest) = dest else {
            unreachable!("the destination was checked to be a right")
        };
        let reply_type = match &reply {
            PortVal::Right(r) => r.kind().received_type(),
            PortVal::Dead => disp_received_type(reply_disp),
            PortVal::Null => 0,
        };
        Ok(Some(Kmsg {
            bits: (h.msgh_bits & MACH_MSGH_BITS_COMPLEX)
                | mach_msgh_bits(dest.kind().received_type(), reply_type),
            size: buf.len() as u32,
            id: h.msgh_id,
            dest,
            reply,
            bytes: MsgBytes::copy_of(buf),
            descs,
            kernel: false,
        }))
    }

    /// Checks a message the way copyin would, taking nothing (used before blocking on a
    /// full queue so that a bad message fails at once, as in xnu).
    pub(crate) fn validate(
        &self,
        p: &Prepared<'_>,
        mem: Memory<'_>,
        dest: &Arc<Port>,
    ) -> Result<(), MachMsgReturn> {
        let mut t = self.lock();
        self.copyin(&mut t, p, mem, dest, true).map(|_| ())
    }

    fn receive(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: u32,
        source: Option<Resolved>,
    ) -> MachMsgReturn {
        let ttype = (option as u32 >> 28) & 0xf;
        let elements = (option as u32 >> 24) & 0xf;
        if ttype != MACH_MSG_TRAILER_FORMAT_0 || elements as usize >= TRAILER_SIZES.len() {
            return MACH_RCV_INVALID_TRAILER;
        }
        let tsize = TRAILER_SIZES[elements as usize];
        if (buf.len() as u64) < u64::from(rcv_size) {
            return MACH_RCV_INVALID_DATA;
        }
        let src = match source.unwrap_or_else(|| self.receive_source(rcv_name)) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let large = option & MACH_RCV_LARGE != 0;
        let deadline = Deadline::new(option & MACH_RCV_TIMEOUT != 0, timeout);
        let got = match &src {
            Source::Port(p, epoch) => {
                let limits = (rcv_size, tsize, large);
                if let Some(d) = receive_handed(p, *epoch, limits, deadline) {
                    Some(d)
                } else {
                    block(
                        deadline,
                        None,
                        |w| match port::dequeue_port(p, *epoch, rcv_size, tsize, large, w) {
                            Dequeue::Empty(id) => Attempt::Wait(id),
                            other => Attempt::Done(other),
                        },
                        |id| port::cancel_recv_wait(p, id),
                    )
                }
            }
            Source::Set(ps) => block(
                deadline,
                Some(&|| ps.has_message()),
                |w| match port::dequeue_set(ps, rcv_size, tsize, large, w) {
                    Dequeue::Empty(id) => Attempt::Wait(id),
                    other => Attempt::Done(other),
                },
                |id| port::cancel_set_wait(ps, id),
            ),
        };
        match got {
            None => MACH_RCV_TIMED_OUT,
            Some(Dequeue::Dead) | Some(Dequeue::Empty(_)) => MACH_RCV_PORT_DIED,
            Some(Dequeue::Changed) => MACH_RCV_PORT_CHANGED,
            Some(Dequeue::TooLarge(needed)) => {
                if buf.len() >= 8 {
                    write_u32(buf, 4, needed);
                }
                MACH_RCV_TOO_LARGE
            }
            Some(Dequeue::Msg(d)) => self.copyout(buf, d, rcv_size, tsize),
        }
    }

    /// Resolves a receive name to a port or port set.
    pub(crate) fn receive_source(&self, rcv_name: MachPortName) -> Resolved {
        source_locked(&self.lock(), rcv_name)
    }

    /// Gives a dequeued message to this space and writes it into `buf`.
    pub(crate) fn copyout(
        &self,
        buf: &mut [u8],
        d: port::Delivered,
        rcv_size: u32,
        tsize: u32,
    ) -> MachMsgReturn {
        let port::Delivered {
            kmsg,
            seqno,
            context,
            receiver_name,
            ..
        } = d;
        let Kmsg {
            bits,
            size,
            id,
            dest,
            reply,
            mut bytes,
            descs,
            kernel,
        } = kmsg;
        // The destination right was consumed when the message left the queue.
        drop(dest);
        let needed = size + tsize;
        let dest_type = mach_msgh_bits_remote(bits);
        if needed > rcv_size {
            // Without MACH_RCV_LARGE the message is dequeued and destroyed; only its header
            // (with the destination, no reply right) reaches the receiver, as in xnu.
            drop(reply);
            drop(descs);
            if (rcv_size as usize) >= HEADER_SIZE {
                MachMsgHeader {
                    msgh_bits: mach_msgh_bits(0, dest_type),
                    msgh_size: needed,
                    msgh_remote_port: MACH_PORT_NULL,
                    msgh_local_port: receiver_name,
                    msgh_voucher_port: 0,
                    msgh_id: id,
                }
                .write(buf);
            }
            return MACH_RCV_TOO_LARGE;
        }
        let reply_type = mach_msgh_bits_local(bits);
        // A message that brings no right into this space (most replies) looks up and adds
        // no name: its copyout takes no hold of the table.
        let mut t = (!matches!(reply, PortVal::Null) || !descs.is_empty()).then(|| self.lock());
        let reply_name = match t
            .as_mut()
            .map_or(Ok(MACH_PORT_NULL), |t| copyout_right(t, reply))
        {
            Ok(n) => n,
            Err((_, v)) => {
                drop(v);
                drop(descs);
                return MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE;
            }
        };
        // Descriptors come with the table held (`t` is `None` only without them).
        let result = match t.as_deref_mut() {
            Some(t) => self.copyout_descs(t, descs, &mut bytes),
            None => MACH_MSG_SUCCESS,
        };
        drop(t);
        let n = size as usize;
        buf[..n].copy_from_slice(&bytes);
        MachMsgHeader {
            msgh_bits: (bits & MACH_MSGH_BITS_COMPLEX) | mach_msgh_bits(reply_type, dest_type),
            msgh_size: size,
            msgh_remote_port: reply_name,
            msgh_local_port: receiver_name,
            msgh_voucher_port: 0,
            msgh_id: id,
        }
        .write(buf);
        let (sender, audit) = if kernel {
            (super::kmsg::KERNEL_SECURITY_TOKEN, [0; 8])
        } else {
            *super::kmsg::process_tokens()
        };
        let trailer = MachMsgMaxTrailer {
            msgh_trailer_type: MACH_MSG_TRAILER_FORMAT_0,
            msgh_trailer_size: tsize,
            msgh_seqno: seqno,
            msgh_sender: sender,
            msgh_audit: audit,
            msgh_context: context,
            msgh_ad: 0,
            msgh_labels: 0,
        };
        buf[n..n + tsize as usize].copy_from_slice(&trailer.as_bytes()[..tsize as usize]);
        result
    }

    /// Gives the descriptors' rights and memory of a message to this space (whose table
    /// `t` is) and writes their names and addresses into the message's `bytes`. Returns
    /// `MACH_MSG_SUCCESS`, or the error of a right that found no room (its descriptor
    /// then names `MACH_PORT_NULL`; the others still arrive).
    fn copyout_descs(
        &self,
        t: &mut Table,
        descs: Vec<KDesc>,
        bytes: &mut MsgBytes,
    ) -> MachMsgReturn {
        let mut result = MACH_MSG_SUCCESS;
        for d in descs {
            match d {
                KDesc::Port { off, rtype, val } => {
                    let name = copyout_right(t, val).unwrap_or_else(|(_, v)| {
                        drop(v);
                        result = MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE;
                        MACH_PORT_NULL
                    });
                    write_u32(bytes, off, name);
                    write_u32(bytes, off + 4, 0);
                    write_u32(bytes, off + 8, port_descriptor_word(rtype));
                }
                KDesc::Ool {
                    off,
                    copy,
                    region,
                    size,
                } => {
                    let addr = region.map(|r| vm::insert(r, self.inner.id)).unwrap_or(0);
                    let ty = read_u32(bytes, off + 8).unwrap_or(0) >> 24;
                    write_u64(bytes, off, addr as u64);
                    write_u32(
                        bytes,
                        off + 8,
                        ool_descriptor_word(copy == MACH_MSG_VIRTUAL_COPY, copy) & 0x00ff_ffff
                            | (ty << 24),
                    );
                    write_u32(bytes, off + 12, size);
                }
                KDesc::OolPorts { off, rtype, rights } => {
                    let count = rights.len();
                    let mut names = Vec::with_capacity(count * 4);
                    for r in rights {
                        let n = copyout_right(t, r).unwrap_or_else(|(_, v)| {
                            drop(v);
                            result = MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE;
                            MACH_PORT_NULL
                        });
                        names.extend_from_slice(&n.to_ne_bytes());
                    }
                    let addr = Region::copy_of(&names)
                        .map(|r| vm::insert(r, self.inner.id))
                        .unwrap_or(0);
                    write_u64(bytes, off, addr as u64);
                    // As xnu does, the names land in a fresh region of the receiver's
                    // whatever copy the sender asked for: the descriptor says virtual copy
                    // and deallocate, so that `mach_msg_destroy` frees it.
                    write_u32(
                        bytes,
                        off + 8,
                        ool_ports_descriptor_word(true, MACH_MSG_VIRTUAL_COPY, rtype),
                    );
                    write_u32(bytes, off + 12, count as u32);
                }
            }
        }
        result
    }
}

/// A receive name resolved, or the error that receiving on it gives.
pub(crate) type Resolved = Result<Source, MachMsgReturn>;

/// Resolves a receive name in a locked table.
fn source_locked(t: &Table, rcv_name: MachPortName) -> Resolved {
    match t.entries.get(&rcv_name) {
        Some(Entry {
            obj: Obj::Port(p),
            bits,
            ..
        }) if bits & MACH_PORT_TYPE_RECEIVE != 0 => {
            let epoch = p.epoch.load(std::sync::atomic::Ordering::Acquire);
            Ok(Source::Port(p.clone(), epoch))
        }
        Some(Entry {
            obj: Obj::Pset(ps), ..
        }) => Ok(Source::Set(ps.clone())),
        _ => Err(MACH_RCV_INVALID_NAME),
    }
}

/// Where a receive takes messages from.
#[derive(Debug, Clone)]
pub enum Source {
    /// One port, with the epoch of its receive right when the name was resolved.
    Port(Arc<Port>, u64),
    /// A port set.
    Set(Arc<PortSetObj>),
}

impl Space {
    /// `mach_msg_destroy`: releases every right and region a *received* message carries
    /// (its reply right, port descriptors, out-of-line memory and port arrays), as a server
    /// does with a request it will not answer. The local port field holds no right and is
    /// left alone. Names that no longer denote the right are skipped.
    pub fn msg_destroy(&self, msg: &[u8]) {
        let Some(h) = MachMsgHeader::read(msg) else {
            return;
        };
        self.destroy_port(h.msgh_remote_port, mach_msgh_bits_remote(h.msgh_bits));
        if h.msgh_bits & MACH_MSGH_BITS_COMPLEX == 0 {
            return;
        }
        let size = (h.msgh_size as usize).min(msg.len());
        let Some(count) = read_u32(msg, HEADER_SIZE).filter(|_| size >= HEADER_SIZE + 4) else {
            return;
        };
        let mut off = HEADER_SIZE + MACH_MSG_BODY_SIZE;
        for _ in 0..count.min(DESCRIPTOR_COUNT_MAX) {
            let Some(word) = read_u32(msg, off + 8).filter(|_| off + 12 <= size) else {
                return;
            };
            match word >> 24 {
                MACH_MSG_PORT_DESCRIPTOR => {
                    let name = read_u32(msg, off).unwrap_or(0);
                    self.destroy_port(name, (word >> 16) & 0xff);
                    off += PORT_DESCRIPTOR_SIZE;
                }
                MACH_MSG_OOL_DESCRIPTOR | MACH_MSG_OOL_VOLATILE_DESCRIPTOR => {
                    let addr = read_u64(msg, off).unwrap_or(0) as usize;
                    let len = read_u32(msg, off + 12).unwrap_or(0) as usize;
                    let _ = self.vm_deallocate(addr, len);
                    off += OOL_DESCRIPTOR_SIZE;
                }
                MACH_MSG_OOL_PORTS_DESCRIPTOR => {
                    let addr = read_u64(msg, off).unwrap_or(0) as usize;
                    let n = read_u32(msg, off + 12).unwrap_or(0);
                    if let Some(names) = read_names(self.inner.id, Memory::Owned, addr, n) {
                        for name in names {
                            self.destroy_port(name, (word >> 16) & 0xff);
                        }
                    }
                    let _ = self.vm_deallocate(addr, n as usize * 4);
                    off += OOL_DESCRIPTOR_SIZE;
                }
                _ => return,
            }
        }
    }

    /// `mach_msg_destroy_port`: releases one right of the given received type.
    fn destroy_port(&self, name: MachPortName, ty: MachMsgTypeName) {
        if name == MACH_PORT_NULL || name == MACH_PORT_DEAD {
            return;
        }
        let _ = match ty {
            MACH_MSG_TYPE_MOVE_RECEIVE => self.port_mod_refs(name, MACH_PORT_RIGHT_RECEIVE, -1),
            MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MOVE_SEND_ONCE => self.port_deallocate(name),
            _ => Ok(()),
        };
    }
}
