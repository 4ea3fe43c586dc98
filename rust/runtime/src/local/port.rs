//! Ports and port sets: a port is a message queue with a limit, the counts of rights that
//! exist for it anywhere (send, send-once, make-send count), its notification requests and
//! the waiters blocked on it. Locks are always taken space first, then port set, then port.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use super::kmsg::{KRight, Kmsg, RightKind};
use super::park::{WaitList, Waiter};
use super::space::SpaceInner;
use crate::abi::*;

/// The queue limit for kernel notifications and send-once messages (`MACH_PORT_QLIMIT_KERNEL`).
pub const QLIMIT_KERNEL: u32 = 65534;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A registered dead-name request: which name in which space, and the right to notify.
#[derive(Debug)]
pub struct DnRequest {
    /// The space holding the name.
    pub space: Weak<SpaceInner>,
    /// The name the request was made on.
    pub name: MachPortName,
    /// The send-once right the notification travels on.
    pub notify: KRight,
}

/// The mutable state of a port. The fields that every send and receive writes (the
/// queue, the reservations, the sequence number) come first, on the lock's own cache line,
/// so a message crossing CPUs moves that one line (and the messages) between them; the
/// rest is only read while nobody waits or holds notification requests, and stays cached
/// on both CPUs.
#[derive(Debug)]
#[repr(C)]
pub struct PortState {
    /// Queued messages.
    pub queue: VecDeque<Queued>,
    /// Slots promised to senders that are copying their message in.
    pub reserved: u32,
    /// The next sequence number.
    pub seqno: u32,
    /// Send rights held by the destinations of queued messages. They are counted here,
    /// under the lock both ends take anyway, rather than in `Port::srights`: a sender
    /// copying a send right and the receiver consuming it would otherwise write that line
    /// from two CPUs for every message. The port has senders while `srights +
    /// queued_sends` is not zero.
    pub queued_sends: u32,
    /// The queue limit.
    pub qlimit: u32,
    /// The receive right's name in its space (0 while in flight).
    pub receiver_name: MachPortName,
    /// False once the receive right is gone: the port is dead.
    pub active: bool,
    /// Whether the context is a guard.
    pub guarded: bool,
    /// Whether the guard is strict.
    pub strict: bool,
    /// The make-send count.
    pub mscount: u32,
    /// The context (and guard, when guarded).
    pub context: u64,
    /// The port set the port belongs to.
    pub pset: Option<Arc<PortSetObj>>,
    /// The hand-off slot of the thread that last received here (see `HandoffSlot`).
    pub spinner: Option<Arc<HandoffSlot>>,
    /// The no-senders request.
    pub nsrequest: Option<KRight>,
    /// Dead-name requests.
    pub dnrequests: Vec<DnRequest>,
    /// Receivers waiting for a message.
    pub recv_waiters: WaitList,
    /// Senders waiting for room.
    pub send_waiters: WaitList,
}

/// A queued message, on whole cache lines of its own: the queue's buffer then starts on a
/// line boundary and shares no line with whatever the allocator put next to it (another
/// thread's data, written from another CPU), and each message takes the fewest lines the
/// receiver must fetch from the sender's CPU.
#[derive(Debug)]
#[repr(align(64))]
pub struct Queued(pub Kmsg);

/// The lock-free hint receivers spin on, on a cache line of its own so that spinning
/// does not fight over the line that holds the port's lock (a receiver spinning on an
/// empty queue sees this line change only when a message is queued: one transfer between
/// CPUs, not two).
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct Hints {
    /// Queue length alone, readable without the lock so receivers can spin (a reserved
    /// slot is not yet a message).
    pub queued: AtomicU32,
}

