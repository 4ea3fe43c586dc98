//! Memory stays bounded however long the stream: 1 GiB of `i32` from a Zig producer
//! through a 1 MiB ring into a Rust `Stream` grows the peak resident set by less than
//! 16 MiB. Alone in its test binary, so no other test moves the peak.

use futures::StreamExt;
use migz_rust_stream::zig_produce_i32;

/// The peak resident set (`VmHWM`), in KiB, or `None` where /proc is missing.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn one_gib_through_a_one_mib_ring_stays_bounded() {
    const ITEMS: u64 = (1 << 30) / 4;
    let before = peak_rss_kib();
    let (mut stream, end) = migz::stream::from_zig::<i32>(1 << 20).unwrap();
    let producer = std::thread::spawn(move || zig_produce_i32(end, 0, ITEMS, 64 * 1024));
    let (sum, count) = futures::executor::block_on(async {
        let (mut sum, mut count) = (0i64, 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            sum += chunk.iter().map(|&x| i64::from(x)).sum::<i64>();
            count += chunk.len() as u64;
        }
        (sum, count)
    });
    assert_eq!(producer.join().unwrap(), 0);
    assert_eq!(count, ITEMS);
    let n = ITEMS as i64;
    assert_eq!(sum, n * (n - 1) / 2);
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let grown_mib = (after.saturating_sub(before)) as f64 / 1024.0;
        assert!(grown_mib < 16.0, "peak RSS grew by {grown_mib:.1} MiB");
    }
}
