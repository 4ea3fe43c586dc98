//! The send hot path (a message without descriptors through a copied send right, or a
//! reply through a moved send-once right, queued under one hold of the sender's table lock
//! with its destination right counted by the queue): racing senders and repliers, a full
//! queue, a receive right dying with such messages queued, and names shared by the
//! destination and the reply right, each with the exact outcome xnu gives.

mod common;

use common::*;
use migz::Space;
use migz::abi::*;

const CLIENTS: u32 = 4;
const CALLS: u32 = 5_000;

/// Receive options asking for the sender trailer, which carries the sequence number.
fn seqno_option() -> i32 {
    mach_rcv_trailer_type(MACH_MSG_TRAILER_FORMAT_0)
        | mach_rcv_trailer_elements(MACH_RCV_TRAILER_SENDER)
}

#[test]
fn racing_callers_each_get_their_own_replies_in_order() {
    // Four clients, each in its own space, call one server through copied send rights with
    // a reply right made for each call; the server answers through the moved send-once
    // rights. Every request arrives once, in order per client, with consecutive sequence
    // numbers; every reply reaches its caller; nothing is left behind.
    let server = Space::new();
    let port = server.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let clients: Vec<Space> = (0..CLIENTS).map(|_| Space::new()).collect();
    let threads: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.port_insert_right(0x1000, &server, port, MACH_MSG_TYPE_MAKE_SEND)
                .unwrap();
            let c = c.clone();
            std::thread::spawn(move || {
                let reply = c.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
                let mut buf = vec![0u8; 128];
                for seq in 0..CALLS {
                    let mut payload = [0u8; 8];
                    payload[..4].copy_from_slice(&(i as u32).to_ne_bytes());
                    payload[4..].copy_from_slice(&seq.to_ne_bytes());
                    let m = simple(
                        0x1000,
                        MACH_MSG_TYPE_COPY_SEND,
                        reply,
                        MACH_MSG_TYPE_MAKE_SEND_ONCE,
                        1,
                        &payload,
                    );
                    buf[..m.len()].copy_from_slice(&m);
                    let r = c.mach_msg(
                        &mut buf,
                        MACH_SEND_MSG | MACH_RCV_MSG,
                        m.len() as u32,
                        128,
                        reply,
                        0,
                        0,
                    );
                    assert_eq!(r, 0);
                    let h = header(&buf);
                    assert_eq!(h.msgh_id, 101);
                    assert_eq!(h.msgh_local_port, reply);
                    assert_eq!(h.msgh_bits, mach_msgh_bits(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
                    assert_eq!(read_u32(&buf, 24).unwrap(), i as u32, "my own reply");
                    assert_eq!(read_u32(&buf, 28).unwrap(), seq, "in order");
                }
                // Every send-once right made for a call was used by its reply.
                let mut status = [0u32; MACH_PORT_RECEIVE_STATUS_COUNT as usize];
                c.port_get_attributes(reply, MACH_PORT_RECEIVE_STATUS, &mut status)
                    .unwrap();
                assert_eq!(status[1], CALLS, "seqno: every reply arrived");
                assert_eq!(status[5], 0, "sorights");
                c.port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
                c.port_deallocate(0x1000).unwrap();
            })
        })
        .collect();
    let mut next = vec![0u32; CLIENTS as usize];
    let mut buf = vec![0u8; 128];
    for n in 0..CLIENTS * CALLS {
        let r = server.mach_msg(&mut buf, MACH_RCV_MSG | seqno_option(), 0, 128, port, 0, 0);
        assert_eq!(r, 0);
        let h = header(&buf);
        assert_eq!(
            h.msgh_bits,
            mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND)
        );
        assert_eq!(h.msgh_size, 32);
        assert_eq!(read_u32(&buf, 32 + 8).unwrap(), n, "consecutive seqnos");
        let client = read_u32(&buf, 24).unwrap() as usize;
        let seq = read_u32(&buf, 28).unwrap();
        assert_eq!(seq, next[client], "client {client}: in order, once");
        next[client] += 1;
        // Answer with the same payload through the moved send-once right.
        let mut reply = simple(
            h.msgh_remote_port,
            MACH_MSG_TYPE_MOVE_SEND_ONCE,
            0,
            0,
            101,
            &[0; 8],
        );
        reply[24..32].copy_from_slice(&buf[24..32]);
        assert_eq!(send(&server, &reply, None), 0);
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(next.iter().all(|&n| n == CALLS));
    assert_eq!(server.port_get_srights(port).unwrap(), 0);
    server
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    server.assert_no_leaks();
    for c in &clients {
        c.assert_no_leaks();
    }
}

