//! The one interface both transports implement: the kernel calls typed rights and
//! generated stubs need. `local::Space` implements it everywhere; on Apple systems
//! `mach::Kernel` implements it over the real kernel through `mach2`. Generated clients are
//! generic over it, so another transport (a proxy, a recorder, a test double) only
//! implements this trait.

use crate::abi::*;
use crate::error::Error;
use crate::sys::mem::Region;
use std::ffi::CStr;
use std::future::Future;
use std::time::Duration;

/// The kernel calls of one task, on some transport.
pub trait Transport: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// `mach_msg`. A message to send may carry out-of-line memory only in regions the
    /// transport vouches for (given to it by [`Transport::give_region`]), never at an
    /// address the caller merely wrote into the message; others are refused with
    /// `MACH_SEND_INVALID_MEMORY`.
    #[allow(clippy::too_many_arguments)]
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn;
    /// `mach_port_allocate`.
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error>;
    /// `mach_port_construct` with flags, a queue limit and a context.
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error>;
    /// `mach_port_destruct`.
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error>;
    /// `mach_port_mod_refs`.
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error>;
    /// `mach_port_get_refs`.
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error>;
    /// `mach_port_type`.
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error>;
    /// `mach_port_insert_right` within the task.
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error>;
    /// `mach_port_extract_right` within the task: a new name for the right and its type.
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error>;
    /// `mach_port_get_context`.
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error>;
    /// `mach_port_set_context`.
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error>;
    /// `mach_port_guard`.
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error>;
    /// `mach_port_unguard`.
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error>;
    /// `mach_port_set_mscount`.
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error>;
    /// `mach_port_get_attributes`.
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error>;
    /// `mach_port_set_attributes`.
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error>;
    /// `mach_port_move_member`.
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error>;
    /// `mach_port_request_notification`.
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error>;

    /// `mach_msg_destroy`: releases every right and region a received message carries.
    /// The bytes are anyone's to write, so a transport frees only regions it knows a
    /// message it received brought, and leaves any other address alone.
    fn msg_destroy(&self, msg: &[u8]);

    /// `mach_task_self()`: the name of this task's send right to its own port, owned by
    /// the task (like libSystem's cached `mach_task_self_`, not to be deallocated). The
    /// default, for a transport without task ports, is `KERN_NOT_SUPPORTED`.
    fn task_self_port(&self) -> Result<MachPortName, Error> {
        Err(Error::Other(KERN_NOT_SUPPORTED))
    }

    /// `mach_host_self()`: a new user reference of a send right to the host port, the
    /// caller's to release. The default is `KERN_NOT_SUPPORTED`.
    fn host_self_port(&self) -> Result<MachPortName, Error> {
        Err(Error::Other(KERN_NOT_SUPPORTED))
    }

    /// `task_get_special_port` on this task: a new send right to the special port `which`
    /// (`TASK_BOOTSTRAP_PORT`, ...), or `MACH_PORT_NULL` when it is unset. The default is
    /// `KERN_NOT_SUPPORTED`.
    fn task_get_special_port(&self, which: i32) -> Result<MachPortName, Error> {
        let _ = which;
        Err(Error::Other(KERN_NOT_SUPPORTED))
    }

    /// `task_set_special_port` on this task, with a copy of the send right `port` (or
    /// `MACH_PORT_NULL`). The default is `KERN_NOT_SUPPORTED`.
    fn task_set_special_port(&self, which: i32, port: MachPortName) -> Result<(), Error> {
        let _ = (which, port);
        Err(Error::Other(KERN_NOT_SUPPORTED))
    }

    /// `bootstrap_look_up`: a send right to the service `name` of the bootstrap server
    /// the send right `bp` reaches, or launchd's code (`BOOTSTRAP_UNKNOWN_SERVICE`, ...).
    /// The default is `KERN_NOT_SUPPORTED`.
    fn bootstrap_look_up(&self, bp: MachPortName, name: &CStr) -> Result<MachPortName, KernReturn> {
        let _ = (bp, name);
        Err(KERN_NOT_SUPPORTED)
    }

    /// `bootstrap_check_in`: the receive right of the service `name`, or launchd's code.
    /// The default is `KERN_NOT_SUPPORTED`.
    fn bootstrap_check_in(
        &self,
        bp: MachPortName,
        name: &CStr,
    ) -> Result<MachPortName, KernReturn> {
        let _ = (bp, name);
        Err(KERN_NOT_SUPPORTED)
    }

    /// `bootstrap_register`: registers a copy of the send right `sp` under `name`, or
    /// launchd's code. The default is `KERN_NOT_SUPPORTED`.
    fn bootstrap_register(
        &self,
        bp: MachPortName,
        name: &CStr,
        sp: MachPortName,
    ) -> Result<(), KernReturn> {
        let _ = (bp, name, sp);
        Err(KERN_NOT_SUPPORTED)
    }

    /// Takes the out-of-line region of `size > 0` bytes at `addr` that a received message
    /// brought: the caller owns it from now on. `None` when the transport knows of no such
    /// region in this task.
    fn take_region(&self, addr: usize, size: usize) -> Option<Region>;

    /// Offers `region`, which a message about to be sent points at, to be moved with the
    /// message: `Ok` with the address the message carries instead (the region's own, or a
    /// copy the transport made where the receiver can take it), its descriptor then marked
    /// to deallocate. `Err` gives the region back: the message carries it as a copy, so
    /// it must stay alive until the send is over. The default moves nothing, which
    /// suits a client (its call sends before returning) but not a server, whose reply
    /// leaves after the routine returned: a server's out-of-line results need `Ok`.
    fn give_region(&self, region: Region) -> Result<usize, Region> {
        Err(region)
    }

    /// Takes back a region [`Transport::give_region`] accepted at `addr`, whose message
    /// was not sent, and frees it; any other range is left alone. The default knows of
    /// none.
    fn take_back_region(&self, addr: usize, size: usize) {
        let _ = (addr, size);
    }

    /// The messages arriving on the receive right or port set `name`, each with
    /// `trailer` trailer elements (`MACH_RCV_TRAILER_*`), as a stream that ends when the
    /// port or set dies. The default receives on a thread of its own, blocking, keeping at
    /// most one received message waiting for the consumer; a message it received after
    /// the stream was dropped is destroyed, and the thread ends then or at its next
    /// receive error (the port's death, say).
    fn receive_stream(
        &self,
        name: MachPortName,
        trailer: u32,
    ) -> Result<impl futures::Stream<Item = Vec<u8>> + Send + 'static, Error> {
        if self.port_type(name)? & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET) == 0 {
            return Err(Error::RcvInvalidName);
        }
        let (mut tx, rx) = futures::channel::mpsc::channel::<Vec<u8>>(0);
        let task = self.clone();
        std::thread::Builder::new()
            .name("migz-receive".into())
            .spawn(move || {
                let option = MACH_RCV_MSG
                    | MACH_RCV_LARGE
                    | mach_rcv_trailer_type(MACH_MSG_TRAILER_FORMAT_0)
                    | mach_rcv_trailer_elements(trailer);
                let mut room = 4096usize;
                loop {
                    let mut words = vec![0u64; room.div_ceil(8)];
                    let buf = zerocopy::IntoBytes::as_mut_bytes(words.as_mut_slice());
                    let rcv = u32::try_from(buf.len()).unwrap_or(u32::MAX);
                    match task.mach_msg(buf, option, 0, rcv, name, 0, 0) {
                        MACH_MSG_SUCCESS => {}
                        MACH_RCV_TOO_LARGE => {
                            // The message stays queued; its size is in the header.
                            let size = MachMsgHeader::read(buf).map_or(0, |h| h.msgh_size);
                            room = (size as usize + MAX_TRAILER_SIZE as usize).max(room * 2);
                            continue;
                        }
                        _ => return,
                    }
                    let msg = buf[..received_len(buf)].to_vec();
                    // Wait for the consumer to poll, then hand the message over; a
                    // stream dropped meanwhile leaves it to be destroyed here.
                    let ready = futures::executor::block_on(futures::future::poll_fn(|cx| {
                        tx.poll_ready(cx)
                    }));
                    let handed = match ready {
                        Ok(()) => tx.try_send(msg).map_err(|e| e.into_inner()),
                        Err(_) => Err(msg),
                    };
                    if let Err(msg) = handed {
                        task.msg_destroy(&msg);
                        return;
                    }
                }
            })
            .map_err(|_| Error::Other(KERN_RESOURCE_SHORTAGE))?;
        Ok(rx)
    }

    /// A receive right kept by [`Transport::pool_reply_port`] for another call, if any. The
    /// default keeps none.
    fn take_pooled_reply_port(&self) -> Option<MachPortName> {
        None
    }

    /// Keeps the receive right `name`, whose one send-once right has been used, for a
    /// later call; gives the name back (to be destroyed) when it does not. The default
    /// keeps none.
    fn pool_reply_port(&self, name: MachPortName) -> Result<(), MachPortName> {
        Err(name)
    }

    /// Sends the message in `buf[..size]` without blocking the thread, waiting at most
    /// `timeout` for room; the `mach_msg` code. The default sends in place (see
    /// [`Transport::msg_call_async`]).
    fn msg_send_async<'a>(
        &'a self,
        buf: &'a mut [u8],
        size: usize,
        timeout: Option<Duration>,
    ) -> impl Future<Output = MachMsgReturn> + Send + 'a {
        async move {
            let mut option = MACH_SEND_MSG;
            if timeout.is_some() {
                option |= MACH_SEND_TIMEOUT;
            }
            let ms = timeout_ms(timeout);
            in_place(|| self.mach_msg(buf, option, size as u32, 0, 0, ms, 0))
        }
    }

    /// Sends the request in `buf[..size]` and receives its reply on the receive right
    /// `reply` into `buf`, without blocking the thread, waiting at most `timeout` for each:
    /// the reply's length, or the failing `mach_msg` code. A transport without an async
    /// wait (the default, and the kernel transport for now) makes the blocking call in
    /// place: on tokio's multi-thread runtime through `block_in_place`, so the worker's
    /// other tasks move elsewhere; elsewhere it blocks the polling thread.
    fn msg_call_async<'a>(
        &'a self,
        buf: &'a mut [u8],
        size: usize,
        reply: MachPortName,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<usize, MachMsgReturn>> + Send + 'a {
        async move {
            let mut option = MACH_SEND_MSG | MACH_RCV_MSG;
            if timeout.is_some() {
                option |= MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT;
            }
            let ms = timeout_ms(timeout);
            let rcv_size = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            let rc = in_place(|| self.mach_msg(buf, option, size as u32, rcv_size, reply, ms, 0));
            match rc {
                MACH_MSG_SUCCESS => Ok(received_len(buf)),
                rc => Err(rc),
            }
        }
    }
}

