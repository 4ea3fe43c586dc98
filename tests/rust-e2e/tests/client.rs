//! The generated typed clients, blocking and async, against small Rust servers on their
//! own threads, over the local transport. Each server answers a fixed number of requests
//! with the generated pack and unpack functions; every test checks its space for leaks.

use migz::abi::*;
use migz::ffi::{CallError, MsgBuf};
use migz::rights::{ReceiveRight, SendRight, allocate_pair};
use migz::{MachMsgHeader, Space};
use migz_rust_e2e::array_test::SumArrayRequest;
use migz_rust_e2e::array_test::{ArrayTestClient, SumArrayIn, SumArrayOut, SumArrayReply};
use migz_rust_e2e::ports_ool::{
    LogMessageIn, LogMessageRequest, LookupPortIn, LookupPortOut, LookupPortReply,
    LookupPortRequest, PortsOolClient, RegisterPortIn, RegisterPortOut, RegisterPortReply,
    RegisterPortRequest,
};
use std::thread;
use std::time::Duration;

const BUF_SIZE: usize = 8192;

/// Receives one request on `port`; returns the buffer and its valid length.
fn receive(space: &Space, port: MachPortName) -> (Box<MsgBuf<BUF_SIZE>>, usize) {
    let mut buf = Box::new(MsgBuf::<BUF_SIZE>::new());
    let rc = space.mach_msg(&mut buf.0, MACH_RCV_MSG, 0, BUF_SIZE as u32, port, 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
    let size = MachMsgHeader::read(&buf.0).unwrap().msgh_size as usize;
    (buf, size + MAX_TRAILER_SIZE as usize)
}

fn send(space: &Space, buf: &mut [u8], size: usize) {
    let rc = space.mach_msg(buf, MACH_SEND_MSG, size as u32, 0, 0, 0, 0);
    assert_eq!(rc, MACH_MSG_SUCCESS);
}

/// A `sum_array` server answering `n` requests, then returning its receive right.
fn sum_server(service: ReceiveRight<Space>, n: usize) -> thread::JoinHandle<ReceiveRight<Space>> {
    thread::spawn(move || {
        let space = service.task().clone();
        for _ in 0..n {
            let (buf, len) = receive(&space, service.name());
            let head = MachMsgHeader::read(&buf.0).unwrap();
            let mut input = SumArrayIn::default();
            SumArrayRequest::unpack(&buf.0, len, &mut input).unwrap();
            let total = input.data.get().unwrap().iter().sum();
            let mut out = MsgBuf::<BUF_SIZE>::new();
            let size = SumArrayReply::pack(&mut out.0, &SumArrayOut { total }, &head).unwrap();
            send(&space, &mut out.0, size);
        }
        service
    })
}

#[test]
fn blocking_and_async_calls() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let server = sum_server(service, 2);
        let client = ArrayTestClient::new(send_right);
        let data: Vec<i32> = (1..=100).collect();
        assert_eq!(client.sum_array(&data, None).unwrap(), 5050);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let total = rt
            .block_on(client.sum_array_async(&[7, 8, 9], Some(Duration::from_secs(60))))
            .unwrap();
        assert_eq!(total, 24);
        drop(server.join().unwrap());
        drop(client);
    }
    space.assert_no_leaks();
}

#[test]
fn a_bound_is_checked_before_sending() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = ArrayTestClient::new(send_right);
        let err = client.sum_array(&[0; 1025], None).unwrap_err();
        assert_eq!(err, CallError::Mig(-307));
        // Nothing reached the server's queue.
        let mut buf = MsgBuf::<64>::new();
        let rc = space.mach_msg(
            &mut buf.0,
            MACH_RCV_MSG | MACH_RCV_TIMEOUT,
            0,
            64,
            service.name(),
            0,
            0,
        );
        assert_eq!(rc, MACH_RCV_TIMED_OUT);
    }
    space.assert_no_leaks();
}

