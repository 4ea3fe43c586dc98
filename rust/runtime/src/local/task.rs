//! The ports the emulation serves itself, as xnu serves its kernel objects: each space's
//! task port, the host port and bootstrap namespaces (see `bootstrap`); and a space's
//! special ports (`mach_task_self`, `mach_host_self`, `task_get_special_port`,
//! `task_set_special_port`).
//!
//! A kernel port's receive right is held by the emulation, never by a space: the task
//! port's by its space (so it dies with the space, and send rights to it elsewhere become
//! dead names), the host port's for the life of the process, a namespace's by the
//! namespace. Kernel ports count in a counter of their own, so no space's leak check
//! reports them; the send rights a space holds to them are ordinary names and are
//! reported like any other, except the one name `mach_task_self()` returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use super::bootstrap::Namespace;
use super::kmsg::{FlushOnDrop, KRight, PortVal, RightKind};
use super::port::Port;
use super::space::{Entry, Obj, Space, SpaceInner};
use crate::abi::*;
use crate::error::Error;

/// What the emulation serves on one of its own ports.
#[derive(Debug)]
pub enum KObject {
    /// A task port: messages to it act on this space (`kserver`).
    Task(Weak<SpaceInner>),
    /// The host port.
    Host,
    /// A bootstrap namespace: the bootstrap calls on a send right to this port act on it.
    Bootstrap(Weak<Namespace>),
}

/// A space's special ports.
#[derive(Debug, Default)]
pub struct Special {
    /// The receive right of the space's task port, made on first use.
    pub task_port: Option<KRight>,
    /// `TASK_BOOTSTRAP_PORT` as last set (`None`: never set, so the default namespace's
    /// port; `Some(None)`: set to `MACH_PORT_NULL`).
    pub bootstrap: Option<Option<KRight>>,
}

/// How many kernel ports are alive (not any space's).
fn kernel_live() -> Arc<AtomicUsize> {
    static LIVE: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    LIVE.get_or_init(|| Arc::new(AtomicUsize::new(0))).clone()
}

/// A new port served by the emulation, with its receive right.
pub fn kernel_port(kobject: KObject) -> KRight {
    let p = Port::new(kernel_live());
    // A fresh port: nobody else can have set its object.
    let _ = p.kobject.set(kobject);
    KRight::adopt(p, RightKind::Receive)
}

/// A new send right made from the receive right of `p`, which the emulation holds.
pub fn make_send(p: &Arc<Port>) -> KRight {
    let mut st = p.lock();
    st.mscount = st.mscount.wrapping_add(1);
    p.srights.fetch_add(1, Ordering::AcqRel);
    drop(st);
    KRight::adopt(p.clone(), RightKind::Send)
}

/// Another send right to the port of the send right `r`.
pub fn copy_send(r: &KRight) -> KRight {
    debug_assert_eq!(r.kind(), RightKind::Send);
    r.port().srights.fetch_add(1, Ordering::AcqRel);
    KRight::adopt(r.port().clone(), RightKind::Send)
}

/// The host port, alive for the whole process.
pub fn host_port() -> &'static Arc<Port> {
    static HOST: OnceLock<KRight> = OnceLock::new();
    HOST.get_or_init(|| kernel_port(KObject::Host)).port()
}

impl Space {
    /// This space's task port, made on first use.
    pub(crate) fn task_port(&self) -> Arc<Port> {
        let mut sp = self.inner.special();
        if let Some(r) = &sp.task_port {
            return r.port().clone();
        }
        let r = kernel_port(KObject::Task(Arc::downgrade(&self.inner)));
        let p = r.port().clone();
        sp.task_port = Some(r);
        p
    }

    /// `mach_task_self()`: the name of this space's send right to its own task port,
    /// which is the space's task handle (`Space::task`). The right is made on first use
    /// and, like libSystem's cached `mach_task_self_`, a later call adds no reference.
    /// Messages sent to it are served by the emulation (`mach_port_*` routines, see
    /// `kserver`). A leak check does not report this one name.
    pub fn mach_task_self(&self) -> MachPortName {
        let p = self.task_port();
        let task = self.inner.task;
        let mut t = self.lock();
        if let Some(&n) = t.by_port.get(&p.id) {
            // The send right exists (normally under the task handle); a right to its own
            // task port that the space received in a message before it ever asked has
            // its name there instead.
            return n;
        }
        if t.entries.contains_key(&task) {
            // Someone allocated the handle's name by hand: there is no better answer.
            return task;
        }
        let r = make_send(&p);
        t.by_port.insert(p.id, task);
        t.entries.insert(
            task,
            Entry {
                bits: MACH_PORT_TYPE_SEND,
                urefs: 1,
                obj: Obj::Port(r.disarm()),
            },
        );
        task
    }

