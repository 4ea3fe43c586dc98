//! Rust client against Rust server over the local transport, every message packed and
//! unpacked by the generated Zig through the generated Rust wrappers; and the wrappers'
//! refusals of malformed messages. Each test owns a `Space` and checks it leaked nothing.

use migz::abi::*;
use migz::ffi::MsgBuf;
use migz::rights::allocate_pair;
use migz::{MachMsgHeader, Space};
use migz_rust_e2e::array_test::{SumArrayIn, SumArrayOut, SumArrayReply, SumArrayRequest};
use migz_rust_e2e::ports_ool::{
    LookupPortIn, LookupPortOut, LookupPortReply, LookupPortRequest, PassRightIn, PassRightOut,
    PassRightReply, PassRightRequest,
};

/// Room for the largest message of these tests and its trailer.
const BUF_SIZE: usize = 8192;

fn receive(space: &Space, buf: &mut MsgBuf<BUF_SIZE>, port: MachPortName) -> usize {
    let rc = space.mach_msg(&mut buf.0, MACH_RCV_MSG, 0, BUF_SIZE as u32, port, 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
    let head = MachMsgHeader::read(&buf.0).unwrap();
    // The valid bytes: the message and the trailer the receive appended.
    head.msgh_size as usize + MAX_TRAILER_SIZE as usize
}

fn send(space: &Space, buf: &mut MsgBuf<BUF_SIZE>, size: usize) {
    let rc = space.mach_msg(&mut buf.0, MACH_SEND_MSG, size as u32, 0, 0, 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
}

#[test]
fn sum_array_client_and_server() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let (reply, _reply_send) = allocate_pair(&space).unwrap();
        let data: Vec<i32> = (1..=1000).collect();

        // Client: pack through the Zig export and send.
        let mut buf = MsgBuf::<BUF_SIZE>::new();
        let input = SumArrayIn {
            server_port: service_send.name(),
            data: migz::private::ConstSlice::new(&data).unwrap(),
        };
        let size = SumArrayRequest::pack(&mut buf.0, &input, reply.name()).unwrap();
        assert_eq!(size, 36 + 4000);
        send(&space, &mut buf, size);

        // Server: receive, unpack (the slice points into the message), answer.
        let mut sbuf = MsgBuf::<BUF_SIZE>::new();
        let len = receive(&space, &mut sbuf, service.name());
        let request_head = MachMsgHeader::read(&sbuf.0).unwrap();
        let mut got = SumArrayIn::default();
        SumArrayRequest::unpack(&sbuf.0, len, &mut got).unwrap();
        assert_eq!(got.server_port, service.name());
        let items = got.data.get().unwrap();
        assert_eq!(items, data.as_slice());
        let out = SumArrayOut {
            total: items.iter().sum(),
        };
        let mut rbuf = MsgBuf::<BUF_SIZE>::new();
        let size = SumArrayReply::pack(&mut rbuf.0, &out, &request_head).unwrap();
        assert_eq!(size, 40);
        send(&space, &mut rbuf, size);

        // Client: receive and unpack the reply.
        let len = receive(&space, &mut buf, reply.name());
        let mut result = SumArrayOut::default();
        SumArrayReply::unpack(&buf.0, len, &mut result).unwrap();
        assert_eq!(result.total, 500_500);
    }
    space.assert_no_leaks();
}

#[test]
fn pack_refuses_what_cannot_be_sent() {
    let data = vec![0i32; 1025];
    let input = SumArrayIn {
        server_port: 1,
        data: migz::private::ConstSlice::new(&data).unwrap(),
    };
    let mut buf = MsgBuf::<BUF_SIZE>::new();
    // MIG_ARRAY_TOO_LARGE: the array is bounded at 1024 elements.
    let err = SumArrayRequest::pack(&mut buf.0, &input, 0).unwrap_err();
    assert_eq!(err.code, -307);
    // A buffer smaller than the request struct is refused before any Zig runs.
    let mut small = MsgBuf::<64>::new();
    let ok = SumArrayIn::default();
    let err = SumArrayRequest::pack(&mut small.0, &ok, 0).unwrap_err();
    assert_eq!(err.code, migz::ffi::MIG_BAD_ARGUMENTS);
    // A misaligned buffer is refused too.
    let err = SumArrayRequest::pack(&mut buf.0[1..], &ok, 0).unwrap_err();
    assert_eq!(err.code, migz::ffi::MIG_BAD_ARGUMENTS);
}

#[test]
fn unpack_refuses_malformed_requests() {
    let data = [5i32, 6, 7];
    let input = SumArrayIn {
        server_port: 9,
        data: migz::private::ConstSlice::new(&data).unwrap(),
    };
    let mut buf = MsgBuf::<BUF_SIZE>::new();
    let size = SumArrayRequest::pack(&mut buf.0, &input, 0).unwrap();
    assert_eq!(size, 48);
    let mut got = SumArrayIn::default();
    SumArrayRequest::unpack(&buf.0, size, &mut got).unwrap();
    assert_eq!(got.data.get().unwrap(), &data);
    // `got` borrows `buf` (the borrow checker would refuse the edits below otherwise), so
    // each refusal below unpacks into a fresh value.

    // Truncated: fewer valid bytes than the header says.
    assert_eq!(
        SumArrayRequest::unpack(&buf.0, size - 4, &mut SumArrayIn::default())
            .unwrap_err()
            .code,
        -304
    );
    // A count past the bound (MIG_BAD_ARGUMENTS, as Apple's server stubs answer).
    buf.0[32..36].copy_from_slice(&2000u32.to_ne_bytes());
    assert_eq!(
        SumArrayRequest::unpack(&buf.0, size, &mut SumArrayIn::default())
            .unwrap_err()
            .code,
        -304
    );
    buf.0[32..36].copy_from_slice(&3u32.to_ne_bytes());
    // Another routine's id: MIG_BAD_ID.
    buf.0[20..24].copy_from_slice(&2001i32.to_ne_bytes());
    assert_eq!(
        SumArrayRequest::unpack(&buf.0, size, &mut SumArrayIn::default())
            .unwrap_err()
            .code,
        -303
    );
    // `len` past the buffer is refused by the wrapper.
    assert_eq!(
        SumArrayRequest::unpack(&buf.0, BUF_SIZE + 1, &mut SumArrayIn::default())
            .unwrap_err()
            .code,
        -304
    );
}

