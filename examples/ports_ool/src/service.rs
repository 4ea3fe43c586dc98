//! The Rust half of the example: [`Registry`], a server of every `ports_ool` routine, the
//! two client scenarios that check a server's answers ([`every_routine`] against an
//! answering server, [`every_routine_refused`] against a failing one), and the bridge
//! entries a Zig program calls to run them (see `tests/zig-host`). `zig/service.zig`
//! implements the same server and scenarios, so either client checks either server.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use migz::abi::{
    KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_INVALID_NAME, KERN_NAME_EXISTS, KERN_NO_SPACE,
    KERN_SUCCESS, KernReturn, MIG_ARRAY_TOO_LARGE, MachPortName,
};
use migz::ffi::CallError;
use migz::rights::allocate_pair;
use migz::{OolBuffer, Space, Transport, bridge};

use crate::ports_ool::{
    self, AnyRight, PolyRight, PortsOolClient, PortsOolServer, ReceiveRight, SendRight, ServeResult,
};

/// The counters `stats` answers with, in this order (both servers keep the same ones).
pub mod stat {
    /// Ports registered now.
    pub const REGISTERED: usize = 0;
    /// Rights taken by `pass_right`.
    pub const PASSED: usize = 1;
    /// Integers reversed by `reverse`.
    pub const REVERSED: usize = 2;
    /// Bytes counted by `upload`.
    pub const UPLOADED: usize = 3;
    /// Rights counted by `count_ports`.
    pub const COUNTED: usize = 4;
    /// Messages logged by `log_message`.
    pub const LOGGED: usize = 5;
    /// Bytes of the messages logged.
    pub const LOGGED_BYTES: usize = 6;
}

/// How many counters `stats` has.
pub const STATS_LEN: usize = 7;
/// How many values a failing server's `stats` answers, whatever the caller's room: the
/// `.defs` bound, more than a caller with less room accepts.
pub const FAILING_STATS_LEN: usize = 16;
/// How many ports a server keeps registered at most (`KERN_NO_SPACE` beyond).
pub const REGISTRY_CAPACITY: usize = 8;

/// The client entry's `arg` for [`every_routine`].
pub const SCENARIO_ANSWERED: u64 = 0;
/// The client entry's `arg` for [`every_routine_refused`].
pub const SCENARIO_REFUSED: u64 = 1;

/// How a server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every routine does its job.
    Answer,
    /// Every routine takes what it was sent and answers `KERN_FAILURE`; `stats` answers
    /// [`FAILING_STATS_LEN`] values.
    Fail,
}

/// The server: a registry of send rights by name, and counters of what it was sent. It
/// serves on any transport `T` (the local one unless said otherwise).
#[derive(Debug)]
pub struct Registry<T: Transport = Space> {
    mode: Mode,
    state: Mutex<State<T>>,
}

#[derive(Debug)]
struct State<T: Transport> {
    ports: HashMap<Vec<u8>, SendRight<T>>,
    counters: [i32; STATS_LEN],
}

impl<T: Transport> State<T> {
    fn add(&mut self, counter: usize, n: usize) {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        self.counters[counter] = self.counters[counter].saturating_add(n);
    }
}

impl<T: Transport> Registry<T> {
    /// A server with nothing registered that answers as `mode` says.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            state: Mutex::new(State {
                ports: HashMap::new(),
                counters: [0; STATS_LEN],
            }),
        }
    }

    /// What `stats` would answer a caller with room for every counter.
    pub fn snapshot(&self) -> [i32; STATS_LEN] {
        let state = self.lock();
        let mut values = state.counters;
        values[stat::REGISTERED] = i32::try_from(state.ports.len()).unwrap_or(i32::MAX);
        values
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A routine that panicked left the state consistent: every update is one step.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `KERN_FAILURE` when failing. A routine's arguments are its own, so returning early
    /// drops them: the rights and memory it was sent are released either way.
    fn refuse(&self) -> ServeResult<()> {
        match self.mode {
            Mode::Answer => Ok(()),
            Mode::Fail => Err(KERN_FAILURE),
        }
    }
}

