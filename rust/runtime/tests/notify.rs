//! One test per notification kind, checking xnu's ids and layouts: no-senders (0x46,
//! header + NDR + mscount), send-once (0x47, header only), dead-name (0x48, header + NDR +
//! name) and port-deleted (0x41, header + NDR + name).

mod common;

use common::*;
use migz::Space;
use migz::abi::*;
use migz::error::Error;

fn expect_notification(s: &Space, port: u32, id: i32, size: u32) -> Vec<u8> {
    let (r, b) = recv(s, port, 128, 0, Some(0));
    assert_eq!(r, 0, "a notification is queued");
    let h = header(&b);
    assert_eq!(h.msgh_id, id);
    assert_eq!(h.msgh_size, size);
    assert_eq!(h.msgh_bits, mach_msgh_bits(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    assert_eq!(h.msgh_remote_port, 0);
    assert_eq!(h.msgh_local_port, port);
    if size == 36 {
        assert_eq!(&b[24..32], &NDR_RECORD);
    }
    b
}

#[test]
fn no_senders_fires_when_the_last_send_right_goes() {
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let n = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    other
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let prev = s
        .port_request_notification(
            p,
            MACH_NOTIFY_NO_SENDERS,
            0,
            n,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
        )
        .unwrap();
    assert_eq!(prev, 0);
    s.port_deallocate(p).unwrap();
    assert_eq!(
        recv(&s, n, 128, 0, Some(0)).0,
        MACH_RCV_TIMED_OUT,
        "another space still holds a send right"
    );
    // Moving the last send right in a message keeps it alive until the message is received.
    let m = simple(0x900, MACH_MSG_TYPE_MOVE_SEND, 0, 0, 1, &[]);
    assert_eq!(send(&other, &m, None), 0);
    assert_eq!(recv(&s, n, 128, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    assert_eq!(recv(&s, p, 128, 0, None).0, 0);
    let b = expect_notification(&s, n, MACH_NOTIFY_NO_SENDERS, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), 2, "mscount");
    for x in [p, n] {
        s.port_mod_refs(x, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn queued_messages_hold_their_copied_send_rights_until_received() {
    // A message sent with COPY_SEND holds a send right of its own while it waits in the
    // queue: the sender's name going away must not fire no-senders, and the port still
    // reports senders, until the message is received.
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
    for id in [1, 2] {
        let m = simple(0x900, MACH_MSG_TYPE_COPY_SEND, 0, 0, id, &[]);
        assert_eq!(send(&other, &m, None), 0);
    }
    assert_eq!(
        s.port_get_srights(p).unwrap(),
        3,
        "the name's and two queued"
    );
    other.port_deallocate(0x900).unwrap();
    assert_eq!(s.port_get_srights(p).unwrap(), 2, "two queued messages");
    let mut status = [0u32; MACH_PORT_RECEIVE_STATUS_COUNT as usize];
    s.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut status)
        .unwrap();
    assert_eq!(status[4], 2, "msgcount");
    assert_eq!(status[6], 1, "srights: the queued messages are senders");
    assert_eq!(recv(&s, n, 128, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    let (r, b) = recv(&s, p, 128, 0, None);
    assert_eq!(r, 0);
    assert_eq!(header(&b).msgh_id, 1);
    assert_eq!(s.port_get_srights(p).unwrap(), 1);
    assert_eq!(
        recv(&s, n, 128, 0, Some(0)).0,
        MACH_RCV_TIMED_OUT,
        "one queued message still holds a send right"
    );
    let (r, b) = recv(&s, p, 128, 0, None);
    assert_eq!(r, 0);
    assert_eq!(header(&b).msgh_id, 2);
    assert_eq!(s.port_get_srights(p).unwrap(), 0);
    let b = expect_notification(&s, n, MACH_NOTIFY_NO_SENDERS, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), 1, "mscount");
    for x in [p, n] {
        s.port_mod_refs(x, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn destroying_a_port_releases_the_destination_rights_of_its_queued_messages() {
    // Messages queued on a port that dies take their destination rights with them: send
    // rights, send-once rights moved or made for the message, none left behind.
    let s = Space::new();
    let other = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    other
        .port_insert_right(0x900, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let (so, ty) = s
        .port_extract_right(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &other)
        .unwrap();
    assert_eq!(ty, MACH_MSG_TYPE_PORT_SEND_ONCE);
    let msgs = [
        (&other, simple(0x900, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &[])),
        (
            &other,
            simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 2, &[]),
        ),
        (&s, simple(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 3, &[])),
        (&s, simple(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 4, &[])),
    ];
    for (space, m) in &msgs {
        assert_eq!(send(space, m, None), 0);
    }
    assert_eq!(
        s.port_get_srights(p).unwrap(),
        3,
        "the name's and two queued"
    );
    let mut status = [0u32; MACH_PORT_RECEIVE_STATUS_COUNT as usize];
    s.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut status)
        .unwrap();
    assert_eq!(status[4], 4, "msgcount");
    assert_eq!(
        status[5], 2,
        "sorights: the two queued send-once destinations"
    );
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    assert_eq!(other.port_type(0x900).unwrap(), MACH_PORT_TYPE_DEAD_NAME);
    assert!(
        other.port_type(so).is_err(),
        "the send-once right was moved"
    );
    other.port_deallocate(0x900).unwrap();
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn no_senders_fires_at_once_when_mscount_reaches_sync() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let n = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    s.port_request_notification(
        p,
        MACH_NOTIFY_NO_SENDERS,
        1,
        n,
        MACH_MSG_TYPE_MAKE_SEND_ONCE,
    )
    .unwrap();
    assert_eq!(
        recv(&s, n, 128, 0, Some(0)).0,
        MACH_RCV_TIMED_OUT,
        "mscount 0 < sync 1"
    );
    let prev = s
        .port_request_notification(
            p,
            MACH_NOTIFY_NO_SENDERS,
            0,
            n,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
        )
        .unwrap();
    assert_ne!(prev, 0, "the previous send-once right comes back");
    assert_eq!(s.port_type(prev).unwrap(), MACH_PORT_TYPE_SEND_ONCE);
    let b = expect_notification(&s, n, MACH_NOTIFY_NO_SENDERS, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), 0);
    s.port_deallocate(prev).unwrap();
    expect_notification(&s, n, MACH_NOTIFY_SEND_ONCE, 24);
    for x in [p, n] {
        s.port_mod_refs(x, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    }
    s.assert_no_leaks();
}

#[test]
fn send_once_notification_when_a_send_once_right_dies_unused() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let q = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let (so, ty) = s
        .port_extract_right(p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &s)
        .unwrap();
    assert_eq!(ty, MACH_MSG_TYPE_PORT_SEND_ONCE);
    // Carried in a message that is destroyed with its port, it still notifies.
    let m = complex(
        q,
        MACH_MSG_TYPE_MAKE_SEND,
        0,
        0,
        1,
        &[Desc::Port(so, MACH_MSG_TYPE_MOVE_SEND_ONCE)],
        &[],
    );
    assert_eq!(send(&s, &m, None), 0);
    s.port_mod_refs(q, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    expect_notification(&s, p, MACH_NOTIFY_SEND_ONCE, 24);
    let mut st = [0u32; 10];
    s.port_get_attributes(p, MACH_PORT_RECEIVE_STATUS, &mut st)
        .unwrap();
    assert_eq!(st[5], 0, "no send-once right left");
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}

#[test]
fn dead_name_notification_when_the_port_dies() {
    let server = Space::new();
    let client = Space::new();
    let p = server.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    client
        .port_insert_right(0x500, &server, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let n = client.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    assert_eq!(
        client.port_request_notification(
            0x500,
            MACH_NOTIFY_DEAD_NAME,
            0,
            n,
            MACH_MSG_TYPE_MAKE_SEND_ONCE
        ),
        Ok(0)
    );
    assert_eq!(
        client.port_type(0x500).unwrap(),
        MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST
    );
    server
        .port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    let b = expect_notification(&client, n, MACH_NOTIFY_DEAD_NAME, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), 0x500);
    assert_eq!(client.port_type(0x500).unwrap(), MACH_PORT_TYPE_DEAD_NAME);
    assert_eq!(
        client
            .port_get_refs(0x500, MACH_PORT_RIGHT_DEAD_NAME)
            .unwrap(),
        2,
        "the notification adds a reference"
    );
    client
        .port_mod_refs(0x500, MACH_PORT_RIGHT_DEAD_NAME, -2)
        .unwrap();
    // Asking about a name that is already dead needs sync != 0 and fires at once.
    let d = client.port_allocate(MACH_PORT_RIGHT_DEAD_NAME).unwrap();
    assert_eq!(
        client.port_request_notification(
            d,
            MACH_NOTIFY_DEAD_NAME,
            0,
            n,
            MACH_MSG_TYPE_MAKE_SEND_ONCE
        ),
        Err(Error::InvalidArgument)
    );
    client
        .port_request_notification(d, MACH_NOTIFY_DEAD_NAME, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE)
        .unwrap();
    let b = expect_notification(&client, n, MACH_NOTIFY_DEAD_NAME, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), d);
    client
        .port_mod_refs(d, MACH_PORT_RIGHT_DEAD_NAME, -2)
        .unwrap();
    client
        .port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    client.assert_no_leaks();
    server.assert_no_leaks();
}

#[test]
fn port_deleted_notification_when_the_watched_name_goes() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let other = Space::new();
    other
        .port_insert_right(0x600, &s, p, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let n = other.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    other
        .port_request_notification(
            0x600,
            MACH_NOTIFY_DEAD_NAME,
            0,
            n,
            MACH_MSG_TYPE_MAKE_SEND_ONCE,
        )
        .unwrap();
    other.port_deallocate(0x600).unwrap();
    let b = expect_notification(&other, n, MACH_NOTIFY_PORT_DELETED, 36);
    assert_eq!(read_u32(&b, 32).unwrap(), 0x600);
    // The port's death later sends nothing more.
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    assert_eq!(recv(&other, n, 128, 0, Some(0)).0, MACH_RCV_TIMED_OUT);
    other.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    other.assert_no_leaks();
    s.assert_no_leaks();
}

#[test]
fn request_errors() {
    let s = Space::new();
    let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    assert_eq!(
        s.port_request_notification(
            0x4444,
            MACH_NOTIFY_NO_SENDERS,
            0,
            p,
            MACH_MSG_TYPE_MAKE_SEND_ONCE
        ),
        Err(Error::InvalidName)
    );
    assert_eq!(
        s.port_request_notification(p, 0x1234, 0, p, MACH_MSG_TYPE_MAKE_SEND_ONCE),
        Err(Error::InvalidValue)
    );
    assert_eq!(
        s.port_request_notification(p, MACH_NOTIFY_NO_SENDERS, 0, p, MACH_MSG_TYPE_MAKE_SEND),
        Err(Error::InvalidValue)
    );
    assert_eq!(
        s.port_request_notification(
            p,
            MACH_NOTIFY_NO_SENDERS,
            0,
            0x4444,
            MACH_MSG_TYPE_MAKE_SEND_ONCE
        ),
        Err(Error::Other(KERN_INVALID_CAPABILITY))
    );
    s.port_mod_refs(p, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
}
