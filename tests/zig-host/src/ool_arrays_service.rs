//! The Rust half of the cross-language test of arrays of out-of-line types
//! (`tests/conformance/ool_arrays.defs`, run by `zig/tests/ool_arrays_matrix.zig`): [`Echo`],
//! a server that answers as the Zig one does, [`every_routine`], the client scenario the
//! Zig client also runs, and the bridge entries that Zig calls to run them.

use std::sync::Mutex;

use migz::abi::{
    KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_SUCCESS, KernReturn, MIG_ARRAY_TOO_LARGE,
    MachPortName,
};
use migz::ffi::CallError;
use migz::rights::allocate_pair;
use migz::{Ool, OolBuffer, Space, bridge};

use crate::ool_arrays::{
    self, AnyRight, OolArraysClient, OolArraysServer, PolyRight, SendRight, ServeResult,
};

/// The longest buffer the servers answer (a longer one is `KERN_INVALID_ARGUMENT`).
const LONGEST: usize = 8;

/// The server: each buffer answered reversed, the listed quads reversed for `echo_small`,
/// the two port arrays swapped, and what `give_bufs` moves to it counted.
#[derive(Debug, Default)]
pub struct Echo {
    given: Mutex<usize>,
}

fn reversed(buffers: &[OolBuffer<i32>]) -> ServeResult<Vec<OolBuffer<i32>>> {
    buffers
        .iter()
        .map(|b| {
            if b.len() > LONGEST {
                return Err(KERN_INVALID_ARGUMENT);
            }
            let mut v = b.to_vec();
            v.reverse();
            Ok(OolBuffer::from_slice(&v))
        })
        .collect()
}

impl OolArraysServer for Echo {
    async fn echo_bufs(
        &self,
        fixed: Vec<OolBuffer<i32>>,
        listed: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        Ok((reversed(&fixed)?, reversed(&listed)?))
    }

    async fn echo_small(
        &self,
        smalls: Vec<OolBuffer<i32>>,
        _quads: Vec<OolBuffer<i32>>,
        qlist: Vec<OolBuffer<i32>>,
    ) -> ServeResult<(Vec<OolBuffer<i32>>, Vec<OolBuffer<i32>>)> {
        Ok((reversed(&qlist)?, reversed(&smalls)?))
    }

    async fn swap_ports(&self, mut ports: Vec<Vec<SendRight>>) -> ServeResult<Vec<Vec<SendRight>>> {
        ports.reverse();
        Ok(ports)
    }

    async fn pass_poly(&self, rights: Vec<Vec<AnyRight>>) -> ServeResult<i32> {
        Ok(rights.iter().map(Vec::len).sum::<usize>() as i32)
    }

    async fn give_maybe(&self, listed: Vec<OolBuffer<i32>>) -> ServeResult<i32> {
        Ok(listed.iter().map(|b| b.len() as i32).sum())
    }

    async fn give_bufs(&self, fixed: Vec<OolBuffer<i32>>) -> ServeResult<()> {
        *self.given.lock().unwrap_or_else(|e| e.into_inner()) +=
            fixed.iter().map(|b| b.len()).sum::<usize>();
        Ok(())
    }
}

