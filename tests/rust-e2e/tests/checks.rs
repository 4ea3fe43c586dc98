//! The checks Apple's stubs make on what they receive (`tests/conformance/checks.defs`),
//! through the generated Rust: the dispatcher of a typed server and a typed client. The
//! generated Zig makes the same checks (`tests/conformance/checks_test.zig`).

use migz::abi::*;
use migz::ffi::{CallError, MsgBuf};
use migz::rights::allocate_pair;
use migz::{MachMsgHeader, Space};
use migz_rust_e2e::checks::{
    self, BufferIn, BufferRequest, ChecksClient, ChecksServer, NamesIn, NamesRequest, NoteIn,
    NoteRequest, RightsOut, RightsReply, SendRight, ServeResult, ValuesIn, ValuesRequest,
};
use std::sync::Mutex;
use std::thread;

/// Records what the routines were given.
#[derive(Default)]
struct Recorder {
    noted: Mutex<Vec<i32>>,
    capacity: Mutex<Option<usize>>,
}

impl ChecksServer for Recorder {
    async fn note(&self, n: i32) -> ServeResult<()> {
        self.noted.lock().unwrap().push(n);
        Ok(())
    }

    async fn names(&self, var_name: &[u8], fixed_name: &[u8]) -> ServeResult<i32> {
        assert_eq!((var_name, fixed_name), (&b"abcdxy"[..], &b"xy"[..]));
        Ok((var_name.len() + fixed_name.len()) as i32)
    }

    async fn values(&self, values_max: usize) -> ServeResult<Vec<i32>> {
        *self.capacity.lock().unwrap() = Some(values_max);
        Ok((0..values_max as i32).collect())
    }

    async fn buffer(&self, data: migz::OolBuffer<i32>) -> ServeResult<i32> {
        Ok(data.iter().sum())
    }

    async fn rights(&self) -> ServeResult<Vec<SendRight>> {
        Ok(Vec::new())
    }
}

const TRAILER: usize = MAX_TRAILER_SIZE as usize;

fn write_u32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_ne_bytes());
}

/// What the dispatcher makes of `request`: the reply's size or the refusal's code.
fn dispatch(server: &Recorder, space: &Space, request: &[u8], len: usize) -> Result<usize, i32> {
    let mut reply = MsgBuf::<256>::new();
    futures::executor::block_on(checks::dispatch(server, space, request, len, &mut reply.0))
        .map_err(|refusal| refusal.code)
}

#[test]
fn a_simpleroutine_succeeds_without_a_reply() {
    let space = Space::new();
    let server = Recorder::default();
    let mut req = MsgBuf::<256>::new();
    let size = NoteRequest::pack(&mut req.0, &NoteIn { server: 1, n: 7 }, 0).unwrap();
    // Apple's demux leaves KERN_SUCCESS; the Rust dispatcher says so with a reply of no
    // bytes, and nothing is sent.
    assert_eq!(dispatch(&server, &space, &req.0, size + TRAILER), Ok(0));
    assert_eq!(*server.noted.lock().unwrap(), [7]);
    space.assert_no_leaks();
}

/// A `names` request whose varying string "abcd" fills its count without a NUL, followed
/// by the fixed string's 8 bytes `fixed`.
fn names_request(req: &mut [u8], fixed: &[u8]) -> usize {
    let input = NamesIn {
        server: 1,
        var_name: migz::private::ConstSlice::new(b"abc").unwrap(),
        fixed_name: migz::private::ConstSlice::new(b"x").unwrap(),
    };
    let size = NamesRequest::pack(req, &input, 0).unwrap();
    assert_eq!(size, 52);
    req[40..44].copy_from_slice(b"abcd");
    req[44..52].fill(0);
    req[44..44 + fixed.len()].copy_from_slice(fixed);
    size
}

