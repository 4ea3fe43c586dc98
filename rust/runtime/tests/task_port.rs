//! Hostile messages to the emulation's task port: every `mach_port` id and some beyond,
//! with bodies of every size the routines use (and others) filled with pseudo-random
//! words, simple or complex. Each gets a reply (the request's id plus 100) whose code is
//! a kernel or MIG code, nothing panics or hangs, and the space, once the names its
//! routines made are gone, holds nothing. `MIGZ_TASK_PORT_SEED` picks other words.

mod common;

use common::{recv, send};
use migz::Space;
use migz::abi::*;

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
}

#[test]
fn hostile_requests_get_replies_and_leave_nothing() {
    let seed: u64 = std::env::var("MIGZ_TASK_PORT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let space = Space::new();
    let me = space.mach_task_self();
    let reply = space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let mut rng = Rng(seed.max(1));
    let sizes = [24usize, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 76, 112];
    let mut answered = 0;
    for id in (3195..3250).chain([0, 202, 3400, i32::MAX]) {
        for &size in &sizes {
            let mut msg = vec![0u8; size];
            for i in (HEADER_SIZE..size).step_by(4) {
                // Small words often, so names and counts sometimes mean something.
                let w = if rng.next().is_multiple_of(2) {
                    rng.next() % 8
                } else {
                    rng.next()
                };
                write_u32(&mut msg, i, w);
            }
            if size >= 28 {
                // A body that claims no descriptors, so the message stays sendable.
                write_u32(&mut msg, 24, 0);
            }
            let complex = size >= 28 && rng.next().is_multiple_of(4);
            MachMsgHeader {
                msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                    | if complex { MACH_MSGH_BITS_COMPLEX } else { 0 },
                msgh_size: size as u32,
                msgh_remote_port: me,
                msgh_local_port: reply,
                msgh_voucher_port: 0,
                msgh_id: id,
            }
            .write(&mut msg);
            assert_eq!(
                send(&space, &msg, Some(0)),
                MACH_MSG_SUCCESS,
                "id {id} size {size}"
            );
            let (r, b) = recv(&space, reply, 4096, 0, Some(0));
            assert_eq!(r, MACH_MSG_SUCCESS, "no reply to id {id} size {size}");
            let h = common::header(&b);
            assert_eq!(h.msgh_id, id.wrapping_add(100));
            if h.msgh_bits & MACH_MSGH_BITS_COMPLEX != 0 {
                // A successful complex reply (extract_right, names, ...): release it.
                space.msg_destroy(&b);
            } else {
                let code = read_u32(&b, 32).unwrap() as i32;
                assert!(
                    code == KERN_SUCCESS
                        || (1..=60).contains(&code)
                        || (-399..=-300).contains(&code),
                    "id {id} size {size}: code {code}"
                );
            }
            answered += 1;
        }
    }
    assert_eq!(answered, 59 * sizes.len());
    space
        .port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    // Whatever the routines made (names allocated by chance) goes with its name; a name
    // that is a receive right may have made send rights too.
    for (name, _) in space.names() {
        if name == me {
            continue;
        }
        while space.port_deallocate(name).is_ok() {}
        let _ = space.port_mod_refs(name, MACH_PORT_RIGHT_RECEIVE, -1);
        let _ = space.port_mod_refs(name, MACH_PORT_RIGHT_PORT_SET, -1);
        let _ = space.port_mod_refs(name, MACH_PORT_RIGHT_DEAD_NAME, -1);
        let _ = space.port_destruct(name, 0, space.port_get_context(name).unwrap_or(0));
    }
    let names: Vec<_> = space
        .names()
        .into_iter()
        .filter(|(n, _)| *n != me)
        .collect();
    assert!(names.is_empty(), "{names:?}");
    let leaks = space.leaks();
    assert!(leaks.is_empty(), "{leaks:?}");
}
