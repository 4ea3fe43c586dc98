//! The emulation's bootstrap server: a namespace of services with launchd's answers,
//! reached through a send right to the namespace's port, as a Mac program reaches
//! launchd through its bootstrap port (`TASK_BOOTSTRAP_PORT`).
//!
//! A service is a name with one of three states. *Declared* (`bootstrap_create_service`,
//! or `Bootstrap::declare`, the emulation's stand-in for a launchd plist): the namespace
//! holds the receive right, look-ups get send rights and messages wait in the queue until
//! the owner checks in. *Checked in*: the owner's space holds the receive right and the
//! namespace a send right. *Registered* (`bootstrap_register`): the namespace holds the
//! send right it was given. The owner is the space that declared, checked in or
//! registered the name; other spaces get `BOOTSTRAP_NOT_PRIVILEGED` for it.
//!
//! A service whose port died (its receive right was destroyed, say with its space) is
//! gone: the name is unknown again and can be checked in anew, and the send rights
//! clients looked up are dead names. So is a registered service whose owner space is
//! gone. The namespace notices both lazily, at its next call or leak check, which is what
//! a client can observe anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use super::kmsg::{FlushOnDrop, KRight, PortVal, RightKind};
use super::port::Port;
use super::space::{Obj, Space, SpaceInner};
use super::task::{KObject, copy_send, kernel_port, make_send};
use crate::abi::*;

/// The most services one namespace holds (then `BOOTSTRAP_NO_MEMORY`).
pub const SERVICES_MAX: usize = 4096;

#[derive(Debug)]
enum State {
    /// Declared: the namespace holds the receive right until the owner checks in.
    Declared(KRight),
    /// Checked in: the namespace holds a send right, the owner the receive right.
    CheckedIn(KRight),
    /// Registered: the namespace holds the send right it was given.
    Registered(KRight),
}

#[derive(Debug)]
struct Service {
    owner: Weak<SpaceInner>,
    state: State,
}

impl Service {
    /// Whether the service is gone: its port died, or a registration's owner did.
    fn gone(&self) -> bool {
        match &self.state {
            State::Declared(_) => false,
            State::CheckedIn(r) => !r.port().is_alive(),
            State::Registered(r) => !r.port().is_alive() || self.owner.strong_count() == 0,
        }
    }

    fn owned_by(&self, space: &Arc<SpaceInner>) -> bool {
        std::ptr::eq(self.owner.as_ptr(), Arc::as_ptr(space))
    }
}

/// One namespace: its port and its services.
#[derive(Debug)]
pub struct Namespace {
    port: Arc<Port>,
    /// The port's receive right (taken when the namespace goes, so the port dies then).
    receive: Option<KRight>,
    services: Mutex<HashMap<Vec<u8>, Service>>,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _f = FlushOnDrop;
        let services = std::mem::take(self.services.get_mut().unwrap_or_else(|e| e.into_inner()));
        drop(services);
        drop(self.receive.take());
    }
}

