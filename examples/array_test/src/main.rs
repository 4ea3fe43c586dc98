//! The demo: a Zig server answers a Rust client, then a Rust server answers a Zig client,
//! all in one process over migz's Mach port emulation, with the typed rights showing at
//! the end that no right leaked.

use std::error::Error;

use migz::Space;
use migz::abi::KERN_SUCCESS;
use migz::bridge;
use migz::rights::allocate_pair;
use migz_example_array_test::array_test::ArrayTestClient;
use migz_example_array_test::service::{self, Summer};
use migz_example_array_test::zig;

fn main() -> Result<(), Box<dyn Error>> {
    let space = Space::new();
    zig_server_rust_client(&space)?;
    rust_server_zig_client(&space)?;
    space.assert_no_leaks();
    println!("no port right leaked");
    Ok(())
}

fn zig_server_rust_client(space: &Space) -> Result<(), Box<dyn Error>> {
    println!("== a Zig server answers a Rust client");
    let (port, send) = allocate_pair(space)?;
    // The Zig server takes the receive right and serves until the last send right goes.
    let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
    let client = ArrayTestClient::new(send);

    let data = service::one_to(1024);
    let total = client.sum_array(&data, None)?;
    println!("rust client: sum_array(1..=1024) = {total} (blocking call)");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let total = runtime.block_on(client.sum_array_async(&[-5, 7, 100], None))?;
    println!("rust client: sum_array([-5, 7, 100]) = {total} (async call)");

    match client.sum_array(&[i32::MAX, 1], None) {
        Ok(total) => println!("rust client: sum_array([i32::MAX, 1]) = {total}?!"),
        Err(e) => {
            println!("rust client: sum_array([i32::MAX, 1]) failed: {e} (the Zig routine's answer)")
        }
    }
    match client.sum_array(&[1; 1025], None) {
        Ok(_) => println!("rust client: 1025 numbers were accepted?!"),
        Err(e) => println!("rust client: 1025 numbers refused before sending: {e}"),
    }

    drop(client);
    let stopped = server
        .join()
        .map_err(|_| "the Zig server thread panicked")?;
    println!("zig server: stopped after its last client left ({stopped:?})");
    Ok(())
}

fn rust_server_zig_client(space: &Space) -> Result<(), Box<dyn Error>> {
    println!("== a Rust server answers a Zig client");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let summer = Summer::default();
    let (port, send) = allocate_pair(space)?;
    runtime.block_on(async {
        let serving = service::serve(&summer, port);
        let calling = async {
            let code = tokio::task::spawn_blocking(move || {
                let code = bridge::call_zig(&send, 1024, zig::client);
                // The client's send right goes with it; the server then stops.
                drop(send);
                code
            })
            .await;
            match code {
                Ok(KERN_SUCCESS) => {
                    println!("zig client: sum_array(1..=1024) answered and checked")
                }
                Ok(code) => println!("zig client: failed with code {code:#x}"),
                Err(e) => println!("zig client: the thread failed: {e}"),
            }
        };
        let (served, ()) = tokio::join!(serving, calling);
        served
    })?;
    println!(
        "rust server: answered {} request(s), stopped when its last client left",
        summer.calls()
    );
    Ok(())
}