/// A step of the scenario that did not go as expected.
#[derive(Debug)]
pub struct Failure(&'static str);

fn check(what: &'static str, ok: bool) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(Failure(what)) }
}

fn contents(buffers: &[OolBuffer<i32>]) -> Vec<Vec<i32>> {
    buffers.iter().map(|b| b.to_vec()).collect()
}

/// The client's scenario, the same as the Zig client's: every routine, with the answers
/// checked; everything received is owned and released on drop.
pub fn every_routine(client: &OolArraysClient) -> Result<(), Failure> {
    let call = |what| move |_: CallError| Failure(what);
    let (rfixed, rlisted) = client
        .echo_bufs(&[&[2, 3], &[4, 5, 6]], &[&[1], &[], &[7, 8, 9, 10]], None)
        .map_err(call("echo_bufs"))?;
    check("rfixed", contents(&rfixed) == [vec![3, 2], vec![6, 5, 4]])?;
    check(
        "rlisted",
        contents(&rlisted) == [vec![1], vec![], vec![10, 9, 8, 7]],
    )?;

    let (rquads, rsmalls) = client
        .echo_small(
            &[&[1], &[7, 8, 9, 10]],
            &[&[7, 8, 9, 10], &[7, 8, 9, 10]],
            &[&[11, 12, 13, 14]],
            None,
        )
        .map_err(call("echo_small"))?;
    check("rquads", contents(&rquads) == [vec![14, 13, 12, 11]])?;
    check(
        "rsmalls",
        contents(&rsmalls) == [vec![1], vec![10, 9, 8, 7]],
    )?;

    // Copied send rights go; the same rights come back moved, the arrays swapped.
    let space = client.server().task();
    let ports: Vec<_> = (0..3)
        .map(|_| allocate_pair(space))
        .collect::<Result<_, _>>()
        .map_err(|_| Failure("allocate"))?;
    let sends: Vec<&SendRight> = ports.iter().map(|(_, s)| s).collect();
    let back = client
        .swap_ports(&[&sends[..1], &sends[1..]], None)
        .map_err(call("swap_ports"))?;
    let names: Vec<Vec<MachPortName>> = back
        .iter()
        .map(|l| l.iter().map(SendRight::name).collect())
        .collect();
    check(
        "swapped",
        names
            == [
                vec![sends[1].name(), sends[2].name()],
                vec![sends[0].name()],
            ],
    )?;

    // Rights of a disposition of our choice: made from our receive rights.
    let made = vec![
        vec![PolyRight::MakeSend(&ports[0].0)],
        vec![PolyRight::MakeSend(&ports[1].0)],
    ];
    let counted = client.pass_poly(made, None).map_err(call("pass_poly"))?;
    check("pass_poly", counted == 2)?;

    // Memory moved to the server.
    let moved = vec![
        OolBuffer::from_slice(&[1, 2, 3]),
        OolBuffer::from_slice(&[4]),
    ];
    client.give_bufs(moved, None).map_err(call("give_bufs"))?;

    // Dealloc[]: a borrowed slice goes as a copy, an owned buffer moves.
    let total = client
        .give_maybe(
            vec![Ool::Borrowed(&[2, 3]), Ool::Borrowed(&[4, 5, 6])],
            None,
        )
        .map_err(call("give_maybe"))?;
    check("give_maybe borrowed", total == 5)?;
    let total = client
        .give_maybe(vec![OolBuffer::from_slice(&[1, 2]).into()], None)
        .map_err(call("give_maybe owned"))?;
    check("give_maybe owned", total == 2)?;

    // More listed buffers than the bound of 3: refused before anything is sent.
    let too_many = client.echo_bufs(&[&[1], &[2]], &[&[1], &[2], &[3], &[4]], None);
    check(
        "too many",
        matches!(too_many, Err(CallError::Mig(MIG_ARRAY_TOO_LARGE))),
    )?;
    Ok(())
}

/// The bridge entry of the Rust server: takes the receive right `port` and serves it
/// until its last send right is gone (`arg` is unused).
pub fn server_entry(space: &Space, port: MachPortName, _arg: u64) -> i32 {
    let port = match bridge::take_receive(space, port) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let echo = Echo::default();
    match bridge::block_on(ool_arrays::serve_until_no_senders(&echo, port, 1)) {
        Ok(Ok(())) => KERN_SUCCESS,
        Ok(Err(e)) | Err(e) => e.code(),
    }
}

/// The bridge entry of the Rust client: borrows the send right `port` and runs
/// [`every_routine`]; returns `KERN_SUCCESS` or `KERN_FAILURE` (`arg` is unused).
pub fn client_entry(space: &Space, port: MachPortName, _arg: u64) -> KernReturn {
    let server = match bridge::borrow_send(space, port) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match every_routine(&OolArraysClient::new(server)) {
        Ok(()) => KERN_SUCCESS,
        Err(Failure(what)) => {
            eprintln!("ool_arrays Rust client: {what}");
            KERN_FAILURE
        }
    }
}
