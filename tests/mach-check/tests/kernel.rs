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

        addresses_the_kernel_transport_cannot_vouch_for(&kernel);
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

/// A complex message to `dest` (a send right's name) with one out-of-line descriptor of
/// `kind` naming `size` bytes at `addr`, and `count` as its descriptor count.
fn ool_message(
    dest: u32,
    addr: usize,
    size: u32,
    deallocate: bool,
    kind: u32,
    count: u32,
) -> Vec<u8> {
    use migz::abi::*;
    let mut m = vec![0u8; 44];
    let bits = MACH_MSG_TYPE_COPY_SEND | MACH_MSGH_BITS_COMPLEX;
    for (off, word) in [(0, bits), (4, 44), (8, dest), (20, 7), (24, count)] {
        m[off..off + 4].copy_from_slice(&word.to_ne_bytes());
    }
    m[28..36].copy_from_slice(&(addr as u64).to_ne_bytes());
    let word = u32::from(deallocate) | (kind << 24);
    m[36..40].copy_from_slice(&word.to_ne_bytes());
    m[40..44].copy_from_slice(&size.to_ne_bytes());
    m
}

/// Safe calls on the kernel transport act only on regions it knows: memory no message
/// brought is neither read, freed nor sent, however a caller names it; a region a message
/// brought is taken once; descriptors the kernel would refuse get its codes first.
fn addresses_the_kernel_transport_cannot_vouch_for(kernel: &Kernel) {
    use migz::Transport;
    use migz::abi::*;
    let (port, send) = allocate_pair(kernel).unwrap();
    let victim = vec![7u8; 8192];
    let addr = victim.as_ptr() as usize;

    assert!(kernel.take_region(addr, 4096).is_none());
    kernel.take_back_region(addr, 4096);
    for deallocate in [false, true] {
        let mut m = ool_message(
            send.name(),
            addr,
            4096,
            deallocate,
            MACH_MSG_OOL_DESCRIPTOR,
            1,
        );
        let rc = kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0);
        assert_eq!(rc, MACH_SEND_INVALID_MEMORY);
        let mut m = ool_message(
            send.name(),
            addr,
            4,
            deallocate,
            MACH_MSG_OOL_PORTS_DESCRIPTOR,
            1,
        );
        let rc = kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0);
        assert_eq!(rc, MACH_SEND_INVALID_MEMORY);
        // Destroying caller-built bytes frees nothing they name.
        kernel.msg_destroy(&ool_message(
            0,
            addr,
            4096,
            deallocate,
            MACH_MSG_OOL_DESCRIPTOR,
            1,
        ));
    }
    let mut m = ool_message(send.name(), addr, 4096, true, 9, 1);
    assert_eq!(
        kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0),
        MACH_SEND_INVALID_TYPE
    );
    let mut m = ool_message(send.name(), addr, 4096, true, MACH_MSG_OOL_DESCRIPTOR, 3);
    assert_eq!(
        kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0),
        MACH_SEND_MSG_TOO_SMALL
    );
    assert!(victim.iter().all(|&b| b == 7));

    // A region given to a message moves once; the one that arrives is taken once.
    let region = migz::sys::mem::Region::copy_of(&[1, 2, 3, 4]).unwrap();
    let given = kernel.give_region(region).unwrap();
    let mut m = ool_message(send.name(), given, 4, true, MACH_MSG_OOL_DESCRIPTOR, 1);
    assert_eq!(
        kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0),
        MACH_MSG_SUCCESS
    );
    let mut again = ool_message(send.name(), given, 4, true, MACH_MSG_OOL_DESCRIPTOR, 1);
    let rc = kernel.mach_msg(&mut again, MACH_SEND_MSG, 44, 0, 0, 0, 0);
    assert_eq!(rc, MACH_SEND_INVALID_MEMORY);
    let mut buf = vec![0u8; 256];
    let rc = kernel.mach_msg(&mut buf, MACH_RCV_MSG, 0, 256, port.name(), 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
    let arrived = u64::from_ne_bytes(buf[28..36].try_into().unwrap()) as usize;
    // Memory that arrived is not the sender's to send on.
    let mut forward = ool_message(send.name(), arrived, 4, false, MACH_MSG_OOL_DESCRIPTOR, 1);
    let rc = kernel.mach_msg(&mut forward, MACH_SEND_MSG, 44, 0, 0, 0, 0);
    assert_eq!(rc, MACH_SEND_INVALID_MEMORY);
    assert!(kernel.take_region(arrived, 3).is_none());
    let taken = kernel.take_region(arrived, 4).unwrap();
    assert_eq!(taken.as_slice(), &[1, 2, 3, 4]);
    assert!(kernel.take_region(arrived, 4).is_none());
    // Destroying the message now releases its rights and frees no memory a second time.
    kernel.msg_destroy(&buf);
    drop(taken);

    // A region given and never sent is taken back once.
    let region = migz::sys::mem::Region::copy_of(&[5; 16]).unwrap();
    let given = kernel.give_region(region).unwrap();
    kernel.take_back_region(given, 16);
    let mut m = ool_message(send.name(), given, 16, true, MACH_MSG_OOL_DESCRIPTOR, 1);
    assert_eq!(
        kernel.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0),
        MACH_SEND_INVALID_MEMORY
    );
    kernel.take_back_region(given, 16);
}
