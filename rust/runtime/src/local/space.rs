//! A port name space (an IPC space, one per task): the table from names to rights with
//! user references, and the `mach_port_*` calls over it. Every call that can release a
//! right ends by flushing deferred work (see `kmsg`), with no lock held.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use super::kmsg::{Deferred, FlushOnDrop, KRight, Kmsg, PortVal, RightKind, defer};
use super::port::{DnRequest, Port, PortSetObj};
use super::vm;
use crate::abi::*;
use crate::error::Error;

/// The default most names one space may hold; `Space::with_name_limit` changes it.
pub const NAME_LIMIT_DEFAULT: usize = 1 << 20;

/// A hasher for port names and ids, which are already well spread integers.
#[derive(Default, Debug, Clone, Copy)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// What a name denotes.
#[derive(Clone, Debug)]
pub enum Obj {
    /// A port (send, send-once and/or receive right).
    Port(Arc<Port>),
    /// A port set.
    Pset(Arc<PortSetObj>),
    /// A dead name.
    Dead,
}

/// One name's entry: type bits, user references and the object.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `MACH_PORT_TYPE_*` bits.
    pub bits: MachPortType,
    /// Send or dead-name user references (1 for a send-once right, 0 otherwise).
    pub urefs: u32,
    /// The object.
    pub obj: Obj,
}

impl Entry {
    fn port(&self) -> Option<&Arc<Port>> {
        match &self.obj {
            Obj::Port(p) => Some(p),
            _ => None,
        }
    }
    fn has(&self, bits: MachPortType) -> bool {
        self.bits & bits != 0
    }
}

/// The name table of a space.
#[derive(Debug)]
pub struct Table {
    /// Names to entries.
    pub entries: IntMap<MachPortName, Entry>,
    /// Port ids to the name holding their send and/or receive right.
    pub by_port: IntMap<u64, MachPortName>,
    next_index: u32,
    generation: u32,
    /// The most names the table may hold.
    pub limit: usize,
    /// The name kept for `mach_task_self()` (the space's task handle), never handed out
    /// as a fresh name.
    reserved: MachPortName,
}

impl Table {
    fn new(limit: usize, reserved: MachPortName) -> Table {
        Table {
            entries: IntMap::default(),
            by_port: IntMap::default(),
            next_index: 1,
            generation: 3,
            limit,
            reserved,
        }
    }

    /// A fresh unused name, or `KERN_NO_SPACE`.
    pub fn fresh_name(&mut self) -> Result<MachPortName, Error> {
        if self.entries.len() >= self.limit {
            return Err(Error::NoSpace);
        }
        loop {
            let name = (self.next_index << 8) | (self.generation & 0xff);
            self.next_index += 1;
            if self.next_index >= 0x00ff_ffff {
                self.next_index = 1;
                self.generation = self.generation.wrapping_add(4);
            }
            if name != MACH_PORT_DEAD && name != self.reserved && !self.entries.contains_key(&name)
            {
                return Ok(name);
            }
        }
    }

    /// Converts an entry whose port died into a dead name, as xnu's `ipc_right_check`
    /// does lazily. Returns true when it converted.
    pub fn check_dead(&mut self, name: MachPortName) -> bool {
        let Some(e) = self.entries.get_mut(&name) else {
            return false;
        };
        if e.has(MACH_PORT_TYPE_RECEIVE) || !e.has(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE) {
            return false;
        }
        // The hint is written under the port lock when the port dies, so it is exact
        // enough here: a port dying concurrently is a race the caller cannot see anyway.
        // It is read through a borrow: cloning the port for every check of a live name
        // would write its reference count, a line the receiver's CPU writes too.
        match e.port() {
            Some(p) if !p.is_alive() => {}
            _ => return false,
        }
        let Some(p) = e.port().cloned() else {
            return false;
        };
        if e.has(MACH_PORT_TYPE_SEND) {
            super::port::count_down(&p.srights);
        } else {
            super::port::count_down(&p.sorights);
        }
        let urefs = if e.has(MACH_PORT_TYPE_SEND) {
            e.urefs
        } else {
            1
        };
        e.bits = MACH_PORT_TYPE_DEAD_NAME | (e.bits & MACH_PORT_TYPE_DNREQUEST);
        e.urefs = urefs;
        e.obj = Obj::Dead;
        if self.by_port.get(&p.id) == Some(&name) {
            self.by_port.remove(&p.id);
        }
        true
    }
}

/// A space: its table and what its trailers say about its senders. It takes whole cache
/// lines (128 bytes, the pair a CPU fetches together), so that a thread locking its own
/// space's table never shares a line with another space allocated next to it (a client's
/// and a server's space, made one after the other, are each locked on every `mach_msg`,
/// from two CPUs).
#[derive(Debug)]
#[repr(align(128))]
pub struct SpaceInner {
    /// A process-unique id.
    pub id: u64,
    /// The handle C code names this space by (`migz1_task_self()` and friends).
    pub task: u32,
    table: Mutex<Table>,
    /// How many ports allocated in this space are still alive anywhere.
    pub live_ports: Arc<AtomicUsize>,
    /// Reply ports of finished calls, kept for the next ones (see `Space::pool_reply_port`).
    reply_pool: Mutex<Vec<MachPortName>>,
    /// The task port and the special ports (see `task`).
    special: Mutex<super::task::Special>,
}