#[test]
fn a_full_queue_turns_senders_away_until_a_message_leaves() {
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_set_attributes(p, MACH_PORT_LIMITS_INFO, &[2])
        .unwrap();
    other
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let request = |id| simple(0x900, MACH_MSG_TYPE_COPY_SEND, 0, 0, id, &[]);
    assert_eq!(send(&other, &request(1), Some(0)), 0);
    assert_eq!(send(&other, &request(2), Some(0)), 0);
    assert_eq!(send(&other, &request(3), Some(0)), MACH_SEND_TIMED_OUT);
    assert_eq!(send(&other, &request(3), Some(5)), MACH_SEND_TIMED_OUT);
    assert_eq!(
        s.port_get_srights(p).unwrap(),
        3,
        "the name's and two queued"
    );
    // A send-once right may pass the user limit, as in xnu.
    let (so, _) = s
        .port_extract_right(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &other)
        .unwrap();
    let once = simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 4, &[]);
    assert_eq!(send(&other, &once, Some(0)), 0);
    let mut status = [0u32; MACH_PORT_RECEIVE_STATUS_COUNT as usize];
    s.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut status)
        .unwrap();
    assert_eq!(status[4], 3, "msgcount");
    // Messages leave in order; a sender fits again only once the queue is below its limit.
    for (id, then) in [(1, MACH_SEND_TIMED_OUT), (2, 0)] {
        let (r, b) = recv(&s, p, 64, 0, Some(0));
        assert_eq!(r, 0);
        assert_eq!(header(&b).msgh_id, id);
        assert_eq!(send(&other, &request(10 + id), Some(0)), then);
    }
    for id in [4, 12] {
        let (r, b) = recv(&s, p, 64, 0, Some(0));
        assert_eq!(r, 0);
        assert_eq!(header(&b).msgh_id, id);
    }
    assert_eq!(recv(&s, p, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    other.port_deallocate(0x900).unwrap();
    assert_eq!(s.port_get_srights(p).unwrap(), 0);
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn a_dying_receive_right_destroys_queued_requests_and_their_reply_rights() {
    // Three requests wait in the queue, each carrying a send-once reply right. When the
    // receive right dies they are destroyed: each reply right becomes a send-once
    // notification on the reply port, and the sender's name becomes a dead name.
    let s = Space::new();
    let client = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    client
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let reply = client.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    for id in 1..=3 {
        let m = simple(
            0x900,
            MACH_MSG_TYPE_COPY_SEND,
            reply,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
            id,
            &[],
        );
        assert_eq!(send(&client, &m, None), 0);
    }
    let mut status = [0u32; MACH_PORT_RECEIVE_STATUS_COUNT as usize];
    client
        .port_get_attributes(reply, MACH_PORT_RECEIVE_STATUS, &mut status)
        .unwrap();
    assert_eq!(status[5], 3, "three send-once rights in flight");
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    for _ in 0..3 {
        let (r, b) = recv(&client, reply, 64, 0, Some(0));
        assert_eq!(r, 0);
        assert_eq!(header(&b).msgh_id, MACH_NOTIFY_SEND_ONCE);
    }
    assert_eq!(recv(&client, reply, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    client
        .port_get_attributes(reply, MACH_PORT_RECEIVE_STATUS, &mut status)
        .unwrap();
    assert_eq!(status[5], 0, "no send-once right left");
    assert_eq!(client.port_type(0x900).unwrap(), MACH_PORT_TYPE_DEAD_NAME);
    let m = simple(0x900, MACH_MSG_TYPE_COPY_SEND, 0, 0, 9, &[]);
    assert_eq!(send(&client, &m, None), MACH_SEND_INVALID_DEST);
    client.port_deallocate(0x900).unwrap();
    client
        .port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    s.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn the_destination_name_may_also_carry_the_reply_right() {
    // The same name copied as the destination and moved as the reply: the name keeps the
    // user references the move leaves, and the receiver gets one send right.
    let s = Space::new();
    let client = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    for _ in 0..2 {
        client
            .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
            .unwrap();
    }
    assert_eq!(
        client.port_get_refs(0x900, MACH_PORT_RIGHT_SEND).unwrap(),
        2
    );
    let m = simple(
        0x900,
        MACH_MSG_TYPE_COPY_SEND,
        0x900,
        MACH_MSG_TYPE_MOVE_SEND,
        1,
        &[],
    );
    assert_eq!(send(&client, &m, None), 0);
    assert_eq!(
        client.port_get_refs(0x900, MACH_PORT_RIGHT_SEND).unwrap(),
        1
    );
    let m = simple(
        0x900,
        MACH_MSG_TYPE_COPY_SEND,
        0x900,
        MACH_MSG_TYPE_MOVE_SEND,
        2,
        &[],
    );
    assert_eq!(send(&client, &m, None), 0);
    assert!(client.port_type(0x900).is_err(), "the last reference moved");
    assert_eq!(
        s.port_get_srights(p).unwrap(),
        4,
        "two queued, two in reply rights"
    );
    for id in [1, 2] {
        let (r, b) = recv(&s, p, 64, 0, None);
        assert_eq!(r, 0);
        let h = header(&b);
        assert_eq!(h.msgh_id, id);
        assert_eq!(
            h.msgh_bits,
            mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND)
        );
        assert_eq!(
            h.msgh_remote_port, p,
            "the send right merges with the receive right's name"
        );
    }
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(), 2);
    assert_eq!(s.port_get_srights(p).unwrap(), 1, "one name holds them");
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, -2).unwrap();
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
    client.assert_no_leaks();
}

/// How long the tests below let a receiver thread wait before acting: from not at all to
/// long after it stopped spinning and parked. The outcomes hold whichever way it waits.
const SETTLE_US: [u64; 5] = [0, 20, 100, 500, 3000];

/// Starts `f` on a thread and returns once that thread is running, about to call it.
fn start<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> std::thread::JoinHandle<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        tx.send(()).unwrap();
        f()
    });
    rx.recv().unwrap();
    t
}

