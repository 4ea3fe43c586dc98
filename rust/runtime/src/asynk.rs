//! Async messaging on tokio (or any executor) over the local transport: a receive right or
//! port set is a `futures::Stream` of messages, and an async send waits for queue room.
//!
//! Wakers are registered in the port's own wait lists, so no thread waits on behalf of a
//! task. Both futures are cancellation-safe by construction: a message is dequeued and
//! copied out within the single poll that returns it, and a message is copied in and
//! queued within the single poll that reserves its slot, so dropping a future between
//! polls can neither lose a received message nor leave a send half done. Per-call
//! timeouts compose with `tokio::time::timeout`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;

use crate::abi::*;
use crate::error::Error;
use crate::local::Space;
use crate::local::kmsg::FlushOnDrop;
use crate::local::msg::{Memory, Prepared, Source};
use crate::local::park::Waiter;
use crate::local::port::{self, Dequeue, Port, Reserve};
use crate::rights::ReceiveRight;

pub use crate::ffi::Requests;

/// A received message: its bytes in the wire format, trailer included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    bytes: Vec<u8>,
    size: usize,
    status: MachMsgReturn,
}

impl Message {
    /// The header.
    pub fn header(&self) -> MachMsgHeader {
        MachMsgHeader::read(&self.bytes).expect("a received message has a header")
    }

    /// The message bytes (header and body, without the trailer).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.size]
    }

    /// The trailer bytes.
    pub fn trailer(&self) -> &[u8] {
        &self.bytes[self.size..]
    }

    /// `MACH_MSG_SUCCESS`, or `MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE` when some right
    /// could not be given a name (its descriptor says `MACH_PORT_NULL`).
    pub fn status(&self) -> MachMsgReturn {
        self.status
    }

    /// Everything, trailer included.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The messages arriving on a receive right or port set. Ends when the port or set dies
/// or the receive right moves to another space.
#[derive(Debug)]
pub struct MessageStream {
    space: Space,
    source: Source,
    trailer_size: u32,
    wait: Option<u64>,
}

impl MessageStream {
    /// A stream over the receive right or port set `name` in `space`, delivering the
    /// 8-byte default trailer.
    pub fn new(space: &Space, name: MachPortName) -> Result<MessageStream, Error> {
        MessageStream::with_trailer(space, name, MACH_RCV_TRAILER_NULL)
    }

    /// The same, delivering `elements` trailer elements (`MACH_RCV_TRAILER_*`).
    pub fn with_trailer(
        space: &Space,
        name: MachPortName,
        elements: u32,
    ) -> Result<MessageStream, Error> {
        let trailer_size = *TRAILER_SIZES
            .get(elements as usize)
            .ok_or(Error::InvalidValue)?;
        let source = space
            .receive_source(name)
            .map_err(|_| Error::RcvInvalidName)?;
        Ok(MessageStream {
            space: space.clone(),
            source,
            trailer_size,
            wait: None,
        })
    }

    fn cancel_wait(&mut self) {
        if let Some(id) = self.wait.take() {
            match &self.source {
                Source::Port(p, _) => port::cancel_recv_wait(p, id),
                Source::Set(ps) => port::cancel_set_wait(ps, id),
            }
        }
    }

    /// The next message (a convenience over `StreamExt::next`).
    pub async fn recv(&mut self) -> Option<Message> {
        futures::StreamExt::next(self).await
    }

    /// The next message within `timeout` (needs a tokio runtime with time enabled).
    /// `Err(Error::RcvTimedOut)` on timeout, `Err(Error::RcvPortDied)` when the stream ended;
    /// a timeout loses no message.
    pub async fn recv_timeout(&mut self, timeout: std::time::Duration) -> Result<Message, Error> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(Error::RcvPortDied),
            Err(_) => Err(Error::RcvTimedOut),
        }
    }
}

impl Drop for MessageStream {
    fn drop(&mut self) {
        self.cancel_wait();
    }
}

