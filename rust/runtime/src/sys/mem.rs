//! Out-of-line memory regions: page-aligned heap allocations whose address is a real
//! process address that can travel inside an OOL descriptor and be handed from sender to
//! receiver without copying.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ptr::NonNull;

/// The alignment of every region, like the pages `vm_allocate` returns.
pub const REGION_ALIGN: usize = 4096;

/// An owned, page-aligned, zero-initialised allocation of `len > 0` bytes.
#[derive(Debug)]
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a Region owns its allocation exclusively, like a Box<[u8]>, so moving it to
// another thread or sharing `&Region` (which only gives `&[u8]`) is as safe as for a Box.
unsafe impl Send for Region {}
// SAFETY: see the Send impl; `&Region` only hands out shared byte slices.
unsafe impl Sync for Region {}

impl Region {
    /// Allocates `len` zeroed bytes; `None` for `len == 0` or when the allocator fails.
    pub fn zeroed(len: usize) -> Option<Region> {
        if len == 0 {
            return None;
        }
        let layout = Layout::from_size_align(len, REGION_ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size, checked just above.
        let ptr = unsafe { alloc_zeroed(layout) };
        NonNull::new(ptr).map(|ptr| Region { ptr, len })
    }

    /// Allocates a region holding a copy of `bytes` (`None` when `bytes` is empty).
    pub fn copy_of(bytes: &[u8]) -> Option<Region> {
        let mut r = Region::zeroed(bytes.len())?;
        r.as_mut_slice().copy_from_slice(bytes);
        Some(r)
    }

    /// Copies `len` bytes from an address the caller vouches for.
    ///
    /// # Safety
    /// `[addr, addr + len)` must be readable memory for the duration of the call.
    pub unsafe fn copy_from_raw(addr: usize, len: usize) -> Option<Region> {
        let r = Region::zeroed(len)?;
        // SAFETY: the caller guarantees the source range is readable; the destination is
        // our fresh allocation of exactly `len` bytes, and the two cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(addr as *const u8, r.ptr.as_ptr(), len);
        }
        Some(r)
    }

