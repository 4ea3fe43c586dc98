//! Typed port rights after Swift's SE-0381: move-only values that own one right (or one
//! user reference) in a task and release it exactly once when dropped. Leaving and
//! entering management is explicit (`into_raw`/`from_raw`), so generated code can put a
//! right into a message by value and the wrong right does not compile.
//!
//! Decisions this module makes (and its tests check):
//! - A full name table (`KERN_NO_SPACE`) or user-reference overflow (`KERN_UREFS_OVERFLOW`,
//!   past `MACH_PORT_UREFS_MAX`) is an `Err` from the call that needed the name or the
//!   reference; nothing is allocated or changed in that case.
//! - Copying a send right whose port has died fails with `Error::DeadName`; dropping a
//!   send right whose port died releases the dead name's reference instead.
//! - Errors while dropping cannot be reported and are ignored (the name is gone either way).

use crate::abi::*;
use crate::error::Error;
use crate::local::Space;
use crate::transport::Transport;

macro_rules! common {
    ($ty:ident) => {
        impl<T: Transport> $ty<T> {
            /// The name in its task.
            pub fn name(&self) -> MachPortName {
                self.name
            }

            /// The task the name lives in.
            pub fn task(&self) -> &T {
                &self.task
            }

            /// Gives up management: the caller now owns the right under the returned name.
            pub fn into_raw(mut self) -> MachPortName {
                // A null name tells Drop there is nothing left to release.
                std::mem::replace(&mut self.name, MACH_PORT_NULL)
            }

            /// Takes management of a right the caller owns under `name` in `task`.
            pub fn from_raw(task: T, name: MachPortName) -> Self {
                $ty { task, name }
            }
        }
    };
}

/// What a server receives requests on: a receive right, or a port set whose members'
/// messages all arrive through it.
pub trait Receiving<T: Transport = Space> {
    /// The right's or set's name in its task.
    fn receiving_name(&self) -> MachPortName;
    /// The task the name lives in.
    fn receiving_task(&self) -> &T;
}

impl<T: Transport> Receiving<T> for ReceiveRight<T> {
    fn receiving_name(&self) -> MachPortName {
        self.name
    }
    fn receiving_task(&self) -> &T {
        &self.task
    }
}

impl<T: Transport> Receiving<T> for PortSet<T> {
    fn receiving_name(&self) -> MachPortName {
        self.name
    }
    fn receiving_task(&self) -> &T {
        &self.task
    }
}

/// A receive right.
#[derive(Debug)]
pub struct ReceiveRight<T: Transport = Space> {
    task: T,
    name: MachPortName,
}

/// One user reference of a send right.
#[derive(Debug)]
pub struct SendRight<T: Transport = Space> {
    task: T,
    name: MachPortName,
}

/// A send-once right; dropping it unused sends a send-once notification to its port.
#[derive(Debug)]
pub struct SendOnceRight<T: Transport = Space> {
    task: T,
    name: MachPortName,
}

/// A port set.
#[derive(Debug)]
pub struct PortSet<T: Transport = Space> {
    task: T,
    name: MachPortName,
}

/// One user reference of a dead name.
#[derive(Debug)]
pub struct DeadName<T: Transport = Space> {
    task: T,
    name: MachPortName,
}

common!(ReceiveRight);
common!(SendRight);
common!(SendOnceRight);
common!(PortSet);
common!(DeadName);

impl<T: Transport> Drop for ReceiveRight<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        let _ = self
            .task
            .port_mod_refs(self.name, MACH_PORT_RIGHT_RECEIVE, -1);
    }
}

impl<T: Transport> Drop for SendRight<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        if self
            .task
            .port_mod_refs(self.name, MACH_PORT_RIGHT_SEND, -1)
            .is_err()
        {
            // The port died and the name is a dead name now: release that reference.
            let _ = self
                .task
                .port_mod_refs(self.name, MACH_PORT_RIGHT_DEAD_NAME, -1);
        }
    }
}

