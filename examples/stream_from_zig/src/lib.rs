//! The `stream_from_zig` example: a Zig producer writes the integers 0, 1, 2, ... and a
//! Rust task on tokio sums them as a `futures::Stream`, in two ways.
//!
//! - [`sum_ring`]: through a bounded ring (`migz::stream`), read in place as borrowed
//!   chunks, with the ring's size as the backpressure and the memory bound;
//! - [`sum_mach`]: as Mach messages, one `push_chunk` simpleroutine per chunk (see
//!   `defs/chunk_stream.defs`), read with the generated [`chunk_stream::messages`] as
//!   owned [`chunk_stream::ChunkStreamMessage`]s, with the port's queue limit as the
//!   backpressure.
//!
//! Both check the sum against the closed form ([`expected_sum`]). The Zig producers are
//! in `zig/producer.zig`, built and linked by `migz-build` in `build.rs`.

#![forbid(unsafe_code)]

use futures::StreamExt;
use migz::Space;
use migz::rights::ReceiveRight;
use migz::stream::{StreamError, from_zig};

/// The stubs generated from `defs/chunk_stream.defs`.
pub mod chunk_stream {
    include!(concat!(env!("OUT_DIR"), "/chunk_stream.rs"));
}

/// The Zig producers of `zig/producer.zig`.
pub mod zig {
    migz::zig_producer! {
        /// Fills the ring with the items 0, 1, ..., `arg - 1` in place, then closes it;
        /// returns a `MIGZ1_STREAM_*` status.
        pub fn ring_producer = migz_example_stream_from_zig_ring_producer;
    }
    migz::zig_entry! {
        /// Sends the items 0, 1, ..., `arg - 1` in `push_chunk` messages (numbered from 0)
        /// to the borrowed send right, then `end_stream`; returns the first failing
        /// send's code.
        pub fn mach_producer = migz_example_stream_from_zig_mach_producer;
    }
}

/// The most items the Zig producers write (`items_max` of `zig/producer.zig`): each item
/// is its own index as an `i32`.
pub const ITEMS_MAX: u64 = 1 << 31;

/// Items per `push_chunk` message, as many as the `.defs` allows.
pub const CHUNK_ITEMS_MAX: usize = 8192;

