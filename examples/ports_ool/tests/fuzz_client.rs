//! Mutated replies against the generated clients, Rust and Zig: a relay in a space of its
//! own passes each request on to the real Rust server and its reply back to the client
//! with a few random bytes changed (never the destination, so that every call gets an
//! answer: the mutated reply, or the send-once notification when the emulation refuses
//! it). The clients must take whatever comes without a panic or a hang, and afterwards
//! the client space must hold nothing (no right or region a refused reply brought).
//! One reply in eight passes unmutated: the relay notes the code it carries, and the Rust
//! client's call must then give exactly that answer (success, or the server's code).
//! `MIGZ_FUZZ_ITERATIONS` sets the number of Rust calls (default 1500; the Zig client
//! runs its scenario a tenth as many times); each run draws a fresh seed and prints it,
//! and `MIGZ_FUZZ_SEED` replays one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migz::abi::*;
use migz::bridge;
use migz::ffi::CallError;
use migz::rights::{SendRight, allocate_pair};
use migz::zerocopy::IntoBytes;
use migz::{OolBuffer, Space};
use migz_example_ports_ool::ports_ool::{PolyRight, PortsOolClient};
use migz_example_ports_ool::service::{
    FAILING_STATS_LEN, Mode, Registry, SCENARIO_ANSWERED, SCENARIO_REFUSED,
};
use migz_example_ports_ool::zig;

mod common;

use common::{Rng, env_u64, fuzz_seed, read_u32, serve_while, write_u32};

/// The relay's names, far from the ones the relay space hands out, so that a mutated name
/// is very unlikely to hit them.
const RELAY_IN: MachPortName = 0x7a5c_e003;
const TO_SERVER: MachPortName = 0x7a5d_e103;
const FROM_SERVER: MachPortName = 0x7a5e_e203;

/// What the relay did to each reply, in order: `Some(code)` for a reply it passed on
/// unmutated (0 for success, else the `RetCode` of the server's error reply), `None` for
/// one it mutated.
type Verdicts = Arc<Mutex<VecDeque<Option<KernReturn>>>>;

/// Receives on `port` of `space` into a fresh buffer: the message bytes, or `None` when
/// nothing came within `ms` milliseconds.
fn receive(space: &Space, port: MachPortName, ms: u32) -> Option<Vec<u8>> {
    let mut buf = vec![0u64; 2048];
    let rc = space.mach_msg(
        buf.as_mut_bytes(),
        MACH_RCV_MSG | MACH_RCV_TIMEOUT,
        0,
        16384,
        port,
        ms,
        0,
    );
    if rc != MACH_MSG_SUCCESS {
        return None;
    }
    let size = read_u32(buf.as_bytes(), 4) as usize;
    Some(buf.as_bytes()[..size].to_vec())
}

/// Releases the client's reply right `name` (as received, with `bits`).
fn release_reply(space: &Space, name: MachPortName, bits: u32) {
    let mut only = [0u8; 24];
    write_u32(&mut only, 0, mach_msgh_bits(mach_msgh_bits_remote(bits), 0));
    write_u32(&mut only, 4, 24);
    write_u32(&mut only, 8, name);
    space.msg_destroy(&only);
}