/// The lock-free facts that change rarely, on a line of their own that every CPU keeps
/// cached: senders read them on every send (copyin checks that a name's port is alive)
/// and spin on them when the queue is full, and a line written per message would cross
/// CPUs on every read.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct RoomHints {
    /// Whether the port is still alive, readable without the lock.
    pub alive: AtomicU32,
    /// Whether the queue (messages plus reservations) is at its user limit. Stored as a
    /// flag rather than a count so that it is written only when the queue crosses the
    /// limit, not by every send and receive.
    pub full: AtomicU32,
}

/// The port's lock on a cache line of its own, away from the reference counts that
/// senders and receivers on other CPUs update.
#[derive(Debug)]
#[repr(align(64))]
struct LockLine(Mutex<PortState>);

/// A port. The fields are laid out by hand, one kind of traffic per cache line: the right
/// counts that senders and receivers on two CPUs both update, then the lock and the state
/// it guards, the receivers' spin hint, the read-mostly hints, and last what is set once.
#[derive(Debug)]
#[repr(C)]
pub struct Port {
    /// How many send rights exist (one per name holding any urefs, one per right in
    /// flight). Atomic so copying a send right needs no lock; reaching zero takes the lock
    /// to check for a no-senders request.
    pub srights: AtomicU32,
    /// How many send-once rights exist.
    pub sorights: AtomicU32,
    st: LockLine,
    /// See `Hints`.
    pub hints: Hints,
    /// See `RoomHints`.
    pub room: RoomHints,
    /// A process-unique id (names in spaces are looked up by it).
    pub id: u64,
    /// Counts moves of the receive right (written under the lock), so a receiver that
    /// resolved its name before a move learns that the port is no longer its to receive from.
    pub epoch: AtomicU64,
    /// What the emulation itself serves on this port (a task, the host, a bootstrap
    /// namespace), set once right after creation; unset for ports of ordinary receivers.
    pub kobject: OnceLock<super::task::KObject>,
    live: Arc<AtomicUsize>,
}

/// Decrements a right count without going below zero; returns the previous value.
pub fn count_down(c: &AtomicU32) -> u32 {
    c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
        Some(v.saturating_sub(1))
    })
    .unwrap_or(0)
}

impl Drop for Port {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Port {
    /// A new live port with one receive right, counted in `live`.
    pub fn new(live: Arc<AtomicUsize>) -> Arc<Port> {
        live.fetch_add(1, Ordering::AcqRel);
        Arc::new(Port {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            st: LockLine(Mutex::new(PortState {
                active: true,
                queue: VecDeque::new(),
                reserved: 0,
                queued_sends: 0,
                qlimit: MACH_PORT_QLIMIT_DEFAULT,
                seqno: 0,
                mscount: 0,
                context: 0,
                guarded: false,
                strict: false,
                receiver_name: 0,
                pset: None,
                spinner: None,
                nsrequest: None,
                dnrequests: Vec::new(),
                recv_waiters: WaitList::default(),
                send_waiters: WaitList::default(),
            })),
            srights: AtomicU32::new(0),
            sorights: AtomicU32::new(0),
            epoch: AtomicU64::new(0),
            hints: Hints {
                queued: AtomicU32::new(0),
            },
            room: RoomHints {
                alive: AtomicU32::new(1),
                full: AtomicU32::new(0),
            },
            kobject: OnceLock::new(),
            live,
        })
    }