/// A timeout in `mach_msg`'s milliseconds (saturating; no timeout is 0, unused).
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> MachMsgTimeout {
    timeout.map_or(0, |t| u32::try_from(t.as_millis()).unwrap_or(u32::MAX))
}

/// How many bytes of `buf` a received message and its trailer fill.
pub(crate) fn received_len(buf: &[u8]) -> usize {
    let size = MachMsgHeader::read(buf).map_or(0, |h| h.msgh_size as usize);
    (size + MAX_TRAILER_SIZE as usize).min(buf.len())
}

/// Runs a blocking call from async code: through `block_in_place` on a tokio multi-thread
/// runtime, else directly.
fn in_place<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Transport for crate::local::Space {
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn {
        crate::local::Space::mach_msg(
            self, buf, option, send_size, rcv_size, rcv_name, timeout, notify,
        )
    }
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        crate::local::Space::port_allocate(self, right)
    }
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error> {
        crate::local::Space::port_construct(
            self,
            &crate::local::PortOptions { flags, qlimit },
            context,
        )
    }
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        crate::local::Space::port_destruct(self, name, srdelta, guard)
    }
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        crate::local::Space::port_mod_refs(self, name, right, delta)
    }
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        crate::local::Space::port_get_refs(self, name, right)
    }
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        crate::local::Space::port_type(self, name)
    }
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        crate::local::Space::port_insert_right(self, name, self, poly, disp)
    }
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        crate::local::Space::port_extract_right(self, name, disp, self)
    }
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        crate::local::Space::port_get_context(self, name)
    }
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        crate::local::Space::port_set_context(self, name, context)
    }
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        crate::local::Space::port_guard(self, name, guard, strict)
    }
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        crate::local::Space::port_unguard(self, name, guard)
    }
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        crate::local::Space::port_set_mscount(self, name, mscount)
    }
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        crate::local::Space::port_get_attributes(self, name, flavor, info)
    }
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        crate::local::Space::port_set_attributes(self, name, flavor, info)
    }
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        crate::local::Space::port_move_member(self, member, after)
    }
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        crate::local::Space::port_request_notification(self, name, msgid, sync, notify, disp)
    }

    fn msg_destroy(&self, msg: &[u8]) {
        crate::local::Space::msg_destroy(self, msg)
    }
    fn task_self_port(&self) -> Result<MachPortName, Error> {
        Ok(crate::local::Space::mach_task_self(self))
    }
    fn host_self_port(&self) -> Result<MachPortName, Error> {
        crate::local::Space::mach_host_self(self)
    }
    fn task_get_special_port(&self, which: i32) -> Result<MachPortName, Error> {
        crate::local::Space::task_get_special_port(self, which, self)
    }
    fn task_set_special_port(&self, which: i32, port: MachPortName) -> Result<(), Error> {
        crate::local::Space::task_set_special_port(self, which, self, port)
    }
    fn bootstrap_look_up(&self, bp: MachPortName, name: &CStr) -> Result<MachPortName, KernReturn> {
        crate::local::Space::bootstrap_look_up(self, bp, name.to_bytes())
    }
    fn bootstrap_check_in(
        &self,
        bp: MachPortName,
        name: &CStr,
    ) -> Result<MachPortName, KernReturn> {
        crate::local::Space::bootstrap_check_in(self, bp, name.to_bytes())
    }
    fn bootstrap_register(
        &self,
        bp: MachPortName,
        name: &CStr,
        sp: MachPortName,
    ) -> Result<(), KernReturn> {
        crate::local::Space::bootstrap_register(self, bp, name.to_bytes(), sp)
    }
    fn take_region(&self, addr: usize, size: usize) -> Option<Region> {
        crate::local::vm::take_exact(addr, size, self.id())
    }
    fn give_region(&self, region: Region) -> Result<usize, Region> {
        Ok(crate::local::vm::insert(region, self.id()))
    }
    fn take_back_region(&self, addr: usize, size: usize) {
        drop(crate::local::vm::take_exact(addr, size, self.id()));
    }
    fn receive_stream(
        &self,
        name: MachPortName,
        trailer: u32,
    ) -> Result<impl futures::Stream<Item = Vec<u8>> + Send + 'static, Error> {
        let stream = crate::asynk::MessageStream::with_trailer(self, name, trailer)?;
        Ok(futures::StreamExt::map(
            stream,
            crate::asynk::Message::into_bytes,
        ))
    }
    fn take_pooled_reply_port(&self) -> Option<MachPortName> {
        crate::local::Space::take_pooled_reply_port(self)
    }
    fn pool_reply_port(&self, name: MachPortName) -> Result<(), MachPortName> {
        crate::local::Space::pool_reply_port(self, name)
    }
    async fn msg_send_async(
        &self,
        buf: &mut [u8],
        size: usize,
        timeout: Option<Duration>,
    ) -> MachMsgReturn {
        let msg = &buf[..size.min(buf.len())];
        let sent = match timeout {
            Some(t) => self.send_async_timeout(msg, t).await,
            None => self.send_async(msg).await,
        };
        sent.err().map_or(MACH_MSG_SUCCESS, |e| e.code())
    }
    async fn msg_call_async(
        &self,
        buf: &mut [u8],
        size: usize,
        reply: MachPortName,
        timeout: Option<Duration>,
    ) -> Result<usize, MachMsgReturn> {
        // The stream exists before the request leaves, so its wait covers the reply.
        let mut stream = self.messages(reply).map_err(|e| e.code())?;
        let sent = self.msg_send_async(buf, size, timeout).await;
        if sent != MACH_MSG_SUCCESS {
            return Err(sent);
        }
        let msg = match timeout {
            Some(t) => stream.recv_timeout(t).await.map_err(|e| e.code())?,
            None => stream.recv().await.ok_or(MACH_RCV_PORT_DIED)?,
        };
        let bytes = msg.into_bytes();
        if bytes.len() > buf.len() {
            crate::local::Space::msg_destroy(self, &bytes);
            return Err(MACH_RCV_TOO_LARGE);
        }
        buf[..bytes.len()].copy_from_slice(&bytes);
        Ok(bytes.len())
    }
}