    /// The region's address as it appears in a descriptor.
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// The region's size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: regions are never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` initialised bytes that this Region owns.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as for `as_slice`, and `&mut self` makes the borrow exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        let layout = Layout::from_size_align(self.len, REGION_ALIGN)
            .expect("the layout was valid when the region was allocated");
        // SAFETY: `ptr` came from `alloc_zeroed` with this very layout and is freed once,
        // here, because Region is not Clone.
        unsafe { dealloc(self.ptr.as_ptr(), layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_page_aligned_and_zeroed() {
        let r = Region::zeroed(10_000).unwrap();
        assert_eq!(r.addr() % REGION_ALIGN, 0);
        assert!(r.as_slice().iter().all(|&b| b == 0));
        assert!(Region::zeroed(0).is_none());
        let c = Region::copy_of(b"abc").unwrap();
        assert_eq!(c.as_slice(), b"abc");
    }

    #[test]
    fn checked_copies_answer_bad_addresses() {
        static READ_ONLY: [u8; 4] = [1, 2, 3, 4];
        let mut dst = [0u8; 4];
        let mut target = [0u8; 4];
        let here = target.as_mut_ptr() as usize;
        // SAFETY: the mapped ranges are a static nothing writes and a local array no
        // reference points at during the calls; the others are unmapped or read-only.
        unsafe {
            assert!(read_checked(READ_ONLY.as_ptr() as usize, &mut dst));
            assert!(!read_checked(0x10, &mut dst));
            assert!(!read_checked(usize::MAX - 1, &mut dst));
            assert!(!write_checked(READ_ONLY.as_ptr() as usize, &[9; 4]));
            assert!(write_checked(here, &[5, 6, 7, 8]));
            assert!(!write_checked(0x10, &[1]));
        }
        assert_eq!(dst, [1, 2, 3, 4]);
        assert_eq!(READ_ONLY, [1, 2, 3, 4]);
        assert_eq!(std::hint::black_box(target), [5, 6, 7, 8]);
        // SAFETY: the only mapped range given is the static, which nothing writes.
        let f = unsafe { ForeignMemory::new() };
        assert!(f.copy_region(0x10, 4096).is_none());
        assert!(f.read(0x10, 4).is_none());
        assert_eq!(
            f.read(READ_ONLY.as_ptr() as usize, 4).unwrap(),
            [1, 2, 3, 4]
        );
    }
}

/// Reads caller-supplied addresses found inside messages (out-of-line descriptors that
/// point at memory the emulation did not allocate, as C callers of `mach_msg` write them)
/// with every fault answered instead of taken: a range that is not wholly mapped and
/// readable reads as `None`, as xnu's copyin answers `MACH_SEND_INVALID_MEMORY`. Only the
/// C ABI makes one, since only C's `mach_msg` contract lets a caller name memory by
/// address.
#[derive(Debug)]
pub struct ForeignMemory {
    _private: (),
}

impl ForeignMemory {
    /// Creates the reader.
    ///
    /// # Safety
    /// For as long as it lives, every range handed to its methods that is mapped must be
    /// memory the caller may let the kernel read (nothing writes it meanwhile), as
    /// `mach_msg` requires of out-of-line descriptors. Unmapped or unreadable ranges need
    /// no promise: they are answered with `None`.
    ///
    /// Safe code cannot let the emulation read memory a message names by address:
    ///
    /// ```compile_fail
    /// let foreign = migz::sys::mem::ForeignMemory::new();
    /// ```
    pub unsafe fn new() -> ForeignMemory {
        ForeignMemory { _private: () }
    }

    /// Copies a foreign range into a new region (`None` for size 0, a null address, or a
    /// range that is not readable).
    pub fn copy_region(&self, addr: usize, len: usize) -> Option<Region> {
        if addr == 0 || len == 0 {
            return None;
        }
        let mut r = Region::zeroed(len)?;
        // SAFETY: the reader's creator vouched for every mapped range given to it.
        unsafe { read_checked(addr, r.as_mut_slice()) }.then_some(r)
    }

    /// Copies a foreign range into a vector (empty for size 0; `None` for a null address
    /// or a range that is not readable).
    pub fn read(&self, addr: usize, len: usize) -> Option<Vec<u8>> {
        if len == 0 {
            return Some(Vec::new());
        }
        if addr == 0 {
            return None;
        }
        let mut v = vec![0u8; len];
        // SAFETY: as for `copy_region`.
        unsafe { read_checked(addr, &mut v) }.then_some(v)
    }
}

/// Copies `dst.len()` bytes of this process's memory at `addr` into `dst`; `false` (with
/// `dst` in any state) when any of the range is not mapped readable. The copy goes
/// through the kernel (a memory file's `pwrite` on Linux, a pipe's `write` and `read` on
/// other Unix systems, `mach_vm_read_overwrite` on Apple systems), so a bad address is an
/// error code, not a fault.
///
/// # Safety
/// If the range is mapped, it must be memory the caller may read: nothing writes it
/// during the call. (An unmapped or unreadable range needs no promise.)
///
/// ```compile_fail
/// let mut out = [0u8; 4];
/// migz::sys::mem::read_checked(0x1000, &mut out);
/// ```
pub unsafe fn read_checked(addr: usize, dst: &mut [u8]) -> bool {
    if dst.is_empty() {
        return true;
    }
    if addr.checked_add(dst.len()).is_none() {
        return false;
    }
    // SAFETY: passed on from the caller.
    unsafe { os_read(addr, dst) }
}

/// Copies `src` into this process's memory at `addr`; `false` when any of the range is
/// not mapped writable (some bytes may have been written). As [`read_checked`], through
/// the kernel, so a bad address is an error code, not a fault.
///
/// # Safety
/// If the range is mapped writable, it must be memory the caller may write: no Rust
/// reference to it is live and nothing else reads or writes it during the call.
///
/// Writing memory named by a bare address is no safe call, however it is checked:
///
/// ```compile_fail
/// let bytes = [0u8; 4];
/// migz::sys::mem::write_checked(bytes.as_ptr() as usize, &[1, 2, 3, 4]);
/// ```
pub unsafe fn write_checked(addr: usize, src: &[u8]) -> bool {
    if src.is_empty() {
        return true;
    }
    if addr.checked_add(src.len()).is_none() {
        return false;
    }
    // SAFETY: passed on from the caller.
    unsafe { os_write(addr, src) }
}

/// [`read_checked`] without the range checks.
///
/// # Safety
/// As for [`read_checked`].
#[cfg(all(unix, not(target_vendor = "apple")))]
unsafe fn os_read(addr: usize, dst: &mut [u8]) -> bool {
    // One system call through the thread's memory file where there is one.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: passed on from the caller.
    if let Some(ok) = unsafe { super::memfd_copy::read(addr, dst) } {
        return ok;
    }
    // SAFETY: `dst` is ours to write; the caller vouched for a mapped source.
    unsafe { pipe_copy::copy(addr, dst.as_mut_ptr() as usize, dst.len()) }
}

/// [`write_checked`] without the range checks.
///
/// # Safety
/// As for [`write_checked`].
#[cfg(all(unix, not(target_vendor = "apple")))]
unsafe fn os_write(addr: usize, src: &[u8]) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: passed on from the caller.
    if let Some(ok) = unsafe { super::memfd_copy::write(addr, src) } {
        return ok;
    }
    // SAFETY: `src` is ours to read; the caller vouched for a mapped destination.
    unsafe { pipe_copy::copy(src.as_ptr() as usize, addr, src.len()) }
}

/// Copies through a pipe of the thread's own (where no memory file is available, see
/// `memfd_copy`): `write` from the source and `read` into the
/// destination are the kernel's `copy_from_user` and `copy_to_user`, which answer a bad
/// page with `EFAULT`. (`process_vm_readv`/`writev` answer the same, but pin every page
/// and were measured at 2.7 µs a call here, against 0.3 µs for a plain system call, and
/// slowed a round trip between threads on two CPUs a hundredfold.) The pipe is left empty
/// after every copy, failed or not.
#[cfg(all(unix, not(target_vendor = "apple")))]
mod pipe_copy {
    use std::cell::RefCell;

