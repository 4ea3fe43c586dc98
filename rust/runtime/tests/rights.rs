//! Typed rights: each owns one right, releases it exactly once, and reports dead ports,
//! full name tables and reference overflow as errors.

use migz::Space;
use migz::abi::*;
use migz::error::Error;
use migz::rights::*;

#[test]
fn pair_make_send_and_drop_release_exactly_once() {
    let s = Space::new();
    {
        let (r, snd) = allocate_pair(&s).unwrap();
        assert_eq!(r.name(), snd.name());
        assert_eq!(r.make_send_count().unwrap(), 1);
        let s2 = r.make_send().unwrap();
        assert_eq!(r.make_send_count().unwrap(), 2);
        let s3 = snd.copy_send().unwrap();
        assert_eq!(r.make_send_count().unwrap(), 2, "copy_send does not make");
        assert_eq!(s.port_get_refs(r.name(), MACH_PORT_RIGHT_SEND).unwrap(), 3);
        drop(s2);
        drop(s3);
        assert_eq!(s.port_get_refs(r.name(), MACH_PORT_RIGHT_SEND).unwrap(), 1);
        r.set_make_send_count(10).unwrap();
        assert_eq!(r.make_send_count().unwrap(), 10);
        r.set_qlimit(9).unwrap();
        assert_eq!(r.qlimit().unwrap(), 9);
        let once = r.make_send_once().unwrap();
        assert_ne!(once.name(), r.name());
    }
    s.assert_no_leaks();
}

#[test]
fn into_raw_and_from_raw_hand_over_ownership() {
    let s = Space::new();
    let r = ReceiveRight::allocate(&s).unwrap();
    let name = r.into_raw();
    assert_eq!(
        s.port_type(name).unwrap(),
        MACH_PORT_TYPE_RECEIVE,
        "into_raw released nothing"
    );
    let r = ReceiveRight::from_raw(s.clone(), name);
    drop(r);
    assert_eq!(s.port_type(name), Err(Error::InvalidName));
    s.assert_no_leaks();
}

#[test]
fn copy_send_of_a_dead_port_is_a_dead_name_error() {
    let s = Space::new();
    let (r, snd) = allocate_pair(&s).unwrap();
    // Move the receive right's name out from under the send right: destroy the port by
    // giving the send right its own name in another space.
    let other = Space::new();
    other
        .port_insert_right(0x99, &s, snd.name(), MACH_MSG_TYPE_COPY_SEND)
        .unwrap();
    let remote = SendRight::from_raw(other.clone(), 0x99);
    drop(snd);
    drop(r);
    assert!(remote.is_dead());
    assert_eq!(remote.copy_send().unwrap_err(), Error::DeadName);
    let dead = remote.into_dead_name().unwrap();
    assert_eq!(
        other.port_type(dead.name()).unwrap(),
        MACH_PORT_TYPE_DEAD_NAME
    );
    drop(dead);
    s.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn dropping_a_send_right_to_a_dead_port_releases_the_dead_name() {
    let s = Space::new();
    let other = Space::new();
    let r = ReceiveRight::allocate(&s).unwrap();
    other
        .port_insert_right(0x99, &s, r.name(), MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let remote = SendRight::from_raw(other.clone(), 0x99);
    drop(r);
    drop(remote);
    other.assert_no_leaks();
    s.assert_no_leaks();
}

#[test]
fn no_space_and_urefs_overflow_are_errors() {
    let s = Space::with_name_limit(1);
    let r = ReceiveRight::allocate(&s).unwrap();
    assert_eq!(ReceiveRight::allocate(&s).unwrap_err(), Error::NoSpace);
    assert_eq!(r.make_send_once().unwrap_err(), Error::NoSpace);
    let snd = r.make_send().unwrap();
    s.port_mod_refs(
        r.name(),
        MACH_PORT_RIGHT_SEND,
        (MACH_PORT_UREFS_MAX - 1) as i32,
    )
    .unwrap();
    assert_eq!(snd.copy_send().unwrap_err(), Error::UrefsOverflow);
    assert_eq!(r.make_send().unwrap_err(), Error::UrefsOverflow);
    s.port_mod_refs(
        r.name(),
        MACH_PORT_RIGHT_SEND,
        -((MACH_PORT_UREFS_MAX - 1) as i32),
    )
    .unwrap();
    drop(snd);
    drop(r);
    s.assert_no_leaks();
}

#[test]
fn guarded_receive_rights_carry_their_context() {
    let s = Space::new();
    let g = GuardedReceiveRight::construct(&s, 0xdead_beef, Some(3)).unwrap();
    assert_eq!(s.port_get_context(g.name()).unwrap(), 0xdead_beef);
    assert_eq!(
        s.port_mod_refs(g.name(), MACH_PORT_RIGHT_RECEIVE, -1),
        Err(Error::InvalidArgument)
    );
    let snd = g.make_send().unwrap();
    drop(snd);
    drop(g);
    let r = ReceiveRight::allocate(&s).unwrap();
    let g = r.guard(42).unwrap();
    assert_eq!(g.context(), 42);
    let r = g.unguard().unwrap();
    r.set_context(7).unwrap();
    assert_eq!(r.context().unwrap(), 7);
    drop(r);
    s.assert_no_leaks();
}

#[test]
fn port_sets_hold_members() {
    let s = Space::new();
    let set = PortSet::allocate(&s).unwrap();
    let (r, snd) = allocate_pair(&s).unwrap();
    set.insert(&r).unwrap();
    let mut msg = vec![0u8; 24];
    MachMsgHeader {
        msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0),
        msgh_size: 24,
        msgh_remote_port: snd.name(),
        ..Default::default()
    }
    .write(&mut msg);
    assert_eq!(s.mach_msg(&mut msg, MACH_SEND_MSG, 24, 0, 0, 0, 0), 0);
    let mut buf = vec![0u8; 64];
    assert_eq!(
        s.mach_msg(
            &mut buf,
            MACH_RCV_MSG | MACH_RCV_TIMEOUT,
            0,
            64,
            set.name(),
            0,
            0
        ),
        0
    );
    set.remove(&r).unwrap();
    drop((set, r, snd));
    s.assert_no_leaks();
}

#[test]
fn no_senders_through_typed_rights() {
    let s = Space::new();
    let (r, snd) = allocate_pair(&s).unwrap();
    let n = ReceiveRight::allocate(&s).unwrap();
    assert!(r.request_no_senders(&n, 0).unwrap().is_none());
    drop(snd);
    let mut buf = vec![0u8; 64];
    assert_eq!(
        s.mach_msg(
            &mut buf,
            MACH_RCV_MSG | MACH_RCV_TIMEOUT,
            0,
            64,
            n.name(),
            0,
            0
        ),
        0
    );
    assert_eq!(
        MachMsgHeader::read(&buf).unwrap().msgh_id,
        MACH_NOTIFY_NO_SENDERS
    );
    drop((r, n));
    s.assert_no_leaks();
}