    /// Locks the state. A poisoned lock means a panic inside the emulation; the state
    /// itself stays consistent between statements, so carrying on is the safest answer.
    pub fn lock(&self) -> MutexGuard<'_, PortState> {
        self.st.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the port is alive, read without the lock (exact under the lock: it is
    /// written under it when the port dies).
    pub fn is_alive(&self) -> bool {
        self.room.alive.load(Ordering::Acquire) != 0
    }

    /// Whether a sender could take a slot now (for spinning).
    pub fn has_room(&self) -> bool {
        self.room.full.load(Ordering::Acquire) == 0 || !self.is_alive()
    }

    /// Whether a message may be queued (for spinning).
    pub fn has_message(&self) -> bool {
        self.hints.queued.load(Ordering::Acquire) > 0 || !self.is_alive()
    }

    /// How many send rights exist, in spaces, in flight and held by queued messages
    /// (`st` is this port's locked state).
    pub fn send_rights(&self, st: &PortState) -> u32 {
        self.srights.load(Ordering::Acquire) + st.queued_sends
    }

    /// Recomputes the lock-free hints from the locked state.
    pub fn sync_hints(&self, st: &PortState) {
        // Stores only what changed: every store takes the line away from spinning readers.
        let (h, r) = (&self.hints, &self.room);
        let set = |a: &AtomicU32, v: u32| {
            if a.load(Ordering::Relaxed) != v {
                a.store(v, Ordering::Release);
            }
        };
        let fill = st.queue.len() as u32 + st.reserved;
        set(&r.full, (fill >= st.qlimit) as u32);
        set(&h.queued, st.queue.len() as u32);
        set(&r.alive, st.active as u32);
    }
}

/// The outcome of trying to reserve a queue slot.
#[derive(Debug)]
pub enum Reserve {
    /// A slot is held; it must be used by `enqueue_reserved` or given back.
    Got(Reservation),
    /// The queue is full; the waiter (if any) was registered under this id.
    Full(Option<u64>),
    /// The port is dead.
    Dead,
}

/// A promised queue slot. Dropping it unused gives the slot back and wakes senders.
#[derive(Debug)]
pub struct Reservation {
    port: Option<Arc<Port>>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(p) = self.port.take() {
            let ws = {
                let mut st = p.lock();
                st.reserved -= 1;
                p.sync_hints(&st);
                st.send_waiters.take()
            };
            super::park::wake_all(ws);
        }
    }
}

impl Reservation {
    /// The port the slot is on.
    pub fn port(&self) -> &Arc<Port> {
        self.port
            .as_ref()
            .expect("a reservation holds its port until used")
    }
}

/// Reserves a slot without waiting, keeping `port` in the reservation. `Err(true)` when
/// the port is dead, `Err(false)` when its queue is full.
pub fn reserve_owned(port: Arc<Port>, send_once: bool) -> Result<Reservation, bool> {
    {
        let mut st = port.lock();
        if !st.active {
            return Err(true);
        }
        let limit = if send_once { QLIMIT_KERNEL } else { st.qlimit };
        if (st.queue.len() as u32 + st.reserved) >= limit {
            return Err(false);
        }
        st.reserved += 1;
        port.sync_hints(&st);
    }
    Ok(Reservation { port: Some(port) })
}

/// Tries to reserve a slot for a message of the given kind. Send-once messages may pass
/// the user queue limit up to `QLIMIT_KERNEL`, as in xnu.
pub fn reserve(port: &Arc<Port>, send_once: bool, waiter: Option<Waiter>) -> Reserve {
    let mut st = port.lock();
    if !st.active {
        return Reserve::Dead;
    }
    let limit = if send_once { QLIMIT_KERNEL } else { st.qlimit };
    if (st.queue.len() as u32 + st.reserved) < limit {
        st.reserved += 1;
        port.sync_hints(&st);
        return Reserve::Got(Reservation {
            port: Some(port.clone()),
        });
    }
    Reserve::Full(waiter.map(|w| st.send_waiters.add(w)))
}

/// Removes a sender's waiter that gave up.
pub fn cancel_send_wait(port: &Port, id: u64) {
    port.lock().send_waiters.remove(id);
}

/// Queues a message into a reserved slot. When the port died in the meantime the message
/// is handed back to be destroyed (the send still succeeded, as in xnu).
pub fn enqueue_reserved(mut r: Reservation, kmsg: Kmsg) -> Option<Kmsg> {
    let port = r.port.take().expect("a reservation is used once");
    let mut st = port.lock();
    st.reserved -= 1;
    if !st.active {
        port.sync_hints(&st);
        let ws = st.send_waiters.take();
        drop(st);
        super::park::wake_all(ws);
        return Some(kmsg);
    }
    push_locked(&port, &mut st, kmsg);
    finish_enqueue(&port, st);
    None
}

/// Queues a kernel-generated message (a notification) without a reservation; returns it
/// when the port is dead or its kernel limit is reached, to be destroyed.
pub fn enqueue_kernel(port: &Arc<Port>, kmsg: Kmsg) -> Option<Kmsg> {
    let mut st = port.lock();
    if !st.active || st.queue.len() as u32 + st.reserved >= QLIMIT_KERNEL {
        return Some(kmsg);
    }
    push_locked(port, &mut st, kmsg);
    finish_enqueue(port, st);
    None
}

/// Queues a message on `port` (whose state `st` is). Its destination right becomes the
/// queue's: a send right is counted in `queued_sends` instead of `srights`, and the port
/// object is not kept in the message (the receiver knows which queue it took it from), so
/// neither end writes the port's reference count or its right counts for the message.
pub fn push_locked(port: &Port, st: &mut PortState, mut kmsg: Kmsg) {
    let counted = kmsg.dest.make_implicit();
    if kmsg.dest.kind() == RightKind::Send {
        st.queued_sends += 1;
        if counted {
            port.srights.fetch_sub(1, Ordering::AcqRel);
        }
    }
    // A message for an empty queue may go straight to a waiting receiver, without a
    // round trip through the queue's buffer.
    // Checked before the message moves into `hand_off` and back: a move costs as much as
    // the check.
    if st.queue.is_empty() && st.spinner.as_ref().is_some_and(|s| s.cell.is_armed()) {
        match hand_off(port, st, kmsg) {
            None => return,
            Some(k) => kmsg = k,
        }
    }
    st.queue.push_back(Queued(kmsg));
}

/// Consumes the destination right of a message just taken off `port`'s queue, as xnu does
/// on receipt: a send right is released (the last one fires the no-senders notification),
/// a send-once right ceases to exist.
fn consume_dest_locked(port: &Port, st: &mut PortState, kind: RightKind) {
    match kind {
        RightKind::Send => {
            st.queued_sends -= 1;
            // `srights` is read last, only when a request is registered: reading it per
            // message would pull the senders' line to this CPU.
            if st.queued_sends == 0
                && st.active
                && st.nsrequest.is_some()
                && port.srights.load(Ordering::Acquire) == 0
                && let Some(so) = st.nsrequest.take()
            {
                super::kmsg::defer(super::kmsg::Deferred::Notify(Kmsg::notification(
                    so,
                    MACH_NOTIFY_NO_SENDERS,
                    Some(st.mscount),
                )));
            }
        }
        RightKind::SendOnce => {
            count_down(&port.sorights);
        }
        RightKind::Receive => unreachable!("a destination is never a receive right"),
    }
}

fn finish_enqueue(port: &Port, st: MutexGuard<'_, PortState>) {
    finish_enqueue_later(port, st).wake();
}

/// Whom a message just queued must wake, once no lock is held.
#[derive(Debug)]
#[must_use = "the waiters must be woken"]
pub struct Wakeups {
    waiters: Vec<Waiter>,
    pset: Option<Arc<PortSetObj>>,
}

impl Wakeups {
    /// Wakes the port's receivers and those of its set.
    pub fn wake(self) {
        super::park::wake_all(self.waiters);
        if let Some(ps) = self.pset {
            let ws = ps.lock().waiters.take();
            super::park::wake_all(ws);
        }
    }
}

/// Finishes queueing a message pushed under `st`: updates the hints and unlocks, returning
/// the receivers to wake.
pub fn finish_enqueue_later(port: &Port, mut st: MutexGuard<'_, PortState>) -> Wakeups {
    port.sync_hints(&st);
    let mut waiters = st.recv_waiters.take();
    if st.queue.is_empty() {
        // The message went straight to a receiver's slot (see `hand_off`): its slot is
        // free again, as when a receiver dequeues.
        waiters.extend(st.send_waiters.take());
    }
    let pset = st.pset.clone();
    drop(st);
    Wakeups { waiters, pset }
}

/// A receiving thread's slot for messages handed to it directly. A thread spinning in
/// `mach_msg` for a message on a port arms its slot (the port, the receive right's epoch
/// and its size limit) and watches the slot's state; a sender whose message would enter
/// the port's empty queue while the slot is armed puts it in the slot instead, under the
/// port lock, accounting for it as the receiver's dequeue would (sequence number,
/// destination right, size check). The receiver then takes no port lock at all: per
/// message, the slot's lines cross between the CPUs and nothing else of the port's does. Anything else going on (a queue already holding messages, a message
/// that does not fit, a receive right that moved, a receiver that gives up spinning) goes
/// through the queue as before.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct HandoffSlot {
    /// The message handed over, and whether the receiver waits for one.
    cell: crate::sys::handoff::HandoffCell<Delivered>,
    /// The size limit of the armed receive (`limit` of `dequeue_locked`).
    limit: AtomicU32,
    /// Its trailer size.
    trailer: AtomicU32,
    /// The port it waits on.
    port: AtomicU64,
    /// The epoch of the receive right when the receiver resolved its name.
    epoch: AtomicU64,
    /// The port the slot was last registered on (read and written by its thread only).
    registered: AtomicU64,
}

