//! Out-of-line memory as an owned value. A Mach message carries large arrays as regions of
//! memory that move from sender to receiver; MIG leaves "who deallocates, and when" to
//! convention. Here a region is an [`OolBuffer`]: it frees itself on drop, a message that
//! takes it by value moves it (no copy within one process), and one that arrives hands it
//! to the receiver by value. Typed clients and servers take and return these.
//!
//! No `unsafe` here: the region is the runtime's page-aligned allocation
//! ([`crate::sys::mem::Region`]) and element views go through `zerocopy`.

use crate::local::vm;
use crate::sys::mem::Region;
use crate::transport::Transport;
use core::marker::PhantomData;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// What an out-of-line array may hold: plain data that any bytes are a valid value of.
pub trait OolElement: FromBytes + IntoBytes + Immutable + KnownLayout + Copy {}

impl<T: FromBytes + IntoBytes + Immutable + KnownLayout + Copy> OolElement for T {}

/// An owned out-of-line array of `T`: page-aligned memory that a message can move without
/// copying. It dereferences to `[T]` and frees itself when dropped.
pub struct OolBuffer<T> {
    /// `None` when empty (Mach sends an empty region as a null address).
    region: Option<Region>,
    len: usize,
    items: PhantomData<T>,
}

impl<T> core::fmt::Debug for OolBuffer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OolBuffer")
            .field("len", &self.len)
            .field("addr", &self.region.as_ref().map(Region::addr))
            .finish()
    }
}

impl<T> Default for OolBuffer<T> {
    fn default() -> Self {
        OolBuffer {
            region: None,
            len: 0,
            items: PhantomData,
        }
    }
}

impl<T: OolElement> OolBuffer<T> {
    /// An empty buffer (sent as a null address).
    pub fn new() -> Self {
        Self::default()
    }

    /// `len` zeroed elements; `None` when the size overflows or exceeds the largest region
    /// the emulation allocates (1 GiB), or the allocator fails.
    pub fn zeroed(len: usize) -> Option<Self> {
        let bytes = len.checked_mul(size_of::<T>())?;
        if bytes > vm::REGION_SIZE_MAX {
            return None;
        }
        let region = if bytes == 0 {
            None
        } else {
            Some(Region::zeroed(bytes)?)
        };
        Some(OolBuffer {
            region,
            len,
            items: PhantomData,
        })
    }

    /// A buffer holding a copy of `items`.
    ///
    /// # Panics
    /// When the copy cannot be allocated (more than 1 GiB, or out of memory), as `Vec` does.
    pub fn from_slice(items: &[T]) -> Self {
        let mut b = Self::zeroed(items.len()).expect("out-of-line buffer too large");
        b.copy_from_slice(items);
        b
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Wraps a region that arrived in a message and is already out of the space's
    /// bookkeeping; `None` unless it holds exactly `len` elements.
    pub(crate) fn from_region(region: Option<Region>, len: usize) -> Option<Self> {
        let bytes = len.checked_mul(size_of::<T>())?;
        let fits = match &region {
            Some(r) => r.len() == bytes,
            None => bytes == 0,
        };
        fits.then_some(OolBuffer {
            region,
            len,
            items: PhantomData,
        })
    }

    /// Gives up the memory: the region (if any) and the element count.
    pub(crate) fn into_region(self) -> (Option<Region>, usize) {
        (self.region, self.len)
    }

    /// Takes the region a received message left in `task` at `addr`, of `len` elements.
    pub(crate) fn take(task: &impl Transport, addr: usize, len: usize) -> Option<Self> {
        let bytes = len.checked_mul(size_of::<T>())?;
        if bytes == 0 {
            return Some(Self::default());
        }
        let region = task.take_region(addr, bytes)?;
        Self::from_region(Some(region), len)
    }
}

impl<T: OolElement> core::ops::Deref for OolBuffer<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.region {
            // The region is page aligned and exactly `len` elements long (checked where it
            // was made), so the view cannot fail; an empty slice stands in if it ever did.
            Some(r) => <[T]>::ref_from_bytes(r.as_slice()).unwrap_or(&[]),
            None => &[],
        }
    }
}

