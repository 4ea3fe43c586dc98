//! The cross-language matrix of the `ports_ool` example, in one process over the local
//! transport: Rust client × Zig server, Zig client × Rust server, and the same-language
//! pairs, against answering and failing servers, each in a space of its own that must
//! hold nothing afterwards (no right, no out-of-line region).

use migz::Space;
use migz::abi::{
    KERN_FAILURE, KERN_INVALID_ARGUMENT, KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_SUCCESS,
    MACH_SEND_INVALID_DEST, MIG_ARRAY_TOO_LARGE,
};
use migz::bridge::{self, Entry};
use migz::ffi::CallError;
use migz::rights::allocate_pair;
use migz_example_ports_ool::ports_ool::{PolyRight, PortsOolClient, SendRight};
use migz_example_ports_ool::service::{
    self, BLOBS, MESSAGE, Mode, REVERSE_LEN, Registry, SCENARIO_ANSWERED, SCENARIO_REFUSED,
    STATS_LEN, stat,
};
use migz_example_ports_ool::zig;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Runs the Zig server `entry` on a thread of its own while `client` runs on this one
/// with a send right to it; the server stops when `client` has dropped the right.
fn against_zig_server<T>(space: &Space, entry: Entry, client: impl FnOnce(SendRight) -> T) -> T {
    let (port, send) = allocate_pair(space).unwrap();
    let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, entry));
    let value = client(send);
    assert_eq!(server.join().unwrap(), Ok(()));
    value
}

/// Runs `registry` as the Rust server on a tokio runtime while `client` runs on a
/// blocking thread with a send right to it; the server stops when `client` has dropped
/// the right.
fn against_rust_server<T: Send + 'static>(
    space: &Space,
    registry: &Registry,
    client: impl FnOnce(SendRight) -> T + Send + 'static,
) -> T {
    let (port, send) = allocate_pair(space).unwrap();
    runtime().block_on(async {
        let serving = service::serve(registry, port);
        let calling = tokio::task::spawn_blocking(move || client(send));
        let (served, value) = tokio::join!(serving, calling);
        assert_eq!(served, Ok(()));
        value.unwrap()
    })
}

/// What an answering server's counters are after `runs` answered scenarios.
fn after_answered_scenarios(runs: i32) -> [i32; STATS_LEN] {
    let mut want = [0; STATS_LEN];
    // Each run registers one port and takes it back at the end.
    want[stat::REGISTERED] = 0;
    want[stat::PASSED] = 6 * runs;
    want[stat::REVERSED] = REVERSE_LEN as i32 * runs;
    want[stat::UPLOADED] = (BLOBS[0].0 + BLOBS[1].0) as i32 * runs;
    want[stat::COUNTED] = 3 * runs;
    want[stat::LOGGED] = runs;
    want[stat::LOGGED_BYTES] = MESSAGE.len() as i32 * runs;
    want
}

#[test]
fn rust_client_zig_server() {
    let space = Space::new();
    against_zig_server(&space, zig::server, |send| {
        let client = PortsOolClient::new(send);
        service::every_routine(&client).unwrap();
        // Again, on the counters the first run left.
        service::every_routine(&client).unwrap();
        // The async calls go through the same stubs.
        runtime().block_on(async {
            let (moved, moved_send) = allocate_pair(&space).unwrap();
            let label = client
                .pass_right_async(PolyRight::MoveReceive(moved), None)
                .await;
            assert_eq!(label.unwrap(), b"receive");
            drop(moved_send);
            let reversed = client.reverse_async(&[1, 2, 3], None).await.unwrap();
            assert_eq!(&*reversed, &[3, 2, 1]);
            let stats = client.stats_async(STATS_LEN, None).await.unwrap();
            let mut want = after_answered_scenarios(2);
            want[stat::PASSED] += 1;
            want[stat::REVERSED] += 3;
            assert_eq!(stats, want);
        });
    });
    space.assert_no_leaks();
}

#[test]
fn rust_client_failing_zig_server() {
    let space = Space::new();
    against_zig_server(&space, zig::failing_server, |send| {
        service::every_routine_refused(&PortsOolClient::new(send)).unwrap();
    });
    space.assert_no_leaks();
}

