//! The `pack` suite: the generated Zig pack and unpack exports (the hot loop the design
//! gives to Zig), called through the C ABI, against plain Rust doing the same work.
//!
//! - `pack_small_vs_handwritten_rust`: pack and validate-unpack a `mach_port_allocate`
//!   request (36 bytes), against a hand-written Rust version of the same steps.
//! - `pack_4k_vs_memcpy`: pack and validate-unpack a `sum_array` request with 1024
//!   integers, against a `memcpy` of the same 4 KiB. Both copy between the same offsets of
//!   their pages (the message's integers at byte 36): a copy whose destination lies a
//!   little above its source modulo 4096 bytes stalls on false store-to-load dependencies
//!   ("4K aliasing"), so with buffers wherever the allocator put them the figure measured
//!   the heap's layout (it read 0.56, 1.14 or 4.3 from one build to the next).

use crate::ffi::{self, ALLOC_REQUEST_SIZE, AllocIn, MsgBuf, SUM_REQUEST_SIZE};
use crate::report::{self, Goal};
use std::hint::black_box;
use std::time::Instant;

const REQUEST_ID: i32 = 3200;
const COPY_SEND: u32 = 19;
const MAKE_SEND_ONCE: u32 = 21;
/// xnu's `NDR_record` on a little-endian machine.
const NDR: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];

