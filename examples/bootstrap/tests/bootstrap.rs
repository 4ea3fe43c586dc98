//! The example on the emulation: both directions between Rust and Zig, each side in a
//! space of its own, the names unknown again once their servers stopped, launchd's codes
//! for the failures a newcomer meets, and no right left behind in any space.

#![cfg(not(target_vendor = "apple"))]

use migz::Space;
use migz::abi::*;
use migz::bootstrap::{self, BootstrapError};
use migz_example_bootstrap::service::{self, ExampleError, RUST_SERVICE, ZIG_SERVICE};
use migz_example_bootstrap::{Bootstrap, rust_server_zig_client, zig, zig_server_rust_client};

/// A server and a client space sharing a namespace of their own, so tests running at
/// once cannot meet.
fn pair() -> (Bootstrap, Space, Space) {
    let names = Bootstrap::new();
    let (server, client) = (Space::new(), Space::new());
    server.set_bootstrap(&names);
    client.set_bootstrap(&names);
    (names, server, client)
}

#[test]
fn a_rust_server_and_a_zig_client() {
    let (names, server, client) = pair();
    rust_server_zig_client(&server, &client, 20).unwrap();
    // The server stopped: its port is gone and so is its name.
    assert!(names.services().is_empty());
    let bp = bootstrap::port(&client).unwrap();
    assert_eq!(
        bootstrap::look_up(&bp, RUST_SERVICE).unwrap_err(),
        BootstrapError::UnknownService
    );
    drop(bp);
    server.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn a_zig_server_and_a_rust_client() {
    let (names, server, client) = pair();
    zig_server_rust_client(&server, &client, 20).unwrap();
    assert!(names.services().is_empty());
    server.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn both_ways_in_one_namespace_and_again() {
    // The same names serve again once their first servers are gone.
    let (_names, server, client) = pair();
    for _ in 0..3 {
        rust_server_zig_client(&server, &client, 3).unwrap();
        zig_server_rust_client(&server, &client, 3).unwrap();
    }
    server.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn failures_a_newcomer_meets() {
    let (_names, server, client) = pair();
    {
        // Nobody serves yet: both clients get BOOTSTRAP_UNKNOWN_SERVICE.
        assert_eq!(
            service::call(&client, ZIG_SERVICE, 1, 1).unwrap_err(),
            ExampleError::Bootstrap(BootstrapError::UnknownService)
        );
        assert_eq!(zig::client(&client, 0, 1), BOOTSTRAP_UNKNOWN_SERVICE);

        // A name held by another space: the Zig server cannot check in under it
        // (BOOTSTRAP_NOT_PRIVILEGED), nor can Rust code twice (BOOTSTRAP_SERVICE_ACTIVE).
        let held = bootstrap::check_in(&bootstrap::port(&client).unwrap(), ZIG_SERVICE).unwrap();
        let (ready, ready_send) = migz::rights::allocate_pair(&server).unwrap();
        assert_eq!(
            zig::server(&server, ready_send.name(), 0),
            BOOTSTRAP_NOT_PRIVILEGED
        );
        assert_eq!(
            bootstrap::check_in(&bootstrap::port(&client).unwrap(), ZIG_SERVICE).unwrap_err(),
            BootstrapError::ServiceActive
        );
        drop((held, ready, ready_send));

        // A stopped server's clients hold dead names.
        let (ready, ready_send) = migz::rights::allocate_pair(&server).unwrap();
        let name = ready_send.name();
        let space = server.clone();
        let zig_server = std::thread::spawn(move || zig::server(&space, name, 0));
        service::wait_ready(&ready).unwrap();
        let looked_up =
            bootstrap::look_up(&bootstrap::port(&client).unwrap(), ZIG_SERVICE).unwrap();
        service::stop(&client, ZIG_SERVICE).unwrap();
        assert_eq!(zig_server.join().unwrap(), KERN_SUCCESS);
        assert!(looked_up.is_dead());
        drop((looked_up, ready, ready_send));
    }
    server.assert_no_leaks();
    client.assert_no_leaks();
}
