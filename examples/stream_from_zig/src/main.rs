//! Sums a large array (1 GiB of `i32` unless told otherwise) that a Zig producer streams
//! to a Rust task, and prints the items, the sum (checked against the closed form), the
//! throughput and the peak resident set size.
//!
//! ```text
//! stream_from_zig [ring|mach|both] [SIZE]    SIZE in bytes, with K, M or G (binary) allowed
//! ```
//!
//! `ring` streams through a 1 MiB ring read in place; `mach` sends `push_chunk`
//! messages of 32 KiB to a port with a queue limit of 16.

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use migz::Space;
use migz_example_stream_from_zig::{self as example, Summary};

/// The ring's size: the memory the stream takes however long it is.
const RING_BYTES: u64 = 1 << 20;
/// The Mach port's queue limit: how many messages the producer may run ahead.
const QLIMIT: u32 = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ring,
    Mach,
    Both,
}

fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        None => (text, 0),
        Some((i, _)) => {
            let shift = match text[i..].to_ascii_lowercase().as_str() {
                "k" | "kb" | "kib" => 10,
                "m" | "mb" | "mib" => 20,
                "g" | "gb" | "gib" => 30,
                "b" => 0,
                _ => return None,
            };
            (&text[..i], shift)
        }
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

fn usage() -> ExitCode {
    eprintln!("usage: stream_from_zig [ring|mach|both] [SIZE]   (SIZE: bytes, e.g. 1G, 64M, 4096)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut mode = Mode::Ring;
    let mut bytes: u64 = 1 << 30;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "ring" => mode = Mode::Ring,
            "mach" => mode = Mode::Mach,
            "both" => mode = Mode::Both,
            "-h" | "--help" => return usage(),
            size => match parse_size(size) {
                Some(b) => bytes = b,
                None => return usage(),
            },
        }
    }
    match run(mode, bytes / 4) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(mode: Mode, items: u64) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let expected = example::expected_sum(items);
    println!(
        "items: {items} i32 ({} MiB), expected sum {expected}",
        (items * 4) >> 20
    );
    if mode != Mode::Mach {
        let start = Instant::now();
        let got = runtime.block_on(example::sum_ring(items, RING_BYTES))?;
        report("ring", &got, expected, start)?;
    }
    if mode != Mode::Ring {
        let space = Space::new();
        let start = Instant::now();
        let got = runtime.block_on(example::sum_mach(&space, items, QLIMIT, async |_, _| {}))?;
        report("mach", &got, expected, start)?;
        space.assert_no_leaks();
    }
    match example::peak_rss_bytes() {
        Some(rss) => println!("peak RSS: {:.1} MiB", rss as f64 / f64::from(1 << 20)),
        None => println!("peak RSS: unknown on this system"),
    }
    Ok(())
}

fn report(name: &str, got: &Summary, expected: i64, start: Instant) -> Result<(), Box<dyn Error>> {
    let secs = start.elapsed().as_secs_f64();
    let gib = got.items as f64 * 4.0 / f64::from(1 << 30);
    println!(
        "{name}: {} items in {} chunks, sum {} ({}), {:.2} GiB/s",
        got.items,
        got.chunks,
        got.sum,
        if got.sum == expected {
            "correct"
        } else {
            "WRONG"
        },
        gib / secs.max(1e-9)
    );
    if got.sum != expected {
        return Err(format!("{name}: the sum {} is not {expected}", got.sum).into());
    }
    Ok(())
}
