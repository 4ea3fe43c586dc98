//! The cross-language matrix of the `array_test` example, in one process over the local
//! transport: Rust client × Zig server, Zig client × Rust server, and the same-language
//! pairs, each in a space of its own that must hold nothing afterwards.

use migz::Space;
use migz::abi::{
    KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_INVALID_VALUE, KERN_SUCCESS,
    MACH_SEND_INVALID_DEST, MIG_ARRAY_TOO_LARGE, MIG_EXCEPTION,
};
use migz::bridge;
use migz::ffi::CallError;
use migz::rights::allocate_pair;
use migz_example_array_test::array_test::{self, ArrayTestClient, ArrayTestServer, ServeResult};
use migz_example_array_test::service::{self, Summer};
use migz_example_array_test::zig;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn rust_client_zig_server() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        let client = ArrayTestClient::new(send);

        assert_eq!(client.sum_array(&service::one_to(1024), None), Ok(524_800));
        assert_eq!(client.sum_array(&[], None), Ok(0));
        let total = runtime().block_on(client.sum_array_async(&[-5, 7, 100], None));
        assert_eq!(total, Ok(102));
        // The Zig routine's error comes back as the reply's code.
        let err = client.sum_array(&[i32::MAX, 1], None).unwrap_err();
        assert_eq!(err.code(), KERN_INVALID_VALUE);
        // Too many numbers: the Rust stub refuses before sending.
        let err = client.sum_array(&[1; 1025], None).unwrap_err();
        assert_eq!(err.code(), MIG_ARRAY_TOO_LARGE);

        drop(client);
        assert_eq!(server.join().unwrap(), Ok(()));
    }
    space.assert_no_leaks();
}

#[test]
fn rust_client_zig_server_with_a_request_limit() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 2, zig::server));
        let client = ArrayTestClient::new(send);
        assert_eq!(client.sum_array(&[1, 2], None), Ok(3));
        assert_eq!(client.sum_array(&[3, 4], None), Ok(7));
        // After two requests the Zig server stops and destroys the port.
        assert_eq!(server.join().unwrap(), Ok(()));
        // The client's right is a dead name now: nothing can be sent.
        assert_eq!(
            client.sum_array(&[5], None),
            Err(CallError::Send(MACH_SEND_INVALID_DEST))
        );
    }
    space.assert_no_leaks();
}

#[test]
fn zig_client_rust_server() {
    let space = Space::new();
    let summer = Summer::default();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let codes = runtime().block_on(async {
            let serving = service::serve(&summer, port);
            let calling = tokio::task::spawn_blocking(move || {
                let codes = [1024, 0, 3, 1025].map(|n| bridge::call_zig(&send, n, zig::client));
                drop(send);
                codes
            });
            let (served, codes) = tokio::join!(serving, calling);
            assert_eq!(served, Ok(()));
            codes.unwrap()
        });
        // The last call had too many numbers: the Zig stub refused it before sending.
        assert_eq!(
            codes,
            [
                KERN_SUCCESS,
                KERN_SUCCESS,
                KERN_SUCCESS,
                MIG_ARRAY_TOO_LARGE
            ]
        );
    }
    assert_eq!(summer.calls(), 3);
    space.assert_no_leaks();
}

#[test]
fn zig_client_zig_server() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        assert_eq!(bridge::call_zig(&send, 100, zig::client), KERN_SUCCESS);
        drop(send);
        assert_eq!(server.join().unwrap(), Ok(()));
    }
    space.assert_no_leaks();
}

#[test]
fn rust_client_rust_server() {
    let space = Space::new();
    let summer = Summer::default();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        runtime().block_on(async {
            let client = ArrayTestClient::new(send);
            let serving = service::serve(&summer, port);
            let calling = async move {
                assert_eq!(
                    client.sum_array_async(&service::one_to(10), None).await,
                    Ok(55)
                );
                let err = client
                    .sum_array_async(&[i32::MIN, -1], None)
                    .await
                    .unwrap_err();
                assert_eq!(err.code(), KERN_INVALID_VALUE);
            };
            let (served, ()) = tokio::join!(serving, calling);
            assert_eq!(served, Ok(()));
        });
    }
    assert_eq!(summer.calls(), 2);
    space.assert_no_leaks();
}

#[test]
fn entries_refuse_wrong_rights_and_leave_them_alone() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        // A send-once right (a name of its own, unlike a send right, which shares the
        // receive right's name) where the server entries want a receive right: refused.
        let once = port.make_send_once().unwrap();
        assert_eq!(zig::server(&space, once.name(), 0), KERN_INVALID_RIGHT);
        assert_eq!(
            service::server_entry(&space, once.name(), 0),
            KERN_INVALID_RIGHT
        );
        drop(once);
        // A name that is nothing: the client entries answer with an error.
        assert_eq!(zig::client(&space, 0x7777_0003, 5), MACH_SEND_INVALID_DEST);
        assert_eq!(
            service::client_entry(&space, 0x7777_0003, 5),
            KERN_INVALID_NAME
        );
        // The Rust client entry against the Zig server, over the same bridge.
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        assert_eq!(service::client_entry(&space, send.name(), 64), KERN_SUCCESS);
        assert_eq!(service::client_entry(&space, send.name(), 1), KERN_SUCCESS);
        drop(send);
        assert_eq!(server.join().unwrap(), Ok(()));
    }
    space.assert_no_leaks();
}

/// A server whose routine panics on 13 numbers.
struct Unlucky;

impl ArrayTestServer for Unlucky {
    async fn sum_array(&self, data: &[i32]) -> ServeResult<i32> {
        assert_ne!(data.len(), 13, "unlucky");
        Ok(data.iter().sum())
    }
}

#[test]
fn a_panicking_rust_routine_answers_mig_exception_and_serving_goes_on() {
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let extra = send.copy_send().unwrap();
        runtime().block_on(async {
            let serving = array_test::serve_until_no_senders(&Unlucky, port, 2);
            let calling = async move {
                let client = ArrayTestClient::new(send);
                let err = client.sum_array_async(&[1; 13], None).await.unwrap_err();
                assert_eq!(err.code(), MIG_EXCEPTION);
                assert_eq!(client.sum_array_async(&[1; 12], None).await, Ok(12));
                // A Zig client sees the same: the panic stays on the Rust side of the bridge.
                let codes = tokio::task::spawn_blocking(move || {
                    let codes = [13, 5].map(|n| bridge::call_zig(&extra, n, zig::client));
                    drop(extra);
                    codes
                })
                .await
                .unwrap();
                assert_eq!(codes, [MIG_EXCEPTION, KERN_SUCCESS]);
            };
            let (served, ()) = tokio::join!(serving, calling);
            assert_eq!(served, Ok(()));
        });
    }
    space.assert_no_leaks();
}