/// The hand-written reference: the same bytes as the generated code, the same checks.
fn rust_pack(buf: &mut [u8; ALLOC_REQUEST_SIZE], input: &AllocIn, reply_port: u32) -> u32 {
    let words = [
        COPY_SEND | (MAKE_SEND_ONCE << 8),
        ALLOC_REQUEST_SIZE as u32,
        input.task,
        reply_port,
        0,
        REQUEST_ID as u32,
    ];
    for (i, w) in words.iter().enumerate() {
        buf[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    buf[24..32].copy_from_slice(&NDR);
    buf[32..36].copy_from_slice(&input.right.to_le_bytes());
    ALLOC_REQUEST_SIZE as u32
}

fn rust_unpack(buf: &[u8; ALLOC_REQUEST_SIZE], len: usize, out: &mut AllocIn) -> i32 {
    let word = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
    if len < 24 || word(4) as usize > len {
        return -304;
    }
    if word(20) as i32 != REQUEST_ID {
        return -303;
    }
    if word(0) & 0x8000_0000 != 0 || word(4) as usize != ALLOC_REQUEST_SIZE {
        return -304;
    }
    out.task = word(12);
    out.right = word(32);
    0
}

/// How many elements of `size` bytes past `base` the first one lies at byte `offset` of its
/// page (the buffer must have a page of elements to spare).
fn same_page_offset(base: usize, offset: usize, size: usize) -> usize {
    (offset + 4096 - base % 4096) % 4096 / size
}

fn time(iters: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// Runs the suite.
pub fn run(quick: bool) {
    let (rounds, iters) = if quick { (5, 20_000) } else { (21, 200_000) };

    // The two must agree byte for byte before their speed means anything.
    let input = AllocIn {
        task: 0x103,
        right: 1,
    };
    let mut zbuf = MsgBuf([0u8; ALLOC_REQUEST_SIZE]);
    let mut rbuf = [0u8; ALLOC_REQUEST_SIZE];
    let (st, size) = ffi::pack_alloc(&mut zbuf, &input, 0x207);
    assert_eq!((st, size), (0, ALLOC_REQUEST_SIZE as u32));
    rust_pack(&mut rbuf, &input, 0x207);
    assert_eq!(zbuf.0, rbuf, "the Zig and Rust packers differ");
    let mut out = AllocIn::default();
    assert_eq!(ffi::unpack_alloc(&zbuf, size as usize, &mut out), 0);
    assert_eq!(
        out,
        AllocIn {
            task: 0x207,
            right: 1
        },
        "the server sees its own port as the task"
    );

    let zig_small = || {
        let (st, size) = ffi::pack_alloc(&mut zbuf, black_box(&input), 0x207);
        let mut out = AllocIn::default();
        let rc = ffi::unpack_alloc(&zbuf, size as usize, &mut out);
        // Fields one by one, as a caller reads them (a whole-struct load right after two
        // 4-byte stores would measure a store-forwarding stall, not the code).
        black_box((st, rc, out.task, out.right));
    };
    let mut zig_small = zig_small;
    let mut rust_small = || {
        let size = rust_pack(&mut rbuf, black_box(&input), 0x207);
        let mut out = AllocIn::default();
        // The unpack must read what the pack wrote, not what the compiler knows it wrote:
        // the Zig side cannot see through its calls either.
        let rc = rust_unpack(black_box(&rbuf), black_box(size) as usize, &mut out);
        black_box((rc, out.task, out.right));
    };
    let (mut zs, mut rs) = (Vec::new(), Vec::new());
    time(iters, &mut zig_small);
    time(iters, &mut rust_small);
    for _ in 0..rounds {
        zs.push(time(iters, &mut zig_small));
        rs.push(time(iters, &mut rust_small));
    }
    let (z, r) = (report::median(&mut zs), report::median(&mut rs));
    eprintln!("pack_small: zig {z:.1} ns, hand-written rust {r:.1} ns");
    report::ratio("pack_small_vs_handwritten_rust", z / r, Goal::AtMost(1.0));
    if std::env::var_os("MIGZ_BENCH_DETAIL").is_some() {
        let (st, size) = ffi::pack_alloc(&mut zbuf, &input, 0x207);
        black_box(st);
        let p = time(iters, || {
            black_box(ffi::pack_alloc(&mut zbuf, black_box(&input), 0x207));
        });
        let u = time(iters, || {
            let mut out = AllocIn::default();
            black_box(ffi::unpack_alloc(black_box(&zbuf), size as usize, &mut out));
            black_box((out.task, out.right));
        });
        eprintln!("detail: zig pack alone {p:.1} ns, unpack alone {u:.1} ns");
    }

    // 4 KiB of integers through pack and unpack, against copying the same bytes.
    let mut sbuf = Box::new(MsgBuf([0u8; SUM_REQUEST_SIZE]));
    // The integers go to byte 36 of the message: put them at that offset of their page.
    let body = (sbuf.0.as_ptr() as usize + 36) % 4096;
    let mut ints = vec![0i32; 1024 + 1024];
    let skip = same_page_offset(ints.as_ptr() as usize, body, 4);
    let data = &mut ints[skip..skip + 1024];
    for (i, x) in data.iter_mut().enumerate() {
        *x = i as i32;
    }
    let data = &*data;
    let (st, size) = ffi::pack_sum(&mut sbuf, data, 0x103, 0x207);
    assert_eq!((st, size), (0, SUM_REQUEST_SIZE as u32));
    let (st, got) = ffi::unpack_sum(&sbuf, size as usize);
    assert_eq!(st, 0);
    assert_eq!(got, data);
    // The reference copies between the same page offsets as the message's integers.
    let mut from = vec![0u8; 4096 + 4096];
    let skip = same_page_offset(from.as_ptr() as usize, body, 1);
    let src = &mut from[skip..skip + 4096];
    for (bytes, x) in src.chunks_exact_mut(4).zip(data) {
        bytes.copy_from_slice(&x.to_le_bytes());
    }
    let src = &*src;
    let mut to = vec![0u8; 4096 + 4096];
    let skip = same_page_offset(to.as_ptr() as usize, body, 1);
    let dst = &mut to[skip..skip + 4096];
    let mut zig_4k = || {
        let (st, size) = ffi::pack_sum(&mut sbuf, black_box(data), 0x103, 0x207);
        let (rc, got) = ffi::unpack_sum(&sbuf, size as usize);
        black_box((st, rc, got.len()));
    };
    let mut memcpy_4k = || {
        dst.copy_from_slice(black_box(src));
        black_box(&dst);
    };
    let (mut zs, mut ms) = (Vec::new(), Vec::new());
    let iters = iters / 4;
    time(iters, &mut zig_4k);
    time(iters, &mut memcpy_4k);
    for _ in 0..rounds {
        zs.push(time(iters, &mut zig_4k));
        ms.push(time(iters, &mut memcpy_4k));
    }
    let (z, m) = (report::median(&mut zs), report::median(&mut ms));
    eprintln!("pack_4k: zig {z:.1} ns, memcpy {m:.1} ns (same page offsets)");
    report::ratio("pack_4k_vs_memcpy", z / m, Goal::AtMost(1.3));
}
