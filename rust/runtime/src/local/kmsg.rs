//! Messages in flight and rights in flight. A `Kmsg` is the kernel's form of a message:
//! its header and body bytes plus the rights and regions it carries, already taken out of
//! the sender's space (copyin) and not yet given to the receiver's (copyout), as xnu's
//! `ipc_kmsg` does.
//!
//! Releasing a right can fire a notification, destroy a port and so destroy more
//! messages; doing that while some lock is held could deadlock, so every release is
//! deferred to a per-thread list that each public operation drains with no lock held.

use std::cell::RefCell;
use std::sync::Arc;

use super::port::{self, Port};
use crate::abi::*;
use crate::sys::mem::Region;

/// Which right a `KRight` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightKind {
    /// A send right.
    Send,
    /// A send-once right.
    SendOnce,
    /// A receive right.
    Receive,
}

impl RightKind {
    /// The type a receiver sees (`MACH_MSG_TYPE_PORT_*`).
    pub fn received_type(self) -> MachMsgTypeName {
        match self {
            RightKind::Send => MACH_MSG_TYPE_PORT_SEND,
            RightKind::SendOnce => MACH_MSG_TYPE_PORT_SEND_ONCE,
            RightKind::Receive => MACH_MSG_TYPE_PORT_RECEIVE,
        }
    }
}

/// One right held outside any space. It is counted in its port's `srights`/`sorights`
/// (or is the port's receive right); dropping it releases it.
#[derive(Debug)]
pub struct KRight {
    port: Option<Arc<Port>>,
    kind: RightKind,
}

impl KRight {
    /// Wraps a right whose count the caller has already taken on the port.
    pub fn adopt(port: Arc<Port>, kind: RightKind) -> KRight {
        KRight {
            port: Some(port),
            kind,
        }
    }

    /// The port.
    pub fn port(&self) -> &Arc<Port> {
        self.port
            .as_ref()
            .expect("a KRight holds its port until disarmed")
    }

    /// The kind.
    pub fn kind(&self) -> RightKind {
        self.kind
    }

    /// Lets go of the port object while keeping the right's kind: the right now belongs to
    /// the queue of the port it names (see `port::push_locked`), which accounts for it.
    /// Returns whether the right had been counted on the port (false when it was already
    /// the queue's).
    pub fn make_implicit(&mut self) -> bool {
        self.port.take().is_some()
    }

    /// A destination right that belongs to the queue it is on from the start.
    pub fn implicit(kind: RightKind) -> KRight {
        KRight { port: None, kind }
    }

    /// Gives up the right without releasing it: its count now belongs to whoever took
    /// the port (a name in a space).
    pub fn disarm(mut self) -> Arc<Port> {
        self.port.take().expect("a KRight is disarmed once")
    }
}

impl Drop for KRight {
    fn drop(&mut self) {
        if let Some(p) = self.port.take() {
            defer(Deferred::Release(p, self.kind));
        }
    }
}

/// A port value in a message: null, dead, or a right.
#[derive(Debug)]
pub enum PortVal {
    /// `MACH_PORT_NULL`.
    Null,
    /// `MACH_PORT_DEAD`.
    Dead,
    /// A right.
    Right(KRight),
}

/// A descriptor in flight.
#[derive(Debug)]
pub enum KDesc {
    /// A port descriptor at `off` (from the start of the message).
    Port {
        /// Offset of the descriptor.
        off: usize,
        /// The received type (`MACH_MSG_TYPE_PORT_*`).
        rtype: MachMsgTypeName,
        /// The right.
        val: PortVal,
    },
    /// Out-of-line memory.
    Ool {
        /// Offset of the descriptor.
        off: usize,
        /// The copy option as sent.
        copy: u32,
        /// The region (`None` for size 0).
        region: Option<Region>,
        /// The size as sent.
        size: u32,
    },
    /// Out-of-line ports.
    OolPorts {
        /// Offset of the descriptor.
        off: usize,
        /// The received type of every element.
        rtype: MachMsgTypeName,
        /// The rights.
        rights: Vec<PortVal>,
    },
}

