//! Behaviour of the local port space against xnu's documented semantics: rights and user
//! references, messages with every disposition, queue limits, sizes and trailers. Every test
//! uses its own space and ends by asserting that nothing leaked.

mod common;

use common::*;
use migz::Space;
use migz::abi::*;
use migz::error::Error;

#[test]
fn allocate_and_deallocate_receive_right() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    assert_eq!(s.port_type(p).unwrap(), MACH_PORT_TYPE_RECEIVE);
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_RECEIVE).unwrap(), 1);
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(), 0);
    assert_eq!(s.port_deallocate(p), Err(Error::InvalidRight));
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    assert_eq!(s.port_type(p), Err(Error::InvalidName));
    s.assert_no_leaks();
}

#[test]
fn send_rights_share_the_receive_name_and_count_urefs() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    assert_eq!(
        s.port_type(p).unwrap(),
        MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND
    );
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(), 2);
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, 3).unwrap();
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(), 5);
    assert_eq!(
        s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, -6),
        Err(Error::InvalidValue)
    );
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, -5).unwrap();
    assert_eq!(s.port_type(p).unwrap(), MACH_PORT_TYPE_RECEIVE);
    let mut st = [0u32; 10];
    s.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut st)
        .unwrap();
    assert_eq!(st[2], 2, "make-send count");
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn urefs_overflow_is_refused_and_leaves_the_count() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, (MACH_PORT_UREFS_MAX - 1) as i32)
        .unwrap();
    assert_eq!(
        s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(),
        MACH_PORT_UREFS_MAX
    );
    assert_eq!(
        s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, 1),
        Err(Error::UrefsOverflow)
    );
    assert_eq!(
        s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND),
        Err(Error::UrefsOverflow)
    );
    assert_eq!(
        s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(),
        MACH_PORT_UREFS_MAX
    );
    // A send right arriving in a message saturates instead (the extra right is released).
    let q = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let m = complex(
        q,
        MACH_MSG_TYPE_MAKE_SEND_ONCE,
        0,
        0,
        1,
        &[Desc::Port(p, MACH_MSG_TYPE_COPY_SEND)],
        &[],
    );
    assert_eq!(send(&s, &m, None), 0);
    let (r, b) = recv(&s, q, 256, 0, None);
    assert_eq!(r, 0);
    assert_eq!(read_u32(&b, 28).unwrap(), p);
    assert_eq!(
        s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(),
        MACH_PORT_UREFS_MAX
    );
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, -(MACH_PORT_UREFS_MAX as i32))
        .unwrap();
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.port_mod_refs(q, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn name_table_limit_gives_no_space() {
    let s = Space::with_name_limit(2);
    let a = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let b = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    assert_eq!(
        s.port_allocate(MACH_PORT_RIGHT_RECEIVE),
        Err(Error::NoSpace)
    );
    assert_eq!(
        s.port_allocate_name(MACH_PORT_RIGHT_RECEIVE, 0x5000),
        Err(Error::NoSpace)
    );
    // A send-once right made from `a` needs a new name: the message carrying it is still
    // delivered, the right is destroyed and the descriptor says MACH_PORT_NULL.
    let m = complex(
        b,
        MACH_MSG_TYPE_MAKE_SEND,
        0,
        0,
        1,
        &[Desc::Port(a, MACH_MSG_TYPE_MAKE_SEND_ONCE)],
        &[],
    );
    assert_eq!(send(&s, &m, None), 0);
    let (r, buf) = recv(&s, b, 256, 0, None);
    assert_eq!(r, MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE);
    assert_eq!(read_u32(&buf, 28).unwrap(), MACH_PORT_NULL);
    // The destroyed send-once right produced a send-once notification on `a`.
    let (r, buf) = recv(&s, a, 256, 0, Some(0));
    assert_eq!(r, 0);
    assert_eq!(header(&buf).msgh_id, MACH_NOTIFY_SEND_ONCE);
    s.port_mod_refs(a, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.port_mod_refs(b, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn simple_message_round_trip_with_reply_and_trailer() {
    let s = Space::new();
    let server = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let reply = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_set_context(server, 0xfeed).unwrap();
    let m = simple(
        server,
        MACH_MSG_TYPE_MAKE_SEND,
        reply,
        MACH_MSG_TYPE_MAKE_SEND_ONCE,
        1000,
        b"hello!!!",
    );
    assert_eq!(send(&s, &m, None), 0);
    let opt = mach_rcv_trailer_type(MACH_MSG_TRAILER_FORMAT_0)
        | mach_rcv_trailer_elements(MACH_RCV_TRAILER_CTX);
    let (r, b) = recv(&s, server, 256, opt, None);
    assert_eq!(r, 0);
    let h = header(&b);
    assert_eq!(
        h.msgh_bits,
        mach_msgh_bits(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND)
    );
    assert_eq!(h.msgh_size, 32);
    assert_eq!(h.msgh_local_port, server);
    assert_eq!(h.msgh_id, 1000);
    assert_eq!(&b[24..32], b"hello!!!");
    assert_eq!(read_u32(&b, 32).unwrap(), 0, "trailer format 0");
    assert_eq!(read_u32(&b, 36).unwrap(), 60, "context trailer size");
    assert_eq!(read_u32(&b, 40).unwrap(), 0, "first seqno");
    assert_eq!(
        read_u32(&b, 52 + 20).unwrap(),
        std::process::id(),
        "audit token pid"
    );
    assert_eq!(read_u64(&b, 32 + 52).unwrap(), 0xfeed, "context");
    let so = h.msgh_remote_port;
    assert_eq!(s.port_type(so).unwrap(), MACH_PORT_TYPE_SEND_ONCE);
    // Reply through the send-once right: it is consumed.
    let rep = simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 1100, &[]);
    assert_eq!(send(&s, &rep, None), 0);
    assert_eq!(s.port_type(so), Err(Error::InvalidName));
    let (r, b) = recv(&s, reply, 64, 0, None);
    assert_eq!(r, 0);
    let h = header(&b);
    assert_eq!(h.msgh_bits, mach_msgh_bits(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    assert_eq!(h.msgh_id, 1100);
    assert_eq!(
        read_u32(&b, 28).unwrap(),
        8,
        "default trailer is the 8-byte one"
    );
    s.port_mod_refs(server, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    s.port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn header_errors_leave_rights_alone() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    assert_eq!(
        send(
            &s,
            &simple(0x999, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[]),
            None
        ),
        MACH_SEND_INVALID_DEST
    );
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MOVE_RECEIVE, 0, 0, 1, &[]),
            None
        ),
        MACH_SEND_INVALID_HEADER
    );
    assert_eq!(
        send(
            &s,
            &simple(
                p,
                MACH_MSG_TYPE_MOVE_SEND,
                0x999,
                MACH_MSG_TYPE_MAKE_SEND_ONCE,
                1,
                &[]
            ),
            None
        ),
        MACH_SEND_INVALID_REPLY
    );
    assert_eq!(
        s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(),
        1,
        "the moved send right was put back"
    );
    let short = simple(p, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[]);
    let mut b = short.clone();
    assert_eq!(
        s.mach_msg(&mut b, MACH_SEND_MSG, 20, 0, 0, 0, 0),
        MACH_SEND_MSG_TOO_SMALL
    );
    assert_eq!(
        s.mach_msg(&mut b, MACH_SEND_MSG, 26, 0, 0, 0, 0),
        MACH_SEND_MSG_TOO_SMALL
    );
    // A body error puts back the destination's moved right too.
    let bad = complex(
        p,
        MACH_MSG_TYPE_MOVE_SEND,
        0,
        0,
        1,
        &[Desc::Port(0x777, MACH_MSG_TYPE_COPY_SEND)],
        &[],
    );
    assert_eq!(send(&s, &bad, None), MACH_SEND_INVALID_RIGHT);
    let bad = complex(
        p,
        MACH_MSG_TYPE_MOVE_SEND,
        0,
        0,
        1,
        &[Desc::Port(p, 30)],
        &[],
    );
    assert_eq!(send(&s, &bad, None), MACH_SEND_INVALID_TYPE);
    let bad = complex(
        p,
        MACH_MSG_TYPE_MOVE_SEND,
        0,
        0,
        1,
        &[Desc::Ool(0x1000, 8, false, 0)],
        &[],
    );
    assert_eq!(send(&s, &bad, None), MACH_SEND_INVALID_MEMORY);
    let mut bad = complex(
        p,
        MACH_MSG_TYPE_MOVE_SEND,
        0,
        0,
        1,
        &[Desc::Port(p, MACH_MSG_TYPE_COPY_SEND)],
        &[],
    );
    write_u32(&mut bad, 24, 5);
    assert_eq!(send(&s, &bad, None), MACH_SEND_MSG_TOO_SMALL);
    assert_eq!(s.port_get_refs(p, MACH_PORT_RIGHT_SEND).unwrap(), 1);
    assert_eq!(
        recv(&s, p, 64, 0, Some(0)).0,
        MACH_RCV_TIMED_OUT,
        "nothing was queued"
    );
    assert_eq!(recv(&s, 0x4242, 64, 0, Some(0)).0, MACH_RCV_INVALID_NAME);
    s.port_mod_refs(p, MACH_PORT_RIGHT_SEND, -1).unwrap();
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn queue_limit_gives_backpressure_and_send_timeout() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let mut q = [0u32; 1];
    s.port_get_attributes(p, MACH_PORT_LIMITS_INFO, &mut q)
        .unwrap();
    assert_eq!(q[0], MACH_PORT_QLIMIT_DEFAULT);
    for i in 0..5 {
        assert_eq!(
            send(
                &s,
                &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, i, &[]),
                Some(0)
            ),
            0
        );
    }
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 5, &[]),
            Some(0)
        ),
        MACH_SEND_TIMED_OUT
    );
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 5, &[]),
            Some(5)
        ),
        MACH_SEND_TIMED_OUT
    );
    // A send-once message passes the user limit, as in xnu.
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 99, &[]),
            Some(0)
        ),
        0
    );
    assert_eq!(
        s.port_set_attributes(p, MACH_PORT_LIMITS_INFO, &[1025]),
        Err(Error::InvalidValue)
    );
    s.port_set_attributes(p, MACH_PORT_LIMITS_INFO, &[6])
        .unwrap();
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 5, &[]),
            Some(0)
        ),
        MACH_SEND_TIMED_OUT,
        "6 queued"
    );
    assert_eq!(recv(&s, p, 64, 0, None).0, 0);
    assert_eq!(
        send(
            &s,
            &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 5, &[]),
            Some(0)
        ),
        0
    );
    // A blocked sender proceeds once a receiver makes room.
    s.port_set_attributes(p, MACH_PORT_LIMITS_INFO, &[6])
        .unwrap();
    let s2 = s.clone();
    let h = std::thread::spawn(move || {
        send(&s2, &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 6, &[]), None)
    });
    let mut ids = Vec::new();
    for _ in 0..7 {
        let (r, b) = recv(&s, p, 64, 0, None);
        assert_eq!(r, 0);
        ids.push(header(&b).msgh_id);
    }
    assert_eq!(h.join().unwrap(), 0);
    assert_eq!(ids, [1, 2, 3, 4, 99, 5, 6]);
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn too_large_with_and_without_rcv_large() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let m = simple(
        p,
        MACH_MSG_TYPE_MAKE_SEND,
        p,
        MACH_MSG_TYPE_MAKE_SEND_ONCE,
        7,
        &[1u8; 100],
    );
    assert_eq!(send(&s, &m, None), 0);
    let (r, b) = recv(&s, p, 64, MACH_RCV_LARGE, None);
    assert_eq!(r, MACH_RCV_TOO_LARGE);
    assert_eq!(
        header(&b).msgh_size,
        124 + 8,
        "needed size includes the trailer"
    );
    let (r, b) = recv(&s, p, 132, MACH_RCV_LARGE, None);
    assert_eq!(r, 0, "the message stayed queued");
    assert_eq!(header(&b).msgh_id, 7);
    s.port_deallocate(header(&b).msgh_remote_port).unwrap();
    // The send-once right deallocated above produced a send-once notification.
    let (r, b) = recv(&s, p, 64, 0, None);
    assert_eq!(r, 0);
    assert_eq!(header(&b).msgh_id, MACH_NOTIFY_SEND_ONCE);
    assert_eq!(send(&s, &m, None), 0);
    let (r, b) = recv(&s, p, 64, 0, None);
    assert_eq!(r, MACH_RCV_TOO_LARGE);
    let h = header(&b);
    assert_eq!(
        (h.msgh_id, h.msgh_local_port, h.msgh_remote_port),
        (7, p, 0)
    );
    // Without MACH_RCV_LARGE the message was destroyed, its reply right included.
    let (r, b) = recv(&s, p, 64, 0, Some(0));
    assert_eq!(r, 0);
    assert_eq!(header(&b).msgh_id, MACH_NOTIFY_SEND_ONCE);
    assert_eq!(recv(&s, p, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn port_descriptors_of_every_disposition_arrive_translated() {
    let s = Space::new();
    let dst = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let a = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_insert_right(a, &s, a, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    s.port_insert_right(a, &s, a, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let b = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let so = {
        s.port_extract_right(b, MACH_MSG_TYPE_MAKE_SEND_ONCE, &s)
            .unwrap()
            .0
    };
    let descs = [
        Desc::Port(a, MACH_MSG_TYPE_COPY_SEND),
        Desc::Port(a, MACH_MSG_TYPE_MOVE_SEND),
        Desc::Port(a, MACH_MSG_TYPE_MAKE_SEND),
        Desc::Port(b, MACH_MSG_TYPE_MAKE_SEND_ONCE),
        Desc::Port(so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
        Desc::Port(b, MACH_MSG_TYPE_MOVE_RECEIVE),
        Desc::Port(0, MACH_MSG_TYPE_COPY_SEND),
    ];
    let m = complex(dst, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 5, &descs, b"tail");
    assert_eq!(send(&s, &m, None), 0);
    assert_eq!(
        s.port_type(b),
        Err(Error::InvalidName),
        "receive right moved out"
    );
    assert_eq!(s.port_get_refs(a, MACH_PORT_RIGHT_SEND).unwrap(), 1);
    let (r, buf) = recv(&s, dst, 512, 0, None);
    assert_eq!(r, 0);
    let h = header(&buf);
    assert_eq!(
        h.msgh_bits,
        MACH_MSGH_BITS_COMPLEX | mach_msgh_bits(0, MACH_MSG_TYPE_PORT_SEND)
    );
    assert_eq!(read_u32(&buf, 24).unwrap(), 7);
    let want = [17, 17, 17, 18, 18, 16, 17];
    let mut names = Vec::new();
    for (i, w) in want.iter().enumerate() {
        let off = 28 + 12 * i;
        let word = read_u32(&buf, off + 8).unwrap();
        assert_eq!((word >> 16) & 0xff, *w, "descriptor {i}");
        assert_eq!(word >> 24, MACH_MSG_PORT_DESCRIPTOR);
        names.push(read_u32(&buf, off).unwrap());
    }
    assert_eq!(&buf[28 + 84..28 + 88], b"tail");
    // Send rights for `a` merged into `a`; `b`'s receive right got a new name, and the
    // two send-once rights for `b` are separate names.
    assert_eq!(&names[..3], &[a, a, a]);
    assert_eq!(names[6], 0);
    let nb = names[5];
    assert_eq!(s.port_type(nb).unwrap(), MACH_PORT_TYPE_RECEIVE);
    assert_eq!(s.port_get_refs(a, MACH_PORT_RIGHT_SEND).unwrap(), 4);
    assert_ne!(names[3], names[4]);
    for so in [names[3], names[4]] {
        assert_eq!(s.port_type(so).unwrap(), MACH_PORT_TYPE_SEND_ONCE);
        s.port_deallocate(so).unwrap();
    }
    // Each unused send-once right came back as a send-once notification on `b`.
    for _ in 0..2 {
        let (r, n) = recv(&s, nb, 64, 0, Some(0));
        assert_eq!(r, 0);
        assert_eq!(header(&n).msgh_id, MACH_NOTIFY_SEND_ONCE);
        assert_eq!(header(&n).msgh_size, 24);
    }
    s.port_mod_refs(a, MACH_PORT_RIGHT_SEND, -4).unwrap();
    for n in [a, nb, dst] {
        s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.assert_no_leaks();
}

#[test]
fn ool_memory_moves_without_copy_and_copies_when_kept() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let addr = s.vm_allocate(1 << 20).unwrap();
    s.with_region(addr, |m| m[12345] = 0xab).unwrap();
    let keep = s.vm_allocate(100).unwrap();
    s.with_region(keep, |m| m[..3].copy_from_slice(b"abc"))
        .unwrap();
    let descs = [
        Desc::Ool(addr, 1 << 20, true, MACH_MSG_VIRTUAL_COPY),
        Desc::Ool(keep, 3, false, MACH_MSG_PHYSICAL_COPY),
        Desc::Ool(0, 0, false, MACH_MSG_PHYSICAL_COPY),
    ];
    let m = complex(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 9, &descs, &[]);
    assert_eq!(send(&s, &m, None), 0);
    assert_eq!(
        s.vm_deallocate(addr, 1 << 20),
        Err(Error::InvalidAddress),
        "moved away from the sender"
    );
    let (r, b) = recv(&s, p, 256, 0, None);
    assert_eq!(r, 0);
    let moved = read_u64(&b, 28).unwrap() as usize;
    assert_eq!(moved, addr, "the receiver sees the same address");
    assert_eq!(read_u32(&b, 28 + 12).unwrap(), 1 << 20);
    let word = read_u32(&b, 28 + 8).unwrap();
    assert_eq!(word & 0xff, 1, "deallocate is set for a virtual copy");
    assert_eq!(s.with_region(moved, |m| m[12345]).unwrap(), 0xab);
    let copied = read_u64(&b, 44).unwrap() as usize;
    assert_ne!(copied, keep);
    assert_eq!(s.with_region(copied, |m| m.to_vec()).unwrap(), b"abc");
    assert_eq!(read_u64(&b, 60).unwrap(), 0);
    for (a, n) in [(moved, 1 << 20), (copied, 3), (keep, 100)] {
        s.vm_deallocate(a, n).unwrap();
    }
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn ool_ports_arrive_as_a_new_region_of_names() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let x = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let y = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let arr = s.vm_allocate(8).unwrap();
    s.with_region(arr, |m| {
        m[..4].copy_from_slice(&x.to_ne_bytes());
        m[4..].copy_from_slice(&y.to_ne_bytes());
    })
    .unwrap();
    let m = complex(
        p,
        MACH_MSG_TYPE_MAKE_SEND,
        0,
        0,
        9,
        &[Desc::OolPorts(arr, 2, true, MACH_MSG_TYPE_MAKE_SEND)],
        &[],
    );
    assert_eq!(send(&s, &m, None), 0);
    assert_eq!(
        s.vm_deallocate(arr, 8),
        Err(Error::InvalidAddress),
        "deallocated on send"
    );
    let (r, b) = recv(&s, p, 256, 0, None);
    assert_eq!(r, 0);
    let word = read_u32(&b, 28 + 8).unwrap();
    assert_eq!((word >> 16) & 0xff, MACH_MSG_TYPE_PORT_SEND);
    assert_eq!(read_u32(&b, 28 + 12).unwrap(), 2);
    let got = read_u64(&b, 28).unwrap() as usize;
    let names = s.with_region(got, |m| m.to_vec()).unwrap();
    assert_eq!(names, [x.to_ne_bytes(), y.to_ne_bytes()].concat());
    s.vm_deallocate(got, 8).unwrap();
    for n in [x, y] {
        s.port_mod_refs(n, MACH_PORT_RIGHT_SEND, -1).unwrap();
        s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn port_sets_receive_from_any_member() {
    let s = Space::new();
    let set = s.port_allocate(MACH_PORT_RIGHT_PORT_SET).unwrap();
    let a = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let b = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_move_member(a, set).unwrap();
    s.port_move_member(b, set).unwrap();
    assert_eq!(s.port_type(set).unwrap(), MACH_PORT_TYPE_PORT_SET);
    let s2 = s.clone();
    let h = std::thread::spawn(move || {
        let (r, buf) = recv(&s2, set, 64, 0, None);
        (r, header(&buf).msgh_local_port)
    });
    assert_eq!(
        send(&s, &simple(b, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, &[]), None),
        0
    );
    assert_eq!(h.join().unwrap(), (0, b));
    assert_eq!(
        send(&s, &simple(a, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, &[]), None),
        0
    );
    let (r, buf) = recv(&s, set, 64, 0, None);
    assert_eq!((r, header(&buf).msgh_local_port), (0, a));
    s.port_move_member(a, 0).unwrap();
    assert_eq!(s.port_move_member(a, 0), Err(Error::NotInSet));
    assert_eq!(
        send(&s, &simple(a, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1, &[]), None),
        0
    );
    assert_eq!(recv(&s, set, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    assert_eq!(recv(&s, a, 64, 0, Some(0)).0, 0);
    s.port_mod_refs(set, MACH_PORT_RIGHT_PORT_SET, -1).unwrap();
    s.port_mod_refs(a, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.port_mod_refs(b, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn rights_move_between_spaces_and_dead_ports_become_dead_names() {
    let server = Space::new();
    let client = Space::new();
    let p = server.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    client
        .port_insert_right(0x1234, &server, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    assert_eq!(client.port_type(0x1234).unwrap(), MACH_PORT_TYPE_SEND);
    assert_eq!(
        send(
            &client,
            &simple(0x1234, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3, &[]),
            None
        ),
        0
    );
    assert_eq!(recv(&server, p, 64, 0, None).0, 0);
    server
        .port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    assert_eq!(client.port_type(0x1234).unwrap(), MACH_PORT_TYPE_DEAD_NAME);
    assert_eq!(
        send(
            &client,
            &simple(0x1234, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3, &[]),
            None
        ),
        MACH_SEND_INVALID_DEST
    );
    assert_eq!(
        client.port_mod_refs(0x1234, MACH_PORT_RIGHT_SEND, -1),
        Err(Error::InvalidRight)
    );
    assert_eq!(
        client
            .port_get_refs(0x1234, MACH_PORT_RIGHT_DEAD_NAME)
            .unwrap(),
        1
    );
    client.port_deallocate(0x1234).unwrap();
    client.assert_no_leaks();
    server.assert_no_leaks();
}

#[test]
fn dropping_a_space_releases_its_rights() {
    let a = Space::new();
    let p = a.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    {
        let b = Space::new();
        b.port_insert_right(0x777, &a, p, MACH_MSG_TYPE_MAKE_SEND)
            .unwrap();
        let mut st = [0u32; 10];
        a.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut st)
            .unwrap();
        assert_eq!(st[6], 1, "a send right exists");
    }
    let mut st = [0u32; 10];
    a.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut st)
        .unwrap();
    assert_eq!(st[6], 0, "no send right after the other space went away");
    a.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    a.assert_no_leaks();
}

#[test]
fn construct_destruct_and_guards() {
    let s = Space::new();
    let opts = migz::local::PortOptions {
        flags: MPO_CONTEXT_AS_GUARD | MPO_QLIMIT | MPO_INSERT_SEND_RIGHT,
        qlimit: 2,
    };
    let p = s.port_construct(&opts, 0xabc).unwrap();
    assert_eq!(
        s.port_type(p).unwrap(),
        MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND
    );
    assert_eq!(s.port_get_context(p).unwrap(), 0xabc);
    assert_eq!(s.port_set_context(p, 1), Err(Error::InvalidArgument));
    assert_eq!(
        s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1),
        Err(Error::InvalidArgument),
        "guarded"
    );
    assert_eq!(
        s.port_destruct(p, -1, 0xabd),
        Err(Error::InvalidArgument),
        "wrong guard"
    );
    let mut q = [0u32; 1];
    s.port_get_attributes(p, MACH_PORT_LIMITS_INFO, &mut q)
        .unwrap();
    assert_eq!(q[0], 2);
    s.port_destruct(p, -1, 0xabc).unwrap();
    assert_eq!(s.port_type(p), Err(Error::InvalidName));
    let g = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_guard(g, 77, false).unwrap();
    assert_eq!(s.port_unguard(g, 78), Err(Error::InvalidArgument));
    s.port_unguard(g, 77).unwrap();
    s.port_set_mscount(g, 9).unwrap();
    let mut st = [0u32; 10];
    s.port_get_attributes(g, MACH_PORT_RECEIVE_STATUS, &mut st)
        .unwrap();
    assert_eq!(st[2], 9);
    s.port_mod_refs(g, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn reply_ports_are_cached_per_thread() {
    let s = Space::new();
    let r1 = s.mig_get_reply_port().unwrap();
    let r2 = s.mig_get_reply_port().unwrap();
    assert_eq!(r1, r2);
    s.mig_put_reply_port(r1);
    s.mig_dealloc_reply_port(r1).unwrap();
    let r3 = s.mig_get_reply_port().unwrap();
    assert_ne!(r1, r3);
    s.mig_dealloc_reply_port(r3).unwrap();
    s.assert_no_leaks();
}

#[test]
fn a_message_carrying_its_own_receive_right_is_destroyed() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let n = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let other = Space::new();
    other
        .port_insert_right(0x300, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let m = complex(
        p,
        MACH_MSG_TYPE_MAKE_SEND,
        0,
        0,
        1,
        &[Desc::Port(p, MACH_MSG_TYPE_MOVE_RECEIVE)],
        &[],
    );
    assert_eq!(send(&s, &m, None), 0, "xnu reports success");
    assert_eq!(s.port_type(p), Err(Error::InvalidName));
    assert_eq!(
        other.port_type(0x300).unwrap(),
        MACH_PORT_TYPE_DEAD_NAME,
        "the port died"
    );
    other.port_deallocate(0x300).unwrap();
    s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn a_receiver_learns_when_its_receive_right_moves_away() {
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let s2 = s.clone();
    let waiting = std::thread::spawn(move || recv(&s2, p, 64, 0, None).0);
    // Whether the receiver is already parked or not, it must not receive from a port
    // that now belongs to another space.
    other
        .port_insert_right(0x400, &s, p, MACH_MSG_TYPE_MOVE_RECEIVE)
        .unwrap();
    let r = waiting.join().unwrap();
    assert!(
        r == MACH_RCV_PORT_CHANGED || r == MACH_RCV_INVALID_NAME,
        "got {r:#x}"
    );
    other
        .port_mod_refs(0x400, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn receive_timeouts_and_sequence_numbers() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    assert_eq!(recv(&s, p, 64, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    assert_eq!(recv(&s, p, 64, 0, Some(3)).0, MACH_RCV_TIMED_OUT);
    let opt = mach_rcv_trailer_type(MACH_MSG_TRAILER_FORMAT_0)
        | mach_rcv_trailer_elements(MACH_RCV_TRAILER_SENDER);
    for i in 0..3 {
        assert_eq!(
            send(&s, &simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, i, &[]), None),
            0
        );
        let (r, b) = recv(&s, p, 64, opt, None);
        assert_eq!(r, 0);
        assert_eq!(read_u32(&b, 28).unwrap(), 20, "sender trailer size");
        assert_eq!(read_u32(&b, 32).unwrap(), i as u32, "seqno");
    }
    // Unknown trailer formats and element counts are refused.
    assert_eq!(
        recv(&s, p, 64, mach_rcv_trailer_type(1), Some(0)).0,
        MACH_RCV_INVALID_TRAILER
    );
    assert_eq!(
        recv(&s, p, 64, mach_rcv_trailer_elements(9), Some(0)).0,
        MACH_RCV_INVALID_TRAILER
    );
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}
