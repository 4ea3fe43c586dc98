//! Port aggregates (`tests/conformance/aggregates.defs`): an array of arrays of ports is one
//! port descriptor per right, as Apple's MIG sends it. A typed Rust client and server
//! exchange 6 + up to 6 rights over the local transport, and the packed request is checked
//! field by field: 12 descriptors, each naming its right.

use futures::future::{Either, select};
use migz::abi::*;
use migz::ffi::{CallError, MsgBuf};
use migz::rights::allocate_pair;
use migz::{MachMsgHeader, Space};
use migz_rust_e2e::aggregates::{
    self, AggregatesClient, AggregatesServer, SendRight, ServeResult, SwapSixIn, SwapSixRequest,
};
use std::pin::pin;
use std::sync::Mutex;

/// Keeps the listed rights, moves the fixed ones back in reverse order.
#[derive(Default)]
struct Keeper {
    held: Mutex<Vec<SendRight>>,
}

impl AggregatesServer for Keeper {
    async fn swap_six(
        &self,
        mut fixed: Vec<SendRight>,
        listed: Vec<SendRight>,
    ) -> ServeResult<(Vec<SendRight>, i32)> {
        assert_eq!(fixed.len(), 6);
        let mut held = self.held.lock().unwrap();
        held.extend(listed);
        fixed.reverse();
        Ok((fixed, held.len() as i32))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn six_rights_travel_as_six_descriptors() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let (_reply, reply_send) = allocate_pair(&space).unwrap();
        let ports: Vec<_> = (0..6).map(|_| allocate_pair(&space).unwrap()).collect();
        let names: Vec<u32> = ports.iter().map(|(_, s)| s.name()).collect();
        let mut fixed = [0u32; 6];
        fixed.copy_from_slice(&names);
        let mut listed = [0u32; 6];
        listed[..4].copy_from_slice(&names[..4]);
        let input = SwapSixIn {
            server: service_send.name(),
            fixed,
            listed,
            listed_cnt: 4,
        };
        let mut buf = MsgBuf::<1024>::new();
        let size = SwapSixRequest::pack(&mut buf.0, &input, reply_send.name()).unwrap();
        // Head, body, 2 x 6 port descriptors, NDR and the count: Apple's 184 bytes.
        assert_eq!(size, 184);
        let head = MachMsgHeader::read(&buf.0).unwrap();
        assert_ne!(head.msgh_bits & MACH_MSGH_BITS_COMPLEX, 0);
        let descriptors = u32::from_ne_bytes(buf.0[24..28].try_into().unwrap());
        assert_eq!(descriptors, 12);
        for i in 0..12 {
            let at = 28 + 12 * i;
            let name = u32::from_ne_bytes(buf.0[at..at + 4].try_into().unwrap());
            let expected = if i < 6 {
                names[i]
            } else if i < 10 {
                names[i - 6]
            } else {
                MACH_PORT_NULL
            };
            assert_eq!(name, expected, "descriptor {i}");
        }
        let count = u32::from_ne_bytes(buf.0[180..184].try_into().unwrap());
        assert_eq!(count, 4, "the count is a number of rights");
        drop(service);
    }
    space.assert_no_leaks();
}

#[test]
fn typed_client_and_server_exchange_port_aggregates() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let client = AggregatesClient::new(service_send);
        let ports: Vec<_> = (0..6).map(|_| allocate_pair(&space).unwrap()).collect();
        let rights: Vec<&SendRight> = ports.iter().map(|(_, s)| s).collect();
        let keeper = Keeper::default();
        let (first, second, too_many) = runtime().block_on(async {
            let served = aggregates::serve(&keeper, &service, 1);
            let calls = async {
                let first = client.swap_six_async(&rights, &rights[..3], None).await;
                let second = client.swap_six_async(&rights, &rights, None).await;
                // Seven rights exceed the bound of 2 x 3: refused before sending.
                let seven: Vec<&SendRight> = rights.iter().chain(&rights[..1]).copied().collect();
                let too_many = client.swap_six_async(&rights, &seven, None).await;
                (first, second, too_many)
            };
            match select(pin!(served), pin!(calls)).await {
                Either::Left((served, _)) => panic!("the server stopped first: {served:?}"),
                Either::Right((value, _)) => value,
            }
        });
        let (back, held) = first.unwrap();
        assert_eq!(held, 3);
        let back_names: Vec<u32> = back.iter().map(SendRight::name).collect();
        let mut expected: Vec<u32> = rights.iter().map(|r| r.name()).collect();
        expected.reverse();
        assert_eq!(back_names, expected);
        let (back, held) = second.unwrap();
        assert_eq!((back.len(), held), (6, 9));
        assert_eq!(too_many.unwrap_err(), CallError::Mig(MIG_ARRAY_TOO_LARGE));
        drop(keeper);
    }
    space.assert_no_leaks();
}
