//! The Rust half of the example: [`Summer`], a server, and a client function, plus the
//! two bridge entries a Zig program calls to run them (see `tests/zig-host`).

use std::sync::atomic::{AtomicU64, Ordering};

use migz::abi::{KERN_FAILURE, KERN_INVALID_VALUE, KERN_SUCCESS, MachPortName};
use migz::ffi::CallError;
use migz::{Space, bridge};

use crate::array_test::{self, ArrayTestClient, ArrayTestServer, ReceiveRight, ServeResult};

/// The sum of `items`, or `None` when it does not fit in an `i32`.
pub fn sum(items: &[i32]) -> Option<i32> {
    items
        .iter()
        .try_fold(0i32, |total, &x| total.checked_add(x))
}

/// The server: answers `sum_array` with the sum, or `KERN_INVALID_VALUE` when it does
/// not fit in an `int32_t`, and counts the requests it answered.
#[derive(Debug, Default)]
pub struct Summer {
    calls: AtomicU64,
}

impl Summer {
    /// How many requests it answered, successfully or not.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

// No rights travel in `array_test`, so the same server runs on any transport.
impl<T: migz::Transport> ArrayTestServer<T> for Summer {
    async fn sum_array(&self, data: &[i32]) -> ServeResult<i32> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        sum(data).ok_or(KERN_INVALID_VALUE)
    }
}

/// Serves `port` with `summer` (four requests at a time) until its last send right is
/// gone, then destroys it.
pub async fn serve(summer: &Summer, port: ReceiveRight) -> Result<(), migz::Error> {
    array_test::serve_until_no_senders(summer, port, 4).await
}

/// 1, 2, ..., `n`.
pub fn one_to(n: usize) -> Vec<i32> {
    (1..=n)
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect()
}

/// The client: asks for the sum of 1, 2, ..., `n` and checks it; `Ok(false)` when the
/// server's answer is wrong.
pub fn sum_one_to(client: &ArrayTestClient, n: usize) -> Result<bool, CallError> {
    // Past 1024 the stub refuses (MIG_ARRAY_TOO_LARGE); one more is enough to show it.
    let data = one_to(n.min(1025));
    let total = client.sum_array(&data, None)?;
    Ok(Some(total) == sum(&data))
}

/// The bridge entry of the Rust server: takes the receive right `port` and serves it with
/// a fresh [`Summer`] until its last send right is gone (`arg` is unused).
pub fn server_entry(space: &Space, port: MachPortName, _arg: u64) -> i32 {
    let port = match bridge::take_receive(space, port) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let summer = Summer::default();
    match bridge::block_on(serve(&summer, port)) {
        Ok(Ok(())) => KERN_SUCCESS,
        Ok(Err(e)) | Err(e) => e.code(),
    }
}

/// The bridge entry of the Rust client: borrows the send right `port` and asks for the
/// sum of 1, 2, ..., `arg`; returns the call's code, `KERN_FAILURE` for a wrong answer.
pub fn client_entry(space: &Space, port: MachPortName, arg: u64) -> i32 {
    let server = match bridge::borrow_send(space, port) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let client = ArrayTestClient::new(server);
    match sum_one_to(&client, usize::try_from(arg).unwrap_or(usize::MAX)) {
        Ok(true) => KERN_SUCCESS,
        Ok(false) => KERN_FAILURE,
        Err(e) => e.code(),
    }
}
