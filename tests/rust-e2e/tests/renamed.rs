//! Arguments renamed for a clash with the message's own fields
//! (`tests/conformance/renamed.defs`): the SameCount argument after a renamed one keeps
//! its link, so the typed client and server send one count for both arrays and refuse
//! arrays of different lengths. The generated Zig is tested the same way
//! (`tests/conformance/renamed_test.zig`).

mod support;
use support::{runtime, until};

use migz::Space;
use migz::abi::*;
use migz::ffi::CallError;
use migz::rights::allocate_pair;
use migz_rust_e2e::renamed::{self, RenamedClient, RenamedServer, ServeResult};

/// Sums and products element by element; answers results of different lengths when the
/// request's first element is negative.
struct Adder;

impl RenamedServer for Adder {
    async fn add(&self, head_: &[i32], body_: &[i32]) -> ServeResult<(Vec<i32>, Vec<i32>)> {
        assert_eq!(head_.len(), body_.len());
        let sums: Vec<i32> = head_.iter().zip(body_).map(|(h, b)| h + b).collect();
        let mut products: Vec<i32> = head_.iter().zip(body_).map(|(h, b)| h * b).collect();
        if head_.first().is_some_and(|h| *h < 0) {
            products.pop();
        }
        Ok((sums, products))
    }
}

#[test]
fn same_count_after_a_renamed_argument_keeps_its_link() {
    let space = Space::new();
    {
        let (service, service_send) = allocate_pair(&space).unwrap();
        let client = RenamedClient::new(service_send);
        let (added, mismatched, uneven) =
            runtime().block_on(until(renamed::serve(&Adder, &service, 1), async {
                let added = client.add_async(&[1, 2, 3], &[10, 20, 30], None).await;
                let mismatched = client.add_async(&[1, 2, 3], &[10, 20], None).await;
                let uneven = client.add_async(&[-1, 2], &[1, 2], None).await;
                (added, mismatched, uneven)
            }));
        assert_eq!(added.unwrap(), (vec![11, 22, 33], vec![10, 40, 90]));
        // Two arrays sharing one count must have the same length, at either end: the
        // client refuses before sending, the server's results are refused as Apple's
        // `MIG_BAD_ARGUMENTS` error reply.
        assert_eq!(
            mismatched.unwrap_err(),
            CallError::Count {
                arg: "body_",
                len: 2,
                expected: 3
            }
        );
        assert_eq!(uneven.unwrap_err(), CallError::Mig(MIG_BAD_ARGUMENTS));
        drop(client);
    }
    space.assert_no_leaks();
}
