// COPY_SEND borrows the caller's send right and leaves it with the caller: handing it over
// by value is a type error, not a silent move.
use migz_rust_rights::rights::{RightsClient, SendRight};

fn copy(client: &RightsClient, send: SendRight) {
    let _ = client.copy_send(send, None);
}

fn main() {}
