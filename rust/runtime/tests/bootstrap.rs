//! Bootstrap and special ports on the emulation: launchd's answers with their exact codes,
//! names that become unknown when their service dies, dead names for the clients of a
//! dead service, a name service that survives its clients and servers dying in any order,
//! and the task's, host's and bootstrap special ports. Every test ends with a leak check
//! of each space it made.

mod common;

use common::{recv, send, simple};
use migz::abi::*;
use migz::bootstrap::{self, BootstrapError};
use migz::error::Error;
use migz::local::Bootstrap;
use migz::rights::allocate_pair;
use migz::{Space, task};

/// Spaces sharing one fresh namespace.
fn spaces<const N: usize>() -> (Bootstrap, [Space; N]) {
    let names = Bootstrap::new();
    let spaces = std::array::from_fn(|_| {
        let s = Space::new();
        s.set_bootstrap(&names);
        s
    });
    (names, spaces)
}

/// Sends a simple message with id `id` on `dest` (copy send) and receives it on `port`.
fn ping(client: &Space, dest: u32, server: &Space, port: u32, id: i32) {
    let msg = simple(dest, MACH_MSG_TYPE_COPY_SEND, 0, 0, id, &[]);
    assert_eq!(send(client, &msg, Some(0)), MACH_MSG_SUCCESS);
    let (r, b) = recv(server, port, 128, 0, Some(0));
    assert_eq!(r, MACH_MSG_SUCCESS);
    assert_eq!(common::header(&b).msgh_id, id);
}