thread_local! {
    static SLOT: Arc<HandoffSlot> = Arc::new(HandoffSlot::default());
}

impl HandoffSlot {
    /// Runs `f` with this thread's slot.
    pub fn with<R>(f: impl FnOnce(&Arc<HandoffSlot>) -> R) -> R {
        SLOT.with(f)
    }

    /// Arms the slot for a receive on `port` (which must have it registered to be handed
    /// anything). The slot must be idle.
    pub fn arm(&self, port: &Port, epoch: u64, limit: u32, trailer: u32) {
        self.port.store(port.id, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.limit.store(limit, Ordering::Relaxed);
        self.trailer.store(trailer, Ordering::Relaxed);
        // Arming releases: a sender that sees the slot armed sees the parameters above.
        let armed = self.cell.arm();
        debug_assert!(armed, "a slot is armed by its idle thread only");
    }

    /// Whether a message waits in the slot (for spinning).
    pub fn is_full(&self) -> bool {
        self.cell.is_full()
    }

    /// Finishes the dequeue of a message handed over on `port`: a send-once destination
    /// right ceases to exist here, on the receiver's CPU.
    fn finish(d: Delivered, port: &Port) -> Delivered {
        if d.kmsg.dest.kind() == RightKind::SendOnce {
            count_down(&port.sorights);
        }
        d
    }

    /// Disarms the slot: `None` when no sender had claimed it, otherwise the message a
    /// sender handed over (waiting for it to finish filling the slot).
    pub fn disarm(&self, port: &Port) -> Option<Delivered> {
        self.cell.disarm().map(|d| Self::finish(d, port))
    }

    /// Takes the message of a full slot, if any.
    pub fn try_take(&self, port: &Port) -> Option<Delivered> {
        self.cell.take().map(|d| Self::finish(d, port))
    }

    /// Whether the slot is registered on `port` (as far as its thread knows).
    pub fn registered_on(&self, port: &Port) -> bool {
        self.registered.load(Ordering::Relaxed) == port.id
    }
}

/// Registers `slot` on `port`, so that senders hand it messages while it is armed.
fn register_locked(port: &Port, st: &mut PortState, slot: &Arc<HandoffSlot>) {
    if !st.spinner.as_ref().is_some_and(|s| Arc::ptr_eq(s, slot)) {
        st.spinner = Some(slot.clone());
    }
    slot.registered.store(port.id, Ordering::Relaxed);
}

/// Hands `kmsg`, bound for `port`'s empty queue, to the armed receiver registered on the
/// port, if there is one and the message fits its receive: it is dequeued at once, as
/// `dequeue_locked` would (destination right, sequence number), except that a send-once
/// destination right is left for the receiver to count down (see `HandoffSlot::finish`),
/// so that the port's right counts stay on the receiver's CPU. Gives the message back
/// otherwise.
fn hand_off(port: &Port, st: &mut PortState, kmsg: Kmsg) -> Option<Kmsg> {
    let Some(slot) = st.spinner.take() else {
        return Some(kmsg);
    };
    let mut kmsg = Some(kmsg);
    if slot.cell.is_armed()
        && slot.port.load(Ordering::Relaxed) == port.id
        && slot.epoch.load(Ordering::Relaxed) == port.epoch.load(Ordering::Acquire)
        && kmsg.as_ref().is_some_and(|k| {
            k.size.saturating_add(slot.trailer.load(Ordering::Relaxed))
                <= slot.limit.load(Ordering::Relaxed)
        })
        && let Some(claim) = slot.cell.claim()
    {
        let kmsg = kmsg.take().expect("still here");
        let kind = kmsg.dest.kind();
        if kind != RightKind::SendOnce {
            consume_dest_locked(port, st, kind);
        }
        let seqno = st.seqno;
        st.seqno = st.seqno.wrapping_add(1);
        claim.fill(Delivered {
            kmsg,
            seqno,
            context: st.context,
            receiver_name: st.receiver_name,
        });
    }
    st.spinner = Some(slot);
    kmsg
}

/// Whether a message of this kind fits in the queue now (`st` is the port's locked state).
/// Send-once messages may pass the user queue limit up to `QLIMIT_KERNEL`, as in xnu.
pub fn has_room_locked(st: &PortState, send_once: bool) -> bool {
    let limit = if send_once { QLIMIT_KERNEL } else { st.qlimit };
    st.queue.len() as u32 + st.reserved < limit
}

/// What a receiver found.
// The message travels by value, its small bytes inline: boxing it to even out the variants
// would put back the allocation per message that inline bytes save.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Dequeue {
    /// A message, with the sequence number, the port's context and its receiver name.
    Msg(Delivered),
    /// The next message needs this many bytes (it stays queued).
    TooLarge(u32),
    /// The queue is empty; the waiter (if any) was registered under this id.
    Empty(Option<u64>),
    /// The port or set is dead.
    Dead,
    /// The receive right moved away since the receiver resolved its name.
    Changed,
}