impl SpaceInner {
    /// Locks the table (see `Port::lock` on poisoning).
    pub fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the special ports (never while holding the table lock).
    pub fn special(&self) -> MutexGuard<'_, super::task::Special> {
        self.special.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for SpaceInner {
    fn drop(&mut self) {
        let _f = FlushOnDrop;
        tasks().remove(&self.task);
        let t = std::mem::replace(
            self.table.get_mut().unwrap_or_else(|e| e.into_inner()),
            Table::new(0, 0),
        );
        // The task port dies with the space (send rights elsewhere become dead names),
        // and the special ports' rights are released, before the deferred work flushes.
        let special = std::mem::take(self.special.get_mut().unwrap_or_else(|e| e.into_inner()));
        drop(special);
        let me: *const SpaceInner = self;
        for (name, e) in t.entries {
            release_entry(me, name, e);
        }
        vm::release_space(self.id);
    }
}

static NEXT_SPACE: AtomicU64 = AtomicU64::new(1);
static TASKS: Mutex<Option<HashMap<u32, Weak<SpaceInner>>>> = Mutex::new(None);

struct TasksGuard(MutexGuard<'static, Option<HashMap<u32, Weak<SpaceInner>>>>);
impl TasksGuard {
    fn remove(&mut self, task: &u32) {
        if let Some(m) = self.0.as_mut() {
            m.remove(task);
        }
    }
}
fn tasks() -> TasksGuard {
    TasksGuard(TASKS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A port name space with Mach's semantics. Cloning gives another handle to the same space;
/// the space is destroyed, with every right in it, when the last handle goes.
#[derive(Clone, Debug)]
pub struct Space {
    pub(crate) inner: Arc<SpaceInner>,
}

/// What `Space::leaks` found: everything a test should have released.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leaks {
    /// Names still in the table: `(name, type bits, urefs)`.
    pub names: Vec<(MachPortName, MachPortType, u32)>,
    /// Out-of-line regions still owned: `(address, size)`.
    pub regions: Vec<(usize, usize)>,
    /// Ports allocated in this space that are still alive (held by a message, another
    /// space or a cycle).
    pub live_ports: usize,
}

impl Leaks {
    /// Whether nothing leaked.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.regions.is_empty() && self.live_ports == 0
    }
}

/// Options for `Space::port_construct` (`mach_port_options_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortOptions {
    /// `MPO_*` flags.
    pub flags: u32,
    /// The queue limit, used with `MPO_QLIMIT`.
    pub qlimit: u32,
}

impl Default for Space {
    fn default() -> Self {
        Space::new()
    }
}

impl Space {
    /// A new empty space with the default name limit.
    pub fn new() -> Space {
        Space::with_name_limit(NAME_LIMIT_DEFAULT)
    }

    /// A new empty space that holds at most `limit` names (then `KERN_NO_SPACE`).
    pub fn with_name_limit(limit: usize) -> Space {
        let id = NEXT_SPACE.fetch_add(1, Ordering::Relaxed);
        let task = ((id as u32) << 8) | 0x07;
        let inner = Arc::new(SpaceInner {
            id,
            task,
            table: Mutex::new(Table::new(limit, task)),
            live_ports: Arc::new(AtomicUsize::new(0)),
            reply_pool: Mutex::new(Vec::new()),
            special: Mutex::new(super::task::Special::default()),
        });
        tasks()
            .0
            .get_or_insert_with(HashMap::new)
            .insert(task, Arc::downgrade(&inner));
        Space { inner }
    }

    /// The process-wide default space (what `migz1_task_self()` names).
    pub fn global() -> &'static Space {
        static GLOBAL: OnceLock<Space> = OnceLock::new();
        GLOBAL.get_or_init(Space::new)
    }

    /// The handle C code uses for this space.
    pub fn task(&self) -> u32 {
        self.inner.task
    }

    /// The space a task handle names, if it is still alive.
    pub fn from_task(task: u32) -> Option<Space> {
        // The C ABI looks its space up on every call. Each thread remembers the last
        // space it found, so two threads on two CPUs calling `mach_msg` do not bounce the
        // process-wide map's lock between them; a space that has gone no longer upgrades,
        // and then the map answers.
        thread_local! {
            static LAST: std::cell::RefCell<(u32, Weak<SpaceInner>)> =
                const { std::cell::RefCell::new((0, Weak::new())) };
        }
        let cached = LAST.with(|l| {
            let l = l.borrow();
            (l.0 == task).then(|| l.1.upgrade()).flatten()
        });
        if let Some(inner) = cached {
            return Some(Space { inner });
        }
        let inner = {
            let g = tasks();
            g.0.as_ref()?.get(&task)?.upgrade()?
        };
        LAST.with(|l| *l.borrow_mut() = (task, Arc::downgrade(&inner)));
        Some(Space { inner })
    }

    /// A process-unique id.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Whether two handles name the same space.
    pub fn same(&self, other: &Space) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Table> {
        self.inner.lock()
    }

    /// Everything still held: names, regions and live ports.
    pub fn leaks(&self) -> Leaks {
        let _f = FlushOnDrop;
        // Services that are gone release the namespaces' rights to their ports first.
        super::bootstrap::purge_all();
        super::kmsg::flush();
        let mut names: Vec<_> = {
            let mut t = self.lock();
            let all: Vec<MachPortName> = t.entries.keys().copied().collect();
            for n in all {
                t.check_dead(n);
            }
            t.entries
                .iter()
                .map(|(n, e)| (*n, e.bits, e.urefs))
                .collect()
        };
        names.sort();
        // Pooled reply ports belong to the space, not to any caller, as long as they are
        // what the pool took: a bare receive right. A pooled name that holds anything
        // else (a right someone sent or made under it by name) is reported.
        let pooled = self.reply_pool().clone();
        let before = names.len();
        names.retain(|(n, bits, _)| !(pooled.contains(n) && *bits == MACH_PORT_TYPE_RECEIVE));
        // The name `mach_task_self()` returns is the space's own, as on a Mac.
        names.retain(|(n, bits, _)| !self.is_task_self(*n, *bits));
        let hidden = before - names.len();
        Leaks {
            names,
            regions: vm::owned_by(self.inner.id),
            live_ports: self
                .inner
                .live_ports
                .load(Ordering::Acquire)
                .saturating_sub(hidden),
        }
    }

    /// Panics, listing them, when any name, region or port of this space is still held.
    /// Tests end with this, in the spirit of `std.testing.allocator`.
    ///
    /// When no name or region is left but a port object still lives, it waits up to two
    /// seconds for it to go: another thread that just delivered a message or notification
    /// to one of this space's ports may still hold a reference to the port object (not a
    /// right) for a moment. A port that outlives that is reported as leaked.
    #[track_caller]
    pub fn assert_no_leaks(&self) {
        const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);
        let start = std::time::Instant::now();
        let mut l = self.leaks();
        while l.names.is_empty() && l.regions.is_empty() && l.live_ports > 0 {
            if start.elapsed() >= SETTLE {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            l = self.leaks();
        }
        assert!(l.is_empty(), "leaked rights or memory: {l:?}");
    }

