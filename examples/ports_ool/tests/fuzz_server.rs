//! Mutated requests against the generated servers, Rust and Zig: real `ports_ool` requests
//! (captured from the generated client) get fresh rights and memory, then a few random
//! bytes changed, and go through the emulation's `mach_msg` to a server in another space.
//! The emulation refuses some at send; the rest reach the server, which must answer or
//! refuse each and release what it brought. After every request a valid call must still
//! be answered (no panic that stopped the server, no hang), and at the end neither space
//! may hold anything (no leaked right or region). `MIGZ_FUZZ_ITERATIONS` sets the number
//! of requests per server (default 1500); each run draws a fresh seed and prints it, and
//! `MIGZ_FUZZ_SEED` replays one.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use migz::abi::*;
use migz::bridge;
use migz::rights::allocate_pair;
use migz::zerocopy::IntoBytes;
use migz::{OolBuffer, Space};
use migz_example_ports_ool::ports_ool::{PolyRight, PortsOolClient, SendRight};
use migz_example_ports_ool::service::{FAILING_STATS_LEN, Mode, Registry, STATS_LEN};
use migz_example_ports_ool::zig;

use common::{Recorder, Rng, env_u64, fuzz_seed, read_u32, serve_while, write_u32};

/// The client space's name for its send right to the server (a space has one name for all
/// its send rights to a port).
const SERVER: MachPortName = 0x7_0003;

/// One request of every routine, as the generated client packs it (the rights and memory
/// it named are gone: each use gets fresh ones).
fn templates() -> Vec<Vec<u8>> {
    let space = Space::new();
    let captured = Arc::new(Mutex::new(Vec::new()));
    let mut out = Vec::new();
    {
        let mut recorder = Recorder::new(&space);
        recorder.capture = Some(captured.clone());
        let (port, send) = allocate_pair(&recorder).unwrap();
        let client = PortsOolClient::new(send);
        let mut take = |sent: bool| {
            assert!(!sent, "a captured send does not leave");
            out.push(std::mem::take(&mut *captured.lock().unwrap()));
        };
        let (mine, mine_send) = allocate_pair(&recorder).unwrap();
        take(client.register_port("mine", &mine, None).is_ok());
        take(client.lookup_port("mine", None).is_ok());
        let rights = [
            PolyRight::MoveSend(mine.make_send().unwrap()),
            PolyRight::CopySend(&mine_send),
            PolyRight::MakeSend(&mine),
            PolyRight::MakeSendOnce(&mine),
            PolyRight::MoveSendOnce(mine.make_send_once().unwrap()),
            PolyRight::MoveReceive(allocate_pair(&recorder).unwrap().0),
        ];
        for right in rights {
            take(client.pass_right(right, None).is_ok());
        }
        let data: Vec<i32> = (1..=50).collect();
        take(client.reverse(&data, None).is_ok());
        take(client.upload(&[7u8; 1000][..], None).is_ok());
        take(
            client
                .upload(OolBuffer::from(vec![9u8; 5000]), None)
                .is_ok(),
        );
        take(client.stats(STATS_LEN, None).is_ok());
        take(client.count_ports(&[&mine_send, &mine_send], None).is_ok());
        take(client.whoami(None).is_ok());
        take(client.log_message("hello", None).is_ok());
        drop((client, port, mine, mine_send));
    }
    space.assert_no_leaks();
    out
}