/// A dequeued message and the facts its trailer and header need.
#[derive(Debug)]
pub struct Delivered {
    /// The message.
    pub kmsg: Kmsg,
    /// Its sequence number.
    pub seqno: u32,
    /// The port's context.
    pub context: u64,
    /// The receive right's name.
    pub receiver_name: MachPortName,
}

/// Pops the next message if it fits `limit` bytes (message plus trailer `trailer`). With
/// `large` a message that does not fit stays queued; without, it is dequeued anyway and
/// the caller reports `MACH_RCV_TOO_LARGE`.
pub fn dequeue_locked(
    port: &Port,
    st: &mut PortState,
    limit: u32,
    trailer: u32,
    large: bool,
) -> Option<Result<Delivered, u32>> {
    let front = st.queue.front()?;
    let needed = front.0.size.saturating_add(trailer);
    if needed > limit && large {
        return Some(Err(needed));
    }
    let Queued(kmsg) = st.queue.pop_front().expect("front exists");
    consume_dest_locked(port, st, kmsg.dest.kind());
    let seqno = st.seqno;
    st.seqno = st.seqno.wrapping_add(1);
    port.sync_hints(st);
    Some(Ok(Delivered {
        kmsg,
        seqno,
        context: st.context,
        receiver_name: st.receiver_name,
    }))
}

