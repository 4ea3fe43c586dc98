//! A C client (`client.c`, written against `bridge/migz.h`) exchanges simple and
//! complex messages with a Rust server thread through the library; each side has a space
//! of its own, and both must hold nothing afterwards.

use migz::Space;
use migz::abi::*;

#[link(name = "migz_ctest", kind = "static")]
unsafe extern "C" {
    fn migz_c_client(task: u32, server: u32) -> i32;
}

fn serve(s: &Space, port: u32) {
    let mut buf = vec![0u8; 1024];
    loop {
        let r = s.mach_msg(&mut buf, MACH_RCV_MSG, 0, 1024, port, 0, 0);
        assert_eq!(r, 0);
        let h = MachMsgHeader::read(&buf).unwrap();
        match h.msgh_id {
            100 => {
                let v = read_u32(&buf, 32).unwrap() as i32;
                let mut rep = vec![0u8; 36];
                MachMsgHeader {
                    msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                    msgh_size: 36,
                    msgh_remote_port: h.msgh_remote_port,
                    msgh_local_port: 0,
                    msgh_voucher_port: 0,
                    msgh_id: 200,
                }
                .write(&mut rep);
                rep[24..32].copy_from_slice(&NDR_RECORD);
                write_u32(&mut rep, 32, (v + 1) as u32);
                assert_eq!(s.mach_msg(&mut rep, MACH_SEND_MSG, 36, 0, 0, 0, 0), 0);
            }
            101 => {
                assert!(h.msgh_bits & MACH_MSGH_BITS_COMPLEX != 0);
                assert_eq!(read_u32(&buf, 24).unwrap(), 2);
                let addr = read_u64(&buf, 28).unwrap() as usize;
                let size = read_u32(&buf, 40).unwrap();
                let text = s.with_region(addr, |m| m.to_vec()).unwrap();
                assert_eq!(&text[..], b"hello from C\0");
                s.vm_deallocate(addr, size as usize).unwrap();
                let cport = read_u32(&buf, 44).unwrap();
                assert_eq!(
                    (read_u32(&buf, 52).unwrap() >> 16) & 0xff,
                    MACH_MSG_TYPE_PORT_SEND
                );
                // Hand the C side a page of memory on the port it sent.
                let page = s.vm_allocate(4096).unwrap();
                s.with_region(page, |m| m.fill(b'R')).unwrap();
                let mut m = vec![0u8; 44];
                MachMsgHeader {
                    msgh_bits: MACH_MSGH_BITS_COMPLEX | mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND, 0),
                    msgh_size: 44,
                    msgh_remote_port: cport,
                    msgh_local_port: 0,
                    msgh_voucher_port: 0,
                    msgh_id: 300,
                }
                .write(&mut m);
                write_u32(&mut m, 24, 1);
                write_u64(&mut m, 28, page as u64);
                write_u32(&mut m, 36, ool_descriptor_word(true, MACH_MSG_VIRTUAL_COPY));
                write_u32(&mut m, 40, 4096);
                assert_eq!(s.mach_msg(&mut m, MACH_SEND_MSG, 44, 0, 0, 0, 0), 0);
                let mut rep = vec![0u8; 36];
                MachMsgHeader {
                    msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
                    msgh_size: 36,
                    msgh_remote_port: h.msgh_remote_port,
                    msgh_local_port: 0,
                    msgh_voucher_port: 0,
                    msgh_id: 201,
                }
                .write(&mut rep);
                write_u32(&mut rep, 32, size);
                assert_eq!(s.mach_msg(&mut rep, MACH_SEND_MSG, 36, 0, 0, 0, 0), 0);
            }
            999 => return,
            other => panic!("unexpected message id {other}"),
        }
    }
}

#[test]
fn c_client_talks_to_a_rust_server() {
    let s = Space::new();
    let client = Space::new();
    let port = s.port_allocate(MACH_PORT_RIGHT_RECEIVE).unwrap();
    let send = 0x4403;
    client
        .port_insert_right(send, &s, port, MACH_MSG_TYPE_MAKE_SEND)
        .unwrap();
    let server = {
        let s = s.clone();
        std::thread::spawn(move || serve(&s, port))
    };
    // SAFETY: the C function only uses the task handle and name it is given.
    let line = unsafe { migz_c_client(client.task(), send) };
    assert_eq!(line, 0, "check at tests/c/client.c:{line} failed");
    server.join().unwrap();
    client.port_deallocate(send).unwrap();
    s.port_mod_refs(port, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    s.assert_no_leaks();
    client.assert_no_leaks();
}

#[test]
fn task_handles_and_leak_counts() {
    let mut task = 0u32;
    // SAFETY: `task` is a valid place to write.
    assert_eq!(unsafe { migz_ffi::migz1_task_create(&mut task) }, 0);
    let mut name = 0u32;
    // SAFETY: `name` is a valid place to write.
    let rc =
        unsafe { migz_ffi::migz1_mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &mut name) };
    assert_eq!(rc, 0);
    let (mut n, mut r, mut p) = (0u32, 0u32, 0u32);
    // SAFETY: all three are valid places to write.
    let rc = unsafe { migz_ffi::migz1_task_leaks(task, &mut n, &mut r, &mut p) };
    assert_eq!(rc, 0);
    assert_eq!((n, r, p), (1, 0, 1));
    assert_eq!(
        migz_ffi::migz1_mach_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1),
        0
    );
    // SAFETY: as above.
    let rc = unsafe { migz_ffi::migz1_task_leaks(task, &mut n, &mut r, &mut p) };
    assert_eq!(rc, 0);
    assert_eq!((n, r, p), (0, 0, 0));
    assert_eq!(migz_ffi::migz1_task_destroy(task), 0);
    assert_eq!(migz_ffi::migz1_task_destroy(task), KERN_INVALID_TASK);
    assert_eq!(
        migz_ffi::migz1_mach_port_deallocate(task, name),
        KERN_INVALID_TASK
    );
}