impl<T: Transport> Drop for SendOnceRight<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        if self
            .task
            .port_mod_refs(self.name, MACH_PORT_RIGHT_SEND_ONCE, -1)
            .is_err()
        {
            let _ = self
                .task
                .port_mod_refs(self.name, MACH_PORT_RIGHT_DEAD_NAME, -1);
        }
    }
}

impl<T: Transport> Drop for PortSet<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        let _ = self
            .task
            .port_mod_refs(self.name, MACH_PORT_RIGHT_PORT_SET, -1);
    }
}

impl<T: Transport> Drop for DeadName<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        let _ = self
            .task
            .port_mod_refs(self.name, MACH_PORT_RIGHT_DEAD_NAME, -1);
    }
}

/// Allocates a port and returns its receive right with one send right.
pub fn allocate_pair<T: Transport>(task: &T) -> Result<(ReceiveRight<T>, SendRight<T>), Error> {
    let r = ReceiveRight::allocate(task)?;
    let s = r.make_send()?;
    Ok((r, s))
}

impl<T: Transport> ReceiveRight<T> {
    /// `mach_port_allocate(MACH_PORT_RIGHT_RECEIVE)`.
    pub fn allocate(task: &T) -> Result<Self, Error> {
        let name = task.port_allocate(MACH_PORT_RIGHT_RECEIVE)?;
        Ok(ReceiveRight {
            task: task.clone(),
            name,
        })
    }

    /// `mach_port_construct` with a queue limit.
    pub fn with_qlimit(task: &T, qlimit: u32) -> Result<Self, Error> {
        let name = task.port_construct(MPO_QLIMIT, qlimit, 0)?;
        Ok(ReceiveRight {
            task: task.clone(),
            name,
        })
    }

    /// A new send right (`MACH_MSG_TYPE_MAKE_SEND`): bumps the make-send count.
    pub fn make_send(&self) -> Result<SendRight<T>, Error> {
        self.task
            .port_insert_right(self.name, self.name, MACH_MSG_TYPE_MAKE_SEND)?;
        Ok(SendRight {
            task: self.task.clone(),
            name: self.name,
        })
    }

    /// A new send-once right, under a name of its own.
    pub fn make_send_once(&self) -> Result<SendOnceRight<T>, Error> {
        let (name, _) = self
            .task
            .port_extract_right(self.name, MACH_MSG_TYPE_MAKE_SEND_ONCE)?;
        Ok(SendOnceRight {
            task: self.task.clone(),
            name,
        })
    }

    /// The make-send count.
    pub fn make_send_count(&self) -> Result<u32, Error> {
        let mut st = [0u32; 10];
        self.task
            .port_get_attributes(self.name, MACH_PORT_RECEIVE_STATUS, &mut st)?;
        Ok(st[2])
    }

    /// How many messages are queued on the port (`mps_msgcount`): with a queue limit,
    /// at most that many, as senders wait for room beyond it.
    pub fn message_count(&self) -> Result<u32, Error> {
        let mut st = [0u32; 10];
        self.task
            .port_get_attributes(self.name, MACH_PORT_RECEIVE_STATUS, &mut st)?;
        Ok(st[4])
    }

    /// `mach_port_set_mscount`.
    pub fn set_make_send_count(&self, mscount: u32) -> Result<(), Error> {
        self.task.port_set_mscount(self.name, mscount)
    }

    /// The queue limit.
    pub fn qlimit(&self) -> Result<u32, Error> {
        let mut q = [0u32; 1];
        self.task
            .port_get_attributes(self.name, MACH_PORT_LIMITS_INFO, &mut q)?;
        Ok(q[0])
    }

    /// Sets the queue limit (at most `MACH_PORT_QLIMIT_MAX`).
    pub fn set_qlimit(&self, qlimit: u32) -> Result<(), Error> {
        self.task
            .port_set_attributes(self.name, MACH_PORT_LIMITS_INFO, &[qlimit])
    }

    /// The context value.
    pub fn context(&self) -> Result<u64, Error> {
        self.task.port_get_context(self.name)
    }

    /// Sets the context value.
    pub fn set_context(&self, context: u64) -> Result<(), Error> {
        self.task.port_set_context(self.name, context)
    }