#[test]
fn a_reply_carries_an_error_code() {
    let head = MachMsgHeader {
        msgh_bits: mach_msgh_bits(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0),
        msgh_size: 48,
        msgh_remote_port: 7,
        msgh_id: 2000,
        ..Default::default()
    };
    let mut buf = MsgBuf::<BUF_SIZE>::new();
    let size = SumArrayReply::pack(&mut buf.0, &SumArrayOut { total: 3 }, &head).unwrap();
    let mut out = SumArrayOut::default();
    SumArrayReply::unpack(&buf.0, size, &mut out).unwrap();
    assert_eq!(out.total, 3);
    // The reply's id answers the request (2000 + 100).
    assert_eq!(MachMsgHeader::read(&buf.0).unwrap().msgh_id, 2100);
    // A `mig_reply_error_t` (36 bytes) with a failing RetCode gives that code back.
    buf.0[4..8].copy_from_slice(&36u32.to_ne_bytes());
    buf.0[32..36].copy_from_slice(&KERN_FAILURE.to_ne_bytes());
    let err = SumArrayReply::unpack(&buf.0, 36, &mut SumArrayOut::default()).unwrap_err();
    assert_eq!(err.code, KERN_FAILURE);
}

#[test]
fn lookup_port_moves_a_send_right_back() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let (reply, _reply_send) = allocate_pair(&space).unwrap();
        let (target, target_send) = allocate_pair(&space).unwrap();

        let mut buf = MsgBuf::<BUF_SIZE>::new();
        let input = LookupPortIn {
            server: service_send.name(),
            name: migz::private::ConstSlice::new(b"target").unwrap(),
        };
        let size = LookupPortRequest::pack(&mut buf.0, &input, reply.name()).unwrap();
        send(&space, &mut buf, size);

        let mut sbuf = MsgBuf::<BUF_SIZE>::new();
        let len = receive(&space, &mut sbuf, service.name());
        let request_head = MachMsgHeader::read(&sbuf.0).unwrap();
        let mut got = LookupPortIn::default();
        LookupPortRequest::unpack(&sbuf.0, len, &mut got).unwrap();
        assert_eq!(got.name.get().unwrap(), b"target");
        // The reply moves the send right away: the server gives up its reference.
        let out = LookupPortOut {
            port: target_send.into_raw(),
        };
        let size = LookupPortReply::pack(&mut sbuf.0, &out, &request_head).unwrap();
        send(&space, &mut sbuf, size);

        let len = receive(&space, &mut buf, reply.name());
        let mut result = LookupPortOut::default();
        LookupPortReply::unpack(&buf.0, len, &mut result).unwrap();
        // One space: the right comes back under the receive right's name.
        assert_eq!(result.port, target.name());
        let back = migz::rights::SendRight::from_raw(space.clone(), result.port);
        drop(back);
    }
    space.assert_no_leaks();
}

#[test]
fn pass_right_sends_the_disposition_it_is_given() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let (reply, _reply_send) = allocate_pair(&space).unwrap();
        let (passed, _passed_send) = allocate_pair(&space).unwrap();

        let input = PassRightIn {
            server: service_send.name(),
            right: passed.name(),
            right_poly: MACH_MSG_TYPE_MAKE_SEND,
        };
        // The Zig default for a polymorphic argument is COPY_SEND.
        assert_eq!(PassRightIn::default().right_poly, MACH_MSG_TYPE_COPY_SEND);
        let mut buf = MsgBuf::<BUF_SIZE>::new();
        let size = PassRightRequest::pack(&mut buf.0, &input, reply.name()).unwrap();
        send(&space, &mut buf, size);

        let mut sbuf = MsgBuf::<BUF_SIZE>::new();
        let len = receive(&space, &mut sbuf, service.name());
        let request_head = MachMsgHeader::read(&sbuf.0).unwrap();
        let mut got = PassRightIn::default();
        PassRightRequest::unpack(&sbuf.0, len, &mut got).unwrap();
        // A made send right arrives as a moved one, under the port's name.
        assert_eq!(got.right_poly, MACH_MSG_TYPE_MOVE_SEND);
        assert_eq!(got.right, passed.name());
        drop(migz::rights::SendRight::from_raw(space.clone(), got.right));

        let mut label = [0u8; 32];
        label[..2].copy_from_slice(b"ok");
        let size =
            PassRightReply::pack(&mut sbuf.0, &PassRightOut { label }, &request_head).unwrap();
        send(&space, &mut sbuf, size);
        let len = receive(&space, &mut buf, reply.name());
        let mut result = PassRightOut::default();
        PassRightReply::unpack(&buf.0, len, &mut result).unwrap();
        assert_eq!(&result.label[..3], b"ok\0");
    }
    space.assert_no_leaks();
}
