//! Test transports shared by this crate's tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use migz::abi::*;
use migz::rights::ReceiveRight;
use migz::sys::mem::Region;
use migz::{Error, Space, Transport};
use migz_example_ports_ool::ports_ool;
use migz_example_ports_ool::service::Registry;

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub sends: AtomicUsize,
    pub receives: AtomicUsize,
    pub destroyed: AtomicUsize,
    pub regions: AtomicUsize,
    /// Receives that failed (a dead port, say).
    pub failed_receives: AtomicUsize,
}

/// A transport that forwards to `space` and counts, with the trait's defaults for
/// pooling and async calls.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub space: Space,
    pub seen: Arc<Seen>,
    /// Send out-of-line arrays as copies (the trait's default) rather than moving them.
    pub copies: bool,
    /// When set, sends are not made: the last message a send would have sent is kept
    /// here and the send fails with `MACH_SEND_INVALID_DEST`.
    pub capture: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Recorder {
    pub fn new(space: &Space) -> Self {
        Recorder {
            space: space.clone(),
            seen: Arc::default(),
            copies: false,
            capture: None,
        }
    }

    pub fn count(&self, which: fn(&Seen) -> &AtomicUsize) -> usize {
        which(&self.seen).load(Ordering::Relaxed)
    }
}

impl Transport for Recorder {
    fn mach_msg(
        &self,
        buf: &mut [u8],
        option: MachMsgOption,
        send_size: u32,
        rcv_size: u32,
        rcv_name: MachPortName,
        timeout: MachMsgTimeout,
        notify: MachPortName,
    ) -> MachMsgReturn {
        if option & MACH_SEND_MSG != 0 {
            if let Some(capture) = &self.capture {
                let size = (send_size as usize).min(buf.len());
                *capture.lock().unwrap() = buf[..size].to_vec();
                return MACH_SEND_INVALID_DEST;
            }
            self.seen.sends.fetch_add(1, Ordering::Relaxed);
        }
        let rc = self
            .space
            .mach_msg(buf, option, send_size, rcv_size, rcv_name, timeout, notify);
        if option & MACH_RCV_MSG != 0 {
            match rc {
                MACH_MSG_SUCCESS => self.seen.receives.fetch_add(1, Ordering::Relaxed),
                _ => self.seen.failed_receives.fetch_add(1, Ordering::Relaxed),
            };
        }
        rc
    }
    fn port_allocate(&self, right: MachPortRight) -> Result<MachPortName, Error> {
        self.space.port_allocate(right)
    }
    fn port_construct(&self, flags: u32, qlimit: u32, context: u64) -> Result<MachPortName, Error> {
        Transport::port_construct(&self.space, flags, qlimit, context)
    }
    fn port_destruct(&self, name: MachPortName, srdelta: i32, guard: u64) -> Result<(), Error> {
        self.space.port_destruct(name, srdelta, guard)
    }
    fn port_mod_refs(
        &self,
        name: MachPortName,
        right: MachPortRight,
        delta: i32,
    ) -> Result<(), Error> {
        self.space.port_mod_refs(name, right, delta)
    }
    fn port_get_refs(&self, name: MachPortName, right: MachPortRight) -> Result<u32, Error> {
        self.space.port_get_refs(name, right)
    }
    fn port_type(&self, name: MachPortName) -> Result<MachPortType, Error> {
        self.space.port_type(name)
    }
    fn port_insert_right(
        &self,
        name: MachPortName,
        poly: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(), Error> {
        Transport::port_insert_right(&self.space, name, poly, disp)
    }
    fn port_extract_right(
        &self,
        name: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<(MachPortName, MachMsgTypeName), Error> {
        Transport::port_extract_right(&self.space, name, disp)
    }
    fn port_get_context(&self, name: MachPortName) -> Result<u64, Error> {
        self.space.port_get_context(name)
    }
    fn port_set_context(&self, name: MachPortName, context: u64) -> Result<(), Error> {
        self.space.port_set_context(name, context)
    }
    fn port_guard(&self, name: MachPortName, guard: u64, strict: bool) -> Result<(), Error> {
        self.space.port_guard(name, guard, strict)
    }
    fn port_unguard(&self, name: MachPortName, guard: u64) -> Result<(), Error> {
        self.space.port_unguard(name, guard)
    }
    fn port_set_mscount(&self, name: MachPortName, mscount: u32) -> Result<(), Error> {
        self.space.port_set_mscount(name, mscount)
    }
    fn port_get_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &mut [u32],
    ) -> Result<u32, Error> {
        self.space.port_get_attributes(name, flavor, info)
    }
    fn port_set_attributes(
        &self,
        name: MachPortName,
        flavor: i32,
        info: &[u32],
    ) -> Result<(), Error> {
        self.space.port_set_attributes(name, flavor, info)
    }
    fn port_move_member(&self, member: MachPortName, after: MachPortName) -> Result<(), Error> {
        self.space.port_move_member(member, after)
    }
    fn port_request_notification(
        &self,
        name: MachPortName,
        msgid: i32,
        sync: u32,
        notify: MachPortName,
        disp: MachMsgTypeName,
    ) -> Result<MachPortName, Error> {
        self.space
            .port_request_notification(name, msgid, sync, notify, disp)
    }
    fn msg_destroy(&self, msg: &[u8]) {
        self.seen.destroyed.fetch_add(1, Ordering::Relaxed);
        self.space.msg_destroy(msg);
    }
    fn take_region(&self, addr: usize, size: usize) -> Option<Region> {
        self.seen.regions.fetch_add(1, Ordering::Relaxed);
        Transport::take_region(&self.space, addr, size)
    }
    fn give_region(&self, region: Region) -> Result<usize, Region> {
        if self.copies {
            return Err(region);
        }
        self.space.give_region(region)
    }
    fn take_back_region(&self, addr: usize, size: usize) {
        self.space.take_back_region(addr, size);
    }
}

/// xorshift64*: small, fast and reproducible from its seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The number in the environment variable `name`, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The native-endian `u32` at `at`.
pub fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// Writes a native-endian `u32` at `at`.
pub fn write_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

/// A tokio runtime with two workers and time.
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Serves `registry` on `port` (`concurrency` requests at a time) on a multi-thread
/// runtime while `client` runs on a blocking thread, and returns what `client` returns;
/// a server that stops first fails the test.
pub fn serve_while<T: Transport, R: Send + 'static>(
    registry: &Registry<T>,
    port: &ReceiveRight<T>,
    concurrency: usize,
    client: impl FnOnce() -> R + Send + 'static,
) -> R {
    multi_thread().block_on(async {
        let serving = ports_ool::serve(registry, port, concurrency);
        let calling = tokio::task::spawn_blocking(client);
        tokio::select! {
            served = serving => panic!("the server stopped: {served:?}"),
            value = calling => value.unwrap(),
        }
    })
}

#[path = "../../../../tests/support/inputs.rs"]
mod inputs;
// Not every test that includes this module uses each helper.
#[allow(unused_imports)]
pub use inputs::fuzz_seed;