    /// Guards the right with `context`: it can then only be destroyed by whoever knows the
    /// guard, and the value is readable as the context.
    pub fn guard(self, context: u64) -> Result<GuardedReceiveRight<T>, (Self, Error)> {
        match self.task.port_guard(self.name, context, false) {
            Ok(()) => {
                let task = self.task.clone();
                let name = self.into_raw();
                Ok(GuardedReceiveRight {
                    task,
                    name,
                    guard: context,
                })
            }
            Err(e) => Err((self, e)),
        }
    }

    /// Requests a no-senders notification on `notify` (a send-once right is made from it).
    pub fn request_no_senders(
        &self,
        notify: &ReceiveRight<T>,
        sync: u32,
    ) -> Result<Option<SendOnceRight<T>>, Error> {
        let prev = self.task.port_request_notification(
            self.name,
            MACH_NOTIFY_NO_SENDERS,
            sync,
            notify.name,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
        )?;
        Ok((prev != MACH_PORT_NULL).then(|| SendOnceRight {
            task: self.task.clone(),
            name: prev,
        }))
    }
}

impl<T: Transport> SendRight<T> {
    /// Another send right for the same port (one more user reference).
    pub fn copy_send(&self) -> Result<SendRight<T>, Error> {
        match self.task.port_mod_refs(self.name, MACH_PORT_RIGHT_SEND, 1) {
            Ok(()) => Ok(SendRight {
                task: self.task.clone(),
                name: self.name,
            }),
            Err(Error::InvalidRight) if self.is_dead() => Err(Error::DeadName),
            Err(e) => Err(e),
        }
    }

    /// Whether the port has died (the name is a dead name).
    pub fn is_dead(&self) -> bool {
        self.task
            .port_type(self.name)
            .is_ok_and(|t| t & MACH_PORT_TYPE_DEAD_NAME != 0)
    }

    /// Requests a dead-name notification on `notify`.
    pub fn request_dead_name(
        &self,
        notify: &ReceiveRight<T>,
    ) -> Result<Option<SendOnceRight<T>>, Error> {
        let prev = self.task.port_request_notification(
            self.name,
            MACH_NOTIFY_DEAD_NAME,
            0,
            notify.name,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
        )?;
        Ok((prev != MACH_PORT_NULL).then(|| SendOnceRight {
            task: self.task.clone(),
            name: prev,
        }))
    }

    /// Turns a send right whose port died into the dead name it has become.
    pub fn into_dead_name(self) -> Result<DeadName<T>, Self> {
        if self.is_dead() {
            let task = self.task.clone();
            let name = self.into_raw();
            Ok(DeadName { task, name })
        } else {
            Err(self)
        }
    }
}

impl<T: Transport> PortSet<T> {
    /// `mach_port_allocate(MACH_PORT_RIGHT_PORT_SET)`.
    pub fn allocate(task: &T) -> Result<Self, Error> {
        let name = task.port_allocate(MACH_PORT_RIGHT_PORT_SET)?;
        Ok(PortSet {
            task: task.clone(),
            name,
        })
    }

    /// Moves a receive right into this set.
    pub fn insert(&self, member: &ReceiveRight<T>) -> Result<(), Error> {
        self.task.port_move_member(member.name, self.name)
    }

    /// Takes a receive right out of this set.
    pub fn remove(&self, member: &ReceiveRight<T>) -> Result<(), Error> {
        self.task.port_move_member(member.name, MACH_PORT_NULL)
    }
}

/// A receive right guarded by a context value (`mach_port_construct` with
/// `MPO_CONTEXT_AS_GUARD`, or `ReceiveRight::guard`). Dropping it destructs it with the guard.
#[derive(Debug)]
pub struct GuardedReceiveRight<T: Transport = Space> {
    task: T,
    name: MachPortName,
    guard: u64,
}