/// Gives a template fresh rights and memory in `space`: the server's send right as
/// destination, a new reply port, a new port for each port descriptor and new regions.
fn instantiate(space: &Space, template: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut msg = template.to_vec();
    let fresh = |disposition: u32| -> MachPortName {
        let name = space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
        space
            .port_insert_right(name, space, name, MACH_MSG_TYPE_MAKE_SEND)
            .unwrap();
        if disposition == MACH_MSG_TYPE_MOVE_SEND_ONCE {
            let (once, _) = space
                .port_extract_right(name, MACH_MSG_TYPE_MAKE_SEND_ONCE, space)
                .unwrap();
            return once;
        }
        name
    };
    write_u32(&mut msg, 8, SERVER);
    write_u32(
        &mut msg,
        12,
        space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap(),
    );
    if read_u32(&msg, 0) & MACH_MSGH_BITS_COMPLEX == 0 {
        return msg;
    }
    let count = read_u32(&msg, 24) as usize;
    let mut at = 28;
    for _ in 0..count {
        let word = read_u32(&msg, at + 8);
        let (kind, disposition) = (word >> 24, (word >> 16) & 0xff);
        if kind == MACH_MSG_PORT_DESCRIPTOR {
            write_u32(&mut msg, at, fresh(disposition));
            at += 12;
            continue;
        }
        let n = read_u32(&msg, at + 12) as usize;
        let bytes = if kind == MACH_MSG_OOL_PORTS_DESCRIPTOR {
            n * 4
        } else {
            n
        };
        let mut addr = 0usize;
        if bytes > 0 {
            addr = space.vm_allocate(bytes).unwrap();
            let names: Vec<u32> = (0..n).map(|_| fresh(disposition)).collect();
            let random: Vec<u8> = (0..bytes).map(|_| rng.next() as u8).collect();
            space
                .with_region(addr, |r| {
                    if kind == MACH_MSG_OOL_PORTS_DESCRIPTOR {
                        r[..bytes].copy_from_slice(names.as_bytes());
                    } else {
                        r[..bytes].copy_from_slice(&random);
                    }
                })
                .unwrap();
        }
        msg[at..at + 8].copy_from_slice(&(addr as u64).to_ne_bytes());
        at += 16;
    }
    msg
}

/// Changes one to four random bytes of `msg`, and sometimes its size; returns the size to
/// send.
fn mutate(msg: &mut Vec<u8>, rng: &mut Rng) -> usize {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(msg.len());
        msg[at] = match rng.below(4) {
            0 => 0,
            1 => 0xff,
            2 => msg[at] ^ (1 << rng.below(8)),
            _ => rng.next() as u8,
        };
    }
    let size = msg.len();
    match rng.below(8) {
        0 => size.saturating_sub(4 * (1 + rng.below(4))).max(24),
        1 => {
            msg.extend((0..4).map(|_| rng.next() as u8));
            size + 4
        }
        _ => size,
    }
}

/// Releases every right and region `space` holds but its send right to the server.
fn release_all(space: &Space) {
    let held = space.leaks();
    for (name, _, _) in held.names {
        if name == SERVER {
            continue;
        }
        while let Ok(bits) = space.port_type(name) {
            let (right, refs) = if bits & MACH_PORT_TYPE_SEND != 0 {
                let n = space.port_get_refs(name, MACH_PORT_RIGHT_SEND).unwrap_or(1);
                (MACH_PORT_RIGHT_SEND, n)
            } else if bits & MACH_PORT_TYPE_RECEIVE != 0 {
                (MACH_PORT_RIGHT_RECEIVE, 1)
            } else if bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                (MACH_PORT_RIGHT_SEND_ONCE, 1)
            } else if bits & MACH_PORT_TYPE_DEAD_NAME != 0 {
                let n = space
                    .port_get_refs(name, MACH_PORT_RIGHT_DEAD_NAME)
                    .unwrap_or(1);
                (MACH_PORT_RIGHT_DEAD_NAME, n)
            } else {
                (MACH_PORT_RIGHT_PORT_SET, 1)
            };
            let delta = -i32::try_from(refs.max(1)).unwrap_or(i32::MAX);
            if space.port_mod_refs(name, right, delta).is_err() {
                break;
            }
        }
    }
    for (addr, size) in held.regions {
        let _ = space.vm_deallocate(addr, size);
    }
}

