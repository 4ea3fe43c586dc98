//! 8 sender threads, each in its own space, send 10,000 messages each into one port with
//! the default queue limit of 5: every message arrives exactly once, in order per sender,
//! the queue never holds more than its limit, and no right or region is left behind.

mod common;

use common::*;
use migz::Space;
use migz::abi::*;

const SENDERS: u32 = 8;
const PER_SENDER: u32 = 10_000;

#[test]
fn eight_senders_into_one_small_queue() {
    let server = Space::new();
    let port = server.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let mut limits = [0u32; 1];
    server
        .port_get_attributes(port, MACH_PORT_LIMITS_INFO, &mut limits)
        .unwrap();
    assert_eq!(limits[0], 5);
    let clients: Vec<Space> = (0..SENDERS).map(|_| Space::new()).collect();
    let threads: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.port_insert_right(0x1000, &server, port, MACH_MSG_TYPE_MAKE_SEND)
                .unwrap();
            let c = c.clone();
            std::thread::spawn(move || {
                for seq in 0..PER_SENDER {
                    let mut payload = [0u8; 8];
                    payload[..4].copy_from_slice(&(i as u32).to_ne_bytes());
                    payload[4..].copy_from_slice(&seq.to_ne_bytes());
                    let m = simple(0x1000, MACH_MSG_TYPE_COPY_SEND, 0, 0, 1, &payload);
                    assert_eq!(send(&c, &m, None), 0);
                }
                c.port_deallocate(0x1000).unwrap();
            })
        })
        .collect();
    let mut next = vec![0u32; SENDERS as usize];
    let mut buf = vec![0u8; 128];
    let mut max_queued = 0;
    for n in 0..SENDERS * PER_SENDER {
        let r = server.mach_msg(&mut buf, MACH_RCV_MSG, 0, 128, port, 0, 0);
        assert_eq!(r, 0);
        let sender = read_u32(&buf, 24).unwrap() as usize;
        let seq = read_u32(&buf, 28).unwrap();
        assert_eq!(
            seq, next[sender],
            "sender {sender}: nothing lost, duplicated or reordered"
        );
        next[sender] += 1;
        if n % 64 == 0 {
            let mut st = [0u32; 10];
            server
                .port_get_attributes(port, MACH_PORT_RECEIVE_STATUS, &mut st)
                .unwrap();
            max_queued = max_queued.max(st[4]);
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!(next.iter().all(|&n| n == PER_SENDER));
    assert!(
        max_queued <= 5,
        "the queue stayed within its limit ({max_queued})"
    );
    let mut buf = vec![0u8; 128];
    assert_eq!(
        server.mach_msg(
            &mut buf,
            MACH_RCV_MSG | MACH_RCV_TIMEOUT,
            0,
            128,
            port,
            0,
            0
        ),
        MACH_RCV_TIMED_OUT
    );
    server
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    server.assert_no_leaks();
    for c in &clients {
        c.assert_no_leaks();
    }
}
