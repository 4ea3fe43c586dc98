//! The emulation's view of the address space: the out-of-line regions that belong to
//! some space (allocated with `vm_allocate` or received in a message). Only these can be
//! moved into a message without copying, and only these can be freed with
//! `vm_deallocate`, so a stray address is an error code rather than a wild free.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::sys::mem::Region;

/// The largest region the emulation allocates (1 GiB).
pub const REGION_SIZE_MAX: usize = 1 << 30;

#[derive(Debug)]
struct Owned {
    region: Region,
    space: u64,
}

static REGIONS: Mutex<Option<HashMap<usize, Owned>>> = Mutex::new(None);

fn regions() -> MutexGuard<'static, Option<HashMap<usize, Owned>>> {
    REGIONS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a region as owned by `space` and returns its address.
pub fn insert(region: Region, space: u64) -> usize {
    let addr = region.addr();
    regions()
        .get_or_insert_with(HashMap::new)
        .insert(addr, Owned { region, space });
    addr
}

/// Takes the region starting at `addr` out of `space` when it is exactly `size` bytes.
pub fn take_exact(addr: usize, size: usize, space: u64) -> Option<Region> {
    let mut g = regions();
    let map = g.as_mut()?;
    match map.get(&addr) {
        Some(o) if o.space == space && o.region.len() == size => {}
        _ => return None,
    }
    map.remove(&addr).map(|o| o.region)
}

/// Copies `size` bytes starting at `addr` when they lie inside a region of `space`.
pub fn copy_out_of(addr: usize, size: usize, space: u64) -> Option<Vec<u8>> {
    let g = regions();
    let map = g.as_ref()?;
    // Regions are found by their start; an interior address is looked up by scanning,
    // which only happens for partial sends and stays bounded by the region count.
    let (start, o) = map.iter().find(|(start, o)| {
        o.space == space && addr >= **start && addr - **start < o.region.len()
    })?;
    let off = addr - start;
    let end = off.checked_add(size)?;
    o.region.as_slice().get(off..end).map(|s| s.to_vec())
}

/// Whether `[addr, addr + size)` lies inside a region of `space`.
pub fn contains(addr: usize, size: usize, space: u64) -> bool {
    let g = regions();
    let Some(map) = g.as_ref() else { return false };
    map.iter().any(|(start, o)| {
        o.space == space
            && addr >= *start
            && addr - start <= o.region.len()
            && o.region.len() - (addr - start) >= size
    })
}

/// Frees the region starting at `addr` if `space` owns it and `size` fits it.
pub fn deallocate(addr: usize, size: usize, space: u64) -> bool {
    let mut g = regions();
    let Some(map) = g.as_mut() else { return false };
    match map.get(&addr) {
        Some(o) if o.space == space && size <= o.region.len() => {}
        _ => return false,
    }
    let freed = map.remove(&addr);
    drop(g);
    drop(freed);
    true
}

/// Runs `f` on the bytes of a region owned by `space`, if there is one at `addr`.
pub fn with_region<R>(addr: usize, space: u64, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
    let mut g = regions();
    let o = g.as_mut()?.get_mut(&addr)?;
    if o.space != space {
        return None;
    }
    Some(f(o.region.as_mut_slice()))
}

/// The regions `space` owns, as `(address, size)`.
pub fn owned_by(space: u64) -> Vec<(usize, usize)> {
    let g = regions();
    let Some(map) = g.as_ref() else {
        return Vec::new();
    };
    let mut v: Vec<_> = map
        .iter()
        .filter(|(_, o)| o.space == space)
        .map(|(a, o)| (*a, o.region.len()))
        .collect();
    v.sort();
    v
}

/// Frees every region of a space that is going away.
pub fn release_space(space: u64) {
    let freed: Vec<Owned> = {
        let mut g = regions();
        let Some(map) = g.as_mut() else { return };
        let keys: Vec<usize> = map
            .iter()
            .filter(|(_, o)| o.space == space)
            .map(|(a, _)| *a)
            .collect();
        keys.into_iter().filter_map(|k| map.remove(&k)).collect()
    };
    drop(freed);
}