/// A message in flight.
#[derive(Debug)]
pub struct Kmsg {
    /// `msgh_bits` with the dispositions already translated to received types.
    pub bits: u32,
    /// `msgh_size` (without trailer).
    pub size: u32,
    /// `msgh_id`.
    pub id: i32,
    /// The destination right.
    pub dest: KRight,
    /// The reply right.
    pub reply: PortVal,
    /// The whole message as sent (header included); descriptors are patched on copyout.
    pub bytes: MsgBytes,
    /// The descriptors' contents.
    pub descs: Vec<KDesc>,
    /// Whether the kernel (the emulation) sent it: its trailer then carries the kernel's
    /// tokens instead of the process's.
    pub kernel: bool,
}

/// The largest message kept inside its `Kmsg` rather than in an allocation of its own:
/// room for a header, an NDR record and a few dozen argument bytes, what most MIG calls
/// and replies and every notification send.
pub const INLINE_BYTES: usize = 128;

/// A message's bytes: small ones inline, so queueing one allocates nothing and the
/// receiver finds them on the queue's own lines; larger ones on the heap.
#[derive(Clone)]
pub enum MsgBytes {
    /// At most `INLINE_BYTES` bytes: the first `len` of `buf`.
    Inline {
        /// How many bytes are used.
        len: u8,
        /// The bytes.
        buf: [u8; INLINE_BYTES],
    },
    /// Larger messages.
    Heap(Vec<u8>),
}

impl MsgBytes {
    /// A copy of `b`.
    pub fn copy_of(b: &[u8]) -> MsgBytes {
        match u8::try_from(b.len()) {
            Ok(len) if b.len() <= INLINE_BYTES => {
                let mut buf = [0u8; INLINE_BYTES];
                buf[..b.len()].copy_from_slice(b);
                MsgBytes::Inline { len, buf }
            }
            _ => MsgBytes::Heap(b.to_vec()),
        }
    }
}

impl From<Vec<u8>> for MsgBytes {
    fn from(v: Vec<u8>) -> MsgBytes {
        if v.len() <= INLINE_BYTES {
            MsgBytes::copy_of(&v)
        } else {
            MsgBytes::Heap(v)
        }
    }
}

impl std::ops::Deref for MsgBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            MsgBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            MsgBytes::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for MsgBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            MsgBytes::Inline { len, buf } => &mut buf[..usize::from(*len)],
            MsgBytes::Heap(v) => v,
        }
    }
}

impl std::fmt::Debug for MsgBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The security token of messages the kernel sends (`KERNEL_SECURITY_TOKEN`).
pub const KERNEL_SECURITY_TOKEN: [u32; 2] = [0, 1];

/// The tokens every task of this process sends with: `{euid, egid}` and an audit token of
/// `[auid, euid, egid, ruid, rgid, pid, asid, pidversion]`. All spaces live in one process,
/// so they share them; messages carry only whether the kernel sent them.
pub fn process_tokens() -> &'static ([u32; 2], [u32; 8]) {
    static TOKENS: std::sync::OnceLock<([u32; 2], [u32; 8])> = std::sync::OnceLock::new();
    TOKENS.get_or_init(|| {
        let (uid, gid) = crate::sys::os::effective_ids();
        (
            [uid, gid],
            [uid, uid, gid, uid, gid, std::process::id(), 0, 0],
        )
    })
}

impl Kmsg {
    /// Builds a notification: `id`, sent through the send-once right `notify`, with `arg`
    /// after an NDR record (or no body for `MACH_NOTIFY_SEND_ONCE`).
    pub fn notification(notify: KRight, id: i32, arg: Option<u32>) -> Kmsg {
        let size = if arg.is_some() { 36 } else { 24 };
        let mut bytes = vec![0u8; size];
        if let Some(a) = arg {
            bytes[24..32].copy_from_slice(&NDR_RECORD);
            write_u32(&mut bytes, 32, a);
        }
        Kmsg {
            bits: mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND_ONCE, 0),
            size: size as u32,
            id,
            dest: notify,
            reply: PortVal::Null,
            bytes: bytes.into(),
            descs: Vec::new(),
            kernel: true,
        }
    }
}

/// Work that must run with no lock held.
#[derive(Debug)]
pub enum Deferred {
    /// Release a right.
    Release(Arc<Port>, RightKind),
    /// Send a notification through the right inside it.
    Notify(Kmsg),
    /// Finish a dead-name request on a port that died (the space lock is needed).
    DeadName(port::DnRequest),
}

