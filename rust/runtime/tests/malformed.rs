//! Bad input: random, mostly malformed messages never panic, never hang, and either fail
//! with a send error that leaves every right where it was, or arrive and can be destroyed
//! without leaking anything.

use migz::Space;
use migz::abi::*;
use proptest::prelude::*;

fn snapshot(s: &Space) -> Vec<(u32, u32, u32, u32)> {
    s.names()
        .into_iter()
        .map(|(n, t)| {
            (
                n,
                t,
                s.port_get_refs(n, MACH_PORT_RIGHT_SEND).unwrap(),
                s.port_get_refs(n, MACH_PORT_RIGHT_DEAD_NAME).unwrap(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn malformed_messages_fail_cleanly(
        words in proptest::collection::vec(any::<u32>(), 6..40),
        picks in proptest::collection::vec((0..8usize, 16..23u32), 0..6),
        size_words in 5..44usize,
        complex in any::<bool>(),
    ) {
        let s = Space::new();
        let p = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
        s.port_set_attributes(p, MACH_PORT_LIMITS_INFO, &[64]).unwrap();
        s.port_insert_right(p, &s, p, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        let q = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
        let d = s.port_allocate(MACH_PORT_RIGHT_DEAD_NAME).unwrap();
        let names = [p, q, d, 0, !0, 0x999, p, q];
        let mut msg: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        // Steer the header toward plausible values so the checks past it are reached too.
        let local_disp = [0, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MAKE_SEND, words[0] & 0x1f][(words[0] % 6) as usize];
        let bits = mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, local_disp)
            | if complex { MACH_MSGH_BITS_COMPLEX } else { 0 };
        write_u32(&mut msg, 0, bits);
        write_u32(&mut msg, 8, p);
        write_u32(&mut msg, 12, if local_disp == 0 { 0 } else { names[(words[2] % 8) as usize] });
        for (i, (pick, disp)) in picks.iter().enumerate() {
            let off = 28 + 12 * i;
            if off + 12 <= msg.len() {
                write_u32(&mut msg, off, names[*pick]);
                write_u32(&mut msg, off + 8, port_descriptor_word(*disp));
            }
        }
        if complex && msg.len() >= 28 {
            write_u32(&mut msg, 24, (picks.len() as u32).min(words[1] % 8));
        }
        let send_size = (size_words * 4).min(msg.len()) as u32;
        let before = snapshot(&s);
        let mut buf = msg.clone();
        let r = s.mach_msg(&mut buf, MACH_SEND_MSG | MACH_SEND_TIMEOUT, send_size, 0, 0, 0, 0);
        if r == MACH_MSG_SUCCESS && s.port_type(p).is_ok_and(|t| t & MACH_PORT_TYPE_RECEIVE != 0) {
            let mut rb = vec![0u8; 512];
            let rr = s.mach_msg(&mut rb, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 512, p, 0, 0);
            prop_assert!(rr == MACH_MSG_SUCCESS || rr == (MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE), "{rr:#x}");
            s.msg_destroy(&rb);
        } else if r != MACH_MSG_SUCCESS {
            prop_assert!(r & 0x1000_0000 != 0, "a send error code: {r:#x}");
            prop_assert_eq!(snapshot(&s), before, "a failed send took nothing");
        }
        // Drain anything else (notifications) and release the fixture.
        let mut rb = vec![0u8; 512];
        for port in [p, q] {
            while s.port_type(port).is_ok_and(|t| t & MACH_PORT_TYPE_RECEIVE != 0)
                && s.mach_msg(&mut rb, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 512, port, 0, 0) == 0
            {
                s.msg_destroy(&rb);
            }
        }
        for (n, t, send, dead) in snapshot(&s) {
            if send > 0 {
                s.port_mod_refs(n, MACH_PORT_RIGHT_SEND, -(send as i32)).unwrap();
            }
            if dead > 0 {
                s.port_mod_refs(n, MACH_PORT_RIGHT_DEAD_NAME, -(dead as i32)).unwrap();
            }
            if t & MACH_PORT_TYPE_SEND_ONCE != 0 {
                s.port_deallocate(n).unwrap();
            }
            if t & MACH_PORT_TYPE_RECEIVE != 0 {
                s.port_mod_refs(n, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
            }
        }
        let leaks = s.leaks();
        prop_assert!(leaks.is_empty(), "{:?}", leaks);
    }
}