#[test]
fn check_in_then_look_up_reaches_the_service() {
    let (_names, [server, client]) = spaces();
    {
        let sbp = bootstrap::port(&server).unwrap();
        let cbp = bootstrap::port(&client).unwrap();
        assert_eq!(
            bootstrap::look_up(&cbp, "com.example.echo").unwrap_err(),
            BootstrapError::UnknownService
        );
        let port = bootstrap::check_in(&sbp, "com.example.echo").unwrap();
        let service = bootstrap::look_up(&cbp, "com.example.echo").unwrap();
        assert_eq!(client.port_type(service.name()), Ok(MACH_PORT_TYPE_SEND));
        ping(&client, service.name(), &server, port.name(), 7);
        // A second look-up merges into the same name, with another reference.
        let again = bootstrap::look_up(&cbp, "com.example.echo").unwrap();
        assert_eq!(again.name(), service.name());
        assert_eq!(
            client.port_get_refs(service.name(), MACH_PORT_RIGHT_SEND),
            Ok(2)
        );
    }
    server.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn failures_have_launchds_codes() {
    let (_names, [owner, other]) = spaces();
    {
        let obp = bootstrap::port(&owner).unwrap();
        let xbp = bootstrap::port(&other).unwrap();
        let port = bootstrap::check_in(&obp, "svc").unwrap();

        // Checked in already: by its owner SERVICE_ACTIVE, by another NOT_PRIVILEGED.
        let e = bootstrap::check_in(&obp, "svc").unwrap_err();
        assert_eq!((e, e.code()), (BootstrapError::ServiceActive, 1103));
        let e = bootstrap::check_in(&xbp, "svc").unwrap_err();
        assert_eq!((e, e.code()), (BootstrapError::NotPrivileged, 1100));
        let theirs = bootstrap::look_up(&xbp, "svc").unwrap();
        let e = bootstrap::register(&xbp, "svc", &theirs).unwrap_err();
        assert_eq!(e.code(), BOOTSTRAP_NOT_PRIVILEGED);
        let send = port.make_send().unwrap();
        let e = bootstrap::register(&obp, "svc", &send).unwrap_err();
        assert_eq!(e.code(), BOOTSTRAP_SERVICE_ACTIVE);
        let e = bootstrap::look_up(&xbp, "nothing").unwrap_err();
        assert_eq!((e, e.code()), (BootstrapError::UnknownService, 1102));

        // Names: 127 bytes fit name_t, 128 do not; a NUL never reaches the server.
        let long = "x".repeat(BOOTSTRAP_MAX_NAME_LEN);
        let e = bootstrap::look_up(&xbp, &long).unwrap_err();
        assert_eq!((e, e.code()), (BootstrapError::BadCount, 1104));
        assert_eq!(
            bootstrap::look_up(&xbp, &long[1..]).unwrap_err(),
            BootstrapError::UnknownService
        );
        let e = bootstrap::check_in(&xbp, "a\0b").unwrap_err();
        assert_eq!(
            (e, e.code()),
            (BootstrapError::InvalidName, KERN_INVALID_ARGUMENT)
        );

        // Declaring a name in use (the emulation's bootstrap_create_service).
        assert_eq!(_names.declare(&other, "svc"), Err(BOOTSTRAP_NAME_IN_USE));
        assert_eq!(_names.services(), vec!["svc".to_string()]);
    }
    owner.assert_no_leaks();
    other.assert_no_leaks();
}

#[test]
fn a_bootstrap_port_must_be_a_namespaces_send_right() {
    let (_names, [space]) = spaces();
    {
        let (_recv_right, send_right) = allocate_pair(&space).unwrap();
        // An ordinary port's receiver cannot be asked: MACH_SEND_INVALID_DEST.
        let e = bootstrap::look_up(&send_right, "svc").unwrap_err();
        assert_eq!(e, BootstrapError::Other(MACH_SEND_INVALID_DEST));
        // The task and host ports are the emulation's, which knows no bootstrap routine.
        let tp = task::task_port(&space).unwrap();
        assert_eq!(
            bootstrap::check_in(&tp, "svc").unwrap_err(),
            BootstrapError::Other(MIG_BAD_ID)
        );
        let host = task::host_self(&space).unwrap();
        assert_eq!(
            bootstrap::look_up(&host, "svc").unwrap_err().code(),
            MIG_BAD_ID
        );
        // A name that is no right, and a receive right without a send right.
        assert_eq!(
            space.bootstrap_look_up(0x4242_0003, b"svc"),
            Err(MACH_SEND_INVALID_DEST)
        );
        let only_receive = space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
        assert_eq!(
            space.bootstrap_check_in(only_receive, b"svc"),
            Err(MACH_SEND_INVALID_DEST)
        );
        // Registering a name that is no send right fails as its message would.
        let bp = bootstrap::port(&space).unwrap();
        assert_eq!(
            space.bootstrap_register(bp.name(), b"svc", only_receive),
            Err(MACH_SEND_INVALID_RIGHT)
        );
        space
            .port_mod_refs(only_receive, MACH_PORT_RIGHT_RECEIVE, -1)
            .unwrap();
        assert_eq!(
            bootstrap::look_up(&bp, "svc").unwrap_err(),
            BootstrapError::UnknownService
        );
    }
    space.assert_no_leaks();
}

#[test]
fn a_dead_service_is_unknown_and_its_clients_hold_dead_names() {
    let (names, [server, client]) = spaces();
    {
        let cbp = bootstrap::port(&client).unwrap();
        let sbp = bootstrap::port(&server).unwrap();
        let port = bootstrap::check_in(&sbp, "svc").unwrap();
        let service = bootstrap::look_up(&cbp, "svc").unwrap();
        drop(port);
        assert_eq!(
            client.port_type(service.name()),
            Ok(MACH_PORT_TYPE_DEAD_NAME)
        );
        assert!(service.is_dead());
        assert_eq!(
            bootstrap::look_up(&cbp, "svc").unwrap_err(),
            BootstrapError::UnknownService
        );
        assert!(names.services().is_empty());
        // Anyone may check in under the name now, the former client included.
        let mine = bootstrap::check_in(&cbp, "svc").unwrap();
        assert_eq!(
            bootstrap::check_in(&sbp, "svc").unwrap_err(),
            BootstrapError::NotPrivileged
        );
        drop(mine);
    }
    server.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn registered_send_rights_are_looked_up_and_leave_with_their_owner() {
    let names = Bootstrap::new();
    let client = Space::new();
    client.set_bootstrap(&names);
    let (keeper, port) = {
        let owner = Space::new();
        owner.set_bootstrap(&names);
        let keeper = Space::new();
        let (port, send) = allocate_pair(&owner).unwrap();
        let obp = bootstrap::port(&owner).unwrap();
        bootstrap::register(&obp, "registered", &send).unwrap();
        // Registering nothing under a free name succeeds and registers nothing.
        assert_eq!(
            owner.bootstrap_register(obp.name(), b"none", MACH_PORT_NULL),
            Ok(())
        );
        assert_eq!(names.services(), vec!["registered".to_string()]);

        let cbp = bootstrap::port(&client).unwrap();
        let s = bootstrap::look_up(&cbp, "registered").unwrap();
        ping(&client, s.name(), &owner, port.name(), 11);
        drop((s, cbp, send, obp));
        // The receive right moves to another space; the registration still belongs to
        // `owner`, which now goes away.
        let moved = owner.port_extract_right(port.into_raw(), MACH_MSG_TYPE_MOVE_RECEIVE, &keeper);
        // `owner` holds nothing (the port it made lives on in `keeper`).
        assert!(owner.leaks().names.is_empty());
        (keeper, moved.unwrap().0)
    };
    // Its owner is gone, so is the registration, though the port lives on in `keeper`.
    let cbp = bootstrap::port(&client).unwrap();
    assert_eq!(
        bootstrap::look_up(&cbp, "registered").unwrap_err(),
        BootstrapError::UnknownService
    );
    drop(cbp);
    keeper
        .port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    keeper.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn a_declared_service_queues_until_its_owner_checks_in() {
    let (names, [owner, client]) = spaces();
    {
        names.declare(&owner, "ondemand").unwrap();
        let cbp = bootstrap::port(&client).unwrap();
        let s = bootstrap::look_up(&cbp, "ondemand").unwrap();
        let msg = simple(s.name(), MACH_MSG_TYPE_COPY_SEND, 0, 0, 99, &[]);
        assert_eq!(send(&client, &msg, Some(0)), MACH_MSG_SUCCESS);
        // Another space may neither check in nor register under the declared name; its
        // owner must check in, not register.
        assert_eq!(
            bootstrap::check_in(&cbp, "ondemand").unwrap_err(),
            BootstrapError::NotPrivileged
        );
        let obp = bootstrap::port(&owner).unwrap();
        let own = bootstrap::look_up(&obp, "ondemand").unwrap();
        assert_eq!(
            bootstrap::register(&obp, "ondemand", &own).unwrap_err(),
            BootstrapError::NotPrivileged
        );
        drop(own);
        let port = bootstrap::check_in(&obp, "ondemand").unwrap();
        let (r, b) = recv(&owner, port.name(), 128, 0, Some(0));
        assert_eq!((r, common::header(&b).msgh_id), (MACH_MSG_SUCCESS, 99));
        assert_eq!(
            bootstrap::check_in(&obp, "ondemand").unwrap_err(),
            BootstrapError::ServiceActive
        );
        // The emulation's bootstrap_create_service: the same through a bootstrap port.
        let created = owner
            .bootstrap_create_service(obp.name(), b"created")
            .unwrap();
        assert_eq!(
            owner.bootstrap_create_service(obp.name(), b"created"),
            Err(BOOTSTRAP_NAME_IN_USE)
        );
        owner.port_deallocate(created).unwrap();
    }
    drop(names);
    owner.assert_no_leaks();
    client.assert_no_leaks();
}

/// One round of a name service under churn: servers check in, clients look up and call,
/// and then each of them dies in the order `order` gives (0, 1: servers; 2, 3: clients).
fn churn(order: [usize; 4]) {
    let names = Bootstrap::new();
    let mut servers: Vec<Option<(Space, migz::rights::ReceiveRight)>> = (0..2)
        .map(|i| {
            let s = Space::new();
            s.set_bootstrap(&names);
            let port =
                bootstrap::check_in(&bootstrap::port(&s).unwrap(), &format!("svc{i}")).unwrap();
            Some((s, port))
        })
        .collect();
    let mut clients: Vec<Option<(Space, Vec<migz::rights::SendRight>)>> = (0..2)
        .map(|_| {
            let c = Space::new();
            c.set_bootstrap(&names);
            let bp = bootstrap::port(&c).unwrap();
            let rights = (0..2)
                .map(|i| bootstrap::look_up(&bp, &format!("svc{i}")).unwrap())
                .collect();
            Some((c, rights))
        })
        .collect();
    for (k, &who) in order.iter().enumerate() {
        if who < 2 {
            let (space, port) = servers[who].take().unwrap();
            drop(port);
            // Its dead port is still named (as dead names, lazily) by clients alive, so
            // only the server's names and regions are checked here.
            let leaks = space.leaks();
            assert!(
                leaks.names.is_empty() && leaks.regions.is_empty(),
                "{leaks:?}"
            );
            drop(space);
        } else {
            let (space, rights) = clients[who - 2].take().unwrap();
            drop(rights);
            space.assert_no_leaks();
            drop(space);
        }
        // What is left still works: live services answer, dead ones are dead names and
        // unknown names, and a newcomer finds exactly the live ones.
        let newcomer = Space::new();
        newcomer.set_bootstrap(&names);
        let bp = bootstrap::port(&newcomer).unwrap();
        for (i, server) in servers.iter().enumerate() {
            let found = bootstrap::look_up(&bp, &format!("svc{i}"));
            match server {
                Some((s, port)) => {
                    let right = found.unwrap();
                    ping(&newcomer, right.name(), s, port.name(), k as i32);
                }
                None => assert_eq!(found.unwrap_err(), BootstrapError::UnknownService),
            }
        }
        for (c, rights) in clients.iter().flatten() {
            for (i, r) in rights.iter().enumerate() {
                assert_eq!(
                    r.is_dead(),
                    servers[i].is_none(),
                    "order {order:?} step {k}"
                );
                if let Some((s, port)) = &servers[i] {
                    ping(c, r.name(), s, port.name(), 1000 + k as i32);
                }
            }
        }
        drop(bp);
        newcomer.assert_no_leaks();
    }
    assert!(names.services().is_empty());
}

#[test]
fn the_name_service_survives_deaths_in_any_order() {
    // Every order of two servers' and two clients' deaths.
    let mut orders = Vec::new();
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                // The fourth is what is left of 0 + 1 + 2 + 3, when anything is.
                let Some(d) = 6usize.checked_sub(a + b + c) else {
                    continue;
                };
                if a != b && a != c && b != c && d < 4 && ![a, b, c].contains(&d) {
                    orders.push([a, b, c, d]);
                }
            }
        }
    }
    assert_eq!(orders.len(), 24);
    for order in orders {
        churn(order);
    }
}

