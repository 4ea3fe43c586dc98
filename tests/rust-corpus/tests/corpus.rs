//! Apple's own subsystems through the generated Rust and Zig: message sizes match the
//! numbers of Apple's MIG, and a `mach_port_allocate` exchange round-trips through the
//! generated pack and unpack functions.

#![cfg(migz_corpus)]

use migz::MachMsgHeader;
use migz::ffi::MsgBuf;
use migz_rust_corpus::{clock, exc, mach_port, notify};

#[test]
fn sizes_are_apples() {
    // The sizes `apple-mig-layouts.json` records for Apple's aarch64-macos headers.
    assert_eq!(size_of::<clock::ClockGetTimeReply>(), 44);
    assert_eq!(size_of::<mach_port::MachPortAllocateRequest>(), 36);
    assert_eq!(size_of::<mach_port::MachPortAllocateReply>(), 40);
    // exc.defs generates the three classic exception messages.
    assert_eq!(exc::ID_COUNT, 3);
}

#[test]
fn mach_port_allocate_round_trip() {
    let input = mach_port::MachPortAllocateIn { task: 7, right: 1 };
    let mut buf = MsgBuf::<256>::new();
    let size = mach_port::MachPortAllocateRequest::pack(&mut buf.0, &input, 9).unwrap();
    assert_eq!(size, 36);
    let head = MachMsgHeader::read(&buf.0).unwrap();
    assert_eq!(head.msgh_id, mach_port::MACH_PORT_ALLOCATE_ID);
    let mut got = mach_port::MachPortAllocateIn::default();
    mach_port::MachPortAllocateRequest::unpack(&buf.0, size, &mut got).unwrap();
    assert_eq!(got.right, 1);
    // The server sees its own port where the client named the destination.
    assert_eq!(got.task, head.msgh_local_port);

    let mut reply = MsgBuf::<256>::new();
    let out = mach_port::MachPortAllocateOut { name: 0x1103 };
    let size = mach_port::MachPortAllocateReply::pack(&mut reply.0, &out, &head).unwrap();
    let mut back = mach_port::MachPortAllocateOut::default();
    mach_port::MachPortAllocateReply::unpack(&reply.0, size, &mut back).unwrap();
    assert_eq!(back.name, 0x1103);
}

/// The emulation's no-senders notification arrives through `notify.defs`'s generated
/// message stream (`notify::messages`) as a typed `mach_notify_no_senders`.
#[test]
fn notifications_arrive_as_typed_messages() {
    use futures::StreamExt;
    use migz::Space;
    use migz::rights::{ReceiveRight, allocate_pair};
    let space = Space::new();
    {
        let (port, send) = allocate_pair(&space).unwrap();
        let watcher = ReceiveRight::allocate(&space).unwrap();
        drop(port.request_no_senders(&watcher, 0).unwrap());
        let mut messages = notify::messages(&watcher).unwrap();
        let second = send.copy_send().unwrap();
        drop(send);
        drop(second);
        let got = futures::executor::block_on(messages.next()).unwrap();
        // One send right was made from the receive right (the copy does not count).
        assert!(
            matches!(
                got,
                Ok(notify::NotifyMessage::MachNotifyNoSenders { mscount: 1 })
            ),
            "{got:?}"
        );
        drop((messages, watcher, port));
    }
    space.assert_no_leaks();
}