    /// Whether `name` is the send right `mach_task_self()` made (for leak checks).
    pub(crate) fn is_task_self(&self, name: MachPortName, bits: MachPortType) -> bool {
        if name != self.inner.task || bits != MACH_PORT_TYPE_SEND {
            return false;
        }
        let sp = self.inner.special();
        let Some(r) = &sp.task_port else { return false };
        let id = r.port().id;
        drop(sp);
        self.lock().by_port.get(&id) == Some(&name)
    }

    /// `mach_host_self()`: a send right to the host port in this space. As in xnu, each
    /// call adds a user reference, which the caller releases with `port_deallocate`.
    pub fn mach_host_self(&self) -> Result<MachPortName, Error> {
        let _f = FlushOnDrop;
        let r = make_send(host_port());
        let mut t = self.lock();
        self.copyout_new(&mut t, PortVal::Right(r))
    }

    /// `task_get_special_port`: a send right to this space's special port `which`
    /// (`TASK_KERNEL_PORT`, `TASK_HOST_PORT` or `TASK_BOOTSTRAP_PORT`), given a name in
    /// `into` (`MACH_PORT_NULL` when the port is unset). A space whose bootstrap port was
    /// never set has the default namespace's (`Bootstrap::global`).
    pub fn task_get_special_port(&self, which: i32, into: &Space) -> Result<MachPortName, Error> {
        let _f = FlushOnDrop;
        if which == TASK_KERNEL_PORT && into.same(self) {
            // The reference merges into the name `mach_task_self()` returns.
            self.mach_task_self();
        }
        let Some(r) = self.special_port_right(which)? else {
            return Ok(MACH_PORT_NULL);
        };
        let mut t = into.lock();
        into.copyout_new(&mut t, PortVal::Right(r))
    }

    /// A new send right to this space's special port `which` (`None` when it is set to
    /// `MACH_PORT_NULL`), as `task_get_special_port` answers it on either path: the call
    /// above, and the `task.defs` routine sent to the task port (`kserver`).
    pub(crate) fn special_port_right(&self, which: i32) -> Result<Option<KRight>, Error> {
        Ok(Some(match which {
            TASK_KERNEL_PORT => make_send(&self.task_port()),
            TASK_HOST_PORT => make_send(host_port()),
            TASK_BOOTSTRAP_PORT => {
                let sp = self.inner.special();
                match &sp.bootstrap {
                    Some(Some(r)) => copy_send(r),
                    Some(None) => return Ok(None),
                    None => {
                        drop(sp);
                        make_send(super::bootstrap::Bootstrap::global().port())
                    }
                }
            }
            _ => return Err(Error::InvalidArgument),
        }))
    }

    /// `task_set_special_port`: makes a copy of the send right `name` of `from` this
    /// space's special port `which` (`MACH_PORT_NULL` clears it). Only
    /// `TASK_BOOTSTRAP_PORT` can be set; the others are `KERN_INVALID_ARGUMENT`.
    pub fn task_set_special_port(
        &self,
        which: i32,
        from: &Space,
        name: MachPortName,
    ) -> Result<(), Error> {
        let _f = FlushOnDrop;
        if which != TASK_BOOTSTRAP_PORT {
            return Err(Error::InvalidArgument);
        }
        let right = if name == MACH_PORT_NULL {
            None
        } else {
            let mut t = from.lock();
            match from.copyin_one(&mut t, name, MACH_MSG_TYPE_COPY_SEND)? {
                PortVal::Right(r) => Some(r),
                PortVal::Null | PortVal::Dead => None,
            }
        };
        self.set_special_port_right(which, right)
    }

    /// Makes the send right `right` (`None`: `MACH_PORT_NULL`) this space's special port
    /// `which`; only `TASK_BOOTSTRAP_PORT` can be set. The previous right is released when
    /// the caller's `FlushOnDrop` guard flushes; a refused right is released with it.
    pub(crate) fn set_special_port_right(
        &self,
        which: i32,
        right: Option<KRight>,
    ) -> Result<(), Error> {
        if which != TASK_BOOTSTRAP_PORT {
            return Err(Error::InvalidArgument);
        }
        let old = self.inner.special().bootstrap.replace(right);
        drop(old);
        Ok(())
    }

    /// Makes the namespace `ns` this space's bootstrap port (`task_set_special_port` with
    /// `TASK_BOOTSTRAP_PORT`, without a name in any space).
    pub fn set_bootstrap(&self, ns: &super::bootstrap::Bootstrap) {
        let _f = FlushOnDrop;
        let old = self
            .inner
            .special()
            .bootstrap
            .replace(Some(make_send(ns.port())));
        drop(old);
    }
}
