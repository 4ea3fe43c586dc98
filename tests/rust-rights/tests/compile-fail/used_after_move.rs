// A right moved into a call belongs to the message: the caller cannot use it again.
use migz_rust_rights::rights::{RightsClient, SendRight};

fn give(client: &RightsClient, send: SendRight) -> u32 {
    let _ = client.move_send(send, None);
    send.name()
}

fn main() {}
