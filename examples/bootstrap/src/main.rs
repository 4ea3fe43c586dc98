//! Runs the bootstrap example both ways: a Rust server checks in under a name and a Zig
//! client looks it up and calls it, then a Zig server and a Rust client.
//!
//! ```sh
//! cargo run -p migz-example-bootstrap [-- COUNT]
//! ```

use migz_example_bootstrap::{rust_server_zig_client, task, zig_server_rust_client};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: i32 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 5,
    };
    rust_server_zig_client(&task(), &task(), count)?;
    println!("a Rust server checked in, a Zig client looked it up and made {count} calls");
    zig_server_rust_client(&task(), &task(), count)?;
    println!("a Zig server checked in, a Rust client looked it up and made {count} calls");
    Ok(())
}
