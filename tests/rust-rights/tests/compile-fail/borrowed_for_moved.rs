// MOVE_SEND consumes the right: lending it is not enough.
use migz_rust_rights::rights::{RightsClient, SendRight};

fn give(client: &RightsClient, send: &SendRight) {
    let _ = client.move_send(send, None);
}

fn main() {}