/// The relay: passes requests arriving on `RELAY_IN` to the server and the server's
/// replies back, mutated, until `stop`. Every reply keeps its destination and its
/// disposition; when the emulation refuses a mutated reply, the unmutated one is
/// destroyed instead, which answers the client with a send-once notification.
fn relay(
    space: Space,
    seed: u64,
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    verdicts: Verdicts,
) {
    let mut rng = Rng(seed | 1);
    while !stop.load(Ordering::Relaxed) {
        let Some(mut request) = receive(&space, RELAY_IN, 5) else {
            continue;
        };
        // As received: the client's reply right is in `remote_port`, moved.
        let client_reply = read_u32(&request, 8);
        let client_bits = read_u32(&request, 0);
        // A simpleroutine goes on without a reply port: given one, the server would drop
        // it unanswered, and its send-once notification would come back on FROM_SERVER
        // as the next routine's reply, putting every later reply one call behind.
        let (reply_port, reply_disposition) = if client_reply == MACH_PORT_NULL {
            (MACH_PORT_NULL, 0)
        } else {
            (FROM_SERVER, MACH_MSG_TYPE_MAKE_SEND_ONCE)
        };
        write_u32(
            &mut request,
            0,
            (client_bits & !0xffff) | mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, reply_disposition),
        );
        write_u32(&mut request, 8, TO_SERVER);
        write_u32(&mut request, 12, reply_port);
        let size = request.len() as u32;
        let mut buf = vec![0u64; request.len().div_ceil(8) + 1];
        buf.as_mut_bytes()[..request.len()].copy_from_slice(&request);
        let rc = space.mach_msg(buf.as_mut_bytes(), MACH_SEND_MSG, size, 0, 0, 0, 0);
        if rc != MACH_MSG_SUCCESS {
            // Should not happen: say so, and answer the client (with the send-once
            // notification) rather than leave it waiting.
            failed.store(true, Ordering::Relaxed);
            release_reply(&space, client_reply, client_bits);
            continue;
        }
        if client_reply == MACH_PORT_NULL {
            // A simpleroutine: no reply.
            continue;
        }
        let Some(mut reply) = receive(&space, FROM_SERVER, 30_000) else {
            failed.store(true, Ordering::Relaxed);
            release_reply(&space, client_reply, client_bits);
            continue;
        };
        // Back to the client on its reply right, moved.
        let bits = read_u32(&reply, 0);
        write_u32(
            &mut reply,
            0,
            (bits & MACH_MSGH_BITS_COMPLEX) | mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
        );
        write_u32(&mut reply, 8, client_reply);
        write_u32(&mut reply, 12, MACH_PORT_NULL);
        let mut mutated = reply.clone();
        let mut size = mutated.len();
        let mutate = rng.below(8) != 0;
        // Noted before the send, so the client finds it once the reply arrived. An error
        // reply is always simple, with its code after the NDR record.
        verdicts.lock().unwrap().push_back((!mutate).then(|| {
            if bits & MACH_MSGH_BITS_COMPLEX != 0 {
                KERN_SUCCESS
            } else {
                read_u32(&reply, 32) as KernReturn
            }
        }));
        if mutate {
            for _ in 0..1 + rng.below(4) {
                // Anything but the bits and the destination.
                let at = loop {
                    let at = rng.below(mutated.len());
                    if at >= 4 && !(8..12).contains(&at) {
                        break at;
                    }
                };
                mutated[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xff,
                    2 => mutated[at] ^ (1 << rng.below(8)),
                    _ => rng.next() as u8,
                };
            }
            match rng.below(8) {
                0 => size = size.saturating_sub(4 * (1 + rng.below(4))).max(24),
                1 => {
                    mutated.extend((0..4).map(|_| rng.next() as u8));
                    size += 4;
                }
                _ => {}
            }
        }
        let mut buf = vec![0u64; mutated.len().div_ceil(8) + 1];
        buf.as_mut_bytes()[..mutated.len()].copy_from_slice(&mutated);
        let rc = space.mach_msg(buf.as_mut_bytes(), MACH_SEND_MSG, size as u32, 0, 0, 0, 0);
        if rc != MACH_MSG_SUCCESS {
            // Nothing was sent: the reply's rights and memory are still the relay's.
            space.msg_destroy(&reply);
        }
        // A region the mutated reply sent as a copy (its deallocate flag cleared) is
        // still the relay's too.
        for (addr, size) in space.leaks().regions {
            let _ = space.vm_deallocate(addr, size);
        }
    }
}

/// The relay space, with its receive right for clients, its send right to `server_port`
/// of `server` and its own reply port, and the running relay.
struct Relay {
    space: Space,
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    verdicts: Verdicts,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(server: &Space, server_port: MachPortName, seed: u64) -> Relay {
        let space = Space::new();
        space
            .port_allocate_name(MACH_PORT_RIGHT_RECEIVE, RELAY_IN)
            .unwrap();
        space
            .port_allocate_name(MACH_PORT_RIGHT_RECEIVE, FROM_SERVER)
            .unwrap();
        space
            .port_insert_right(TO_SERVER, server, server_port, MACH_MSG_TYPE_MAKE_SEND)
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let verdicts = Verdicts::default();
        let thread = {
            let (space, stop, failed, verdicts) = (
                space.clone(),
                stop.clone(),
                failed.clone(),
                verdicts.clone(),
            );
            std::thread::spawn(move || relay(space, seed, stop, failed, verdicts))
        };
        Relay {
            space,
            stop,
            failed,
            verdicts,
            thread: Some(thread),
        }
    }

    /// A send right to the relay for `client`.
    fn client_right(&self, client: &Space) -> SendRight<Space> {
        let name = client.port_allocate(MACH_PORT_RIGHT_DEAD_NAME).unwrap_or(0);
        // A dead name only reserves a fresh name; the send right replaces it.
        let _ = client.port_mod_refs(name, MACH_PORT_RIGHT_DEAD_NAME, -1);
        client
            .port_insert_right(name, &self.space, RELAY_IN, MACH_MSG_TYPE_MAKE_SEND)
            .unwrap();
        SendRight::from_raw(client.clone(), name)
    }

    /// Stops the relay and releases its rights.
    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        assert!(
            !self.failed.load(Ordering::Relaxed),
            "the relay could not pass a request on, or got no reply"
        );
        for (name, right) in [
            (RELAY_IN, MACH_PORT_RIGHT_RECEIVE),
            (FROM_SERVER, MACH_PORT_RIGHT_RECEIVE),
            (TO_SERVER, MACH_PORT_RIGHT_SEND),
        ] {
            let _ = self.space.port_mod_refs(name, right, -1);
        }
        self.space.assert_no_leaks();
    }
}