impl<T: Transport> PortsOolServer<T> for Registry<T> {
    async fn register_port(&self, name: &[u8], port: SendRight<T>) -> ServeResult<()> {
        self.refuse()?;
        let mut state = self.lock();
        if state.ports.contains_key(name) {
            return Err(KERN_NAME_EXISTS);
        }
        if state.ports.len() == REGISTRY_CAPACITY {
            return Err(KERN_NO_SPACE);
        }
        state.ports.insert(name.to_vec(), port);
        Ok(())
    }

    async fn lookup_port(&self, name: &[u8]) -> ServeResult<SendRight<T>> {
        self.refuse()?;
        // Given back: the reply moves the registered right to the caller.
        self.lock().ports.remove(name).ok_or(KERN_INVALID_NAME)
    }

    async fn pass_right(&self, right: AnyRight<T>) -> ServeResult<Vec<u8>> {
        self.refuse()?;
        let label: &[u8] = match right {
            AnyRight::Send(_) => b"send",
            AnyRight::SendOnce(_) => b"send-once",
            AnyRight::Receive(_) => b"receive",
        };
        self.lock().add(stat::PASSED, 1);
        // The right drops here: released, whichever kind it is.
        Ok(label.to_vec())
    }

    async fn reverse(&self, data: OolBuffer<i32>) -> ServeResult<OolBuffer<i32>> {
        self.refuse()?;
        let mut reversed = data;
        reversed.reverse();
        self.lock().add(stat::REVERSED, reversed.len());
        // The region the request brought goes back in the reply, without a copy.
        Ok(reversed)
    }

    async fn upload(&self, blob: OolBuffer<u8>) -> ServeResult<i32> {
        self.refuse()?;
        self.lock().add(stat::UPLOADED, blob.len());
        Ok(byte_sum(&blob))
    }

    async fn stats(&self, values_max: usize) -> ServeResult<Vec<i32>> {
        if self.mode == Mode::Fail {
            return Ok((0..FAILING_STATS_LEN as i32).collect());
        }
        Ok(self.snapshot()[..values_max.min(STATS_LEN)].to_vec())
    }

    async fn count_ports(&self, list: Vec<SendRight<T>>) -> ServeResult<i32> {
        self.refuse()?;
        self.lock().add(stat::COUNTED, list.len());
        i32::try_from(list.len()).map_err(|_| KERN_INVALID_ARGUMENT)
    }

    async fn whoami(&self, atoken: [u32; 8]) -> ServeResult<i32> {
        self.refuse()?;
        // The word is passed on as it is, bits and all.
        Ok(atoken[0] as i32)
    }

    async fn log_message(&self, message: &[u8]) -> ServeResult<()> {
        self.refuse()?;
        let mut state = self.lock();
        state.add(stat::LOGGED, 1);
        state.add(stat::LOGGED_BYTES, message.len());
        Ok(())
    }
}

/// Serves `port` with `registry` (four requests at a time) until its last send right is
/// gone, then destroys it.
pub async fn serve(registry: &Registry, port: ReceiveRight) -> Result<(), migz::Error> {
    ports_ool::serve_until_no_senders(registry, port, 4).await
}

/// The sum of `bytes`, as `upload` answers it.
pub fn byte_sum(bytes: &[u8]) -> i32 {
    bytes.iter().map(|&b| i32::from(b)).sum()
}

/// `len` bytes counting 0, 1, ..., `modulus - 1` over and over.
pub fn pattern(len: usize, modulus: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % modulus).unwrap_or(u8::MAX))
        .collect()
}