    /// The two ends and how much one chunk may be (what the pipe holds without blocking).
    #[derive(Debug)]
    struct Pipe {
        read: libc::c_int,
        write: libc::c_int,
        chunk: usize,
    }

    impl Drop for Pipe {
        fn drop(&mut self) {
            // SAFETY: both descriptors are this pipe's own, closed once, here.
            unsafe {
                libc::close(self.read);
                libc::close(self.write);
            }
        }
    }

    impl Pipe {
        fn open() -> Option<Pipe> {
            let mut fds = [0 as libc::c_int; 2];
            // SAFETY: `fds` has room for the two descriptors `pipe` writes.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return None;
            }
            // Non-blocking, so a copy that did not fit could never hang the thread (it
            // shows as a short count instead).
            for fd in fds {
                // SAFETY: a descriptor just made, flagged close-on-exec and non-blocking.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                    libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
                }
            }
            // A pipe holds at least one page; a bigger one, where the system grants it,
            // means fewer calls for large copies.
            #[cfg(any(target_os = "linux", target_os = "android"))]
            // SAFETY: plain `fcntl` calls on our own descriptor.
            let chunk = unsafe {
                libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 1 << 20);
                libc::fcntl(fds[1], libc::F_GETPIPE_SZ)
            };
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let chunk = 4096;
            Some(Pipe {
                read: fds[0],
                write: fds[1],
                chunk: usize::try_from(chunk).unwrap_or(0).max(4096),
            })
        }

        /// Reads and discards `left` bytes still in the pipe; false if it cannot.
        fn drain(&self, mut left: usize) -> bool {
            let mut scratch = [0u8; 4096];
            while left > 0 {
                let want = left.min(scratch.len());
                // SAFETY: `scratch` holds `want` bytes for the kernel to write.
                let n = unsafe { libc::read(self.read, scratch.as_mut_ptr().cast(), want) };
                match usize::try_from(n) {
                    Ok(n) if n > 0 => left -= n,
                    _ => return false,
                }
            }
            true
        }

        /// One chunk from `src` to `dst`: `Some(true)` when all `len` bytes went,
        /// `Some(false)` on a fault (the pipe emptied again), `None` when the pipe could
        /// not be emptied.
        fn chunk(&self, src: usize, dst: usize, len: usize) -> Option<bool> {
            // SAFETY: the kernel reads the source with its fault checks (a bad page is
            // EFAULT or a short count); the caller vouched for a mapped source.
            let n = unsafe { libc::write(self.write, src as *const libc::c_void, len) };
            let wrote = usize::try_from(n).unwrap_or(0);
            if wrote != len {
                return self.drain(wrote).then_some(false);
            }
            // SAFETY: as above, for the destination the kernel writes.
            let m = unsafe { libc::read(self.read, dst as *mut libc::c_void, len) };
            let read = usize::try_from(m).unwrap_or(0);
            if read != len {
                return self.drain(len - read).then_some(false);
            }
            Some(true)
        }
    }

    thread_local! {
        static PIPE: RefCell<Option<Pipe>> = const { RefCell::new(None) };
    }

    /// Copies `len` bytes from `src` to `dst` through the thread's pipe.
    ///
    /// # Safety
    /// As for `read_checked` and `write_checked`: mapped ranges are the caller's to read
    /// (`src`) and write (`dst`).
    pub unsafe fn copy(src: usize, dst: usize, len: usize) -> bool {
        PIPE.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = Pipe::open();
            }
            let Some(pipe) = slot.as_ref() else {
                return false;
            };
            let mut done = 0;
            while done < len {
                let n = (len - done).min(pipe.chunk);
                match pipe.chunk(src + done, dst + done, n) {
                    Some(true) => done += n,
                    Some(false) => return false,
                    // A pipe that could not be emptied is replaced before the next copy.
                    None => {
                        *slot = None;
                        return false;
                    }
                }
            }
            true
        })
    }
}

