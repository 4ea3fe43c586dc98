//! The server half of generated stubs, on any transport: what a dispatcher does with
//! a request it could not or would not answer normally, and how replies leave. Generated
//! `serve` functions drive [`futures::StreamExt::for_each_concurrent`] over a receive
//! right's messages and call these. No `unsafe` here.

use super::AlignedBuf;
use crate::abi::*;
use crate::transport::Transport;
use zerocopy::IntoBytes;

pub use crate::abi::MIG_BAD_ID;

/// Why a dispatcher answers with a `mig_reply_error_t` instead of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The code to answer with (a MIG code or the implementation's `kern_return_t`).
    pub code: KernReturn,
    /// Whether the request still owns its rights and memory, which must then be destroyed
    /// (a malformed request). After the implementation ran, its arguments own them.
    pub destroy_request: bool,
}

impl Refusal {
    /// A malformed or unknown request: answered with `code`, its contents destroyed.
    pub fn malformed(code: KernReturn) -> Self {
        Refusal {
            code,
            destroy_request: true,
        }
    }

    /// The implementation's error: answered with `code`; the arguments it was given owned
    /// the request's rights and have released them.
    pub fn failed(code: KernReturn) -> Self {
        Refusal {
            code,
            destroy_request: false,
        }
    }
}

impl From<super::CodecError> for Refusal {
    /// An unpack refusal: the request is malformed.
    fn from(e: super::CodecError) -> Self {
        Refusal::malformed(e.code)
    }
}

/// What a dispatcher made of one request: the size of the reply it wrote (0 for none, as
/// for a simpleroutine) or a refusal.
pub type Handled = Result<usize, Refusal>;

/// The id of a received request (0 when it is too short to have a header).
pub fn request_id(request: &[u8]) -> i32 {
    MachMsgHeader::read(request).map_or(0, |h| h.msgh_id)
}

/// The header of a received request.
pub fn request_header(request: &[u8]) -> MachMsgHeader {
    MachMsgHeader::read(request).unwrap_or_default()
}

/// Releases the reply right a received request brought, for a request that gets no
/// reply (a simpleroutine's, whose arguments do not take it): without this, a client that
/// sent one anyway would leave the right with the server for good.
pub fn release_reply_right<T: Transport>(space: &T, request: &[u8]) {
    let head = request_header(request);
    if head.msgh_remote_port == MACH_PORT_NULL {
        return;
    }
    let mut only = [0u8; HEADER_SIZE];
    MachMsgHeader {
        msgh_bits: mach_msgh_bits(mach_msgh_bits_remote(head.msgh_bits), 0),
        msgh_size: HEADER_SIZE as u32,
        msgh_remote_port: head.msgh_remote_port,
        msgh_local_port: MACH_PORT_NULL,
        msgh_voucher_port: MACH_PORT_NULL,
        msgh_id: head.msgh_id,
    }
    .write(&mut only);
    space.msg_destroy(&only);
}

/// The elements of a request's array, or a refusal when Rust cannot view them in place
/// (misaligned for `T`).
pub fn items<T>(slice: super::ConstSlice<'_, T>) -> Result<&[T], Refusal> {
    slice
        .get()
        .ok_or(Refusal::malformed(super::MIG_BAD_ARGUMENTS))
}

/// Copies a result array into a reply's fixed array and sets its count; more elements
/// than fit is `MIG_ARRAY_TOO_LARGE`.
pub fn fill<T: Copy>(dst: &mut [T], count: &mut u32, src: &[T]) -> Result<(), Refusal> {
    if src.len() > dst.len() {
        return Err(Refusal::failed(MIG_ARRAY_TOO_LARGE));
    }
    dst[..src.len()].copy_from_slice(src);
    *count = src.len() as u32;
    Ok(())
}

/// Copies a result string into a reply's NUL-terminated field; it must leave room for the
/// NUL and hold none itself.
pub fn fill_c_string(dst: &mut [u8], src: &[u8]) -> Result<(), Refusal> {
    if src.len() >= dst.len() || src.contains(&0) {
        return Err(Refusal::failed(MIG_ARRAY_TOO_LARGE));
    }
    dst[..src.len()].copy_from_slice(src);
    dst[src.len()..].fill(0);
    Ok(())
}

