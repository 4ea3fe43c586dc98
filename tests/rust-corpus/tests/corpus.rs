//! Apple's own subsystems through the generated Rust and Zig: every message struct Apple's
//! MIG generated for the seven subsystems of `apple-mig-layouts.json` has, as rustc lays
//! out the generated Rust, Apple's size and Apple's field offsets, and a
//! `mach_port_allocate` exchange round-trips through the generated pack and unpack
//! functions.

#![cfg(migz_corpus)]

use migz::MachMsgHeader;
use migz::ffi::MsgBuf;
use migz_rust_corpus::{LAYOUTS, clock, exc, mach_port, notify};

#[test]
fn every_module_is_there() {
    // 48 corpus files declare a subsystem (`tests/excserver_backtrace.defs` repeats
    // `mach_exc`), and the two examples.
    let subsystems: std::collections::BTreeSet<_> = LAYOUTS.iter().map(|l| l.subsystem).collect();
    println!(
        "{} structs of {} subsystems compiled",
        LAYOUTS.len(),
        subsystems.len()
    );
    assert!(subsystems.len() >= 45, "{subsystems:?}");
    assert_eq!(
        migz_rust_corpus::excserver_backtrace_mach_exc::SUBSYSTEM_NAME,
        "mach_exc"
    );
}

#[test]
fn rust_layouts_are_apples() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/apple-mig-layouts.json"
    );
    let text = std::fs::read_to_string(path).expect("the corpus has apple-mig-layouts.json");
    let apple: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (header, targets) in apple.as_object().unwrap() {
        // `mach/mach_port.h` holds subsystem `mach_port`.
        let subsystem = header.trim_start_matches("mach/").trim_end_matches(".h");
        for (target, structs) in targets.as_object().unwrap() {
            for (name, want) in structs.as_object().unwrap() {
                // A struct the corpus lacks is a routine added to the SDK later.
                let Some(got) = LAYOUTS
                    .iter()
                    .find(|l| l.subsystem == subsystem && l.apple == name)
                else {
                    continue;
                };
                compared += 1;
                let want_fields: Vec<u64> = want["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["offset"].as_u64().unwrap())
                    .collect();
                let got_fields: Vec<u64> = got.fields.iter().map(|(_, o)| *o as u64).collect();
                if want["size"].as_u64() != Some(got.size as u64) || want_fields != got_fields {
                    mismatches.push(format!(
                        "{target} {name}: Apple size {} offsets {want_fields:?}, Rust size {} fields {:?}",
                        want["size"], got.size, got.fields
                    ));
                }
            }
        }
    }
    println!("{compared} Apple structs match the Rust layout");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The JSON has 212 structs; the two the corpus lacks are later SDK additions. Fewer
    // compared means the matching broke.
    assert!(compared >= 200, "only {compared} structs compared");
}

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