thread_local! {
    static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// Queues work for the next `flush` on this thread.
pub fn defer(d: Deferred) {
    // A thread being torn down cannot run the work; dropping it then only leaks counts
    // in a process that is exiting that thread anyway.
    let _ = DEFERRED.try_with(|q| q.borrow_mut().push(d));
}

/// Runs deferred work until none is left. Must be called with no lock held.
pub fn flush() {
    loop {
        let next = DEFERRED.try_with(|q| q.borrow_mut().pop()).ok().flatten();
        let Some(d) = next else { return };
        match d {
            Deferred::Release(p, kind) => release(p, kind),
            Deferred::Notify(k) => {
                let dest = k.dest.port().clone();
                if let Some(dead) = port::enqueue_kernel(&dest, k) {
                    drop(dead);
                }
            }
            Deferred::DeadName(req) => super::space::finish_dead_name(req),
        }
    }
}

/// A guard that flushes deferred work when an operation ends.
#[derive(Debug)]
pub struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        flush();
    }
}

fn release(p: Arc<Port>, kind: RightKind) {
    match kind {
        RightKind::Send => {
            if port::count_down(&p.srights) != 1 {
                return;
            }
            let mut st = p.lock();
            if p.send_rights(&st) == 0
                && st.active
                && let Some(so) = st.nsrequest.take()
            {
                let mscount = st.mscount;
                drop(st);
                defer(Deferred::Notify(Kmsg::notification(
                    so,
                    MACH_NOTIFY_NO_SENDERS,
                    Some(mscount),
                )));
            }
        }
        RightKind::SendOnce => {
            let st = p.lock();
            if st.active {
                // The unused send-once right becomes the send-once notification itself,
                // keeping its count until the notification is received or destroyed.
                drop(st);
                let so = KRight::adopt(p, RightKind::SendOnce);
                defer(Deferred::Notify(Kmsg::notification(
                    so,
                    MACH_NOTIFY_SEND_ONCE,
                    None,
                )));
            } else {
                drop(st);
                port::count_down(&p.sorights);
            }
        }
        RightKind::Receive => destroy_port(&p),
    }
}

/// Kills a port whose receive right is gone: wakes its waiters, destroys its queue,
/// fires its dead-name requests and releases its no-senders request.
pub fn destroy_port(p: &Arc<Port>) {
    let (queue, ns, dns, pset, ws) = {
        let mut st = p.lock();
        if !st.active {
            return;
        }
        st.active = false;
        st.receiver_name = 0;
        let mut ws = st.recv_waiters.take();
        ws.extend(st.send_waiters.take());
        let q = std::mem::take(&mut st.queue);
        // The queued messages' destination rights die with them: send rights were the
        // queue's to count, send-once rights are still counted on the port.
        st.queued_sends = 0;
        st.spinner = None;
        for port::Queued(k) in &q {
            if k.dest.kind() == RightKind::SendOnce {
                port::count_down(&p.sorights);
            }
        }
        p.sync_hints(&st);
        (
            q,
            st.nsrequest.take(),
            std::mem::take(&mut st.dnrequests),
            st.pset.take(),
            ws,
        )
    };
    super::park::wake_all(ws);
    if let Some(ps) = pset {
        let ws = {
            let mut pst = ps.lock();
            pst.members.retain(|m| !Arc::ptr_eq(m, p));
            pst.waiters.take()
        };
        super::park::wake_all(ws);
    }
    drop(queue);
    drop(ns);
    for req in dns {
        defer(Deferred::DeadName(req));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bytes_stay_inline_up_to_the_limit_and_read_back_the_same() {
        for len in [0, 24, INLINE_BYTES, INLINE_BYTES + 1, 4096] {
            let src: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut b = MsgBytes::copy_of(&src);
            assert_eq!(matches!(b, MsgBytes::Inline { .. }), len <= INLINE_BYTES);
            assert_eq!(&b[..], &src[..]);
            assert_eq!(&MsgBytes::from(src.clone())[..], &src[..]);
            if len >= 4 {
                write_u32(&mut b, 0, 0xdead_beef);
                assert_eq!(read_u32(&b, 0), Some(0xdead_beef));
                assert_eq!(b.len(), len);
            }
        }
    }
}