/// Receives from one port. Wakes blocked senders when a slot frees.
pub fn dequeue_port(
    port: &Arc<Port>,
    epoch: u64,
    limit: u32,
    trailer: u32,
    large: bool,
    waiter: Option<Waiter>,
) -> Dequeue {
    let mut st = port.lock();
    if !st.active {
        return Dequeue::Dead;
    }
    if port.epoch.load(Ordering::Acquire) != epoch {
        return Dequeue::Changed;
    }
    match dequeue_locked(port, &mut st, limit, trailer, large) {
        None => Dequeue::Empty(waiter.map(|w| st.recv_waiters.add(w))),
        Some(Err(n)) => Dequeue::TooLarge(n),
        Some(Ok(d)) => {
            let ws = st.send_waiters.take();
            drop(st);
            super::park::wake_all(ws);
            Dequeue::Msg(d)
        }
    }
}

/// `dequeue_port` for a thread that spins with `slot`, which it registers on the port.
pub fn dequeue_port_with_slot(
    port: &Arc<Port>,
    epoch: u64,
    limit: u32,
    trailer: u32,
    large: bool,
    slot: &Arc<HandoffSlot>,
) -> Dequeue {
    let mut st = port.lock();
    if !st.active {
        return Dequeue::Dead;
    }
    if port.epoch.load(Ordering::Acquire) != epoch {
        return Dequeue::Changed;
    }
    register_locked(port, &mut st, slot);
    match dequeue_locked(port, &mut st, limit, trailer, large) {
        None => Dequeue::Empty(None),
        Some(Err(n)) => Dequeue::TooLarge(n),
        Some(Ok(d)) => {
            let ws = st.send_waiters.take();
            drop(st);
            super::park::wake_all(ws);
            Dequeue::Msg(d)
        }
    }
}