#[test]
fn rust_client_answered_by_a_zig_server_that_stops_after_two_requests() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 2, zig::server));
        let client = PortsOolClient::new(send);
        let (mine, _mine_send) = allocate_pair(&space).unwrap();
        assert_eq!(client.register_port("a", &mine, None), Ok(()));
        // The Zig server answers word 0 of the audit token: the process's effective uid.
        let (euid, _) = migz::sys::os::effective_ids();
        assert_eq!(client.whoami(None), Ok(euid as i32));
        // The server stopped and released the right it kept; the port is gone.
        assert_eq!(server.join().unwrap(), Ok(()));
        assert_eq!(
            client.lookup_port("a", None).map(drop),
            Err(CallError::Send(MACH_SEND_INVALID_DEST))
        );
    }
    space.assert_no_leaks();
}

#[test]
fn zig_client_rust_server() {
    let space = Space::new();
    let registry = Registry::new(Mode::Answer);
    let codes = against_rust_server(&space, &registry, |send| {
        [SCENARIO_ANSWERED, SCENARIO_ANSWERED].map(|s| bridge::call_zig(&send, s, zig::client))
    });
    assert_eq!(codes, [KERN_SUCCESS, KERN_SUCCESS]);
    assert_eq!(registry.snapshot(), after_answered_scenarios(2));
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn zig_client_failing_rust_server() {
    let space = Space::new();
    let registry = Registry::new(Mode::Fail);
    let code = against_rust_server(&space, &registry, |send| {
        bridge::call_zig(&send, SCENARIO_REFUSED, zig::client)
    });
    assert_eq!(code, KERN_SUCCESS);
    // The failing routines took their arguments and released them: nothing was kept.
    assert_eq!(registry.snapshot(), [0; STATS_LEN]);
    drop(registry);
    space.assert_no_leaks();
}

#[test]
fn zig_client_zig_server() {
    let space = Space::new();
    let code = against_zig_server(&space, zig::server, |send| {
        bridge::call_zig(&send, SCENARIO_ANSWERED, zig::client)
    });
    assert_eq!(code, KERN_SUCCESS);
    let code = against_zig_server(&space, zig::failing_server, |send| {
        bridge::call_zig(&send, SCENARIO_REFUSED, zig::client)
    });
    assert_eq!(code, KERN_SUCCESS);
    space.assert_no_leaks();
}

#[test]
fn rust_client_rust_server() {
    let space = Space::new();
    let registry = Registry::new(Mode::Answer);
    against_rust_server(&space, &registry, |send| {
        service::every_routine(&PortsOolClient::new(send))
    })
    .unwrap();
    assert_eq!(registry.snapshot(), after_answered_scenarios(1));
    let failing = Registry::new(Mode::Fail);
    against_rust_server(&space, &failing, |send| {
        service::every_routine_refused(&PortsOolClient::new(send))
    })
    .unwrap();
    drop((registry, failing));
    space.assert_no_leaks();
}

#[test]
fn scenarios_notice_a_server_of_the_wrong_kind() {
    let space = Space::new();
    // The answered scenario against a failing server stops at its first call, `stats`,
    // which answers more than the room it was given; the refused one against an
    // answering server stops at its first call too, which succeeded.
    let failure = against_zig_server(&space, zig::failing_server, |send| {
        service::every_routine(&PortsOolClient::new(send)).unwrap_err()
    });
    assert_eq!(failure.code, MIG_ARRAY_TOO_LARGE);
    let code = against_zig_server(&space, zig::server, |send| {
        bridge::call_zig(&send, SCENARIO_REFUSED, zig::client)
    });
    assert_eq!(code, KERN_FAILURE);
    space.assert_no_leaks();
}

#[test]
fn entries_refuse_wrong_rights_and_leave_them_alone() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        // A send-once right where the server entries want a receive right: refused.
        let once = port.make_send_once().unwrap();
        for entry in [
            zig::server,
            zig::failing_server,
            service::server_entry,
            service::failing_server_entry,
        ] {
            assert_eq!(entry(&space, once.name(), 0), KERN_INVALID_RIGHT);
        }
        drop(once);
        // A name that is nothing, or a scenario that does not exist.
        for (entry, code) in [
            (zig::client as Entry, MACH_SEND_INVALID_DEST),
            (service::client_entry, KERN_INVALID_NAME),
        ] {
            assert_eq!(entry(&space, 0x7777_0003, SCENARIO_ANSWERED), code);
            assert_eq!(entry(&space, send.name(), 7), KERN_INVALID_ARGUMENT);
        }
        // The Rust client entry against the Zig server, over the same bridge.
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        let code = service::client_entry(&space, send.name(), SCENARIO_ANSWERED);
        assert_eq!(code, KERN_SUCCESS);
        drop(send);
        assert_eq!(server.join().unwrap(), Ok(()));
    }
    space.assert_no_leaks();
}
