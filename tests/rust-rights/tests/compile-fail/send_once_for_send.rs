// MOVE_SEND takes a send right: a send-once right is another type.
use migz_rust_rights::rights::{RightsClient, SendOnceRight};

fn give(client: &RightsClient, once: SendOnceRight) {
    let _ = client.move_send(once, None);
}

fn main() {}