impl Stream for MessageStream {
    type Item = Message;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let _f = FlushOnDrop;
        let this = self.get_mut();
        this.cancel_wait();
        let w = Some(Waiter::Task(cx.waker().clone()));
        let got = match &this.source {
            Source::Port(p, epoch) => {
                port::dequeue_port(p, *epoch, u32::MAX, this.trailer_size, false, w)
            }
            Source::Set(ps) => port::dequeue_set(ps, u32::MAX, this.trailer_size, false, w),
        };
        match got {
            Dequeue::Msg(d) => {
                let size = d.kmsg.size as usize;
                let total = size + this.trailer_size as usize;
                let mut bytes = vec![0u8; total];
                let status = this
                    .space
                    .copyout(&mut bytes, d, total as u32, this.trailer_size);
                Poll::Ready(Some(Message {
                    bytes,
                    size,
                    status,
                }))
            }
            Dequeue::Empty(id) => {
                this.wait = id;
                Poll::Pending
            }
            // With no size limit nothing is too large; a dead port or set ends the stream.
            // (A receive right that moved to another space ends it too.)
            Dequeue::TooLarge(_) | Dequeue::Dead | Dequeue::Changed => Poll::Ready(None),
        }
    }
}

/// A send that waits for queue room (see `Space::send_async`).
#[derive(Debug)]
pub struct SendFuture<'a> {
    space: &'a Space,
    msg: &'a [u8],
    wait: Option<(Arc<Port>, u64)>,
}

impl SendFuture<'_> {
    fn cancel_wait(&mut self) {
        if let Some((p, id)) = self.wait.take() {
            port::cancel_send_wait(&p, id);
        }
    }
}

impl Drop for SendFuture<'_> {
    fn drop(&mut self) {
        self.cancel_wait();
    }
}

impl Future for SendFuture<'_> {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _f = FlushOnDrop;
        let this = self.get_mut();
        this.cancel_wait();
        let p = match Prepared::new(this.msg, this.msg.len() as u32) {
            Ok(p) => p,
            Err(e) => return Poll::Ready(Error::check(e)),
        };
        for _ in 0..4 {
            let dest = match this.space.resolve_dest(&p) {
                Ok(d) => d,
                Err(e) => return Poll::Ready(Error::check(e)),
            };
            match port::reserve(&dest, p.once, Some(Waiter::Task(cx.waker().clone()))) {
                Reserve::Got(r) => match this.space.send_reserved(&p, Memory::Owned, &dest, r) {
                    Ok(code) => return Poll::Ready(Error::check(code)),
                    Err(_) => continue,
                },
                Reserve::Dead => return Poll::Ready(Err(Error::SendInvalidDest)),
                Reserve::Full(id) => {
                    this.wait = id.map(|id| (dest.clone(), id));
                    // A message that could never be sent fails now rather than after waiting.
                    if let Err(e) = this.space.validate(&p, Memory::Owned, &dest) {
                        this.cancel_wait();
                        return Poll::Ready(Error::check(e));
                    }
                    return Poll::Pending;
                }
            }
        }
        Poll::Ready(Err(Error::SendInvalidDest))
    }
}

impl Space {
    /// Sends `msg` (all of it, `msg.len()` bytes), waiting without blocking the thread for
    /// room in the destination's queue. Out-of-line addresses must be regions this space
    /// owns. Wrap it in `tokio::time::timeout` for a deadline.
    pub fn send_async<'a>(&'a self, msg: &'a [u8]) -> SendFuture<'a> {
        SendFuture {
            space: self,
            msg,
            wait: None,
        }
    }

    /// `send_async` with a deadline (needs a tokio runtime with time enabled):
    /// `Err(Error::SendTimedOut)` when the queue stayed full, in which case nothing was sent
    /// and every right is still the sender's.
    pub async fn send_async_timeout(
        &self,
        msg: &[u8],
        timeout: std::time::Duration,
    ) -> Result<(), Error> {
        match tokio::time::timeout(timeout, self.send_async(msg)).await {
            Ok(r) => r,
            Err(_) => Err(Error::SendTimedOut),
        }
    }

    /// The messages arriving on the receive right or port set `name`.
    pub fn messages(&self, name: MachPortName) -> Result<MessageStream, Error> {
        MessageStream::new(self, name)
    }
}

impl ReceiveRight<Space> {
    /// The messages arriving on this right.
    pub fn messages(&self) -> Result<MessageStream, Error> {
        MessageStream::new(self.task(), self.name())
    }
}
