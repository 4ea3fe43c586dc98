//! The example's two streams on sizes small enough for a test, checked against the
//! closed form; the Mach stream's backpressure with a small queue limit and a slow
//! consumer; malformed requests on the port; and the program itself.

use std::process::Command;

use futures::StreamExt;
use migz::Space;
use migz::abi::{
    MACH_MSG_SUCCESS, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_RCV_MSG,
    MACH_SEND_MSG, MIG_BAD_ID, MachMsgHeader, mach_msgh_bits,
};
use migz::rights::{ReceiveRight, allocate_pair};
use migz_example_stream_from_zig::chunk_stream::{self, ChunkStreamMessage};
use migz_example_stream_from_zig::{
    CHUNK_ITEMS_MAX, Error, ITEMS_MAX, expected_sum, sum_mach, sum_ring, zig,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn chunks_for(items: u64) -> u64 {
    items.div_ceil(CHUNK_ITEMS_MAX as u64)
}

#[test]
fn the_ring_stream_sums_to_the_closed_form() {
    let rt = runtime();
    for (items, ring_bytes) in [
        (0, 64),
        (1, 64),
        (1000, 256),
        (3_000_001, 4096),
        (1 << 20, 1 << 20),
    ] {
        let got = rt.block_on(sum_ring(items, ring_bytes)).unwrap();
        assert_eq!(got.items, items);
        assert_eq!(got.sum, expected_sum(items), "{items} items");
        // A ring of `ring_bytes` hands out at most that much at a time.
        assert!(got.chunks >= items * 4 / ring_bytes);
    }
}

#[test]
fn bad_arguments_are_refused_before_anything_runs() {
    let rt = runtime();
    assert!(matches!(
        rt.block_on(sum_ring(ITEMS_MAX + 1, 1 << 20)),
        Err(Error::TooManyItems { items }) if items == ITEMS_MAX + 1
    ));
    // Not a power of two.
    assert!(matches!(
        rt.block_on(sum_ring(10, 1000)),
        Err(Error::Ring(migz::stream::RingError::InvalidArgument))
    ));
    let space = Space::new();
    let r = rt.block_on(sum_mach(&space, ITEMS_MAX + 1, 5, async |_, _| {}));
    assert!(matches!(r, Err(Error::TooManyItems { items }) if items == ITEMS_MAX + 1));
    space.assert_no_leaks();
}

#[test]
fn the_mach_stream_sums_to_the_closed_form() {
    let rt = runtime();
    let space = Space::new();
    for items in [0, 1, 8191, 8192, 8193, 200_000] {
        let got = rt
            .block_on(sum_mach(&space, items, 5, async |_, _| {}))
            .unwrap();
        assert_eq!(got.items, items);
        assert_eq!(got.sum, expected_sum(items), "{items} items");
        assert_eq!(got.chunks, chunks_for(items));
    }
    space.assert_no_leaks();
}

/// A slow consumer of a port with a queue limit of 2: before taking each message it
/// waits until the producer has filled the queue, and checks that the producer never
/// got further ahead than the limit.
#[test]
fn the_queue_limit_holds_the_mach_producer_back() {
    const QLIMIT: u32 = 2;
    let items = 40 * CHUNK_ITEMS_MAX as u64 + 5;
    // The chunks, then `end_stream`.
    let messages = chunks_for(items) + 1;
    let rt = runtime();
    let space = Space::new();
    let mut full_seen = 0u64;
    let got = rt
        .block_on(sum_mach(&space, items, QLIMIT, async |port, summary| {
            // `summary.chunks` messages were taken; the producer has at most QLIMIT more
            // queued, and blocks in `mach_msg` rather than send another.
            let remaining = messages - summary.chunks;
            let mut waited = 0;
            loop {
                let backlog = port.message_count().unwrap();
                assert!(
                    backlog <= QLIMIT,
                    "{backlog} messages queued, over the limit"
                );
                if u64::from(backlog) == remaining.min(u64::from(QLIMIT)) {
                    if backlog == QLIMIT {
                        full_seen += 1;
                    }
                    break;
                }
                waited += 1;
                assert!(waited < 10_000, "the producer stopped sending");
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        }))
        .unwrap();
    assert_eq!(got.sum, expected_sum(items));
    assert_eq!(got.chunks, chunks_for(items));
    // Each time at least QLIMIT messages were still to come, the queue was full: the
    // producer ran ahead exactly to the limit and no further.
    assert_eq!(full_seen, messages - u64::from(QLIMIT));
    space.assert_no_leaks();
}

/// Sends a message of `id` and `size` bytes (zeroed after the header) to `to`, with a
/// send-once reply right made from `reply`.
fn send_raw(space: &Space, to: u32, reply: &ReceiveRight<Space>, id: i32, size: u32) {
    let mut msg = vec![0u8; size as usize];
    MachMsgHeader {
        msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
        msgh_size: size,
        msgh_remote_port: to,
        msgh_local_port: reply.name(),
        msgh_id: id,
        ..Default::default()
    }
    .write(&mut msg);
    assert_eq!(
        space.mach_msg(&mut msg, MACH_SEND_MSG, size, 0, 0, 0, 0),
        MACH_MSG_SUCCESS
    );
}

/// The code of the error reply waiting on `reply`, with its id.
fn error_reply(space: &Space, reply: &ReceiveRight<Space>) -> (i32, i32) {
    let mut buf = [0u8; 128];
    let rc = space.mach_msg(&mut buf, MACH_RCV_MSG, 0, 128, reply.name(), 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
    let head = MachMsgHeader::read(&buf).unwrap();
    let code = i32::from_ne_bytes(buf[32..36].try_into().unwrap());
    (head.msgh_id, code)
}

#[test]
fn malformed_requests_come_out_as_errors_and_the_stream_goes_on() {
    let rt = runtime();
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let (reply, _reply_send) = allocate_pair(&space).unwrap();
        let mut messages = chunk_stream::messages(&port).unwrap();
        // An id the subsystem does not have, and a `push_chunk` cut short.
        send_raw(&space, send.name(), &reply, 4799, 24);
        send_raw(&space, send.name(), &reply, chunk_stream::PUSH_CHUNK_ID, 36);
        // Ten items: one chunk and the end, which fit in the default queue (5).
        assert_eq!(
            migz::bridge::call_zig(&send, 10, zig::mach_producer),
            migz::abi::KERN_SUCCESS
        );
        drop(send);
        let got: Vec<_> = rt.block_on(async {
            let mut got = Vec::new();
            for _ in 0..4 {
                got.push(messages.next().await.unwrap());
            }
            got
        });
        assert_eq!(got[0].as_ref().unwrap_err(), &MIG_BAD_ID);
        assert!(
            got[1].is_err(),
            "a truncated request unpacked: {:?}",
            got[1]
        );
        match &got[2] {
            Ok(ChunkStreamMessage::PushChunk { seq: 0, data }) => {
                assert_eq!(data, &(0..10).collect::<Vec<i32>>())
            }
            other => panic!("expected the chunk, got {other:?}"),
        }
        match &got[3] {
            Ok(ChunkStreamMessage::EndStream { chunks: 1, total }) => assert_eq!(*total, 45),
            other => panic!("expected the end, got {other:?}"),
        }
        // Each refused request was answered with Apple's error reply.
        assert_eq!(error_reply(&space, &reply), (4899, MIG_BAD_ID));
        let (id, code) = error_reply(&space, &reply);
        assert_eq!(
            (id, code),
            (
                chunk_stream::PUSH_CHUNK_ID + 100,
                *got[1].as_ref().unwrap_err()
            )
        );
        drop(messages);
    }
    space.assert_no_leaks();
}

fn run_example(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stream_from_zig"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_program_sums_both_ways() {
    let (ok, stdout, stderr) = run_example(&["both", "3M"]);
    assert!(ok, "{stdout}{stderr}");
    let items = 3 << 18;
    let sum = expected_sum(items);
    assert!(stdout.contains(&format!("items: {items} i32")), "{stdout}");
    for mode in ["ring", "mach"] {
        let line = format!("{mode}: {items} items in ");
        let found = stdout.lines().find(|l| l.starts_with(&line));
        let found = found.unwrap_or_else(|| panic!("no `{line}` in {stdout}"));
        assert!(found.contains(&format!("sum {sum} (correct)")), "{found}");
    }
    assert!(stdout.contains("peak RSS: "), "{stdout}");
}

#[test]
fn the_program_refuses_bad_arguments() {
    let (ok, _, stderr) = run_example(&["sideways"]);
    assert!(!ok);
    assert!(stderr.contains("usage"), "{stderr}");
    let (ok, _, stderr) = run_example(&["ring", "9G"]);
    assert!(!ok);
    assert!(stderr.contains("more than"), "{stderr}");
}
