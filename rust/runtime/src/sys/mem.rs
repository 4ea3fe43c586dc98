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

/// Reads `len` bytes at an address the caller vouches for into a vector.
///
/// # Safety
/// `[addr, addr + len)` must be readable memory for the duration of the call.
pub unsafe fn read_raw(addr: usize, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    if len > 0 {
        // SAFETY: the caller guarantees the source is readable; `v` has `len` bytes.
        unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, v.as_mut_ptr(), len) };
    }
    v
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
}

/// Permission to read caller-supplied addresses found inside messages (OOL descriptors
/// that point at memory the emulation did not allocate). Only the C ABI creates one,
/// because C's `mach_msg` contract already makes the caller vouch for those addresses.
#[derive(Debug)]
pub struct ForeignMemory {
    _private: (),
}

impl ForeignMemory {
    /// Creates the token.
    ///
    /// # Safety
    /// For as long as the token lives, every non-null `(address, size)` pair handed to its
    /// methods must be readable memory, as `mach_msg` requires of out-of-line descriptors.
    pub unsafe fn assume_readable() -> ForeignMemory {
        ForeignMemory { _private: () }
    }

    /// Copies a foreign range into a new region (`None` for size 0 or a null address).
    pub fn copy_region(&self, addr: usize, len: usize) -> Option<Region> {
        if addr == 0 || len == 0 {
            return None;
        }
        // SAFETY: the token's creator promised every range given to it is readable.
        unsafe { Region::copy_from_raw(addr, len) }
    }

    /// Copies a foreign range into a vector (empty for size 0; `None` for a null address).
    pub fn read(&self, addr: usize, len: usize) -> Option<Vec<u8>> {
        if len == 0 {
            return Some(Vec::new());
        }
        if addr == 0 {
            return None;
        }
        // SAFETY: as for `copy_region`.
        Some(unsafe { read_raw(addr, len) })
    }
}