/// The requests arriving on `port`, each with the trailer elements up to the audit token
/// and the context, which generated unpack functions read for their implicit arguments.
pub fn requests<T: Transport>(
    port: &(impl crate::rights::Receiving<T> + ?Sized),
) -> Result<impl futures::Stream<Item = Vec<u8>> + Send + 'static, crate::Error> {
    port.receiving_task()
        .receive_stream(port.receiving_name(), MACH_RCV_TRAILER_AV)
}

/// What a generated `take_message` does: unpacks one request that arrived in task `T`
/// into an owned value `M`, or refuses it.
pub type Take<T, M> = fn(&T, &[u8], usize) -> Result<M, Refusal>;

/// The simpleroutine requests of one subsystem arriving on a port, as owned values `T`
/// (the generated `<Subsystem>Message`): what a generated `messages(port)` returns.
///
/// It receives a message only when polled for the next item, one at a time (on the local
/// transport; the default receiving thread of other transports keeps at most one more),
/// so the port's queue limit is the backpressure: while the consumer is busy with an item, at
/// most `qlimit` more messages wait on the port and blocking senders wait for room. A
/// request that does not unpack (malformed, or of a routine this stream does not take)
/// is destroyed, answered with Apple's error reply when it has a reply port, and comes
/// out as `Err` with its code; the stream goes on. It ends when the port dies.
pub struct Requests<T> {
    inner: core::pin::Pin<Box<dyn futures::Stream<Item = Result<T, KernReturn>> + Send>>,
}

impl<T> core::fmt::Debug for Requests<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Requests").finish_non_exhaustive()
    }
}

impl<T> futures::Stream for Requests<T> {
    type Item = Result<T, KernReturn>;