#[test]
fn c_strings_are_checked_within_the_message_and_their_bound() {
    let space = Space::new();
    let server = Recorder::default();
    let mut req = MsgBuf::<256>::new();
    // The NUL is past the varying string's count but within its bound of 8: accepted,
    // and the string is what comes before the NUL.
    let size = names_request(&mut req.0, b"xy");
    assert_eq!(dispatch(&server, &space, &req.0, size + TRAILER), Ok(40));
    // No NUL within 8 bytes of the varying string.
    let size = names_request(&mut req.0, b"xyzw");
    assert_eq!(
        dispatch(&server, &space, &req.0, size + TRAILER),
        Err(MIG_BAD_ARGUMENTS)
    );
    // A fixed string with no NUL in its 8 bytes.
    let size = names_request(&mut req.0, b"12345678");
    req.0[40..44].copy_from_slice(b"ab\0\0");
    assert_eq!(
        dispatch(&server, &space, &req.0, size + TRAILER),
        Err(MIG_BAD_ARGUMENTS)
    );
    space.assert_no_leaks();
}

#[test]
fn a_count_in_out_capacity_above_the_bound_is_clamped() {
    let space = Space::new();
    let server = Recorder::default();
    let mut req = MsgBuf::<256>::new();
    let size = ValuesRequest::pack(
        &mut req.0,
        &ValuesIn {
            server: 1,
            values_cnt: 4,
        },
        0,
    )
    .unwrap();
    write_u32(&mut req.0, 32, 1000);
    // Head, NDR, RetCode, count and the bound's 4 values.
    assert_eq!(dispatch(&server, &space, &req.0, size + TRAILER), Ok(56));
    assert_eq!(*server.capacity.lock().unwrap(), Some(4));
    space.assert_no_leaks();
}

#[test]
fn an_out_of_line_descriptor_is_checked_before_the_bound() {
    let space = Space::new();
    let server = Recorder::default();
    // An out-of-line argument points at an out-of-line buffer (`OolSlice` takes nothing else).
    let data = migz::OolBuffer::from_slice(&[1i32, 2, 3]);
    let mut req = MsgBuf::<256>::new();
    let input = BufferIn {
        server: 1,
        data: migz::private::OolSlice::new(&data).unwrap(),
    };
    let size = BufferRequest::pack(&mut req.0, &input, 0).unwrap();
    assert_eq!(size, 56);
    // The count (after the NDR) above the bound of 16, and the descriptor's size
    // (bytes 40..44) disagreeing with it: MIG_TYPE_ERROR, as Apple checks the
    // descriptor first.
    write_u32(&mut req.0, 52, 20);
    assert_eq!(
        dispatch(&server, &space, &req.0, size + TRAILER),
        Err(MIG_TYPE_ERROR)
    );
    // The descriptor agrees with the count: the bound refuses it.
    write_u32(&mut req.0, 40, 80);
    assert_eq!(
        dispatch(&server, &space, &req.0, size + TRAILER),
        Err(MIG_BAD_ARGUMENTS)
    );
    space.assert_no_leaks();
}

#[test]
fn a_reply_port_array_above_its_bound_is_array_too_large() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let server = thread::spawn(move || {
            let space = service.task().clone();
            let mut buf = MsgBuf::<256>::new();
            let rc = space.mach_msg(&mut buf.0, MACH_RCV_MSG, 0, 256, service.name(), 0, 0);
            assert_eq!(rc, MACH_MSG_SUCCESS);
            let head = MachMsgHeader::read(&buf.0).unwrap();
            let mut reply = MsgBuf::<256>::new();
            let out = RightsOut {
                rights: [MACH_PORT_NULL; 2],
                rights_cnt: 2,
            };
            let size = RightsReply::pack(&mut reply.0, &out, &head).unwrap();
            // Three rights where the bound is two (the count follows the descriptors
            // and the NDR).
            write_u32(&mut reply.0, size - 4, 3);
            let rc = space.mach_msg(&mut reply.0, MACH_SEND_MSG, size as u32, 0, 0, 0, 0);
            assert_eq!(rc, MACH_MSG_SUCCESS);
            service
        });
        let client = ChecksClient::new(service_send);
        assert_eq!(
            client.rights(None).unwrap_err(),
            CallError::Mig(MIG_ARRAY_TOO_LARGE)
        );
        drop(server.join().unwrap());
        drop(client);
    }
    space.assert_no_leaks();
}