impl<T: OolElement> core::ops::DerefMut for OolBuffer<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.region {
            Some(r) => <[T]>::mut_from_bytes(r.as_mut_slice()).unwrap_or(&mut []),
            None => &mut [],
        }
    }
}

impl<T: OolElement> From<&[T]> for OolBuffer<T> {
    fn from(items: &[T]) -> Self {
        Self::from_slice(items)
    }
}

impl<T: OolElement> From<Vec<T>> for OolBuffer<T> {
    fn from(items: Vec<T>) -> Self {
        Self::from_slice(&items)
    }
}

impl<T: OolElement + PartialEq> PartialEq<[T]> for OolBuffer<T> {
    fn eq(&self, other: &[T]) -> bool {
        **self == *other
    }
}

/// An out-of-line argument whose `.defs` says the caller decides whether sending it
/// deallocates it (MIG's `Dealloc[]`). Ownership decides here: a borrowed slice is copied
/// and stays the caller's; an owned buffer is moved into the message.
#[derive(Debug)]
pub enum Ool<'a, T> {
    /// Sent as a copy; the caller keeps its memory.
    Borrowed(&'a [T]),
    /// Moved into the message (deallocated from the sender, as `Dealloc` would).
    Owned(OolBuffer<T>),
}

impl<'a, T: OolElement> Ool<'a, T> {
    /// The buffer the message will carry: the owned one, or a copy of the borrowed slice.
    pub fn into_buffer(self) -> OolBuffer<T> {
        match self {
            Ool::Borrowed(items) => OolBuffer::from_slice(items),
            Ool::Owned(b) => b,
        }
    }

    /// Whether the caller gave its memory away.
    pub fn is_owned(&self) -> bool {
        matches!(self, Ool::Owned(_))
    }
}

impl<'a, T> From<&'a [T]> for Ool<'a, T> {
    fn from(items: &'a [T]) -> Self {
        Ool::Borrowed(items)
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for Ool<'a, T> {
    fn from(items: &'a [T; N]) -> Self {
        Ool::Borrowed(items)
    }
}

impl<'a, T> From<&'a Vec<T>> for Ool<'a, T> {
    fn from(items: &'a Vec<T>) -> Self {
        Ool::Borrowed(items)
    }
}

impl<T> From<OolBuffer<T>> for Ool<'_, T> {
    fn from(b: OolBuffer<T>) -> Self {
        Ool::Owned(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_view_their_elements_and_free_themselves() {
        let mut b = OolBuffer::from_slice(&[1i32, 2, 3]);
        assert_eq!(&*b, &[1, 2, 3]);
        b[0] = 9;
        assert_eq!(b.len(), 3);
        assert_eq!(&b[..], &[9, 2, 3]);
        let empty = OolBuffer::<u64>::new();
        assert!(empty.is_empty());
        assert_eq!(&*empty, &[] as &[u64]);
        assert!(OolBuffer::<u64>::zeroed(usize::MAX).is_none());
        let (region, len) = b.into_region();
        let back = OolBuffer::<i32>::from_region(region, len).unwrap();
        assert_eq!(&*back, &[9, 2, 3]);
        assert!(OolBuffer::<i32>::from_region(None, 1).is_none());
    }

    #[test]
    fn dealloc_choice_follows_ownership() {
        let v = vec![1u8, 2];
        let borrowed: Ool<'_, u8> = (&v).into();
        assert!(!borrowed.is_owned());
        assert_eq!(&*borrowed.into_buffer(), &[1, 2]);
        let owned: Ool<'_, u8> = OolBuffer::from_slice(&[3u8]).into();
        assert!(owned.is_owned());
    }
}