    /// Every name with its type bits, sorted.
    pub fn names(&self) -> Vec<(MachPortName, MachPortType)> {
        let mut t = self.lock();
        let all: Vec<MachPortName> = t.entries.keys().copied().collect();
        for n in all {
            t.check_dead(n);
        }
        let mut v: Vec<_> = t.entries.iter().map(|(n, e)| (*n, e.bits)).collect();
        v.sort();
        v
    }

    /// `mach_port_allocate`: a new receive right, port set or dead name.
    pub fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        let mut t = self.lock();
        let name = t.fresh_name()?;
        self.allocate_at(&mut t, right, name)?;
        Ok(name)
    }

    /// `mach_port_allocate_name`: the same under a chosen name.
    pub fn port_allocate_name(
        &self,
        right: MachPortRight,
        name: MachPortName,
    ) -> Result<(), Error> {
        if name == MACH_PORT_NULL || name == MACH_PORT_DEAD {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        if t.entries.contains_key(&name) {
            return Err(Error::NameExists);
        }
        if t.entries.len() >= t.limit {
            return Err(Error::NoSpace);
        }
        self.allocate_at(&mut t, right, name)
    }

    fn allocate_at(
        &self,
        t: &mut Table,
        right: MachPortRight,
        name: MachPortName,
    ) -> Result<(), Error> {
        let e = match right {
            MACH_PORT_RIGHT_RECEIVE => {
                let p = Port::new(self.inner.live_ports.clone());
                p.lock().receiver_name = name;
                t.by_port.insert(p.id, name);
                Entry {
                    bits: MACH_PORT_TYPE_RECEIVE,
                    urefs: 0,
                    obj: Obj::Port(p),
                }
            }
            MACH_PORT_RIGHT_PORT_SET => Entry {
                bits: MACH_PORT_TYPE_PORT_SET,
                urefs: 0,
                obj: Obj::Pset(PortSetObj::new()),
            },
            MACH_PORT_RIGHT_DEAD_NAME => Entry {
                bits: MACH_PORT_TYPE_DEAD_NAME,
                urefs: 1,
                obj: Obj::Dead,
            },
            _ => return Err(Error::InvalidValue),
        };
        t.entries.insert(name, e);
        Ok(())
    }

    /// `mach_port_type`.
    pub fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        let mut t = self.lock();
        t.check_dead(name);
        t.entries
            .get(&name)
            .map(|e| e.bits)
            .ok_or(Error::InvalidName)
    }

    /// `mach_port_get_refs`.
    pub fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        if right >= MACH_PORT_RIGHT_NUMBER {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        t.check_dead(name);
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?;
        let bit = mach_port_type(right);
        Ok(match right {
            MACH_PORT_RIGHT_SEND | MACH_PORT_RIGHT_DEAD_NAME if e.has(bit) => e.urefs,
            _ if e.has(bit) => 1,
            _ => 0,
        })
    }

    /// `mach_port_deallocate`: drops one user reference of a send right, send-once right or
    /// dead name.
    pub fn port_deallocate(&self, name: MachPortName) -> Result<(), Error> {
        let _f = FlushOnDrop;
        let mut t = self.lock();
        t.check_dead(name);
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?;
        let right = if e.has(MACH_PORT_TYPE_SEND) {
            MACH_PORT_RIGHT_SEND
        } else if e.has(MACH_PORT_TYPE_SEND_ONCE) {
            MACH_PORT_RIGHT_SEND_ONCE
        } else if e.has(MACH_PORT_TYPE_DEAD_NAME) {
            MACH_PORT_RIGHT_DEAD_NAME
        } else {
            return Err(Error::InvalidRight);
        };
        self.delta_locked(&mut t, name, right, -1)
    }

    /// `mach_port_mod_refs`.
    pub fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        let _f = FlushOnDrop;
        if right >= MACH_PORT_RIGHT_NUMBER {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        t.check_dead(name);
        self.delta_locked(&mut t, name, right, delta)
    }

    fn delta_locked(
        &self,
        t: &mut Table,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        let e = t.entries.get_mut(&name).ok_or(Error::InvalidName)?;
        let bit = mach_port_type(right);
        if !e.has(bit) {
            return Err(Error::InvalidRight);
        }
        match right {
            MACH_PORT_RIGHT_SEND | MACH_PORT_RIGHT_DEAD_NAME => {
                let new = i64::from(e.urefs) + i64::from(delta);
                if new < 0 {
                    return Err(Error::InvalidValue);
                }
                if new > i64::from(MACH_PORT_UREFS_MAX) {
                    return Err(Error::UrefsOverflow);
                }
                e.urefs = new as u32;
                if new > 0 {
                    return Ok(());
                }
                if right == MACH_PORT_RIGHT_SEND {
                    e.bits &= !MACH_PORT_TYPE_SEND;
                    let p = e.port().cloned().expect("a send right has a port");
                    let keep = e.has(MACH_PORT_TYPE_RECEIVE);
                    self.drop_name_if_empty(t, name, keep, &p);
                    drop(KRight::adopt(p, RightKind::Send));
                } else {
                    t.entries.remove(&name);
                }
                Ok(())
            }
            _ => {
                if !(-1..=0).contains(&delta) {
                    return Err(Error::InvalidValue);
                }
                if delta == 0 {
                    return Ok(());
                }
                match right {
                    MACH_PORT_RIGHT_SEND_ONCE => {
                        let p = e.port().cloned().expect("a send-once right has a port");
                        self.drop_name_if_empty(t, name, false, &p);
                        drop(KRight::adopt(p, RightKind::SendOnce));
                    }
                    MACH_PORT_RIGHT_RECEIVE => {
                        let p = e.port().cloned().expect("a receive right has a port");
                        if p.lock().guarded {
                            return Err(Error::InvalidArgument);
                        }
                        e.bits &= !MACH_PORT_TYPE_RECEIVE;
                        let keep = e.has(MACH_PORT_TYPE_SEND);
                        if !keep {
                            t.entries.remove(&name);
                            t.by_port.remove(&p.id);
                        }
                        drop(KRight::adopt(p, RightKind::Receive));
                        // The send right kept under this name now denotes a dead port;
                        // `check_dead` turns it into a dead name on next use.
                    }
                    MACH_PORT_RIGHT_PORT_SET => {
                        let Some(Entry {
                            obj: Obj::Pset(ps), ..
                        }) = t.entries.remove(&name)
                        else {
                            return Err(Error::InvalidRight);
                        };
                        destroy_pset(&ps);
                    }
                    _ => return Err(Error::InvalidValue),
                }
                Ok(())
            }
        }
    }

    /// Removes `name` once it holds no right (unless `keep`), turning its dead-name request
    /// into a port-deleted notification.
    fn drop_name_if_empty(&self, t: &mut Table, name: MachPortName, keep: bool, p: &Arc<Port>) {
        if keep {
            return;
        }
        let Some(e) = t.entries.remove(&name) else {
            return;
        };
        if t.by_port.get(&p.id) == Some(&name) {
            t.by_port.remove(&p.id);
        }
        if e.has(MACH_PORT_TYPE_DNREQUEST) {
            cancel_dnrequest(&self.inner, name, p, true);
        }
    }

    /// `mach_port_insert_right`: gives this space a right from `src` under `name`. Every
    /// check on `name` happens before the right is taken from `src`, so a failure leaves
    /// both spaces as they were.
    pub fn port_insert_right(
        &self,
        name: MachPortName,
        src: &Space,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        let _f = FlushOnDrop;
        if name == MACH_PORT_NULL || name == MACH_PORT_DEAD {
            return Err(Error::InvalidValue);
        }
        if !matches!(
            disp,
            MACH_MSG_TYPE_MOVE_RECEIVE
                | MACH_MSG_TYPE_MOVE_SEND
                | MACH_MSG_TYPE_COPY_SEND
                | MACH_MSG_TYPE_MAKE_SEND
                | MACH_MSG_TYPE_MOVE_SEND_ONCE
                | MACH_MSG_TYPE_MAKE_SEND_ONCE
        ) {
            return Err(Error::InvalidValue);
        }
        let port = {
            let mut t = src.lock();
            t.check_dead(poly);
            match t.entries.get(&poly) {
                Some(e) => e.port().cloned().ok_or(Error::InvalidRight)?,
                None => return Err(Error::InvalidName),
            }
        };
        let once = matches!(
            disp,
            MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE
        );
        let precheck = |t: &mut Table| -> Result<(), Error> {
            t.check_dead(name);
            match t.entries.get(&name) {
                Some(e) => {
                    let same = e.port().is_some_and(|p| Arc::ptr_eq(p, &port));
                    if !same || once || e.has(MACH_PORT_TYPE_SEND_ONCE) {
                        return Err(Error::NameExists);
                    }
                    if disp == MACH_MSG_TYPE_MOVE_RECEIVE
                        && e.has(MACH_PORT_TYPE_RECEIVE)
                        && !src.same(self)
                    {
                        return Err(Error::RightExists);
                    }
                    if disp != MACH_MSG_TYPE_MOVE_RECEIVE
                        && e.has(MACH_PORT_TYPE_SEND)
                        && e.urefs >= MACH_PORT_UREFS_MAX
                    {
                        return Err(Error::UrefsOverflow);
                    }
                }
                None => {
                    if !once && t.by_port.get(&port.id).is_some_and(|n| *n != name) {
                        return Err(Error::RightExists);
                    }
                    if t.entries.len() >= t.limit {
                        return Err(Error::NoSpace);
                    }
                }
            }
            Ok(())
        };
        if src.same(self) {
            let mut t = self.lock();
            precheck(&mut t)?;
            let val = self.copyin_one(&mut t, poly, disp)?;
            // The precheck ran under the same lock, so this cannot fail; if it somehow
            // did, the right is released rather than leaked.
            self.copyout_at(&mut t, name, val).map_err(|(e, _)| e)
        } else {
            precheck(&mut self.lock())?;
            let val = {
                let mut t = src.lock();
                src.copyin_one(&mut t, poly, disp)?
            };
            let mut t = self.lock();
            self.copyout_at(&mut t, name, val).map_err(|(e, _)| e)
        }
    }

    /// `mach_port_extract_right`: takes a right out of this space and gives it to `into`,
    /// returning its name there and the received type.
    pub fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
        into: &Space,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        let _f = FlushOnDrop;
        // Refuse before taking anything when the destination table is full (a merge into an
        // existing name would not need room, but refusing it too keeps this check simple).
        {
            let t = into.lock();
            if t.entries.len() >= t.limit {
                return Err(Error::NoSpace);
            }
        }
        let val = {
            let mut t = self.lock();
            self.copyin_one(&mut t, name, disp)?
        };
        let rtype = match &val {
            PortVal::Right(r) => r.kind().received_type(),
            _ => disp_received_type(disp),
        };
        let mut t = into.lock();
        match into.copyout_new(&mut t, val) {
            Ok(n) => Ok((n, rtype)),
            Err(e) => Err(e),
        }
    }

    /// Takes one right out of the table for a kernel call (not a message).
    pub(crate) fn copyin_one(
        &self,
        t: &mut Table,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<PortVal, Error> {
        let mut cx = super::msg::Copyin::new(&self.inner);
        match cx.right(t, name, disp, false) {
            Ok(taken) => {
                let v = cx.commit_one(t, taken);
                Ok(v)
            }
            Err(_) => {
                cx.rollback(t);
                t.check_dead(name);
                match t.entries.get(&name) {
                    None => Err(Error::InvalidName),
                    Some(_) => Err(Error::InvalidRight),
                }
            }
        }
    }

    /// Gives a right a fresh name (or merges it), as a receive does.
    pub(crate) fn copyout_new(&self, t: &mut Table, val: PortVal) -> Result<MachPortName, Error> {
        super::msg::copyout_right(t, val).map_err(|(e, _)| e)
    }

    /// Gives a right the name `name`, merging with what the name already denotes when it
    /// is the same port.
    pub(crate) fn copyout_at(
        &self,
        t: &mut Table,
        name: MachPortName,
        val: PortVal,
    ) -> Result<(), (Error, PortVal)> {
        let PortVal::Right(r) = val else {
            return Err((Error::InvalidValue, val));
        };
        t.check_dead(name);
        let port = r.port().clone();
        if let Some(&other) = t.by_port.get(&port.id)
            && other != name
            && r.kind() != RightKind::SendOnce
        {
            return Err((Error::RightExists, PortVal::Right(r)));
        }
        match t.entries.get_mut(&name) {
            Some(e) => {
                let same = e.port().is_some_and(|p| Arc::ptr_eq(p, &port));
                if !same || r.kind() == RightKind::SendOnce || e.has(MACH_PORT_TYPE_SEND_ONCE) {
                    return Err((Error::NameExists, PortVal::Right(r)));
                }
                match r.kind() {
                    RightKind::Send => {
                        if e.has(MACH_PORT_TYPE_SEND) {
                            if e.urefs >= MACH_PORT_UREFS_MAX {
                                return Err((Error::UrefsOverflow, PortVal::Right(r)));
                            }
                            e.urefs += 1;
                            drop(r);
                        } else {
                            e.bits |= MACH_PORT_TYPE_SEND;
                            e.urefs = 1;
                            r.disarm();
                        }
                    }
                    RightKind::Receive => {
                        if e.has(MACH_PORT_TYPE_RECEIVE) {
                            return Err((Error::RightExists, PortVal::Right(r)));
                        }
                        e.bits |= MACH_PORT_TYPE_RECEIVE;
                        port.lock().receiver_name = name;
                        r.disarm();
                    }
                    RightKind::SendOnce => {
                        unreachable!("send-once rights never merge, refused above")
                    }
                }
                Ok(())
            }
            None => {
                if t.entries.len() >= t.limit {
                    return Err((Error::NoSpace, PortVal::Right(r)));
                }
                let kind = r.kind();
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
                Ok(())
            }
        }
    }

    fn receive_port(&self, t: &mut Table, name: MachPortName) -> Result<Arc<Port>, Error> {
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?;
        if !e.has(MACH_PORT_TYPE_RECEIVE) {
            return Err(Error::InvalidRight);
        }
        Ok(e.port().cloned().expect("a receive right has a port"))
    }

    /// `mach_port_construct`: a receive right with options and a context (or guard).
    pub fn port_construct(
        &self,
        options: &PortOptions,
        context: u64,
    ) -> Result<MachPortName, Error> {
        let known =
            MPO_CONTEXT_AS_GUARD | MPO_QLIMIT | MPO_INSERT_SEND_RIGHT | MPO_STRICT | MPO_IGNORED;
        if options.flags & !known != 0 {
            return Err(Error::InvalidArgument);
        }
        if options.flags & MPO_QLIMIT != 0 && options.qlimit > MACH_PORT_QLIMIT_MAX {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        if options.flags & MPO_INSERT_SEND_RIGHT != 0 && t.entries.len() >= t.limit {
            return Err(Error::NoSpace);
        }
        let name = t.fresh_name()?;
        self.allocate_at(&mut t, MACH_PORT_RIGHT_RECEIVE, name)?;
        let p = self.receive_port(&mut t, name)?;
        {
            let mut st = p.lock();
            st.context = context;
            if options.flags & MPO_CONTEXT_AS_GUARD != 0 {
                st.guarded = true;
                st.strict = options.flags & MPO_STRICT != 0;
            }
            if options.flags & MPO_QLIMIT != 0 {
                st.qlimit = options.qlimit;
            }
            if options.flags & MPO_INSERT_SEND_RIGHT != 0 {
                st.mscount += 1;
                p.srights.fetch_add(1, Ordering::AcqRel);
            }
            p.sync_hints(&st);
        }
        if options.flags & MPO_INSERT_SEND_RIGHT != 0 {
            let e = t.entries.get_mut(&name).expect("just inserted");
            e.bits |= MACH_PORT_TYPE_SEND;
            e.urefs = 1;
        }
        Ok(name)
    }

    /// `mach_port_destruct`: destroys a receive right, checking its guard, and adjusts the
    /// send references under the same name by `srdelta` (zero or negative).
    pub fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        let _f = FlushOnDrop;
        if srdelta > 0 {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        {
            let st = p.lock();
            if st.guarded && st.context != guard {
                return Err(Error::InvalidArgument);
            }
        }
        if srdelta < 0 {
            let e = t.entries.get(&name).expect("checked above");
            if !e.has(MACH_PORT_TYPE_SEND) || e.urefs < srdelta.unsigned_abs() {
                return Err(Error::InvalidValue);
            }
            self.delta_locked(&mut t, name, MACH_PORT_RIGHT_SEND, srdelta)?;
        }
        p.lock().guarded = false;
        self.delta_locked(&mut t, name, MACH_PORT_RIGHT_RECEIVE, -1)
    }

    /// `mach_port_guard`.
    pub fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        let mut st = p.lock();
        if st.guarded {
            return Err(Error::InvalidArgument);
        }
        st.guarded = true;
        st.strict = strict;
        st.context = guard;
        Ok(())
    }

    /// `mach_port_unguard`.
    pub fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        let mut st = p.lock();
        if !st.guarded || st.context != guard {
            return Err(Error::InvalidArgument);
        }
        st.guarded = false;
        st.strict = false;
        st.context = 0;
        Ok(())
    }

    /// `mach_port_get_context`.
    pub fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        let st = p.lock();
        Ok(st.context)
    }

    /// `mach_port_set_context` (refused on a guarded port: the context is the guard).
    pub fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        let mut st = p.lock();
        if st.guarded {
            return Err(Error::InvalidArgument);
        }
        st.context = context;
        Ok(())
    }

    /// `mach_port_get_srights`: how many send rights to the port of the receive right
    /// `name` exist, in any space or message.
    pub fn port_get_srights(&self, name: MachPortName) -> Result<u32, Error> {
        let t = self.lock();
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?;
        if !e.has(MACH_PORT_TYPE_RECEIVE) {
            return Err(Error::InvalidRight);
        }
        let p = e.port().ok_or(Error::InvalidRight)?;
        let st = p.lock();
        Ok(p.send_rights(&st))
    }

    /// `mach_port_set_mscount`.
    pub fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        p.lock().mscount = mscount;
        Ok(())
    }

    /// `mach_port_set_attributes` for `MACH_PORT_LIMITS_INFO` (the queue limit).
    pub fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        match flavor {
            MACH_PORT_LIMITS_INFO => {
                let &[q, ..] = info else {
                    return Err(Error::InvalidValue);
                };
                if q > MACH_PORT_QLIMIT_MAX {
                    return Err(Error::InvalidValue);
                }
                let ws = {
                    let mut st = p.lock();
                    st.qlimit = q;
                    p.sync_hints(&st);
                    st.send_waiters.take()
                };
                drop(t);
                super::park::wake_all(ws);
                Ok(())
            }
            _ => Err(Error::InvalidValue),
        }
    }

    /// `mach_port_get_attributes` for `MACH_PORT_LIMITS_INFO` and `MACH_PORT_RECEIVE_STATUS`;
    /// returns how many naturals it wrote.
    pub fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        let mut t = self.lock();
        let p = self.receive_port(&mut t, name)?;
        let st = p.lock();
        match flavor {
            MACH_PORT_LIMITS_INFO => {
                let Some(slot) = info.first_mut() else {
                    return Err(Error::Failure);
                };
                *slot = st.qlimit;
                Ok(MACH_PORT_LIMITS_INFO_COUNT)
            }
            MACH_PORT_RECEIVE_STATUS => {
                if info.len() < MACH_PORT_RECEIVE_STATUS_COUNT as usize {
                    return Err(Error::Failure);
                }
                let pset_name = match &st.pset {
                    Some(ps) => t
                        .entries
                        .iter()
                        .find(|(_, e)| matches!(&e.obj, Obj::Pset(x) if Arc::ptr_eq(x, ps)))
                        .map(|(n, _)| *n)
                        .unwrap_or(0),
                    None => 0,
                };
                let status = [
                    pset_name,
                    st.seqno,
                    st.mscount,
                    st.qlimit,
                    st.queue.len() as u32,
                    p.sorights.load(Ordering::Acquire),
                    u32::from(p.send_rights(&st) > 0),
                    0,
                    u32::from(st.nsrequest.is_some()),
                    0,
                ];
                info[..10].copy_from_slice(&status);
                Ok(MACH_PORT_RECEIVE_STATUS_COUNT)
            }
            _ => Err(Error::InvalidValue),
        }
    }

    /// `mach_port_move_member`: moves a receive right into the port set `after`, or out of
    /// any set when `after` is `MACH_PORT_NULL`.
    pub fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        let t = self.lock();
        let e = t.entries.get(&member).ok_or(Error::InvalidName)?;
        if !e.has(MACH_PORT_TYPE_RECEIVE) {
            return Err(Error::InvalidRight);
        }
        let p = e.port().cloned().expect("a receive right has a port");
        let target = if after == MACH_PORT_NULL {
            None
        } else {
            match t.entries.get(&after) {
                Some(Entry {
                    obj: Obj::Pset(ps), ..
                }) => Some(ps.clone()),
                Some(_) => return Err(Error::InvalidRight),
                None => return Err(Error::InvalidName),
            }
        };
        let old = p.lock().pset.take();
        if let Some(old) = &old {
            old.lock().members.retain(|m| !Arc::ptr_eq(m, &p));
        }
        if target.is_none() && old.is_none() {
            return Err(Error::NotInSet);
        }
        if let Some(ps) = target {
            let ws = {
                let mut pst = ps.lock();
                pst.members.push(p.clone());
                p.lock().pset = Some(ps.clone());
                pst.waiters.take()
            };
            super::park::wake_all(ws);
        }
        Ok(())
    }

    /// `mach_port_request_notification`: registers `notify` (a name with disposition
    /// `notify_disp`, which must make or move a send-once right) for `msgid` on `name` and
    /// returns the previously registered send-once right's name (or `MACH_PORT_NULL`).
    pub fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        notify_disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        let _f = FlushOnDrop;
        if notify != MACH_PORT_NULL
            && !matches!(
                notify_disp,
                MACH_MSG_TYPE_MAKE_SEND_ONCE | MACH_MSG_TYPE_MOVE_SEND_ONCE
            )
        {
            return Err(Error::InvalidValue);
        }
        let mut t = self.lock();
        t.check_dead(name);
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?.clone();
        // Validate everything about `name` before taking the notify right.
        match msgid {
            MACH_NOTIFY_NO_SENDERS => {
                if !e.has(MACH_PORT_TYPE_RECEIVE) {
                    return Err(Error::InvalidRight);
                }
            }
            MACH_NOTIFY_DEAD_NAME => {
                if e.has(MACH_PORT_TYPE_DEAD_NAME) {
                    if sync == 0 {
                        return Err(Error::InvalidArgument);
                    }
                } else if !e
                    .has(MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_RECEIVE)
                {
                    return Err(Error::InvalidRight);
                }
            }
            _ => return Err(Error::InvalidValue),
        }
        let so = if notify == MACH_PORT_NULL {
            None
        } else {
            match self.copyin_one(&mut t, notify, notify_disp) {
                Ok(PortVal::Right(r)) => Some(r),
                Ok(_) => None,
                Err(_) => return Err(Error::Other(KERN_INVALID_CAPABILITY)),
            }
        };
        match self.request_notification_locked(&mut t, name, msgid, sync, &e, so) {
            None => Ok(MACH_PORT_NULL),
            Some(r) => self.copyout_new(&mut t, PortVal::Right(r)),
        }
    }

    /// `mach_port_request_notification` with the notify right already taken (from a
    /// message to the task port), giving back the previous send-once right rather than
    /// naming it: `so` is released, which sends its send-once notification, when the
    /// request is refused.
    pub(crate) fn port_request_notification_with(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        so: Option<KRight>,
    ) -> Result<Option<KRight>, Error> {
        let _f = FlushOnDrop;
        let mut t = self.lock();
        t.check_dead(name);
        let e = t.entries.get(&name).ok_or(Error::InvalidName)?.clone();
        match msgid {
            MACH_NOTIFY_NO_SENDERS if !e.has(MACH_PORT_TYPE_RECEIVE) => {
                return Err(Error::InvalidRight);
            }
            MACH_NOTIFY_NO_SENDERS => {}
            MACH_NOTIFY_DEAD_NAME if e.has(MACH_PORT_TYPE_DEAD_NAME) && sync == 0 => {
                return Err(Error::InvalidArgument);
            }
            MACH_NOTIFY_DEAD_NAME
                if !e.has(
                    MACH_PORT_TYPE_DEAD_NAME
                        | MACH_PORT_TYPE_SEND
                        | MACH_PORT_TYPE_SEND_ONCE
                        | MACH_PORT_TYPE_RECEIVE,
                ) =>
            {
                return Err(Error::InvalidRight);
            }
            MACH_NOTIFY_DEAD_NAME => {}
            _ => return Err(Error::InvalidValue),
        }
        if so.as_ref().is_some_and(|r| r.kind() != RightKind::SendOnce) {
            return Err(Error::Other(KERN_INVALID_CAPABILITY));
        }
        Ok(self.request_notification_locked(&mut t, name, msgid, sync, &e, so))
    }

    /// The second half of `port_request_notification`, once `name` (whose entry is `e`)
    /// was checked and the notify right taken.
    fn request_notification_locked(
        &self,
        t: &mut Table,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        e: &Entry,
        so: Option<KRight>,
    ) -> Option<KRight> {
        match msgid {
            MACH_NOTIFY_NO_SENDERS => {
                let p = e.port().cloned().expect("a receive right has a port");
                let mut st = p.lock();
                let prev = std::mem::replace(&mut st.nsrequest, so);
                if st.nsrequest.is_some() && p.send_rights(&st) == 0 && st.mscount >= sync {
                    let so = st.nsrequest.take().expect("just checked");
                    let mscount = st.mscount;
                    drop(st);
                    defer(Deferred::Notify(Kmsg::notification(
                        so,
                        MACH_NOTIFY_NO_SENDERS,
                        Some(mscount),
                    )));
                }
                prev
            }
            _ => {
                if e.has(MACH_PORT_TYPE_DEAD_NAME) {
                    // Already dead: the notification goes out now and the name gains the
                    // reference the notification carries.
                    let ent = t.entries.get_mut(&name).expect("exists");
                    if let Some(so) = so {
                        if ent.urefs < MACH_PORT_UREFS_MAX {
                            ent.urefs += 1;
                        }
                        defer(Deferred::Notify(Kmsg::notification(
                            so,
                            MACH_NOTIFY_DEAD_NAME,
                            Some(name),
                        )));
                    }
                    None
                } else {
                    let p = e.port().cloned().expect("a live right has a port");
                    let prev = cancel_dnrequest(&self.inner, name, &p, false);
                    let ent = t.entries.get_mut(&name).expect("exists");
                    match so {
                        Some(so) => {
                            let mut st = p.lock();
                            if st.active {
                                st.dnrequests.push(DnRequest {
                                    space: Arc::downgrade(&self.inner),
                                    name,
                                    notify: so,
                                });
                                ent.bits |= MACH_PORT_TYPE_DNREQUEST;
                            } else {
                                drop(st);
                                defer(Deferred::DeadName(DnRequest {
                                    space: Arc::downgrade(&self.inner),
                                    name,
                                    notify: so,
                                }));
                                ent.bits |= MACH_PORT_TYPE_DNREQUEST;
                            }
                        }
                        None => ent.bits &= !MACH_PORT_TYPE_DNREQUEST,
                    }
                    prev
                }
            }
        }
    }

    /// `vm_allocate` with `VM_FLAGS_ANYWHERE`: a zeroed, page-aligned region this space owns.
    pub fn vm_allocate(&self, size: usize) -> Result<usize, Error> {
        if size == 0 || size > vm::REGION_SIZE_MAX {
            return Err(Error::InvalidArgument);
        }
        let r =
            crate::sys::mem::Region::zeroed(size).ok_or(Error::Other(KERN_RESOURCE_SHORTAGE))?;
        Ok(vm::insert(r, self.inner.id))
    }

    /// `vm_deallocate`: frees a region this space owns (the whole region; `size` may not
    /// exceed it). A size of 0 is a no-op, as in xnu.
    pub fn vm_deallocate(&self, addr: usize, size: usize) -> Result<(), Error> {
        if size == 0 {
            return Ok(());
        }
        if vm::deallocate(addr, size, self.inner.id) {
            Ok(())
        } else {
            Err(Error::InvalidAddress)
        }
    }

    /// Reads or writes a region this space owns (the safe way to fill or read OOL memory).
    pub fn with_region<R>(&self, addr: usize, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, Error> {
        vm::with_region(addr, self.inner.id, f).ok_or(Error::InvalidAddress)
    }

    fn reply_pool(&self) -> MutexGuard<'_, Vec<MachPortName>> {
        self.inner
            .reply_pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// A reply port kept by `pool_reply_port`, if any: a receive right under a name no
    /// other right shares, with no message queued and no send-once right outstanding.
    pub fn take_pooled_reply_port(&self) -> Option<MachPortName> {
        let name = self.reply_pool().pop()?;
        // The name is still the pool's receive right unless someone misused it by name.
        match self.port_type(name) {
            Ok(MACH_PORT_TYPE_RECEIVE) => Some(name),
            _ => None,
        }
    }

    /// Keeps the receive right `name` for a later call instead of destroying it: the caller
    /// vouches that the one send-once right made for its call has been used (its reply, or
    /// the send-once notification, was received) and nothing else names the port. Gives
    /// the name back when the pool is full (`REPLY_POOL_MAX`), to be destroyed.
    pub fn pool_reply_port(&self, name: MachPortName) -> Result<(), MachPortName> {
        let mut pool = self.reply_pool();
        if pool.len() >= REPLY_POOL_MAX {
            return Err(name);
        }
        pool.push(name);
        Ok(())
    }

    /// `mig_get_reply_port`: this thread's reply port in this space, allocated on first use.
    pub fn mig_get_reply_port(&self) -> Result<MachPortName, Error> {
        let id = self.inner.id;
        if let Some(n) = REPLY.with(|r| r.borrow().get(&id).copied())
            && self
                .port_type(n)
                .is_ok_and(|b| b & MACH_PORT_TYPE_RECEIVE != 0)
        {
            return Ok(n);
        }
        let n = self.port_allocate(MACH_PORT_RIGHT_RECEIVE)?;
        REPLY.with(|r| r.borrow_mut().insert(id, n));
        Ok(n)
    }

    /// `mig_dealloc_reply_port`: destroys this thread's reply port (after a failed call
    /// left it in an unknown state).
    pub fn mig_dealloc_reply_port(&self, name: MachPortName) -> Result<(), Error> {
        let id = self.inner.id;
        let cached = REPLY.with(|r| r.borrow().get(&id).copied());
        if cached == Some(name) {
            REPLY.with(|r| r.borrow_mut().remove(&id));
        }
        self.port_mod_refs(name, MACH_PORT_RIGHT_RECEIVE, -1)
    }

    /// `mig_put_reply_port`: gives the reply port back after use (it stays cached).
    pub fn mig_put_reply_port(&self, _name: MachPortName) {}
}