#[test]
fn a_silent_server_gives_a_timeout_and_leaks_nothing() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = ArrayTestClient::new(send_right);
        let err = client
            .sum_array(&[1, 2], Some(Duration::from_millis(5)))
            .unwrap_err();
        assert_eq!(err, CallError::Receive(MACH_RCV_TIMED_OUT));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let err = rt
            .block_on(client.sum_array_async(&[1, 2], Some(Duration::from_millis(5))))
            .unwrap_err();
        assert_eq!(err, CallError::Receive(MACH_RCV_TIMED_OUT));
        // The two requests wait in the queue with their reply rights; dropping the
        // receive right destroys them.
        drop(service);
    }
    space.assert_no_leaks();
}

#[test]
fn a_server_error_keeps_its_code() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let server = thread::spawn(move || {
            let space = service.task().clone();
            let (buf, _) = receive(&space, service.name());
            let head = MachMsgHeader::read(&buf.0).unwrap();
            // A `mig_reply_error_t`: the reply header, NDR and a failing RetCode.
            let mut out = MsgBuf::<BUF_SIZE>::new();
            SumArrayReply::pack(&mut out.0, &SumArrayOut { total: 0 }, &head).unwrap();
            out.0[4..8].copy_from_slice(&36u32.to_ne_bytes());
            out.0[32..36].copy_from_slice(&KERN_INVALID_ARGUMENT.to_ne_bytes());
            send(&space, &mut out.0, 36);
            service
        });
        let client = ArrayTestClient::new(send_right);
        let err = client.sum_array(&[1], None).unwrap_err();
        assert_eq!(err, CallError::Server(KERN_INVALID_ARGUMENT));
        assert_eq!(err.code(), KERN_INVALID_ARGUMENT);
        drop(server.join().unwrap());
    }
    space.assert_no_leaks();
}

#[test]
fn rights_in_and_out() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        // The server keeps the send right `register_port` makes and gives it back, moved,
        // to `lookup_port`.
        let server = thread::spawn(move || {
            let space = service.task().clone();
            let (buf, len) = receive(&space, service.name());
            let head = MachMsgHeader::read(&buf.0).unwrap();
            let mut input = RegisterPortIn::default();
            RegisterPortRequest::unpack(&buf.0, len, &mut input).unwrap();
            assert_eq!(input.name.get().unwrap(), b"svc");
            let stored = SendRight::from_raw(space.clone(), input.port);
            let mut out = MsgBuf::<BUF_SIZE>::new();
            let size = RegisterPortReply::pack(&mut out.0, &RegisterPortOut {}, &head).unwrap();
            send(&space, &mut out.0, size);

            let (buf, len) = receive(&space, service.name());
            let head = MachMsgHeader::read(&buf.0).unwrap();
            let mut input = LookupPortIn::default();
            LookupPortRequest::unpack(&buf.0, len, &mut input).unwrap();
            let reply = LookupPortOut {
                port: stored.into_raw(),
            };
            let size = LookupPortReply::pack(&mut out.0, &reply, &head).unwrap();
            send(&space, &mut out.0, size);
            service
        });
        let client = PortsOolClient::new(send_right);
        let (registered, _keep) = allocate_pair(&space).unwrap();
        // MAKE_SEND borrows the receive right.
        client.register_port("svc", &registered, None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let found: SendRight<Space> = rt.block_on(client.lookup_port_async("svc", None)).unwrap();
        // One space: the right comes back under the port's name.
        assert_eq!(found.name(), registered.name());
        drop(found);
        drop(server.join().unwrap());
    }
    space.assert_no_leaks();
}

#[test]
fn simpleroutines_send_without_waiting() {
    let space = Space::new();
    {
        let (service, send_right) = allocate_pair(&space).unwrap();
        let client = PortsOolClient::new(send_right);
        client.log_message("hello", None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(client.log_message_async("again", Some(Duration::from_secs(60))))
            .unwrap();
        for expected in [&b"hello"[..], b"again"] {
            let (buf, len) = receive(&space, service.name());
            let mut input = LogMessageIn::default();
            LogMessageRequest::unpack(&buf.0, len, &mut input).unwrap();
            assert_eq!(input.message.get().unwrap(), expected);
        }
    }
    space.assert_no_leaks();
}
