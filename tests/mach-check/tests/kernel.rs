//! The kernel transport's own code (`rust/runtime/src/mach.rs` and `sys/mach.rs`: the
//! `unsafe` wrappers, the `Transport` impl, out-of-line memory through `vm_allocate` and
//! `vm_deallocate`) run against a simulated kernel: `build.rs` links every `mach_*` and
//! `vm_*` call it makes to the emulation's C ABI, which has the kernel's signatures, so
//! the calls act on the emulation's process-wide space. Generated `ports_ool` clients
//! and servers on `Kernel` then run both scenarios against the Zig server, the Rust server
//! on the local transport and a Rust server on `Kernel`, and the space must hold nothing
//! afterwards. What this cannot check is the real kernel's behaviour: the declarations are
//! checked against `mach2`'s and the emulation's, not against a Mac.

use migz::Space;
use migz::bridge;
use migz::rights::{ReceiveRight, SendRight, allocate_pair};
use migz_example_array_test::array_test::{self, ArrayTestClient};
use migz_example_array_test::service::{Summer, one_to};
use migz_example_ports_ool::ports_ool::{self, PortsOolClient};
use migz_example_ports_ool::service::{self, Mode, Registry, STATS_LEN};
use migz_example_ports_ool::zig;
use migz_mach_check::mach::Kernel;

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Serves `registry` on `port` while the scenario `client` runs on a blocking thread with
/// `send`; then destroys the port, which ends a default receiving thread.
fn serve<T: migz::Transport, R: Send + 'static>(
    registry: &Registry<T>,
    port: ReceiveRight<T>,
    client: impl FnOnce() -> R + Send + 'static,
) -> R {
    let value = multi_thread().block_on(async {
        let serving = ports_ool::serve(registry, &port, 4);
        let calling = tokio::task::spawn_blocking(client);
        tokio::select! {
            served = serving => panic!("the server stopped: {served:?}"),
            value = calling => value.unwrap(),
        }
    });
    drop(port);
    value
}

// One test: the simulated kernel is the process-wide space, which the leak check covers.
#[test]
fn generated_stubs_on_the_kernel_transport() {
    let kernel = Kernel::task_self();
    let space = Space::global();
    assert_eq!(
        migz::Transport::port_type(&kernel, 0x7777),
        Err(migz::Error::InvalidName)
    );
    {
        // A client on the kernel transport against the Zig server.
        let (port, send) = allocate_pair(&kernel).unwrap();
        let port = ReceiveRight::from_raw(space.clone(), port.into_raw());
        let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
        let client: PortsOolClient<Kernel> = PortsOolClient::new(send);
        service::every_routine(&client).unwrap();
        let reversed = multi_thread().block_on(client.reverse_async(&[1, 2, 3], None));
        assert_eq!(&*reversed.unwrap(), &[3, 2, 1]);
        drop(client);
        assert_eq!(server.join().unwrap(), Ok(()));

        // Against the Rust server on the local transport, answering and failing.
        for mode in [Mode::Answer, Mode::Fail] {
            let registry = Registry::<Space>::new(mode);
            let (port, send) = allocate_pair(space).unwrap();
            let send = SendRight::from_raw(kernel, send.into_raw());
            let client = PortsOolClient::new(send);
            serve(&registry, port, move || match mode {
                Mode::Answer => service::every_routine(&client),
                Mode::Fail => service::every_routine_refused(&client),
            })
            .unwrap();
        }

        // A Rust server on the kernel transport, receiving on its own thread.
        for mode in [Mode::Answer, Mode::Fail] {
            let registry = Registry::<Kernel>::new(mode);
            let (port, send) = allocate_pair(&kernel).unwrap();
            let client = PortsOolClient::new(send);
            serve(&registry, port, move || match mode {
                Mode::Answer => service::every_routine(&client),
                Mode::Fail => service::every_routine_refused(&client),
            })
            .unwrap();
            if mode == Mode::Fail {
                assert_eq!(registry.snapshot(), [0; STATS_LEN]);
            }
        }

        // A request larger than the receiving thread's first buffer (4132 bytes with 1024
        // integers): received again into a larger one.
        let (port, send) = allocate_pair(&kernel).unwrap();
        let client = ArrayTestClient::new(send);
        let summer = Summer::default();
        let totals = multi_thread().block_on(async {
            let serving = array_test::serve(&summer, &port, 2);
            // The client's calls block in place, so they run in a task of their own.
            let calling = tokio::spawn(async move {
                let big = client.sum_array_async(&one_to(1024), None).await;
                let small = client.sum_array_async(&one_to(3), None).await;
                (big, small)
            });
            tokio::select! {
                served = serving => panic!("the server stopped: {served:?}"),
                totals = calling => totals.unwrap(),
            }
        });
        assert_eq!(totals, (Ok(1024 * 1025 / 2), Ok(6)));
        assert_eq!(summer.calls(), 2);
        drop(port);
    }
    // The last server's receiving thread holds its dead port until it wakes from its
    // receive with MACH_RCV_PORT_DIED; wait for that (without a time bound of substance).
    for _ in 0..60_000 {
        if space.leaks().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    space.assert_no_leaks();
}
