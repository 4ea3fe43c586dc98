// MOVE_RECEIVE gives the receive right away: a second call cannot give it again.
use migz_rust_rights::rights::{ReceiveRight, RightsClient};

fn give(client: &RightsClient, port: ReceiveRight) {
    let _ = client.move_receive(port, None);
    let _ = client.move_receive(port, None);
}

fn main() {}
