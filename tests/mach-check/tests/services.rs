//! The kernel transport's services (`sys/bootstrap.rs`: `bootstrap_look_up`,
//! `bootstrap_check_in`, `bootstrap_register`, `task_get_special_port`,
//! `task_set_special_port`, `mach_host_self`) through the typed `migz::bootstrap` and
//! `migz::task` APIs, against the simulated kernel of `build.rs`: each call is linked to
//! the emulation's C ABI export of the same signature, so launchd's answers come from the
//! emulation's namespace. This checks the declarations and the `Transport` impl, not a Mac.

use migz::Space;
use migz::abi::*;
use migz::bootstrap::{self, BootstrapError};
use migz::task;
use migz_mach_check::mach::Kernel;

#[test]
fn bootstrap_and_special_ports_on_the_kernel_transport() {
    // Linked into the test binary by `-u`, so the simulated kernel's calls resolve.
    let _ = migz::ffi::capi::migz1_task_self;
    let k = Kernel::task_self();
    {
        let bp = bootstrap::port(&k).unwrap();
        assert_eq!(
            bootstrap::look_up(&bp, "mach-check.svc").unwrap_err(),
            BootstrapError::UnknownService
        );
        let port = bootstrap::check_in(&bp, "mach-check.svc").unwrap();
        assert_eq!(
            bootstrap::check_in(&bp, "mach-check.svc")
                .unwrap_err()
                .code(),
            BOOTSTRAP_SERVICE_ACTIVE
        );
        let send = bootstrap::look_up(&bp, "mach-check.svc").unwrap();
        assert_eq!(send.name(), port.name());
        assert_eq!(
            bootstrap::register(&bp, "mach-check.svc", &send).unwrap_err(),
            BootstrapError::ServiceActive
        );
        let long = "y".repeat(BOOTSTRAP_MAX_NAME_LEN);
        assert_eq!(
            bootstrap::look_up(&bp, &long).unwrap_err(),
            BootstrapError::BadCount
        );
        drop((send, port));

        assert_eq!(task::task_self(&k).unwrap(), Space::global().task());
        let host = task::host_self(&k).unwrap();
        let again = task::special_port(&k, TASK_HOST_PORT).unwrap().unwrap();
        assert_eq!(host.name(), again.name());
        task::set_special_port(&k, TASK_BOOTSTRAP_PORT, None).unwrap();
        assert_eq!(
            bootstrap::port(&k).unwrap_err(),
            BootstrapError::NoBootstrapPort
        );
        task::set_special_port(&k, TASK_BOOTSTRAP_PORT, Some(&bp)).unwrap();
        assert_eq!(bootstrap::port(&k).unwrap().name(), bp.name());
    }
    Space::global().assert_no_leaks();
}