/// The name the scenarios register, look up and register again.
pub const REGISTERED_NAME: &str = "mine";
/// The name the answered scenario registers a second time, under which the port stays
/// until the scenario takes it back at the end.
pub const KEPT_NAME: &str = "kept";
/// How many integers the scenarios reverse (1, 2, ..., this).
pub const REVERSE_LEN: usize = 100;
/// The lengths and moduli of the two blobs the scenarios upload: one borrowed (sent as a
/// copy), one owned (moved).
pub const BLOBS: [(usize, usize); 2] = [(1000, 7), (5000, 11)];
/// The message the scenarios log.
pub const MESSAGE: &str = "hello from a client";

/// Why a scenario failed: the step, and the unexpected code (`KERN_FAILURE` for a wrong
/// answer, or for success where an error was expected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What the scenario was doing.
    pub step: &'static str,
    /// The code the entry returns for it.
    pub code: KernReturn,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: code {:#x}", self.step, self.code)
    }
}

impl std::error::Error for Failure {}

/// The result of a call, or the failure of `step` with the call's code.
fn call<T>(step: &'static str, result: Result<T, CallError>) -> Result<T, Failure> {
    result.map_err(|e| Failure {
        step,
        code: e.code(),
    })
}

/// Success when the call failed with `code`.
fn refused<T>(step: &'static str, result: Result<T, CallError>, code: i32) -> Result<(), Failure> {
    match result {
        Err(e) if e.code() == code => Ok(()),
        Err(e) => Err(Failure {
            step,
            code: e.code(),
        }),
        Ok(_) => Err(Failure {
            step,
            code: KERN_FAILURE,
        }),
    }
}

/// Success when `ok`, else a wrong answer at `step`.
fn check(step: &'static str, ok: bool) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure {
            step,
            code: KERN_FAILURE,
        })
    }
}

/// The failure of `step` with a runtime error's code.
fn runtime(step: &'static str) -> impl FnOnce(migz::Error) -> Failure {
    move |e| Failure {
        step,
        code: e.code(),
    }
}