/// Makes sure `space` holds a send right to `port` of `server` under `name` (a mutated
/// request may have moved it away).
fn keep_send_right(space: &Space, name: MachPortName, server: &Space, port: MachPortName) {
    if space
        .port_type(name)
        .is_ok_and(|b| b & MACH_PORT_TYPE_SEND != 0)
    {
        return;
    }
    // A dead name or something else under the name goes first.
    release_all_of(space, name);
    assert!(
        space.port_type(name).is_err(),
        "{name:#x} cannot be released"
    );
    space
        .port_insert_right(name, server, port, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
}

fn release_all_of(space: &Space, name: MachPortName) {
    for right in [
        MACH_PORT_RIGHT_SEND,
        MACH_PORT_RIGHT_RECEIVE,
        MACH_PORT_RIGHT_SEND_ONCE,
        MACH_PORT_RIGHT_DEAD_NAME,
        MACH_PORT_RIGHT_PORT_SET,
    ] {
        let refs = space.port_get_refs(name, right).unwrap_or(0);
        if refs > 0 {
            let _ = space.port_mod_refs(name, right, -(refs as i32));
        }
    }
}

/// Sends `iterations` mutated requests from a client space to the server port `port` of
/// `server`, checking after each that a valid call is still answered; then releases the
/// client's rights. Returns the client space (which the server may still refer to until
/// it stops) and how many requests the emulation accepted.
fn fuzz(server: &Space, port: MachPortName, seed: u64, iterations: u64) -> (Space, usize) {
    let templates = templates();
    let client = Space::new();
    // The probe calls from a space of its own, so that the client space holds nothing
    // the mutated requests did not make (no pooled reply port to name by accident).
    let prober = Space::new();
    let mut rng = Rng(seed | 1);
    let mut accepted = 0;
    for i in 0..iterations {
        keep_send_right(&client, SERVER, server, port);
        let template = &templates[rng.below(templates.len())];
        let mut msg = instantiate(&client, template, &mut rng);
        let size = mutate(&mut msg, &mut rng);
        let mut buf = vec![0u64; (size.max(msg.len()) + 8).div_ceil(8)];
        buf.as_mut_bytes()[..msg.len()].copy_from_slice(&msg);
        let rc = client.mach_msg(
            buf.as_mut_bytes(),
            MACH_SEND_MSG | MACH_SEND_TIMEOUT,
            size as u32,
            0,
            0,
            10_000,
            0,
        );
        if rc == MACH_MSG_SUCCESS {
            accepted += 1;
        }
        // The server takes requests in order: once the probe is answered, the mutated
        // request was handled.
        keep_send_right(&prober, SERVER, server, port);
        let probe = PortsOolClient::new(SendRight::from_raw(prober.clone(), SERVER));
        // Room for a failing server's answer too.
        let answered = probe.stats(FAILING_STATS_LEN, Some(Duration::from_secs(30)));
        let _ = probe.into_server().into_raw();
        assert!(
            answered.is_ok(),
            "seed {seed}, request {i}: the server no longer answers ({answered:?}) after {msg:02x?}"
        );
        // Whatever came back on the reply ports is destroyed with the rest.
        for (name, bits, _) in client.leaks().names {
            if bits & MACH_PORT_TYPE_RECEIVE == 0 {
                continue;
            }
            let mut rcv = vec![0u64; 1024];
            while client.mach_msg(
                rcv.as_mut_bytes(),
                MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                0,
                8192,
                name,
                0,
                0,
            ) == MACH_MSG_SUCCESS
            {
                client.msg_destroy(rcv.as_bytes());
            }
        }
        release_all(&client);
        let names: Vec<_> = client
            .leaks()
            .names
            .into_iter()
            .filter(|n| n.0 != SERVER)
            .collect();
        assert!(
            names.is_empty(),
            "seed {seed}, request {i} (send {rc:#x}, {size} bytes): the client still holds {names:x?} after {msg:02x?}"
        );
        // Neither server keeps memory: whatever a request brought is freed by now.
        let regions = server.leaks().regions;
        assert!(
            regions.is_empty(),
            "seed {seed}, request {i} (send {rc:#x}, {size} bytes): the server kept {regions:?} of {msg:02x?}"
        );
    }
    release_all_of(&client, SERVER);
    release_all_of(&prober, SERVER);
    prober.assert_no_leaks();
    (client, accepted)
}

fn settings() -> (u64, u64) {
    (fuzz_seed(), env_u64("MIGZ_FUZZ_ITERATIONS", 1500))
}

#[test]
fn mutated_requests_to_the_rust_server_lose_nothing() {
    let (seed, iterations) = settings();
    let server = Space::new();
    for mode in [Mode::Answer, Mode::Fail] {
        let registry = Registry::<Space>::new(mode);
        let (port, send) = allocate_pair(&server).unwrap();
        drop(send);
        let name = port.name();
        let space = server.clone();
        let (client, accepted) = serve_while(&registry, &port, 1, move || {
            fuzz(&space, name, seed, iterations)
        });
        eprintln!("rust server ({mode:?}): {accepted} of {iterations} mutated requests sent");
        drop((port, registry));
        client.assert_no_leaks();
    }
    server.assert_no_leaks();
}

#[test]
fn mutated_requests_to_the_zig_server_lose_nothing() {
    let (seed, iterations) = settings();
    let server = Space::new();
    for entry in [zig::server, zig::failing_server] {
        let (port, send) = allocate_pair(&server).unwrap();
        let name = port.name();
        let serving = std::thread::spawn(move || bridge::serve_in_zig(port, 0, entry));
        let (client, accepted) = fuzz(&server, name, seed, iterations);
        // The server stops when its last send right is gone (a bound on the wait turns a
        // right left behind into a failure rather than a hang).
        drop(send);
        for _ in 0..60_000 {
            if serving.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(serving.is_finished(), "the Zig server still has a sender");
        assert_eq!(serving.join().unwrap(), Ok(()));
        eprintln!("zig server: {accepted} of {iterations} mutated requests sent");
        client.assert_no_leaks();
    }
    server.assert_no_leaks();
}

/// Sends `log_message` (a simpleroutine) with a send-once reply right anyway, to `port`
/// of `server`, and returns the id of what comes back on the reply port.
fn simpleroutine_with_a_reply_right(server: &Space, port: MachPortName) -> i32 {
    let template = templates()
        .into_iter()
        .find(|t| read_u32(t, 20) == 3008)
        .expect("log_message's request");
    let client = Space::new();
    keep_send_right(&client, SERVER, server, port);
    let mut msg = instantiate(&client, &template, &mut Rng(1));
    let reply = read_u32(&msg, 12);
    write_u32(
        &mut msg,
        0,
        mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
    );
    let mut buf = vec![0u64; 64];
    buf.as_mut_bytes()[..msg.len()].copy_from_slice(&msg);
    let size = msg.len() as u32;
    let rc = client.mach_msg(buf.as_mut_bytes(), MACH_SEND_MSG, size, 0, 0, 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
    // No reply comes, but the right must not stay with the server: its release sends
    // the send-once notification.
    let rc = client.mach_msg(
        buf.as_mut_bytes(),
        MACH_RCV_MSG | MACH_RCV_TIMEOUT,
        0,
        512,
        reply,
        30_000,
        0,
    );
    assert_eq!(rc, MACH_MSG_SUCCESS);
    let id = migz::MachMsgHeader::read(buf.as_bytes()).unwrap().msgh_id;
    release_all(&client);
    release_all_of(&client, SERVER);
    client.assert_no_leaks();
    id
}

#[test]
fn servers_release_the_reply_right_a_simpleroutine_request_brought() {
    let server = Space::new();
    {
        let registry = Registry::<Space>::new(Mode::Answer);
        let (port, send) = allocate_pair(&server).unwrap();
        drop(send);
        let name = port.name();
        let space = server.clone();
        let id = serve_while(&registry, &port, 1, move || {
            simpleroutine_with_a_reply_right(&space, name)
        });
        assert_eq!(id, MACH_NOTIFY_SEND_ONCE);
        drop((port, registry));
    }
    {
        let (port, send) = allocate_pair(&server).unwrap();
        let name = port.name();
        let serving = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        assert_eq!(
            simpleroutine_with_a_reply_right(&server, name),
            MACH_NOTIFY_SEND_ONCE
        );
        drop(send);
        assert_eq!(serving.join().unwrap(), Ok(()));
    }
    server.assert_no_leaks();
}