/// How many reply ports a space keeps for reuse by typed clients.
pub const REPLY_POOL_MAX: usize = 32;

thread_local! {
    static REPLY: std::cell::RefCell<HashMap<u64, MachPortName>> = std::cell::RefCell::new(HashMap::new());
}

/// The received type of a disposition (what a receiver sees for it).
pub fn disp_received_type(disp: MachMsgTypeName) -> MachMsgTypeName {
    match disp {
        MACH_MSG_TYPE_MOVE_RECEIVE => MACH_MSG_TYPE_PORT_RECEIVE,
        MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_COPY_SEND | MACH_MSG_TYPE_MAKE_SEND => {
            MACH_MSG_TYPE_PORT_SEND
        }
        MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE => MACH_MSG_TYPE_PORT_SEND_ONCE,
        other => other,
    }
}

/// Removes the dead-name request `name` in `space` holds on `p`. With `deleted`, the name
/// is gone and a port-deleted notification goes out; otherwise the request's send-once
/// right is returned to the caller.
pub fn cancel_dnrequest(
    space: &Arc<SpaceInner>,
    name: MachPortName,
    p: &Arc<Port>,
    deleted: bool,
) -> Option<KRight> {
    let req = {
        let mut st = p.lock();
        let i = st
            .dnrequests
            .iter()
            .position(|r| r.name == name && r.space.as_ptr() == Arc::as_ptr(space))?;
        st.dnrequests.swap_remove(i)
    };
    if deleted {
        defer(Deferred::Notify(Kmsg::notification(
            req.notify,
            MACH_NOTIFY_PORT_DELETED,
            Some(name),
        )));
        None
    } else {
        Some(req.notify)
    }
}