/// [`read_checked`] without the range checks.
///
/// # Safety
/// As for [`read_checked`].
#[cfg(target_vendor = "apple")]
unsafe fn os_read(addr: usize, dst: &mut [u8]) -> bool {
    let mut out: u64 = 0;
    // SAFETY: the kernel writes at most `dst.len()` bytes into `dst`, ours to write, and
    // reads the source range on our behalf, answering an unmapped one with an error code;
    // the caller vouched that a mapped source is ours to read.
    let r = unsafe {
        mach2::vm::mach_vm_read_overwrite(
            mach2::traps::mach_task_self(),
            addr as u64,
            dst.len() as u64,
            dst.as_mut_ptr() as u64,
            &mut out,
        )
    };
    r == 0 && out == dst.len() as u64
}

/// [`write_checked`] without the range checks.
///
/// # Safety
/// As for [`write_checked`].
#[cfg(target_vendor = "apple")]
unsafe fn os_write(addr: usize, src: &[u8]) -> bool {
    src.chunks(1 << 30).enumerate().all(|(i, chunk)| {
        // SAFETY: the kernel reads `chunk` (borrowed) and writes the destination range on
        // our behalf, checking its protection and answering a bad range with an error; the
        // caller vouched that a mapped destination is ours to write.
        let r = unsafe {
            mach2::vm::mach_vm_write(
                mach2::traps::mach_task_self(),
                (addr + i * (1 << 30)) as u64,
                chunk.as_ptr() as usize,
                chunk.len() as u32,
            )
        };
        r == 0
    })
}

/// Elsewhere there is no checked copy here yet, so every foreign range is refused.
///
/// # Safety
/// None needed: nothing is read.
#[cfg(not(unix))]
unsafe fn os_read(_addr: usize, _dst: &mut [u8]) -> bool {
    false
}

/// As `os_read` here: every range is refused.
///
/// # Safety
/// None needed: nothing is written.
#[cfg(not(unix))]
unsafe fn os_write(_addr: usize, _src: &[u8]) -> bool {
    false
}