impl Namespace {
    fn services(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Service>> {
        self.services.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the services that are gone.
    fn purge(services: &mut HashMap<Vec<u8>, Service>) {
        services.retain(|_, s| !s.gone());
    }

    fn look_up(&self, name: &[u8]) -> Result<KRight, KernReturn> {
        let mut s = self.services();
        Self::purge(&mut s);
        match s.get(name).map(|svc| &svc.state) {
            None => Err(BOOTSTRAP_UNKNOWN_SERVICE),
            Some(State::Declared(recv)) => Ok(make_send(recv.port())),
            Some(State::CheckedIn(send) | State::Registered(send)) => Ok(copy_send(send)),
        }
    }

    fn check_in(&self, space: &Space, name: &[u8]) -> Result<KRight, KernReturn> {
        let mut s = self.services();
        Self::purge(&mut s);
        match s.get_mut(name) {
            None => {
                // An unknown name becomes the caller's, checked in at once, as launchd
                // does for a process that is not one of its declared jobs.
                let p = Port::new(space.inner.live_ports.clone());
                let send = make_send(&p);
                let receive = KRight::adopt(p, RightKind::Receive);
                Self::add(&mut s, space, name, State::CheckedIn(send))?;
                Ok(receive)
            }
            Some(svc) if !svc.owned_by(&space.inner) => Err(BOOTSTRAP_NOT_PRIVILEGED),
            Some(svc) => match &svc.state {
                State::Declared(recv) => {
                    let send = make_send(recv.port());
                    let State::Declared(recv) =
                        std::mem::replace(&mut svc.state, State::CheckedIn(send))
                    else {
                        unreachable!("matched as declared just above")
                    };
                    Ok(recv)
                }
                State::CheckedIn(_) | State::Registered(_) => Err(BOOTSTRAP_SERVICE_ACTIVE),
            },
        }
    }

    fn register(&self, space: &Space, name: &[u8], send: Option<KRight>) -> Result<(), KernReturn> {
        let mut s = self.services();
        Self::purge(&mut s);
        match s.get(name) {
            Some(svc) if !svc.owned_by(&space.inner) => Err(BOOTSTRAP_NOT_PRIVILEGED),
            // A declared service's owner must check in, not register (launchd says so).
            Some(Service {
                state: State::Declared(_),
                ..
            }) => Err(BOOTSTRAP_NOT_PRIVILEGED),
            Some(_) => Err(BOOTSTRAP_SERVICE_ACTIVE),
            None => {
                let Some(send) = send else { return Ok(()) };
                Self::add(&mut s, space, name, State::Registered(send))
            }
        }
    }

    fn create_service(&self, space: &Space, name: &[u8]) -> Result<KRight, KernReturn> {
        let mut s = self.services();
        Self::purge(&mut s);
        if s.contains_key(name) {
            return Err(BOOTSTRAP_NAME_IN_USE);
        }
        let p = Port::new(space.inner.live_ports.clone());
        let send = make_send(&p);
        Self::add(
            &mut s,
            space,
            name,
            State::Declared(KRight::adopt(p, RightKind::Receive)),
        )?;
        Ok(send)
    }

    /// Adds `name`, not yet in `services`, as `space`'s service in `state`, within the
    /// namespace's limit; over it the state (and the rights it holds) is released.
    fn add(
        services: &mut HashMap<Vec<u8>, Service>,
        space: &Space,
        name: &[u8],
        state: State,
    ) -> Result<(), KernReturn> {
        if services.len() >= SERVICES_MAX {
            return Err(BOOTSTRAP_NO_MEMORY);
        }
        let owner = Arc::downgrade(&space.inner);
        services.insert(name.to_vec(), Service { owner, state });
        Ok(())
    }
}

/// Every namespace, so a leak check can make each forget its services that are gone.
static NAMESPACES: Mutex<Vec<Weak<Namespace>>> = Mutex::new(Vec::new());

/// Makes every namespace forget the services that are gone, releasing its rights to
/// their ports (called by `Space::leaks`, so a dead service's port is not counted alive).
pub(crate) fn purge_all() {
    let all: Vec<Arc<Namespace>> = {
        let mut v = NAMESPACES.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|w| w.strong_count() > 0);
        v.iter().filter_map(Weak::upgrade).collect()
    };
    for ns in all {
        Namespace::purge(&mut ns.services());
    }
}

/// A bootstrap namespace of the emulation (a launchd of its own). Cloning gives another
/// handle; the namespace, its port and the rights it holds go with the last handle, and
/// send rights to its port become dead names.
#[derive(Clone, Debug)]
pub struct Bootstrap {
    inner: Arc<Namespace>,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap::new()
    }
}

impl Bootstrap {
    /// A new empty namespace. Tests give each of their spaces one with
    /// `Space::set_bootstrap`, so their names cannot meet another test's.
    pub fn new() -> Bootstrap {
        let inner = Arc::new_cyclic(|w: &Weak<Namespace>| {
            let receive = kernel_port(KObject::Bootstrap(w.clone()));
            Namespace {
                port: receive.port().clone(),
                receive: Some(receive),
                services: Mutex::new(HashMap::new()),
            }
        });
        NAMESPACES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&inner));
        Bootstrap { inner }
    }

    /// The namespace every space has as its bootstrap port until one is set: the
    /// process's launchd.
    pub fn global() -> &'static Bootstrap {
        static GLOBAL: OnceLock<Bootstrap> = OnceLock::new();
        GLOBAL.get_or_init(Bootstrap::new)
    }

    /// The namespace's port.
    pub(crate) fn port(&self) -> &Arc<Port> {
        &self.inner.port
    }

    /// Declares the service `name` for `owner`, as a launchd plist does: the namespace
    /// holds its receive right, look-ups succeed at once and their messages wait until
    /// `owner` checks in. `BOOTSTRAP_NAME_IN_USE` when the name is taken.
    pub fn declare(&self, owner: &Space, name: &str) -> Result<(), KernReturn> {
        let _f = FlushOnDrop;
        check_name(name.as_bytes())?;
        drop(self.inner.create_service(owner, name.as_bytes())?);
        Ok(())
    }

    /// The names of the services alive now, sorted.
    pub fn services(&self) -> Vec<String> {
        let mut s = self.inner.services();
        Namespace::purge(&mut s);
        let mut v: Vec<String> = s
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        v.sort();
        v
    }
}

/// A service name must fit `name_t` with its NUL; the emulation answers a longer one
/// `BOOTSTRAP_BAD_COUNT` and a name holding a NUL byte (which C callers cannot pass)
/// `KERN_INVALID_ARGUMENT`.
fn check_name(name: &[u8]) -> Result<(), KernReturn> {
    if name.len() >= BOOTSTRAP_MAX_NAME_LEN {
        return Err(BOOTSTRAP_BAD_COUNT);
    }
    if name.contains(&0) {
        return Err(KERN_INVALID_ARGUMENT);
    }
    Ok(())
}