/// The answered scenario: calls every routine of an answering server with rights of every
/// disposition and memory both ways, checks every answer, and checks that `stats` grew by
/// exactly what was sent. Leaves the server as it found it, but for its counters.
pub fn every_routine<T: Transport>(client: &PortsOolClient<T>) -> Result<(), Failure> {
    let space = client.server().task();
    let before = call("stats before", client.stats(STATS_LEN, None))?;
    check(
        "stats before: one value per counter",
        before.len() == STATS_LEN,
    )?;
    let (mine, mine_send) = allocate_pair(space).map_err(runtime("allocate a port"))?;

    // MAKE_SEND in: the server keeps a send right made from our receive right, and the
    // MOVE_SEND out gives it back.
    call(
        "register_port",
        client.register_port(REGISTERED_NAME, &mine, None),
    )?;
    let twice = client.register_port(REGISTERED_NAME, &mine, None);
    refused("register_port of a taken name", twice, KERN_NAME_EXISTS)?;
    let found = call("lookup_port", client.lookup_port(REGISTERED_NAME, None))?;
    check("lookup_port's right", found.name() == mine.name())?;
    drop(found);
    let gone = client.lookup_port(REGISTERED_NAME, None);
    refused(
        "lookup_port after it was given back",
        gone,
        KERN_INVALID_NAME,
    )?;
    call(
        "register_port kept",
        client.register_port(KEPT_NAME, &mine, None),
    )?;

    // The polymorphic right, with every disposition a caller can send.
    let (moved, moved_send) = allocate_pair(space).map_err(runtime("allocate a port"))?;
    let rights: [(PolyRight<'_, T>, &[u8]); 6] = [
        (
            PolyRight::MoveSend(mine.make_send().map_err(runtime("make_send"))?),
            b"send",
        ),
        (PolyRight::CopySend(&mine_send), b"send"),
        (PolyRight::MakeSend(&mine), b"send"),
        (PolyRight::MakeSendOnce(&mine), b"send-once"),
        (
            PolyRight::MoveSendOnce(mine.make_send_once().map_err(runtime("make_send_once"))?),
            b"send-once",
        ),
        (PolyRight::MoveReceive(moved), b"receive"),
    ];
    let passed = rights.len();
    for (right, label) in rights {
        let got = call("pass_right", client.pass_right(right, None))?;
        check("pass_right's label", got == label)?;
    }
    // The server destroyed the receive right it was given: ours is a dead name now.
    drop(moved_send);

    // Out-of-line memory both ways: our array goes as a private copy, the reversed one
    // comes back as a region of our own.
    let data: Vec<i32> = (1..=REVERSE_LEN as i32).collect();
    let reversed = call("reverse", client.reverse(&data, None))?;
    check("reverse's answer", reversed.iter().eq(data.iter().rev()))?;
    let empty = call("reverse of nothing", client.reverse(&[], None))?;
    check("reverse of nothing's answer", empty.is_empty())?;

    // `Dealloc[]`: a borrowed blob is copied, an owned one moves to the server.
    let [(borrowed_len, borrowed_mod), (owned_len, owned_mod)] = BLOBS;
    let borrowed = pattern(borrowed_len, borrowed_mod);
    let total = call("upload borrowed", client.upload(&borrowed[..], None))?;
    check("upload borrowed's total", total == byte_sum(&borrowed))?;
    let owned = OolBuffer::from(pattern(owned_len, owned_mod));
    let want = byte_sum(&owned);
    let total = call("upload owned", client.upload(owned, None))?;
    check("upload owned's total", total == want)?;

    // An out-of-line array of copied send rights, one of them the server's own port.
    let list = [&mine_send, &mine_send, client.server()];
    let counted = call("count_ports", client.count_ports(&list, None))?;
    check(
        "count_ports's count",
        usize::try_from(counted) == Ok(list.len()),
    )?;

    // The audit token's first word is the audit user id: the effective uid here.
    let word = call("whoami", client.whoami(None))?;
    let (euid, _) = migz::sys::os::effective_ids();
    check("whoami's word", word as u32 == euid)?;

    // The simpleroutine; a message at its bound (64 bytes with the NUL) is refused
    // before sending. The round trip after it means it was handled: a server takes
    // one client's requests in order.
    call("log_message", client.log_message(MESSAGE, None))?;
    let long = "x".repeat(64);
    refused(
        "log_message too long",
        client.log_message(&long, None),
        MIG_ARRAY_TOO_LARGE,
    )?;
    call("whoami after log_message", client.whoami(None))?;

    // CountInOut: the caller's room decides how many counters come back.
    let mut want = before;
    want[stat::REGISTERED] += 1;
    let grow = [
        (stat::PASSED, passed),
        (stat::REVERSED, data.len()),
        (stat::UPLOADED, borrowed_len + owned_len),
        (stat::COUNTED, list.len()),
        (stat::LOGGED, 1),
        (stat::LOGGED_BYTES, MESSAGE.len()),
    ];
    for (counter, n) in grow {
        want[counter] += i32::try_from(n).unwrap_or(i32::MAX);
    }
    let three = call("stats with room for 3", client.stats(3, None))?;
    check("stats with room for 3", three == want[..3])?;
    let all = call("stats with room for 16", client.stats(16, None))?;
    check("stats with room for 16", all == want)?;

    // Take the kept right back, so the server holds nothing of ours.
    let kept = call("lookup_port kept", client.lookup_port(KEPT_NAME, None))?;
    check("lookup_port kept's right", kept.name() == mine.name())?;
    Ok(())
}

/// The refused scenario: calls every routine of a failing server, sending it rights of
/// every disposition and memory it must release, and checks every error. A caller that
/// gets an error keeps nothing either: afterwards, nothing of this scenario is left in
/// the space.
pub fn every_routine_refused<T: Transport>(client: &PortsOolClient<T>) -> Result<(), Failure> {
    let space = client.server().task();
    let (mine, mine_send) = allocate_pair(space).map_err(runtime("allocate a port"))?;
    let failed = KERN_FAILURE;

    let r = client.register_port(REGISTERED_NAME, &mine, None);
    refused("register_port", r, failed)?;
    refused(
        "lookup_port",
        client.lookup_port(REGISTERED_NAME, None),
        failed,
    )?;

    let (moved, moved_send) = allocate_pair(space).map_err(runtime("allocate a port"))?;
    let rights = [
        PolyRight::MoveSend(mine.make_send().map_err(runtime("make_send"))?),
        PolyRight::CopySend(&mine_send),
        PolyRight::MakeSend(&mine),
        PolyRight::MakeSendOnce(&mine),
        PolyRight::MoveSendOnce(mine.make_send_once().map_err(runtime("make_send_once"))?),
        PolyRight::MoveReceive(moved),
    ];
    for right in rights {
        refused("pass_right", client.pass_right(right, None), failed)?;
    }
    drop(moved_send);

    let data: Vec<i32> = (1..=REVERSE_LEN as i32).collect();
    refused("reverse", client.reverse(&data, None), failed)?;
    let [(borrowed_len, borrowed_mod), (owned_len, owned_mod)] = BLOBS;
    let borrowed = pattern(borrowed_len, borrowed_mod);
    let r = client.upload(&borrowed[..], None);
    refused("upload borrowed", r, failed)?;
    let owned = OolBuffer::from(pattern(owned_len, owned_mod));
    refused("upload owned", client.upload(owned, None), failed)?;
    let list = [&mine_send, client.server()];
    refused("count_ports", client.count_ports(&list, None), failed)?;

    // More values than the room we gave: refused by our own stub.
    refused(
        "stats with room for 4",
        client.stats(4, None),
        MIG_ARRAY_TOO_LARGE,
    )?;
    let all = call("stats with room for 16", client.stats(16, None))?;
    check("stats with room for 16", all.len() == FAILING_STATS_LEN)?;

    refused("whoami", client.whoami(None), failed)?;
    // A simpleroutine has no reply to carry the error: sending succeeds.
    call("log_message", client.log_message(MESSAGE, None))?;
    refused("whoami after log_message", client.whoami(None), failed)?;
    Ok(())
}

/// Runs the server of `mode` for a bridge entry: takes the receive right `port` and
/// serves it until its last send right is gone.
fn serve_entry(space: &Space, port: MachPortName, mode: Mode) -> i32 {
    let port = match bridge::take_receive(space, port) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let registry = Registry::new(mode);
    match bridge::block_on(serve(&registry, port)) {
        Ok(Ok(())) => KERN_SUCCESS,
        Ok(Err(e)) | Err(e) => e.code(),
    }
}

/// The bridge entry of the Rust server: takes the receive right `port` and serves it with
/// a fresh answering [`Registry`] until its last send right is gone (`arg` is unused).
pub fn server_entry(space: &Space, port: MachPortName, _arg: u64) -> i32 {
    serve_entry(space, port, Mode::Answer)
}

/// The bridge entry of the failing Rust server: as [`server_entry`] with [`Mode::Fail`].
pub fn failing_server_entry(space: &Space, port: MachPortName, _arg: u64) -> i32 {
    serve_entry(space, port, Mode::Fail)
}

/// The bridge entry of the Rust client: borrows the send right `port` and runs the
/// scenario `arg` ([`SCENARIO_ANSWERED`] or [`SCENARIO_REFUSED`]); returns
/// `KERN_SUCCESS` or the [`Failure`]'s code.
pub fn client_entry(space: &Space, port: MachPortName, arg: u64) -> i32 {
    let scenario = match arg {
        SCENARIO_ANSWERED => every_routine::<Space>,
        SCENARIO_REFUSED => every_routine_refused::<Space>,
        _ => return KERN_INVALID_ARGUMENT,
    };
    let server = match bridge::borrow_send(space, port) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match scenario(&PortsOolClient::new(server)) {
        Ok(()) => KERN_SUCCESS,
        Err(failure) => failure.code,
    }
}