/// What went wrong with a stream.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// More items than the producers write.
    #[error("{items} items is more than the {ITEMS_MAX} the producers write")]
    TooManyItems {
        /// The items asked for.
        items: u64,
    },
    /// The ring could not be made.
    #[error("cannot make the ring: {0}")]
    Ring(#[from] migz::stream::RingError),
    /// The ring stream ended with an error.
    #[error("the ring stream failed: {0}")]
    Stream(#[from] StreamError),
    /// A port call failed.
    #[error("port: {0}")]
    Port(#[from] migz::Error),
    /// The Zig producer returned a failure code.
    #[error("the Zig producer failed with code {0:#x}")]
    Producer(i32),
    /// The producer thread panicked.
    #[error("the producer thread panicked")]
    ProducerPanicked,
    /// A request on the port did not unpack (its MIG code).
    #[error("a malformed request (code {0})")]
    Malformed(i32),
    /// The messages did not arrive in order, or the end disagrees with them.
    #[error("out of order: {0}")]
    Order(String),
    /// The port died before `end_stream` arrived.
    #[error("the stream ended before end_stream")]
    Truncated,
}

/// What a consumer saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Items received.
    pub items: u64,
    /// Their sum.
    pub sum: i64,
    /// Chunks (ring reads or messages) they came in.
    pub chunks: u64,
}

/// The sum of 0, 1, ..., `items - 1`: what the producers' items add up to.
pub fn expected_sum(items: u64) -> i64 {
    let n = i128::from(items);
    // At most 2^31 items, so the sum is below 2^61.
    i64::try_from(n * (n - 1).max(0) / 2).expect("the sum of at most 2^31 items fits in i64")
}

fn check_items(items: u64) -> Result<(), Error> {
    if items > ITEMS_MAX {
        return Err(Error::TooManyItems { items });
    }
    Ok(())
}

/// Sums `items` items that the Zig ring producer writes into a ring of `ring_bytes`
/// bytes (a power of two), on a thread of its own, reading them in place as the
/// `futures::Stream` of borrowed chunks that [`migz::stream::from_zig`] gives.
pub async fn sum_ring(items: u64, ring_bytes: u64) -> Result<Summary, Error> {
    check_items(items)?;
    let (mut stream, end) = from_zig::<i32>(ring_bytes)?;
    let producer = std::thread::spawn(move || zig::ring_producer(end, items));
    let mut summary = Summary::default();
    let mut failed = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                // The chunk is the ring's own memory; dropping it gives the room back.
                summary.sum += chunk.iter().map(|&x| i64::from(x)).sum::<i64>();
                summary.items += chunk.len() as u64;
                summary.chunks += 1;
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    // Dropping the stream first lets a producer still waiting for room see that it is gone.
    drop(stream);
    let code = producer.join().map_err(|_| Error::ProducerPanicked)?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if code != migz::stream::STREAM_OK {
        return Err(Error::Producer(code));
    }
    Ok(summary)
}

/// Sums `items` items that the Zig Mach producer sends as `push_chunk` messages to a
/// port with queue limit `qlimit`, reading them with the generated
/// [`chunk_stream::messages`] until `end_stream`, whose count and total it checks.
/// `on_message` runs after each message is taken off the port, before the next is
/// received (a slow consumer holds the producer back here).
pub async fn sum_mach(
    space: &Space,
    items: u64,
    qlimit: u32,
    mut on_message: impl AsyncFnMut(&ReceiveRight<Space>, &Summary),
) -> Result<Summary, Error> {
    use chunk_stream::ChunkStreamMessage as Message;
    check_items(items)?;
    let port = ReceiveRight::with_qlimit(space, qlimit)?;
    let send = port.make_send()?;
    let mut messages = chunk_stream::messages(&port)?;
    let producer = tokio::task::spawn_blocking(move || {
        let code = migz::bridge::call_zig(&send, items, zig::mach_producer);
        drop(send);
        code
    });
    let mut summary = Summary::default();
    let result = loop {
        let Some(message) = messages.next().await else {
            break Err(Error::Truncated);
        };
        match message {
            Ok(Message::PushChunk { seq, data }) => {
                if u64::try_from(seq) != Ok(summary.chunks) {
                    break Err(Error::Order(format!(
                        "chunk {seq} after {} chunks",
                        summary.chunks
                    )));
                }
                summary.sum += data.iter().map(|&x| i64::from(x)).sum::<i64>();
                summary.items += data.len() as u64;
                summary.chunks += 1;
            }
            Ok(Message::EndStream { chunks, total }) => {
                if u64::try_from(chunks) != Ok(summary.chunks) || total != summary.sum {
                    break Err(Error::Order(format!(
                        "end_stream says {chunks} chunks summing to {total}, got {} summing to {}",
                        summary.chunks, summary.sum
                    )));
                }
                break Ok(summary);
            }
            Err(code) => break Err(Error::Malformed(code)),
        }
        on_message(&port, &summary).await;
    };
    // Destroying the port wakes a producer still waiting for room; its send then fails.
    drop(messages);
    drop(port);
    let code = producer.await.map_err(|_| Error::ProducerPanicked)?;
    let summary = result?;
    if code != migz::abi::KERN_SUCCESS {
        return Err(Error::Producer(code));
    }
    Ok(summary)
}

/// The process's peak resident set size in bytes (Linux: `VmHWM` of
/// `/proc/self/status`), or `None` where it is not known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_form_adds_up() {
        for n in [0u64, 1, 2, 10, 1000] {
            let direct: i64 = (0..n).map(|x| x as i64).sum();
            assert_eq!(expected_sum(n), direct);
        }
        assert_eq!(expected_sum(ITEMS_MAX), (1i64 << 61) - (1i64 << 30));
    }
}