    fn poll_next(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The requests arriving on `port` as values `take` unpacks from each, in an aligned
/// buffer of at least `room` bytes (see [`Requests`]).
pub fn simple_requests<T: Transport, M: Send + 'static>(
    port: &(impl crate::rights::Receiving<T> + ?Sized),
    room: usize,
    take: Take<T, M>,
) -> Result<Requests<M>, crate::Error> {
    use futures::StreamExt;
    let space = port.receiving_task().clone();
    // `then` polls the port again only after the previous item went out, so no message
    // is received ahead of the consumer.
    let stream = requests(port)?.then(move |message| {
        let space = space.clone();
        async move {
            let (request, len) = request_buf(message, room);
            match take(&space, request.bytes(), len) {
                Ok(value) => Ok(value),
                Err(refusal) => {
                    let mut reply = AlignedBuf::new(HEADER_SIZE + 12);
                    finish(&space, request.bytes(), &mut reply, Err(refusal)).await;
                    Err(refusal.code)
                }
            }
        }
    });
    Ok(Requests {
        inner: Box::pin(stream),
    })
}

/// A received message copied into an aligned buffer of at least `room` bytes (unpack
/// functions want room for their whole message struct), and its valid length.
pub fn request_buf(bytes: Vec<u8>, room: usize) -> (AlignedBuf, usize) {
    let mut buf = AlignedBuf::new(bytes.len().max(room).max(HEADER_SIZE));
    buf.bytes_mut()[..bytes.len()].copy_from_slice(&bytes);
    (buf, bytes.len())
}

/// Runs a dispatcher's future, turning a panic of the server routine into a
/// `MIG_EXCEPTION` answer: the routine's arguments, which owned the request's rights and
/// memory, were dropped while unwinding, so nothing else is destroyed, and the serve loop
/// goes on with the next request. (The panic hook still reports the panic.)
pub async fn guarded(dispatch: impl core::future::Future<Output = Handled>) -> Handled {
    use futures::FutureExt;
    core::panic::AssertUnwindSafe(dispatch)
        .catch_unwind()
        .await
        .unwrap_or(Err(Refusal::failed(MIG_EXCEPTION)))
}

/// Sends what a dispatcher made of `request`: its reply, or Apple's error reply, destroying
/// whatever must not outlive the exchange (a refused request's contents, a reply that
/// could not be sent), as `mach_msg_server` does.
pub async fn finish<T: Transport>(
    space: &T,
    request: &[u8],
    reply: &mut AlignedBuf,
    handled: Handled,
) {
    let head = request_header(request);
    let size = match handled {
        Ok(0) => return,
        Ok(size) => size,
        Err(refusal) => {
            if refusal.destroy_request {
                // The reply port is answered below, so it is not destroyed with the rest.
                let mut copy = request.to_vec();
                if copy.len() >= HEADER_SIZE {
                    MachMsgHeader {
                        msgh_remote_port: MACH_PORT_NULL,
                        ..head
                    }
                    .write(&mut copy);
                    space.msg_destroy(&copy);
                }
            }
            if head.msgh_remote_port == MACH_PORT_NULL {
                return;
            }
            let error = MigReplyError {
                head: MachMsgHeader {
                    msgh_bits: mach_msgh_bits(mach_msgh_bits_remote(head.msgh_bits), 0),
                    msgh_size: 36,
                    msgh_remote_port: head.msgh_remote_port,
                    msgh_local_port: MACH_PORT_NULL,
                    msgh_voucher_port: MACH_PORT_NULL,
                    msgh_id: head.msgh_id.wrapping_add(100),
                },
                ndr: NdrRecord::DEFAULT,
                ret_code: refusal.code,
            };
            reply.bytes_mut()[..36].copy_from_slice(error.as_bytes());
            36
        }
    };
    if space.msg_send_async(reply.bytes_mut(), size, None).await != MACH_MSG_SUCCESS {
        // The client's reply port is gone: the reply's rights are still ours to release.
        space.msg_destroy(&reply.bytes()[..size]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_fill_reply_fields() {
        let mut dst = [0i32; 3];
        let mut count = 0;
        fill(&mut dst, &mut count, &[4, 5]).unwrap();
        assert_eq!((dst, count), ([4, 5, 0], 2));
        assert_eq!(
            fill(&mut dst, &mut count, &[1; 4]),
            Err(Refusal::failed(MIG_ARRAY_TOO_LARGE))
        );
        let mut s = [9u8; 4];
        fill_c_string(&mut s, b"ab").unwrap();
        assert_eq!(s, *b"ab\0\0");
        assert_eq!(
            fill_c_string(&mut s, b"abcd"),
            Err(Refusal::failed(MIG_ARRAY_TOO_LARGE))
        );
        // A name with a NUL inside would be cut short on the wire: refused as well.
        assert_eq!(
            fill_c_string(&mut s, b"a\0"),
            Err(Refusal::failed(MIG_ARRAY_TOO_LARGE))
        );
    }
    use crate::local::Space;
    use crate::rights::allocate_pair;

    #[test]
    fn a_refused_request_gets_an_error_reply_and_its_rights_are_destroyed() {
        let space = Space::new();
        {
            let (reply_port, _keep) = allocate_pair(&space).unwrap();
            let (carried, carried_send) = allocate_pair(&space).unwrap();
            // A received request as the server sees it: the reply right (send-once) in the
            // remote field, and one port descriptor carrying a send right to destroy.
            let once = reply_port.make_send_once().unwrap().into_raw();
            let mut request = vec![0u8; 40];
            MachMsgHeader {
                msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX,
                msgh_size: 40,
                msgh_remote_port: once,
                msgh_id: 77,
                ..Default::default()
            }
            .write(&mut request);
            write_u32(&mut request, 24, 1);
            write_u32(&mut request, 28, carried_send.into_raw());
            write_u32(
                &mut request,
                36,
                port_descriptor_word(MACH_MSG_TYPE_MOVE_SEND),
            );
            let mut reply = AlignedBuf::new(64);
            futures::executor::block_on(finish(
                &space,
                &request,
                &mut reply,
                Err(Refusal::malformed(MIG_BAD_ID)),
            ));
            let mut buf = [0u8; 128];
            let rc = space.mach_msg(&mut buf, MACH_RCV_MSG, 0, 128, reply_port.name(), 0, 0);
            assert_eq!(rc, MACH_MSG_SUCCESS);
            let got = MachMsgHeader::read(&buf).unwrap();
            assert_eq!(got.msgh_id, 177);
            assert_eq!(got.msgh_size, 36);
            assert_eq!(
                i32::from_ne_bytes(buf[32..36].try_into().unwrap()),
                MIG_BAD_ID
            );
            drop(carried);
        }
        space.assert_no_leaks();
    }
}
