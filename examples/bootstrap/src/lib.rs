//! The `bootstrap` example: services found by name, as on a Mac. A Rust server checks in
//! under a name with the bootstrap server and a Zig client looks the name up and calls
//! it; then a Zig server checks in and a Rust client calls it. On macOS the bootstrap
//! server is launchd and the transport the kernel; elsewhere both are migz's emulation.
//!
//! - [`adder`]: the stubs generated from `defs/adder.defs` (`add`, and `stop`);
//! - [`service`]: the Rust server and client, generic over the transport;
//! - [`zig`]: the Zig server and client of `zig/service.zig`, as bridge entries;
//! - [`Task`] and [`task`]: the transport of this platform.
//!
//! `src/main.rs` runs both directions; `tests/bootstrap.rs` tests them with leak checks.

#![forbid(unsafe_code)]

/// The stubs generated from `defs/adder.defs`.
pub mod adder {
    include!(concat!(env!("OUT_DIR"), "/adder.rs"));
}

pub mod service;

/// The emulation's bootstrap namespaces (tests give their spaces one of their own).
#[cfg(not(target_vendor = "apple"))]
pub use migz::local::Bootstrap;

/// The transport of this platform: the kernel on Apple systems.
#[cfg(target_vendor = "apple")]
pub type Task = migz::mach::Kernel;
/// The transport of this platform: migz's emulation off Apple systems.
#[cfg(not(target_vendor = "apple"))]
pub type Task = migz::Space;

/// A task to run one side in: the process's own on Apple systems, a fresh space of the
/// emulation elsewhere (so each side has its own names, as two processes would).
pub fn task() -> Task {
    #[cfg(target_vendor = "apple")]
    return migz::mach::Kernel::task_self();
    #[cfg(not(target_vendor = "apple"))]
    return migz::Space::new();
}

/// The space a Zig entry is told to act in: `task` itself on the emulation; on Apple
/// systems the Zig side uses the kernel and ignores it.
pub fn entry_space(task: &Task) -> &migz::Space {
    #[cfg(target_vendor = "apple")]
    {
        let _ = task;
        migz::Space::global()
    }
    #[cfg(not(target_vendor = "apple"))]
    task
}

/// The Zig server and client of `zig/service.zig`, as bridge entries.
pub mod zig {
    migz::zig_entry! {
        /// The Zig server: checks in under `ZIG_SERVICE`, sends the borrowed send right
        /// `port` a message with id `READY_ID`, and serves until a `stop` arrives.
        pub fn server = migz_example_bootstrap_zig_server;
    }
    migz::zig_entry! {
        /// The Zig client: looks up `RUST_SERVICE`, asks for `arg` sums, checks them and
        /// stops the server; returns the first failing code.
        pub fn client = migz_example_bootstrap_zig_client;
    }
}

/// Runs both directions once: a Rust server with a Zig client, then a Zig server with a
/// Rust client, each side in a task of its own. Each server is gone afterwards, and so
/// is its name.
pub fn run(count: i32) -> Result<(), service::ExampleError> {
    rust_server_zig_client(&task(), &task(), count)?;
    zig_server_rust_client(&task(), &task(), count)
}

/// A Rust server in `server_task`, a Zig client in `client_task`.
pub fn rust_server_zig_client(
    server_task: &Task,
    client_task: &Task,
    count: i32,
) -> Result<(), service::ExampleError> {
    let (ready, ready_send) = migz::rights::allocate_pair(server_task)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|_| migz::Error::Failure)?;
    std::thread::scope(|scope| {
        let server = scope.spawn(|| {
            runtime.block_on(service::serve(
                server_task,
                service::RUST_SERVICE,
                Some(&ready_send),
            ))
        });
        let called = service::wait_ready(&ready).and_then(|()| {
            match zig::client(entry_space(client_task), 0, u64::from(count.unsigned_abs())) {
                migz::abi::KERN_SUCCESS => Ok(()),
                code => Err(service::ExampleError::Code(code)),
            }
        });
        if called.is_err() {
            // The client did not get to stop the server: stop it here, so it ends.
            let _ = service::stop(client_task, service::RUST_SERVICE);
        }
        let served = server
            .join()
            .unwrap_or(Err(service::ExampleError::Code(migz::abi::KERN_FAILURE)));
        called.and(served)
    })
}

/// A Zig server in `server_task`, a Rust client in `client_task`.
pub fn zig_server_rust_client(
    server_task: &Task,
    client_task: &Task,
    count: i32,
) -> Result<(), service::ExampleError> {
    let (ready, ready_send) = migz::rights::allocate_pair(server_task)?;
    std::thread::scope(|scope| {
        let server = scope.spawn(|| zig::server(entry_space(server_task), ready_send.name(), 0));
        let called = service::wait_ready(&ready)
            .and_then(|()| service::call(client_task, service::ZIG_SERVICE, 2, count));
        if called.is_err() {
            // The client did not get to stop the server: stop it here, so it ends.
            let _ = service::stop(client_task, service::ZIG_SERVICE);
        }
        let served = match server.join() {
            Ok(migz::abi::KERN_SUCCESS) => Ok(()),
            Ok(code) => Err(service::ExampleError::Code(code)),
            Err(_) => Err(service::ExampleError::Code(migz::abi::KERN_FAILURE)),
        };
        called.and(served)
    })
}
