// MAKE_SEND makes the send right from the caller's receive right: a send right will not do.
use migz_rust_rights::rights::{RightsClient, SendRight};

fn register(client: &RightsClient, send: &SendRight) {
    let _ = client.make_send(send, None);
}

fn main() {}
