//! The bench's only `unsafe`: safe wrappers over the C ABI it measures, the emulation's
//! `migz1_mach_msg` and the pack/unpack exports of the generated Zig (`defs/bench.defs`),
//! and the `stream` suite's Zig producers (`zig/stream.zig`).

/// `migz.ConstSlice(T)`: a pointer and an element count.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConstSlice<T> {
    /// First element, or null when empty.
    pub ptr: *const T,
    /// Number of elements.
    pub len: u32,
}

/// `MachPortAllocateIn` of the generated Zig.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocIn {
    /// The task port.
    pub task: u32,
    /// The right to allocate.
    pub right: u32,
}

/// `SumArrayIn` of the generated Zig.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SumIn {
    /// The server port.
    pub server_port: u32,
    /// The integers.
    pub data: ConstSlice<i32>,
}

/// A message buffer aligned as the generated structs need.
#[repr(C, align(8))]
#[derive(Clone, Debug)]
pub struct MsgBuf<const N: usize>(pub [u8; N]);

/// `sizeof(__Request__mach_port_allocate_t)`.
pub const ALLOC_REQUEST_SIZE: usize = 36;
/// `sizeof(__Request__sum_array_t)`.
pub const SUM_REQUEST_SIZE: usize = 4132;

unsafe extern "C" {
    fn migz1_bench_mach_port_allocate_pack_request(
        msg: *mut u8,
        input: *const AllocIn,
        reply_port: u32,
        size: *mut u32,
    ) -> i32;
    fn migz1_bench_mach_port_allocate_unpack_request(
        msg: *const u8,
        len: usize,
        input: *mut AllocIn,
    ) -> i32;
    fn migz1_bench_sum_array_pack_request(
        msg: *mut u8,
        input: *const SumIn,
        reply_port: u32,
        size: *mut u32,
    ) -> i32;
    fn migz1_bench_sum_array_unpack_request(msg: *const u8, len: usize, input: *mut SumIn) -> i32;
}

/// Packs a `mach_port_allocate` request; returns the status and the size.
pub fn pack_alloc(
    buf: &mut MsgBuf<ALLOC_REQUEST_SIZE>,
    input: &AllocIn,
    reply_port: u32,
) -> (i32, u32) {
    let mut size = 0u32;
    // SAFETY: `buf` is a whole, aligned request; the export writes only within it.
    let st = unsafe {
        migz1_bench_mach_port_allocate_pack_request(
            buf.0.as_mut_ptr(),
            input,
            reply_port,
            &mut size,
        )
    };
    (st, size)
}

/// Checks and unpacks a `mach_port_allocate` request of `len` bytes.
pub fn unpack_alloc(buf: &MsgBuf<ALLOC_REQUEST_SIZE>, len: usize, out: &mut AllocIn) -> i32 {
    assert!(len <= ALLOC_REQUEST_SIZE);
    // SAFETY: the export reads at most `len` bytes of `buf`, which holds them.
    unsafe { migz1_bench_mach_port_allocate_unpack_request(buf.0.as_ptr(), len, out) }
}

/// Packs a `sum_array` request; returns the status and the size.
pub fn pack_sum(
    buf: &mut MsgBuf<SUM_REQUEST_SIZE>,
    data: &[i32],
    server_port: u32,
    reply_port: u32,
) -> (i32, u32) {
    let input = SumIn {
        server_port,
        data: ConstSlice {
            ptr: if data.is_empty() {
                std::ptr::null()
            } else {
                data.as_ptr()
            },
            len: u32::try_from(data.len()).expect("fewer than 2^32 elements"),
        },
    };
    let mut size = 0u32;
    // SAFETY: `buf` is a whole, aligned request and `input.data` describes `data`, which
    // outlives the call; the export refuses more elements than the request holds.
    let st = unsafe {
        migz1_bench_sum_array_pack_request(buf.0.as_mut_ptr(), &input, reply_port, &mut size)
    };
    (st, size)
}