impl Space {
    /// The namespace a send right `bp` of this space reaches: `MACH_SEND_INVALID_DEST`
    /// when `bp` is no send right or its port is dead, `MIG_BAD_ID` when it is a port the
    /// emulation serves otherwise (a task or the host), and `MACH_SEND_INVALID_DEST` for
    /// any other port, whose receiver the emulation cannot ask.
    fn namespace(&self, bp: MachPortName) -> Result<Arc<Namespace>, KernReturn> {
        let mut t = self.lock();
        t.check_dead(bp);
        let e = t.entries.get(&bp).ok_or(MACH_SEND_INVALID_DEST)?;
        let Obj::Port(p) = &e.obj else {
            return Err(MACH_SEND_INVALID_DEST);
        };
        if e.bits & MACH_PORT_TYPE_SEND == 0 {
            return Err(MACH_SEND_INVALID_DEST);
        }
        match p.kobject.get() {
            Some(KObject::Bootstrap(w)) => w.upgrade().ok_or(MACH_SEND_INVALID_DEST),
            Some(_) => Err(MIG_BAD_ID),
            None => Err(MACH_SEND_INVALID_DEST),
        }
    }

    /// Gives `r` a name in this space; `KERN_NO_SPACE` releases it.
    fn give(&self, r: KRight) -> Result<MachPortName, KernReturn> {
        let mut t = self.lock();
        self.copyout_new(&mut t, PortVal::Right(r))
            .map_err(|e| e.code())
    }

    /// `bootstrap_look_up`: a send right to the service `name` of the namespace `bp`
    /// reaches (`BOOTSTRAP_UNKNOWN_SERVICE` when there is none).
    pub fn bootstrap_look_up(
        &self,
        bp: MachPortName,
        name: &[u8],
    ) -> Result<MachPortName, KernReturn> {
        let _f = FlushOnDrop;
        let ns = self.namespace(bp)?;
        check_name(name)?;
        let r = ns.look_up(name)?;
        self.give(r)
    }

    /// `bootstrap_check_in`: the receive right of the service `name`, which this space
    /// declared, or, for an unknown name, of a new service this space now owns.
    /// `BOOTSTRAP_NOT_PRIVILEGED` when another space owns it, `BOOTSTRAP_SERVICE_ACTIVE`
    /// when it is already checked in or registered.
    pub fn bootstrap_check_in(
        &self,
        bp: MachPortName,
        name: &[u8],
    ) -> Result<MachPortName, KernReturn> {
        let _f = FlushOnDrop;
        let ns = self.namespace(bp)?;
        check_name(name)?;
        {
            // The receive right must find a name: refuse before taking it.
            let t = self.lock();
            if t.entries.len() >= t.limit {
                return Err(KERN_NO_SPACE);
            }
        }
        let r = ns.check_in(self, name)?;
        self.give(r)
    }

    /// `bootstrap_register`: registers a copy of this space's send right `sp` under
    /// `name` (`MACH_PORT_NULL` registers nothing). `BOOTSTRAP_NOT_PRIVILEGED` when another
    /// space owns the name (or this space declared it and must check in),
    /// `BOOTSTRAP_SERVICE_ACTIVE` when it is in use; `MACH_SEND_INVALID_RIGHT` when `sp`
    /// is no send right, as the message carrying it would fail on a Mac.
    pub fn bootstrap_register(
        &self,
        bp: MachPortName,
        name: &[u8],
        sp: MachPortName,
    ) -> Result<(), KernReturn> {
        let _f = FlushOnDrop;
        let ns = self.namespace(bp)?;
        check_name(name)?;
        let send = if sp == MACH_PORT_NULL {
            None
        } else {
            let mut t = self.lock();
            match self.copyin_one(&mut t, sp, MACH_MSG_TYPE_COPY_SEND) {
                Ok(PortVal::Right(r)) => Some(r),
                _ => return Err(MACH_SEND_INVALID_RIGHT),
            }
        };
        ns.register(self, name, send)
    }

    /// `bootstrap_create_service`: declares the service `name`, owned by this space, and
    /// returns a send right to it; the namespace holds the receive right until this space
    /// checks in. `BOOTSTRAP_NAME_IN_USE` when the name is taken.
    pub fn bootstrap_create_service(
        &self,
        bp: MachPortName,
        name: &[u8],
    ) -> Result<MachPortName, KernReturn> {
        let _f = FlushOnDrop;
        let ns = self.namespace(bp)?;
        check_name(name)?;
        let r = ns.create_service(self, name)?;
        self.give(r)
    }
}