#[test]
fn a_namespace_that_goes_leaves_dead_bootstrap_ports() {
    let space = Space::new();
    {
        let names = Bootstrap::new();
        space.set_bootstrap(&names);
        let bp = bootstrap::port(&space).unwrap();
        let port = bootstrap::check_in(&bp, "svc").unwrap();
        drop(names);
        assert!(bp.is_dead());
        assert_eq!(
            bootstrap::look_up(&bp, "svc").unwrap_err(),
            BootstrapError::Other(MACH_SEND_INVALID_DEST)
        );
        // The service's own port is the space's and lives on.
        assert_eq!(space.port_type(port.name()), Ok(MACH_PORT_TYPE_RECEIVE));
    }
    space.assert_no_leaks();
}

#[test]
fn special_ports() {
    let space = Space::new();
    {
        // The task port: mach_task_self() is the task handle, and TASK_KERNEL_PORT adds
        // a reference to the same name.
        let me = task::task_self(&space).unwrap();
        assert_eq!(me, space.task());
        assert_eq!(space.port_type(me), Ok(MACH_PORT_TYPE_SEND));
        assert_eq!(task::task_self(&space).unwrap(), me);
        let tp = task::task_port(&space).unwrap();
        assert_eq!(tp.name(), me);
        assert_eq!(space.port_get_refs(me, MACH_PORT_RIGHT_SEND), Ok(2));
        drop(tp);

        // The host port: each mach_host_self() is one more reference.
        let h1 = task::host_self(&space).unwrap();
        let h2 = task::host_self(&space).unwrap();
        assert_eq!(h1.name(), h2.name());
        assert_eq!(space.port_get_refs(h1.name(), MACH_PORT_RIGHT_SEND), Ok(2));
        let h3 = task::special_port(&space, TASK_HOST_PORT).unwrap().unwrap();
        assert_eq!(h3.name(), h1.name());
        drop((h1, h2, h3));

        // The bootstrap port: the process's namespace until set, then what was set.
        let global = task::special_port(&space, TASK_BOOTSTRAP_PORT)
            .unwrap()
            .unwrap();
        let names = Bootstrap::new();
        space.set_bootstrap(&names);
        let mine = bootstrap::port(&space).unwrap();
        assert_ne!(mine.name(), global.name());
        task::set_special_port(&space, TASK_BOOTSTRAP_PORT, Some(&global)).unwrap();
        assert_eq!(bootstrap::port(&space).unwrap().name(), global.name());
        task::set_special_port(&space, TASK_BOOTSTRAP_PORT, None).unwrap();
        assert!(
            task::special_port(&space, TASK_BOOTSTRAP_PORT)
                .unwrap()
                .is_none()
        );
        assert_eq!(
            bootstrap::port(&space).unwrap_err(),
            BootstrapError::NoBootstrapPort
        );
        task::set_special_port(&space, TASK_BOOTSTRAP_PORT, Some(&mine)).unwrap();

        // Unknown or unsettable special ports, and names that are no send rights.
        assert_eq!(
            space.task_get_special_port(99, &space),
            Err(Error::InvalidArgument)
        );
        assert_eq!(
            task::set_special_port(&space, TASK_KERNEL_PORT, Some(&mine)),
            Err(Error::InvalidArgument)
        );
        assert_eq!(
            space.task_set_special_port(TASK_BOOTSTRAP_PORT, &space, 0x5555_0003),
            Err(Error::InvalidName)
        );
        let r = space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
        assert_eq!(
            space.task_set_special_port(TASK_BOOTSTRAP_PORT, &space, r),
            Err(Error::InvalidRight)
        );
        space.port_mod_refs(r, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
        assert_eq!(bootstrap::port(&space).unwrap().name(), mine.name());
        drop((global, mine));
    }
    space.assert_no_leaks();
}

#[test]
fn special_ports_of_another_task_land_in_the_callers_space() {
    let (a, b) = (Space::new(), Space::new());
    {
        // A's task port in B: a send right B can deallocate, not A's own name.
        let name = a.task_get_special_port(TASK_KERNEL_PORT, &b).unwrap();
        assert_eq!(b.port_type(name), Ok(MACH_PORT_TYPE_SEND));
        assert_eq!(a.port_type(a.task()), Err(Error::InvalidName));
        b.port_deallocate(name).unwrap();
    }
    a.assert_no_leaks();
    b.assert_no_leaks();
    // A's task port dies with A: B's right to it becomes a dead name.
    let name = a.task_get_special_port(TASK_KERNEL_PORT, &b).unwrap();
    drop(a);
    assert_eq!(b.port_type(name), Ok(MACH_PORT_TYPE_DEAD_NAME));
    b.port_deallocate(name).unwrap();
    b.assert_no_leaks();
}

/// Sends `msg` to the task port with a reply port and returns the reply's id and
/// `RetCode` (a `mig_reply_error_t`).
fn ask_task(space: &Space, mut msg: Vec<u8>) -> (i32, u32, i32) {
    let reply = space.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let mut h = common::header(&msg);
    h.msgh_local_port = reply;
    h.msgh_bits = (h.msgh_bits & MACH_MSGH_BITS_COMPLEX)
        | mach_msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    h.write(&mut msg);
    assert_eq!(send(space, &msg, Some(0)), MACH_MSG_SUCCESS);
    let (r, b) = recv(space, reply, 256, 0, Some(0));
    assert_eq!(r, MACH_MSG_SUCCESS);
    let rh = common::header(&b);
    space
        .port_mod_refs(reply, MACH_PORT_RIGHT_RECEIVE, -1)
        .unwrap();
    (rh.msgh_id, rh.msgh_size, read_u32(&b, 32).unwrap() as i32)
}

#[test]
fn the_task_port_answers_bad_requests_as_a_mig_server() {
    let space = Space::new();
    let me = space.mach_task_self();
    {
        let ndr_and = |args: &[u32]| {
            let mut p = NDR_RECORD.to_vec();
            for a in args {
                p.extend_from_slice(&a.to_ne_bytes());
            }
            p
        };
        // mach_port_allocate (3204) one word short, and one word long.
        let short = simple(me, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3204, &NDR_RECORD);
        assert_eq!(ask_task(&space, short), (3304, 36, MIG_BAD_ARGUMENTS));
        let long = simple(me, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3204, &ndr_and(&[1, 2]));
        assert_eq!(ask_task(&space, long), (3304, 36, MIG_BAD_ARGUMENTS));
        // An id outside what the task port implements: MIG_BAD_ID, reply id + 100.
        // (3205 is mach_port_destroy, which the emulation does not implement.)
        let unknown = simple(me, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3205, &ndr_and(&[me]));
        assert_eq!(ask_task(&space, unknown), (3305, 36, MIG_BAD_ID));
        let foreign = simple(me, MACH_MSG_TYPE_COPY_SEND, 0, 0, 77, &[]);
        assert_eq!(ask_task(&space, foreign), (177, 36, MIG_BAD_ID));
        // A complex mach_port_insert_right whose descriptor is out-of-line memory: the
        // emulation refuses it and releases what it carried.
        let region = space.vm_allocate(4096).unwrap();
        // Header, body, a 16-byte descriptor, NDR: 52 bytes, insert_right's size.
        let m = common::complex(
            me,
            MACH_MSG_TYPE_COPY_SEND,
            0,
            0,
            3214,
            &[common::Desc::Ool(region, 4096, true, MACH_MSG_VIRTUAL_COPY)],
            &NDR_RECORD,
        );
        assert_eq!(m.len(), 52);
        assert_eq!(ask_task(&space, m), (3314, 36, MIG_TYPE_ERROR));
        // task_get_special_port (3409) one word short; task_set_special_port (3410)
        // sent simple, and with a send-once right where the port goes: refused, and the
        // right it carried is released with the request.
        let short = simple(me, MACH_MSG_TYPE_COPY_SEND, 0, 0, 3409, &NDR_RECORD);
        assert_eq!(ask_task(&space, short), (3509, 36, MIG_BAD_ARGUMENTS));
        let flat = simple(
            me,
            MACH_MSG_TYPE_COPY_SEND,
            0,
            0,
            3410,
            &ndr_and(&[4, 0, 0, 0]),
        );
        assert_eq!(ask_task(&space, flat), (3510, 36, MIG_BAD_ARGUMENTS));
        let (port, send_right) = allocate_pair(&space).unwrap();
        let m = common::complex(
            me,
            MACH_MSG_TYPE_COPY_SEND,
            0,
            0,
            3410,
            &[common::Desc::Port(
                port.name(),
                MACH_MSG_TYPE_MAKE_SEND_ONCE,
            )],
            &ndr_and(&[TASK_BOOTSTRAP_PORT as u32]),
        );
        assert_eq!(m.len(), 52);
        assert_eq!(ask_task(&space, m), (3510, 36, KERN_INVALID_CAPABILITY));
        assert_eq!(space.port_get_srights(port.name()), Ok(1));
        drop((port, send_right));
        // A simple request with no reply port is served, and answers nobody.
        let once = simple(
            me,
            MACH_MSG_TYPE_COPY_SEND,
            0,
            0,
            3204,
            &ndr_and(&[MACH_PORT_RIGHT_DEAD_NAME]),
        );
        assert_eq!(send(&space, &once, Some(0)), MACH_MSG_SUCCESS);
        let names = space.names();
        let dead: Vec<_> = names
            .iter()
            .filter(|(_, t)| *t == MACH_PORT_TYPE_DEAD_NAME)
            .collect();
        assert_eq!(dead.len(), 1);
        space.port_deallocate(dead[0].0).unwrap();
    }
    space.assert_no_leaks();
}

#[test]
fn a_full_namespace_answers_no_memory_and_keeps_nothing_it_refused() {
    let (names, [owner]) = spaces();
    {
        let bp = bootstrap::port(&owner).unwrap();
        // Fill the namespace two ways: checked in and registered.
        let mut receive_rights = Vec::new();
        let (port, send) = allocate_pair(&owner).unwrap();
        for i in 0..migz::local::bootstrap::SERVICES_MAX {
            let name = format!("svc.{i}");
            if i % 2 == 0 {
                receive_rights.push(bootstrap::check_in(&bp, &name).unwrap());
            } else {
                bootstrap::register(&bp, &name, &send).unwrap();
            }
        }
        let e = bootstrap::check_in(&bp, "one.more").unwrap_err();
        assert_eq!(
            (e, e.code()),
            (BootstrapError::NoMemory, BOOTSTRAP_NO_MEMORY)
        );
        let e = bootstrap::register(&bp, "one.more", &send).unwrap_err();
        assert_eq!(e.code(), BOOTSTRAP_NO_MEMORY);
        assert_eq!(names.declare(&owner, "one.more"), Err(BOOTSTRAP_NO_MEMORY));
        assert_eq!(
            bootstrap::look_up(&bp, "one.more").unwrap_err(),
            BootstrapError::UnknownService
        );
        drop((port, send, receive_rights));
    }
    // Every service died with its port: the namespace forgets them all.
    assert_eq!(names.services(), Vec::<String>::new());
    owner.assert_no_leaks();
}