/// Finishes a dead-name request after its port died: the name becomes a dead name with one
/// more user reference and the notification is sent.
pub fn finish_dead_name(req: DnRequest) {
    let DnRequest {
        space,
        name,
        notify,
    } = req;
    let Some(space) = space.upgrade() else { return };
    let fire = {
        let mut t = space.lock();
        t.check_dead(name);
        match t.entries.get_mut(&name) {
            Some(e) if e.has(MACH_PORT_TYPE_DEAD_NAME) && e.has(MACH_PORT_TYPE_DNREQUEST) => {
                e.bits &= !MACH_PORT_TYPE_DNREQUEST;
                if e.urefs < MACH_PORT_UREFS_MAX {
                    e.urefs += 1;
                }
                true
            }
            _ => false,
        }
    };
    if fire {
        defer(Deferred::Notify(Kmsg::notification(
            notify,
            MACH_NOTIFY_DEAD_NAME,
            Some(name),
        )));
    }
}

/// Destroys a port set: its members leave it and its waiters learn it died.
pub fn destroy_pset(ps: &Arc<PortSetObj>) {
    let (members, ws) = {
        let mut st = ps.lock();
        st.active = false;
        (std::mem::take(&mut st.members), st.waiters.take())
    };
    for m in members {
        let mut st = m.lock();
        if st.pset.as_ref().is_some_and(|x| Arc::ptr_eq(x, ps)) {
            st.pset = None;
        }
    }
    super::park::wake_all(ws);
}

/// Releases every right an entry holds (its space is going away); a dead-name request on
/// it turns into a port-deleted notification, as in xnu's space teardown.
fn release_entry(space: *const SpaceInner, name: MachPortName, e: Entry) {
    match e.obj {
        Obj::Port(p) => {
            if e.bits & MACH_PORT_TYPE_DNREQUEST != 0 {
                let mut st = p.lock();
                if let Some(i) = st
                    .dnrequests
                    .iter()
                    .position(|r| r.name == name && r.space.as_ptr() == space)
                {
                    let req = st.dnrequests.swap_remove(i);
                    defer(Deferred::Notify(Kmsg::notification(
                        req.notify,
                        MACH_NOTIFY_PORT_DELETED,
                        Some(name),
                    )));
                }
            }
            if e.bits & MACH_PORT_TYPE_SEND != 0 {
                drop(KRight::adopt(p.clone(), RightKind::Send));
            }
            if e.bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                drop(KRight::adopt(p.clone(), RightKind::SendOnce));
            }
            if e.bits & MACH_PORT_TYPE_RECEIVE != 0 {
                drop(KRight::adopt(p, RightKind::Receive));
            }
        }
        Obj::Pset(ps) => destroy_pset(&ps),
        Obj::Dead => {}
    }
}