fn settle(us: u64) {
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_micros(us) {
        std::hint::spin_loop();
    }
}

#[test]
fn a_waiting_receiver_learns_that_its_port_died() {
    for us in SETTLE_US {
        a_waiting_receiver_learns_that_its_port_died_after(us);
    }
}

fn a_waiting_receiver_learns_that_its_port_died_after(us: u64) {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let rx = {
        let s = s.clone();
        start(move || recv(&s, p, 64, 0, None).0)
    };
    settle(us);
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    // A receiver that had not yet looked its name up (a thread the machine was slow to
    // run) finds no name at all.
    let r = rx.join().unwrap();
    assert!(
        r == MACH_RCV_PORT_DIED || r == MACH_RCV_INVALID_NAME,
        "{r:#x} after {us} us"
    );
    s.assert_no_leaks();
}

#[test]
fn a_message_too_large_for_the_waiting_receiver_stays_queued() {
    for us in SETTLE_US {
        a_message_too_large_for_the_waiting_receiver_stays_queued_after(us);
    }
}

fn a_message_too_large_for_the_waiting_receiver_stays_queued_after(us: u64) {
    // With MACH_RCV_LARGE a message that does not fit is left in the queue and its size
    // reported, never handed over; a large enough receive then takes it.
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    other
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let rx = {
        let s = s.clone();
        start(move || recv(&s, p, 40, MACH_RCV_LARGE, None))
    };
    settle(us);
    let m = simple(0x900, MACH_MSG_TYPE_COPY_SEND, 0, 0, 7, &[1; 40]);
    assert_eq!(send(&other, &m, None), 0);
    let (r, b) = rx.join().unwrap();
    assert_eq!(r, MACH_RCV_TOO_LARGE);
    assert_eq!(
        read_u32(&b, 4).unwrap(),
        64 + 8,
        "the size it needs, trailer included"
    );
    let (r, b) = recv(&s, p, 128, 0, Some(0));
    assert_eq!(r, 0);
    assert_eq!(header(&b).msgh_id, 7);
    other.port_deallocate(0x900).unwrap();
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn a_receive_right_moved_away_from_its_waiting_receiver_takes_its_messages_along() {
    for us in SETTLE_US {
        a_receive_right_moved_away_from_its_waiting_receiver_takes_its_messages_along_after(us);
    }
}

fn a_receive_right_moved_away_from_its_waiting_receiver_takes_its_messages_along_after(us: u64) {
    // The receiver waits under a name whose receive right then moves to another space:
    // a message sent afterwards is not handed to the old receiver, which learns that the
    // right changed, and the new holder receives it.
    let a = Space::new();
    let b = Space::new();
    let p = a.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let rx = {
        let a = a.clone();
        start(move || recv(&a, p, 64, 0, None).0)
    };
    settle(us);
    let (q, _) = a
        .port_extract_right(p, MACH_MSG_TYPE_MOVE_RECEIVE, &b)
        .unwrap();
    b.port_insert_right(q, &b, q, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    assert_eq!(
        send(&b, &simple(q, MACH_MSG_TYPE_COPY_SEND, 0, 0, 5, &[]), None),
        0
    );
    // A receiver that had not yet looked its name up (a thread the machine was slow to
    // run) finds no name at all.
    let r = rx.join().unwrap();
    assert!(
        r == MACH_RCV_PORT_CHANGED || r == MACH_RCV_INVALID_NAME,
        "{r:#x} after {us} us"
    );
    let (r, m) = recv(&b, q, 64, 0, Some(0));
    assert_eq!(r, 0);
    assert_eq!(header(&m).msgh_id, 5);
    b.port_deallocate(q).unwrap();
    b.port_mod_refs(q, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    a.assert_no_leaks();
    b.assert_no_leaks();
}

#[test]
fn the_last_send_right_handed_to_a_waiting_receiver_fires_no_senders() {
    for us in SETTLE_US {
        the_last_send_right_handed_to_a_waiting_receiver_fires_no_senders_after(us);
    }
}

fn the_last_send_right_handed_to_a_waiting_receiver_fires_no_senders_after(us: u64) {
    // The only send right travels as the destination of a message to a receiver that is
    // waiting: it is consumed when the message is received, and no-senders fires then,
    // once, with the make-send count.
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let n = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    other
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    s.port_request_notification(
        p,
        MACH_NOTIFY_NO_SENDERS,
        0,
        n,
        MACH_MSG_TYPE_MAKE_SEND_ONCE,
    )
    .unwrap();
    let rx = {
        let s = s.clone();
        start(move || recv(&s, p, 64, seqno_option(), None))
    };
    settle(us);
    let m = simple(0x900, MACH_MSG_TYPE_MOVE_SEND, 0, 0, 3, &[]);
    assert_eq!(send(&other, &m, None), 0);
    let (r, b) = rx.join().unwrap();
    assert_eq!(r, 0);
    let h = header(&b);
    assert_eq!(h.msgh_id, 3);
    assert_eq!(h.msgh_bits, mach_msgh_bits(0, MACH_MSG_TYPE_PORT_SEND));
    assert_eq!(read_u32(&b, 24 + 8).unwrap(), 0, "first seqno");
    assert_eq!(s.port_get_srights(p).unwrap(), 0);
    let (r, b) = recv(&s, n, 64, 0, Some(0));
    assert_eq!(r, 0, "no-senders after {us} us");
    assert_eq!(header(&b).msgh_id, MACH_NOTIFY_NO_SENDERS);
    assert_eq!(read_u32(&b, 32).unwrap(), 1, "mscount");
    assert_eq!(recv(&s, n, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT, "once");
    for x in [p, n] {
        s.port_mod_refs(x, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.assert_no_leaks();
    other.assert_no_leaks();
}