/// Checks and unpacks a `sum_array` request of `len` bytes; returns the status and the
/// integers as a slice of `buf`.
pub fn unpack_sum(buf: &MsgBuf<SUM_REQUEST_SIZE>, len: usize) -> (i32, &[i32]) {
    assert!(len <= SUM_REQUEST_SIZE);
    let mut out = SumIn {
        server_port: 0,
        data: ConstSlice {
            ptr: std::ptr::null(),
            len: 0,
        },
    };
    // SAFETY: the export reads at most `len` bytes of `buf`, which holds them.
    let st = unsafe { migz1_bench_sum_array_unpack_request(buf.0.as_ptr(), len, &mut out) };
    if st != 0 || out.data.len == 0 {
        return (st, &[]);
    }
    let start = buf.0.as_ptr() as usize;
    let at = out.data.ptr as usize;
    let bytes = out.data.len as usize * 4;
    assert!(
        at >= start && at + bytes <= start + len && at.is_multiple_of(4),
        "the slice lies in the message"
    );
    // SAFETY: checked just above: the elements lie inside `buf`, aligned, and `buf` is
    // borrowed for the slice's lifetime.
    (st, unsafe {
        std::slice::from_raw_parts(out.data.ptr, out.data.len as usize)
    })
}

/// `migz1_task_create`: a new isolated space.
pub fn task_create() -> u32 {
    let mut task = 0u32;
    // SAFETY: `task` is a valid place to write.
    let kr = unsafe { migz_ffi::migz1_task_create(&mut task) };
    assert_eq!(kr, 0, "migz1_task_create");
    task
}

/// `migz1_mach_msg` on a buffer that holds both the message to send and room to receive.
pub fn mach_msg(buf: &mut [u8], option: i32, send_size: u32, rcv_size: u32, rcv_name: u32) -> i32 {
    assert!(
        buf.len() >= send_size.max(rcv_size) as usize,
        "the buffer holds the message"
    );
    // SAFETY: `buf` holds at least `send_size` and `rcv_size` bytes, checked above.
    unsafe {
        migz_ffi::migz1_mach_msg(
            buf.as_mut_ptr(),
            option,
            send_size,
            rcv_size,
            rcv_name,
            0,
            0,
        )
    }
}

#[repr(C)]
struct Stepper {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn migz_bench_fill_i32(out: *mut i32, len: usize, first: u64);
    fn migz_bench_produce_i32(ring: *mut migz::ffi::RawRing, count: u64, commit_bytes: u32) -> i32;
    fn migz_bench_stepper_new(ring: *mut migz::ffi::RawRing) -> *mut Stepper;
    fn migz_bench_stepper_push(s: *mut Stepper, item: i64) -> i32;
    fn migz_bench_stepper_finish(s: *mut Stepper);
}

/// Fills `out` with the generated values from index `first` (the Zig generator).
pub fn fill_i32(out: &mut [i32], first: u64) {
    // SAFETY: `out` is valid for writes of its length.
    unsafe { migz_bench_fill_i32(out.as_mut_ptr(), out.len(), first) }
}

/// The Zig producer: generates `count` values into the ring in place, then closes.
pub fn zig_produce_i32(end: migz::stream::ProducerEnd, count: u64, commit_bytes: u32) -> i32 {
    // SAFETY: the pointer carries the producer's reference, which the Zig takes over.
    unsafe { migz_bench_produce_i32(end.into_raw(), count, commit_bytes) }
}

/// A Zig producer that Rust steps one item at a time.
#[derive(Debug)]
pub struct ZigStepper(*mut Stepper);

// SAFETY: the Zig producer is plain data that may move between threads.
unsafe impl Send for ZigStepper {}

impl ZigStepper {
    /// A Zig producer on `end`.
    pub fn new(end: migz::stream::ProducerEnd) -> Self {
        // SAFETY: as for `zig_produce_i32`.
        let s = unsafe { migz_bench_stepper_new(end.into_raw()) };
        assert!(!s.is_null(), "the Zig allocator failed");
        ZigStepper(s)
    }

    /// Pushes one item (blocking while full); false when the consumer left.
    pub fn push(&mut self, item: i64) -> bool {
        // SAFETY: the stepper is live until `drop`.
        unsafe { migz_bench_stepper_push(self.0, item) == 0 }
    }
}

impl Drop for ZigStepper {
    fn drop(&mut self) {
        // SAFETY: the stepper is live and not used again.
        unsafe { migz_bench_stepper_finish(self.0) }
    }
}