/// Calls the routines of `client` in a random order `calls` times with good arguments,
/// taking whatever comes back; a call whose reply came unmutated (as `verdicts` says)
/// must give exactly the reply's answer. Returns the calls answered with success and
/// the unmutated replies checked.
fn call_everything(
    client: &PortsOolClient,
    calls: u64,
    seed: u64,
    verdicts: &Verdicts,
) -> (usize, usize) {
    let space = client.server().task().clone();
    let mut rng = Rng(seed.rotate_left(17) | 1);
    let (mut answered, mut checked) = (0, 0);
    let t = Some(Duration::from_secs(30));
    for i in 0..calls {
        let (mine, mine_send) = allocate_pair(&space).unwrap();
        let (routine, result) = match rng.below(10) {
            0 => ("register_port", client.register_port("mine", &mine, t)),
            1 => ("lookup_port", client.lookup_port("mine", t).map(drop)),
            2 => {
                let right = match rng.below(3) {
                    0 => PolyRight::MoveSend(mine.make_send().unwrap()),
                    1 => PolyRight::MakeSendOnce(&mine),
                    _ => PolyRight::CopySend(&mine_send),
                };
                ("pass_right", client.pass_right(right, t).map(drop))
            }
            3 => ("reverse", client.reverse(&[1, 2, 3, 4, 5], t).map(drop)),
            4 => ("upload", client.upload(&[7u8; 300][..], t).map(drop)),
            5 => (
                "upload owned",
                client.upload(OolBuffer::from(vec![3u8; 5000]), t).map(drop),
            ),
            6 => ("stats", client.stats(FAILING_STATS_LEN, t).map(drop)),
            7 => (
                "count_ports",
                client.count_ports(&[&mine_send, &mine_send], t).map(drop),
            ),
            8 => ("whoami", client.whoami(t).map(drop)),
            _ => {
                // A simpleroutine: no reply, so no verdict; sending must succeed.
                assert_eq!(client.log_message("hello", t), Ok(()), "call {i}");
                answered += 1;
                continue;
            }
        };
        answered += usize::from(result.is_ok());
        // A request that was never sent got no reply from the relay.
        if matches!(result, Err(CallError::Send(_))) {
            continue;
        }
        let verdict = verdicts.lock().unwrap().pop_front();
        let Some(Some(code)) = verdict else {
            assert!(
                verdict.is_some(),
                "call {i} ({routine}): the relay sent no reply"
            );
            continue;
        };
        let expected = if code == KERN_SUCCESS {
            Ok(())
        } else {
            Err(CallError::Server(code))
        };
        assert_eq!(
            result, expected,
            "call {i} ({routine}) got its reply unmutated"
        );
        checked += 1;
    }
    (answered, checked)
}

fn settings() -> (u64, u64) {
    (fuzz_seed(), env_u64("MIGZ_FUZZ_ITERATIONS", 1500))
}

/// Runs `client` against the Rust server of `mode` through a mutating relay, and checks
/// that the client's space holds nothing afterwards.
fn through_relay(
    mode: Mode,
    seed: u64,
    client: impl FnOnce(SendRight<Space>, Verdicts) + Send + 'static,
) {
    let server = Space::new();
    let client_space = Space::new();
    let registry = Registry::<Space>::new(mode);
    let (port, send) = allocate_pair(&server).unwrap();
    drop(send);
    let relay = Relay::start(&server, port.name(), seed);
    let to_relay = relay.client_right(&client_space);
    let verdicts = relay.verdicts.clone();
    serve_while(&registry, &port, 1, move || client(to_relay, verdicts));
    relay.stop();
    drop((port, registry));
    client_space.assert_no_leaks();
    server.assert_no_leaks();
}

#[test]
fn mutated_replies_to_the_rust_client_lose_nothing() {
    let (seed, iterations) = settings();
    for mode in [Mode::Answer, Mode::Fail] {
        through_relay(mode, seed, move |to_relay, verdicts| {
            let client = PortsOolClient::new(to_relay);
            let (answered, checked) = call_everything(&client, iterations, seed, &verdicts);
            eprintln!(
                "rust client ({mode:?}): {answered} of {iterations} calls answered, \
                 {checked} unmutated replies gave exactly their answer"
            );
            // About one reply in eight is unmutated; none at all would mean the check
            // above never ran.
            assert!(
                checked > 0 || iterations < 100,
                "no unmutated reply was checked"
            );
        });
    }
}

#[test]
fn mutated_replies_to_the_zig_client_lose_nothing() {
    let (seed, iterations) = settings();
    for (mode, scenario) in [
        (Mode::Answer, SCENARIO_ANSWERED),
        (Mode::Fail, SCENARIO_REFUSED),
    ] {
        through_relay(mode, seed, move |to_relay, _| {
            let runs = iterations / 10;
            let passed = (0..runs)
                .filter(|_| bridge::call_zig(&to_relay, scenario, zig::client) == KERN_SUCCESS)
                .count();
            eprintln!("zig client ({mode:?}): {passed} of {runs} scenarios passed");
        });
    }
}