impl<T: Transport> GuardedReceiveRight<T> {
    /// Constructs a guarded receive right.
    pub fn construct(task: &T, guard: u64, qlimit: Option<u32>) -> Result<Self, Error> {
        let flags = MPO_CONTEXT_AS_GUARD | if qlimit.is_some() { MPO_QLIMIT } else { 0 };
        let name = task.port_construct(flags, qlimit.unwrap_or(0), guard)?;
        Ok(GuardedReceiveRight {
            task: task.clone(),
            name,
            guard,
        })
    }

    /// The name.
    pub fn name(&self) -> MachPortName {
        self.name
    }

    /// The guard (also the port's context).
    pub fn context(&self) -> u64 {
        self.guard
    }

    /// A new send right.
    pub fn make_send(&self) -> Result<SendRight<T>, Error> {
        self.task
            .port_insert_right(self.name, self.name, MACH_MSG_TYPE_MAKE_SEND)?;
        Ok(SendRight {
            task: self.task.clone(),
            name: self.name,
        })
    }

    /// Removes the guard, giving back a plain receive right.
    pub fn unguard(self) -> Result<ReceiveRight<T>, Error> {
        self.task.port_unguard(self.name, self.guard)?;
        let mut me = self;
        let name = std::mem::replace(&mut me.name, MACH_PORT_NULL);
        Ok(ReceiveRight {
            task: me.task.clone(),
            name,
        })
    }
}

impl<T: Transport> Drop for GuardedReceiveRight<T> {
    fn drop(&mut self) {
        if self.name == MACH_PORT_NULL {
            return;
        }
        let _ = self.task.port_destruct(self.name, 0, self.guard);
    }
}

/// A right sent through a polymorphic argument (MIG's `polymorphic` type): the variant is
/// the disposition it travels with, and says by its type whether the message takes the
/// right (`Move*`, owned) or makes or copies one from a right the sender keeps (borrowed).
#[derive(Debug)]
pub enum PolyRight<'a, T: Transport = Space> {
    /// `MACH_MSG_TYPE_MOVE_SEND`: the send right goes into the message.
    MoveSend(SendRight<T>),
    /// `MACH_MSG_TYPE_MOVE_SEND_ONCE`: the send-once right goes into the message.
    MoveSendOnce(SendOnceRight<T>),
    /// `MACH_MSG_TYPE_MOVE_RECEIVE`: the receive right goes into the message.
    MoveReceive(ReceiveRight<T>),
    /// `MACH_MSG_TYPE_COPY_SEND`: the message carries another reference; the sender keeps its own.
    CopySend(&'a SendRight<T>),
    /// `MACH_MSG_TYPE_MAKE_SEND`: the message carries a send right made from this receive right.
    MakeSend(&'a ReceiveRight<T>),
    /// `MACH_MSG_TYPE_MAKE_SEND_ONCE`: the message carries a send-once right made from it.
    MakeSendOnce(&'a ReceiveRight<T>),
}

impl<T: Transport> PolyRight<'_, T> {
    /// The right's name in its task.
    pub fn name(&self) -> MachPortName {
        match self {
            PolyRight::MoveSend(r) => r.name(),
            PolyRight::MoveSendOnce(r) => r.name(),
            PolyRight::MoveReceive(r) => r.name(),
            PolyRight::CopySend(r) => r.name(),
            PolyRight::MakeSend(r) | PolyRight::MakeSendOnce(r) => r.name(),
        }
    }

    /// The disposition it is sent with (`MACH_MSG_TYPE_*`).
    pub fn disposition(&self) -> MachMsgTypeName {
        match self {
            PolyRight::MoveSend(_) => MACH_MSG_TYPE_MOVE_SEND,
            PolyRight::MoveSendOnce(_) => MACH_MSG_TYPE_MOVE_SEND_ONCE,
            PolyRight::MoveReceive(_) => MACH_MSG_TYPE_MOVE_RECEIVE,
            PolyRight::CopySend(_) => MACH_MSG_TYPE_COPY_SEND,
            PolyRight::MakeSend(_) => MACH_MSG_TYPE_MAKE_SEND,
            PolyRight::MakeSendOnce(_) => MACH_MSG_TYPE_MAKE_SEND_ONCE,
        }
    }

    /// Gives up management of a moved right (the message owns it once sent); borrowed
    /// variants are left alone. Returns the name.
    pub fn into_raw(self) -> MachPortName {
        match self {
            PolyRight::MoveSend(r) => r.into_raw(),
            PolyRight::MoveSendOnce(r) => r.into_raw(),
            PolyRight::MoveReceive(r) => r.into_raw(),
            other => other.name(),
        }
    }
}

impl<T: Transport> From<SendRight<T>> for PolyRight<'_, T> {
    fn from(r: SendRight<T>) -> Self {
        PolyRight::MoveSend(r)
    }
}