/// Removes a receiver's waiter that gave up.
pub fn cancel_recv_wait(port: &Port, id: u64) {
    port.lock().recv_waiters.remove(id);
}

/// The state of a port set.
#[derive(Debug, Default)]
pub struct PsetState {
    /// False once the set's name is destroyed.
    pub active: bool,
    /// Member ports.
    pub members: Vec<Arc<Port>>,
    /// Where the next scan starts, so one busy member cannot starve the others.
    pub next: usize,
    /// Receivers waiting on the set.
    pub waiters: WaitList,
}

/// A port set.
#[derive(Debug)]
pub struct PortSetObj {
    st: Mutex<PsetState>,
}

impl PortSetObj {
    /// A new empty live set.
    pub fn new() -> Arc<PortSetObj> {
        Arc::new(PortSetObj {
            st: Mutex::new(PsetState {
                active: true,
                ..PsetState::default()
            }),
        })
    }

    /// Locks the state (see `Port::lock` on poisoning).
    pub fn lock(&self) -> MutexGuard<'_, PsetState> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether any member may have a message (for spinning).
    pub fn has_message(&self) -> bool {
        let st = self.lock();
        !st.active || st.members.iter().any(|p| p.has_message())
    }
}

/// Receives from any member of a set, scanning round robin.
pub fn dequeue_set(
    ps: &Arc<PortSetObj>,
    limit: u32,
    trailer: u32,
    large: bool,
    waiter: Option<Waiter>,
) -> Dequeue {
    let mut st = ps.lock();
    if !st.active {
        return Dequeue::Dead;
    }
    let n = st.members.len();
    for k in 0..n {
        let i = (st.next + k) % n;
        let port = st.members[i].clone();
        let mut pst = port.lock();
        match dequeue_locked(&port, &mut pst, limit, trailer, large) {
            None => continue,
            Some(Err(needed)) => return Dequeue::TooLarge(needed),
            Some(Ok(d)) => {
                st.next = i + 1;
                let ws = pst.send_waiters.take();
                drop(pst);
                drop(st);
                super::park::wake_all(ws);
                return Dequeue::Msg(d);
            }
        }
    }
    Dequeue::Empty(waiter.map(|w| st.waiters.add(w)))
}

/// Removes a set receiver's waiter that gave up.
pub fn cancel_set_wait(ps: &PortSetObj, id: u64) {
    ps.lock().waiters.remove(id);
}