impl<T: Transport> From<SendOnceRight<T>> for PolyRight<'_, T> {
    fn from(r: SendOnceRight<T>) -> Self {
        PolyRight::MoveSendOnce(r)
    }
}

impl<T: Transport> From<ReceiveRight<T>> for PolyRight<'_, T> {
    fn from(r: ReceiveRight<T>) -> Self {
        PolyRight::MoveReceive(r)
    }
}

impl<'a, T: Transport> From<&'a SendRight<T>> for PolyRight<'a, T> {
    fn from(r: &'a SendRight<T>) -> Self {
        PolyRight::CopySend(r)
    }
}

/// A right received through a polymorphic argument: what the sender's disposition left
/// in this task, owned.
#[derive(Debug)]
pub enum AnyRight<T: Transport = Space> {
    /// A send right (sent with `MOVE_SEND`, `COPY_SEND` or `MAKE_SEND`).
    Send(SendRight<T>),
    /// A send-once right (sent with `MOVE_SEND_ONCE` or `MAKE_SEND_ONCE`).
    SendOnce(SendOnceRight<T>),
    /// A receive right (sent with `MOVE_RECEIVE`).
    Receive(ReceiveRight<T>),
}

impl<T: Transport> AnyRight<T> {
    /// Takes management of a right received under `name` with `disposition` (as a message
    /// reports it after receipt; anything but a receive or send-once right is a send right).
    pub fn from_raw(task: T, name: MachPortName, disposition: MachMsgTypeName) -> Self {
        match disposition {
            MACH_MSG_TYPE_MOVE_RECEIVE => AnyRight::Receive(ReceiveRight::from_raw(task, name)),
            MACH_MSG_TYPE_MOVE_SEND_ONCE | MACH_MSG_TYPE_MAKE_SEND_ONCE => {
                AnyRight::SendOnce(SendOnceRight::from_raw(task, name))
            }
            _ => AnyRight::Send(SendRight::from_raw(task, name)),
        }
    }

    /// The name in its task.
    pub fn name(&self) -> MachPortName {
        match self {
            AnyRight::Send(r) => r.name(),
            AnyRight::SendOnce(r) => r.name(),
            AnyRight::Receive(r) => r.name(),
        }
    }

    /// The disposition that moves it on (`MACH_MSG_TYPE_MOVE_*`).
    pub fn disposition(&self) -> MachMsgTypeName {
        match self {
            AnyRight::Send(_) => MACH_MSG_TYPE_MOVE_SEND,
            AnyRight::SendOnce(_) => MACH_MSG_TYPE_MOVE_SEND_ONCE,
            AnyRight::Receive(_) => MACH_MSG_TYPE_MOVE_RECEIVE,
        }
    }

    /// Gives up management: the caller owns the right under the returned name.
    pub fn into_raw(self) -> MachPortName {
        match self {
            AnyRight::Send(r) => r.into_raw(),
            AnyRight::SendOnce(r) => r.into_raw(),
            AnyRight::Receive(r) => r.into_raw(),
        }
    }
}

impl<T: Transport> From<AnyRight<T>> for PolyRight<'_, T> {
    fn from(r: AnyRight<T>) -> Self {
        match r {
            AnyRight::Send(r) => PolyRight::MoveSend(r),
            AnyRight::SendOnce(r) => PolyRight::MoveSendOnce(r),
            AnyRight::Receive(r) => PolyRight::MoveReceive(r),
        }
    }
}
