//! What typed clients and servers do with the values a message carries by reference:
//! out-of-line regions handed to a packed message (and taken back if it is not sent),
//! regions and rights taken out of a received one, port arrays turned into typed rights
//! and back, and count checks. No `unsafe` here.

use super::{CallError, CodecError, ConstSlice, OolSlice, Refusal};
use crate::abi::*;
use crate::local::Space;
use crate::ool::{OolBuffer, OolElement};
use crate::rights::{AnyRight, PolyRight, ReceiveRight, SendOnceRight, SendRight};
use crate::sys::mem::Region;
use crate::transport::Transport;

pub use crate::abi::{MIG_ARRAY_TOO_LARGE, MIG_TYPE_ERROR};

/// The out-of-line regions a packed message was handed. Until [`Given::keep`] or a
/// successful [`Given::settle`], regions the transport took to move with the message are
/// still the sender's: dropping this takes them back and frees them, so a request that is
/// never sent leaks nothing. Regions the transport sends as copies stay here until the
/// send is over and are then freed.
#[derive(Debug)]
pub struct Given<'s, T: Transport = Space> {
    task: &'s T,
    moved: Vec<(usize, usize)>,
    copied: Vec<Region>,
}

impl<'s, T: Transport> Given<'s, T> {
    /// Nothing handed over yet.
    pub fn new(task: &'s T) -> Self {
        Given {
            task,
            moved: Vec::new(),
            copied: Vec::new(),
        }
    }

    /// Hands `buffer` to the message in `msg`, whose out-of-line descriptor (memory or
    /// ports) at `offset` the pack export pointed at the buffer's memory. When the
    /// transport takes the region the descriptor is marked to deallocate, so sending moves
    /// it to the receiver without a copy (the buffer was the sender's to give: taken by
    /// value, or a private copy of a borrowed slice); otherwise the message carries a copy.
    pub fn ool<E: OolElement>(
        &mut self,
        msg: &mut [u8],
        offset: usize,
        buffer: OolBuffer<E>,
    ) -> Result<(), CodecError> {
        let bad = CodecError {
            code: MIG_TYPE_ERROR,
        };
        let addr = read_u64(msg, offset).ok_or(bad)? as usize;
        let word = read_u32(msg, offset + 8).ok_or(bad)?;
        let (region, _) = buffer.into_region();
        match region {
            // An empty array: whatever pointer its empty slice had, the wire says null.
            None => {
                msg.get_mut(offset..offset + 8)
                    .ok_or(bad)?
                    .copy_from_slice(&0u64.to_ne_bytes());
                Ok(())
            }
            Some(r) if r.addr() == addr => {
                let size = r.len();
                // The low byte of the descriptor's second word is `deallocate`.
                match self.task.give_region(r) {
                    Ok(carried) => {
                        msg.get_mut(offset..offset + 8)
                            .ok_or(bad)?
                            .copy_from_slice(&(carried as u64).to_ne_bytes());
                        write_u32(msg, offset + 8, word | 1);
                        self.moved.push((carried, size));
                    }
                    Err(r) => {
                        write_u32(msg, offset + 8, word & !0xff);
                        self.copied.push(r);
                    }
                }
                Ok(())
            }
            _ => Err(bad),
        }
    }

    /// [`Given::ool`] for a reply a server packed: a failure is the server's
    /// (`Refusal::failed`), since the request was already handed to the implementation.
    pub fn ool_reply<E: OolElement>(
        &mut self,
        msg: &mut [u8],
        offset: usize,
        buffer: OolBuffer<E>,
    ) -> Result<(), Refusal> {
        self.ool(msg, offset, buffer)
            .map_err(|e| Refusal::failed(e.code))
    }

    /// [`Given::ool`] for each buffer of an array of out-of-line elements, whose
    /// descriptors (16 bytes each) start at `offset`, in order; the descriptors past the
    /// buffers are empty.
    pub fn ools<E: OolElement>(
        &mut self,
        msg: &mut [u8],
        offset: usize,
        buffers: Vec<OolBuffer<E>>,
    ) -> Result<(), CodecError> {
        let mut result = Ok(());
        for (k, b) in buffers.into_iter().enumerate() {
            // Every buffer is handed over or dropped (freed), even after a failure.
            let r = self.ool(msg, offset + OOL_DESCRIPTOR_SIZE * k, b);
            if result.is_ok() {
                result = r;
            }
        }
        result
    }

    /// [`Given::ools`] for a reply a server packed (a failure is the server's).
    pub fn ools_reply<E: OolElement>(
        &mut self,
        msg: &mut [u8],
        offset: usize,
        buffers: Vec<OolBuffer<E>>,
    ) -> Result<(), Refusal> {
        self.ools(msg, offset, buffers)
            .map_err(|e| Refusal::failed(e.code))
    }

    /// The message owns the moved regions now (it was sent, or a server loop will send or
    /// destroy it). Copied regions are freed, so the message must have left already: a
    /// client keeps them only through [`Given::settle`], after its send.
    pub fn keep(mut self) {
        self.moved.clear();
    }

    /// [`Given::keep`] for a reply that leaves after this returns: a region the transport
    /// would only send as a copy cannot outlive the dispatcher, so such a reply is refused
    /// (`MIG_TYPE_ERROR`) rather than sent pointing at freed memory.
    pub fn keep_reply(self) -> Result<(), Refusal> {
        if self.copied.is_empty() {
            self.keep();
            Ok(())
        } else {
            Err(Refusal::failed(MIG_TYPE_ERROR))
        }
    }

    /// After a call: the regions went with the request if it was sent, else they are
    /// taken back and freed.
    pub fn settle<R>(self, result: &Result<R, CallError>) {
        if super::was_sent(result) {
            self.keep();
        }
    }
}

impl<T: Transport> Drop for Given<'_, T> {
    fn drop(&mut self) {
        for &(addr, size) in &self.moved {
            self.task.take_back_region(addr, size);
        }
    }
}

fn read_u64(buf: &[u8], off: usize) -> Option<u64> {
    let b = buf.get(off..off.checked_add(8)?)?;
    Some(u64::from_ne_bytes(b.try_into().ok()?))
}

/// A private out-of-line copy of `items` for a request (`MIG_ARRAY_TOO_LARGE` past the
/// largest region).
pub fn ool_copy<T: OolElement>(items: &[T]) -> Result<OolBuffer<T>, CallError> {
    let mut b = OolBuffer::zeroed(items.len()).ok_or(CallError::Mig(MIG_ARRAY_TOO_LARGE))?;
    b.copy_from_slice(items);
    Ok(b)
}

/// The buffer a `Dealloc[]` argument sends: the caller's own, or a private copy.
pub fn ool_buffer<T: OolElement>(items: crate::ool::Ool<'_, T>) -> Result<OolBuffer<T>, CallError> {
    match items {
        crate::ool::Ool::Borrowed(items) => ool_copy(items),
        crate::ool::Ool::Owned(b) => Ok(b),
    }
}

/// [`ool_copy`] for a reply (a failure is the server's).
pub fn reply_ool_copy<T: OolElement>(items: &[T]) -> Result<OolBuffer<T>, Refusal> {
    ool_copy(items).map_err(|e| Refusal::failed(e.code()))
}

/// Points a message's out-of-line descriptor at `buffer`, which [`Given::ool`] then hands
/// to the message (`MIG_ARRAY_TOO_LARGE` past `u32::MAX` elements).
pub fn ool_slice<T: OolElement>(buffer: &OolBuffer<T>) -> Result<OolSlice<'_, T>, CallError> {
    OolSlice::new(buffer).ok_or(CallError::Mig(MIG_ARRAY_TOO_LARGE))
}

/// [`ool_slice`] for a reply (a failure is the server's).
pub fn reply_ool_slice<T: OolElement>(buffer: &OolBuffer<T>) -> Result<OolSlice<'_, T>, Refusal> {
    OolSlice::new(buffer).ok_or(Refusal::failed(MIG_ARRAY_TOO_LARGE))
}

/// Takes the out-of-line region a received message brought for `items` out of the task:
/// the caller owns it now. The transport checks the address: one no message it received
/// brought (crafted bytes can name any) is `MIG_TYPE_ERROR`, and nothing is read.
pub fn take_ool<T: Transport, E: OolElement>(
    task: &T,
    items: OolSlice<'_, E>,
) -> Result<OolBuffer<E>, CodecError> {
    OolBuffer::take(task, items.addr(), items.len() as usize).ok_or(CodecError {
        code: MIG_TYPE_ERROR,
    })
}

/// The size of an out-of-line descriptor (memory or ports) in a message.
const OOL_DESCRIPTOR_SIZE: usize = 16;

/// Private out-of-line copies of each of `lists`, for an array of out-of-line elements.
pub fn ool_copies<T: OolElement, L: AsRef<[T]>>(
    lists: &[L],
) -> Result<Vec<OolBuffer<T>>, CallError> {
    lists.iter().map(|l| ool_copy(l.as_ref())).collect()
}

/// [`ool_copies`] for a reply (a failure is the server's).
pub fn reply_ool_copies<T: OolElement, L: AsRef<[T]>>(
    lists: &[L],
) -> Result<Vec<OolBuffer<T>>, Refusal> {
    ool_copies(lists).map_err(|e| Refusal::failed(e.code()))
}

/// The buffers of an array of `Dealloc[]` elements: each the caller's own, or a copy.
pub fn ool_buffers<T: OolElement>(
    items: Vec<crate::ool::Ool<'_, T>>,
) -> Result<Vec<OolBuffer<T>>, CallError> {
    items.into_iter().map(ool_buffer).collect()
}

/// The names of each of `lists` of rights, each in a private out-of-line copy, for an
/// array of out-of-line port arrays.
pub fn ool_names_each<R: Named, L: AsRef<[R]>>(
    lists: &[L],
) -> Result<Vec<OolBuffer<MachPortName>>, CallError> {
    lists.iter().map(|l| ool_copy(&names(l.as_ref()))).collect()
}

/// [`ool_names_each`] for a reply (a failure is the server's).
pub fn reply_ool_names_each<R: Named, L: AsRef<[R]>>(
    lists: &[L],
) -> Result<Vec<OolBuffer<MachPortName>>, Refusal> {
    ool_names_each(lists).map_err(|e| Refusal::failed(e.code()))
}

/// Points the `N` descriptors of an array of out-of-line elements at `buffers`, the rest
/// empty: more buffers than `N` is `MIG_ARRAY_TOO_LARGE`, as Apple's client answers a
/// count above the bound.
pub fn ool_slices<T: OolElement, const N: usize>(
    buffers: &[OolBuffer<T>],
) -> Result<[OolSlice<'_, T>; N], CallError> {
    if buffers.len() > N {
        return Err(CallError::Mig(MIG_ARRAY_TOO_LARGE));
    }
    let mut out = [OolSlice::default(); N];
    for (o, b) in out.iter_mut().zip(buffers) {
        *o = ool_slice(b)?;
    }
    Ok(out)
}

/// [`ool_slices`] for a reply (a failure is the server's).
pub fn reply_ool_slices<T: OolElement, const N: usize>(
    buffers: &[OolBuffer<T>],
) -> Result<[OolSlice<'_, T>; N], Refusal> {
    ool_slices(buffers).map_err(|e| Refusal::failed(e.code()))
}

/// The count of an array of out-of-line elements as its message carries it.
pub fn ool_count<T>(buffers: &[T]) -> u32 {
    u32::try_from(buffers.len()).unwrap_or(u32::MAX)
}

/// Takes the regions a received message brought for the first `count` elements of an
/// array of out-of-line elements: the caller owns them now. The unpack export checked
/// that the descriptors past `count` are empty. Every region is taken even when one is
/// refused (`MIG_TYPE_ERROR`), so none is left behind.
pub fn take_ools<T: Transport, E: OolElement>(
    task: &T,
    items: &[OolSlice<'_, E>],
    count: u32,
) -> Result<Vec<OolBuffer<E>>, CodecError> {
    let mut taken = Vec::with_capacity(items.len().min(count as usize));
    let mut refused = None;
    for &s in items.iter().take(count as usize) {
        match take_ool(task, s) {
            Ok(b) => taken.push(b),
            Err(e) => refused = Some(e),
        }
    }
    match refused {
        Some(e) => Err(e),
        None => Ok(taken),
    }
}

/// The rights a message brought in the first `count` port arrays of an array of
/// out-of-line port arrays, owned, one `Vec` per array; the arrays' memory is freed.
pub fn ool_rights_each<R: FromName<T>, T: Transport>(
    task: &T,
    items: &[OolSlice<'_, MachPortName>],
    count: u32,
) -> Result<Vec<Vec<R>>, CodecError> {
    let lists = take_ools(task, items, count)?;
    Ok(lists
        .iter()
        .map(|names| rights(task, names, names.len() as u32))
        .collect())
}

/// Gives up management of the rights of every list a sent message moved.
pub fn into_raw_each<R: IntoRaw>(lists: Vec<Vec<R>>) {
    lists.into_iter().for_each(into_raw_all);
}

/// A typed right made from a name a message brought.
pub trait FromName<T: Transport>: Sized {
    /// Takes management of the right under `name`.
    fn from_name(task: &T, name: MachPortName) -> Self;
}

impl<T: Transport> FromName<T> for SendRight<T> {
    fn from_name(task: &T, name: MachPortName) -> Self {
        SendRight::from_raw(task.clone(), name)
    }
}

impl<T: Transport> FromName<T> for SendOnceRight<T> {
    fn from_name(task: &T, name: MachPortName) -> Self {
        SendOnceRight::from_raw(task.clone(), name)
    }
}

impl<T: Transport> FromName<T> for ReceiveRight<T> {
    fn from_name(task: &T, name: MachPortName) -> Self {
        ReceiveRight::from_raw(task.clone(), name)
    }
}

/// The rights a message brought in a port array, owned. Every name of the array is taken,
/// past `count` too (a well-formed message has null names there), so none is left behind;
/// those past `count` are released.
pub fn rights<R: FromName<T>, T: Transport>(
    task: &T,
    names: &[MachPortName],
    count: u32,
) -> Vec<R> {
    let mut all: Vec<R> = names.iter().map(|&n| R::from_name(task, n)).collect();
    all.truncate(count as usize);
    all
}

/// The rights a message brought in an out-of-line port array, owned; the array's own
/// memory is freed.
pub fn ool_rights<R: FromName<T>, T: Transport>(
    task: &T,
    names: OolSlice<'_, MachPortName>,
) -> Result<Vec<R>, CodecError> {
    let names = take_ool(task, names)?;
    Ok(rights(task, &names, names.len() as u32))
}

/// A right that arrived through a polymorphic argument with `disposition`.
pub fn any_right<T: Transport>(task: &T, name: MachPortName, disposition: u32) -> AnyRight<T> {
    AnyRight::from_raw(task.clone(), name, disposition)
}

/// The rights a message brought in a polymorphic port array (one disposition for all).
pub fn any_rights<T: Transport>(
    task: &T,
    names: &[MachPortName],
    count: u32,
    disposition: u32,
) -> Vec<AnyRight<T>> {
    let mut all: Vec<_> = names
        .iter()
        .map(|&n| any_right(task, n, disposition))
        .collect();
    all.truncate(count as usize);
    all
}

/// [`any_rights`] for an out-of-line array, whose memory is freed.
pub fn ool_any_rights<T: Transport>(
    task: &T,
    names: OolSlice<'_, MachPortName>,
    disposition: u32,
) -> Result<Vec<AnyRight<T>>, CodecError> {
    let names = take_ool(task, names)?;
    Ok(any_rights(task, &names, names.len() as u32, disposition))
}

/// Anything with a port name: typed rights, borrowed or owned.
pub trait Named {
    /// The name in its task.
    fn port_name(&self) -> MachPortName;
}

impl<R: Named + ?Sized> Named for &R {
    fn port_name(&self) -> MachPortName {
        (**self).port_name()
    }
}

impl<T: Transport> Named for SendRight<T> {
    fn port_name(&self) -> MachPortName {
        self.name()
    }
}

impl<T: Transport> Named for SendOnceRight<T> {
    fn port_name(&self) -> MachPortName {
        self.name()
    }
}

impl<T: Transport> Named for ReceiveRight<T> {
    fn port_name(&self) -> MachPortName {
        self.name()
    }
}

impl<T: Transport> Named for PolyRight<'_, T> {
    fn port_name(&self) -> MachPortName {
        self.name()
    }
}

/// The names of a port array to send.
pub fn names<R: Named>(rights: &[R]) -> Vec<MachPortName> {
    rights.iter().map(Named::port_name).collect()
}

/// The names of a port array to send in line, in an array of the bound `N` (padded with
/// null names), and how many there are. More than `N` is `MIG_ARRAY_TOO_LARGE`.
pub fn inline_names<R: Named, const N: usize>(
    rights: &[R],
) -> Result<([MachPortName; N], u32), CodecError> {
    if rights.len() > N {
        return Err(CodecError {
            code: MIG_ARRAY_TOO_LARGE,
        });
    }
    let mut out = [MACH_PORT_NULL; N];
    for (o, r) in out.iter_mut().zip(rights) {
        *o = r.port_name();
    }
    Ok((out, rights.len() as u32))
}

/// The one disposition a polymorphic port array is sent with: every element must agree
/// (`MIG_TYPE_ERROR` otherwise); an empty array uses `default`.
pub fn poly_disposition<T: Transport>(
    rights: &[PolyRight<'_, T>],
    default: u32,
) -> Result<u32, CallError> {
    let Some(first) = rights.first() else {
        return Ok(default);
    };
    let d = first.disposition();
    if rights.iter().all(|r| r.disposition() == d) {
        Ok(d)
    } else {
        Err(CallError::Mig(MIG_TYPE_ERROR))
    }
}

/// The one disposition an array of polymorphic out-of-line port arrays is sent with (one
/// `Poly` argument for all of them, as Apple's): every right of every array must agree
/// (`MIG_TYPE_ERROR` otherwise); no right at all uses `default`.
pub fn poly_disposition_each<T: Transport>(
    lists: &[Vec<PolyRight<'_, T>>],
    default: u32,
) -> Result<u32, CallError> {
    let mut all = lists.iter().flatten();
    let Some(first) = all.next() else {
        return Ok(default);
    };
    let d = first.disposition();
    if all.all(|r| r.disposition() == d) {
        Ok(d)
    } else {
        Err(CallError::Mig(MIG_TYPE_ERROR))
    }
}

/// [`poly_disposition_each`] for a server's results (a failure is the server's).
pub fn reply_poly_disposition_each<T: Transport>(
    lists: &[Vec<PolyRight<'_, T>>],
    default: u32,
) -> Result<u32, Refusal> {
    poly_disposition_each(lists, default).map_err(|e| Refusal::failed(e.code()))
}

/// [`ool_rights_each`] for polymorphic port arrays, whose rights all arrived with
/// `disposition`.
pub fn ool_any_rights_each<T: Transport>(
    task: &T,
    items: &[OolSlice<'_, MachPortName>],
    count: u32,
    disposition: u32,
) -> Result<Vec<Vec<AnyRight<T>>>, CodecError> {
    let lists = take_ools(task, items, count)?;
    Ok(lists
        .iter()
        .map(|names| any_rights(task, names, names.len() as u32, disposition))
        .collect())
}

/// Gives up management of rights a sent message moved.
pub fn into_raw_all<R: IntoRaw>(rights: Vec<R>) {
    for r in rights {
        r.into_raw_name();
    }
}

/// Rights that can leave management (moved into a message).
pub trait IntoRaw {
    /// Gives up management; the message owns the right.
    fn into_raw_name(self) -> MachPortName;
}

impl<T: Transport> IntoRaw for SendRight<T> {
    fn into_raw_name(self) -> MachPortName {
        self.into_raw()
    }
}

impl<T: Transport> IntoRaw for SendOnceRight<T> {
    fn into_raw_name(self) -> MachPortName {
        self.into_raw()
    }
}

impl<T: Transport> IntoRaw for ReceiveRight<T> {
    fn into_raw_name(self) -> MachPortName {
        self.into_raw()
    }
}

impl<T: Transport> IntoRaw for PolyRight<'_, T> {
    fn into_raw_name(self) -> MachPortName {
        self.into_raw()
    }
}

impl<R: Named> IntoRaw for &R {
    fn into_raw_name(self) -> MachPortName {
        self.port_name()
    }
}

/// Checks that an argument sharing another's count (MIG's `SameCount`), or a fixed-size
/// array, has `expected` elements.
pub fn same_count(arg: &'static str, len: usize, expected: usize) -> Result<(), CallError> {
    if len == expected {
        Ok(())
    } else {
        Err(CallError::Count { arg, len, expected })
    }
}

/// A `CountInOut` capacity as the request carries it.
pub fn capacity(max: usize) -> u32 {
    u32::try_from(max).unwrap_or(u32::MAX)
}

/// Checks a reply's `CountInOut` count against the caller's `max`: more is
/// `MIG_ARRAY_TOO_LARGE`, as Apple's client stubs answer.
pub fn check_capacity(count: u32, max: usize) -> Result<(), CallError> {
    if count as usize > max {
        return Err(CallError::Mig(MIG_ARRAY_TOO_LARGE));
    }
    Ok(())
}

/// Borrows a server's result array for its reply (`MIG_ARRAY_TOO_LARGE` past `u32::MAX`).
pub fn reply_slice<T>(items: &[T]) -> Result<ConstSlice<'_, T>, Refusal> {
    ConstSlice::new(items).ok_or(Refusal::failed(MIG_ARRAY_TOO_LARGE))
}

/// A polymorphic result array's one disposition, as [`poly_disposition`] checks it.
pub fn reply_poly_disposition<T: Transport>(
    rights: &[PolyRight<'_, T>],
    default: u32,
) -> Result<u32, Refusal> {
    poly_disposition(rights, default).map_err(|e| Refusal::failed(e.code()))
}

/// Copies a server's result into a reply array that shares the count of an earlier one
/// (`SameCount`): it must have exactly that many elements (`MIG_BAD_ARGUMENTS` otherwise).
pub fn fill_same<T: Copy>(dst: &mut [T], src: &[T], count: usize) -> Result<(), Refusal> {
    if src.len() != count || src.len() > dst.len() {
        return Err(Refusal::failed(super::MIG_BAD_ARGUMENTS));
    }
    dst[..src.len()].copy_from_slice(src);
    Ok(())
}

/// The server's counterpart of [`inline_names`]: more names than fit is
/// `MIG_ARRAY_TOO_LARGE`.
pub fn fill_names<R: Named>(
    dst: &mut [MachPortName],
    count: Option<&mut u32>,
    rights: &[R],
) -> Result<(), Refusal> {
    if rights.len() > dst.len() {
        return Err(Refusal::failed(MIG_ARRAY_TOO_LARGE));
    }
    for (d, r) in dst.iter_mut().zip(rights) {
        *d = r.port_name();
    }
    if let Some(c) = count {
        *c = rights.len() as u32;
    }
    Ok(())
}

/// The server's check of a result array bound by a fixed size or by another's count.
pub fn check_len(len: usize, expected: usize) -> Result<(), Refusal> {
    if len == expected {
        Ok(())
    } else {
        Err(Refusal::failed(super::MIG_BAD_ARGUMENTS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_is_not_sent_gives_its_regions_back() {
        let space = Space::new();
        {
            let data = OolBuffer::from_slice(&[1u32, 2, 3]);
            let addr = data.as_ptr() as usize;
            let mut msg = [0u8; 16];
            msg[..8].copy_from_slice(&(addr as u64).to_ne_bytes());
            let mut given = Given::new(&space);
            given.ool(&mut msg, 0, data).unwrap();
            assert_eq!(read_u32(&msg, 8), Some(1));
            assert_eq!(space.leaks().regions.len(), 1);
            given.settle::<()>(&Err(CallError::Send(MACH_SEND_INVALID_DEST)));
            // A buffer the descriptor does not point at is refused and freed.
            msg[..8].copy_from_slice(&1u64.to_ne_bytes());
            let other = OolBuffer::from_slice(&[4u8]);
            assert_eq!(
                Given::new(&space).ool(&mut msg, 0, other),
                Err(CodecError {
                    code: MIG_TYPE_ERROR
                })
            );
        }
        space.assert_no_leaks();
    }

    /// An out-of-line slice as a received message's descriptor names it.
    fn at<T>(addr: usize, len: u32) -> OolSlice<'static, T> {
        OolSlice(ConstSlice {
            ptr: core::ptr::without_provenance(addr),
            len,
            borrow: core::marker::PhantomData,
        })
    }

    #[test]
    fn arrays_of_buffers_are_handed_over_and_taken_one_by_one() {
        let space = Space::new();
        {
            let buffers = ool_copies(&[&[1i32, 2][..], &[3]]).unwrap();
            let slices: [OolSlice<'_, i32>; 3] = ool_slices(&buffers).unwrap();
            assert_eq!(
                (slices[0].len(), slices[1].len(), slices[2].len()),
                (2, 1, 0)
            );
            assert_eq!(
                ool_slices::<i32, 1>(&buffers).unwrap_err(),
                CallError::Mig(MIG_ARRAY_TOO_LARGE)
            );
            let mut msg = [0u8; 48];
            for (k, s) in slices.iter().enumerate() {
                msg[16 * k..16 * k + 8].copy_from_slice(&(s.addr() as u64).to_ne_bytes());
            }
            let mut given = Given::new(&space);
            given.ools(&mut msg, 0, buffers).unwrap();
            // The transport took both regions, as a sent message would carry them.
            assert_eq!(space.leaks().regions.len(), 2);
            given.keep();
            let addr = |k: usize| read_u64(&msg, 16 * k).unwrap() as usize;
            // One address no message brought: that one is refused, the others are taken
            // all the same (and freed with the error), so none is left behind.
            let items = [at::<i32>(addr(0), 2), at(0x1000, 1), at(addr(1), 1)];
            assert_eq!(
                take_ools(&space, &items, 3).unwrap_err(),
                CodecError {
                    code: MIG_TYPE_ERROR
                }
            );
        }
        space.assert_no_leaks();
    }

    #[test]
    fn polymorphic_port_arrays_share_one_disposition() {
        let space = Space::new();
        {
            let (r, s) = crate::rights::allocate_pair(&space).unwrap();
            let none: [Vec<PolyRight<'_, Space>>; 2] = [Vec::new(), Vec::new()];
            assert_eq!(poly_disposition_each(&none, 19), Ok(19));
            let same = [
                vec![PolyRight::from(&s)],
                Vec::new(),
                vec![PolyRight::from(&s)],
            ];
            assert_eq!(
                poly_disposition_each(&same, 17),
                Ok(MACH_MSG_TYPE_COPY_SEND)
            );
            let mixed = [vec![PolyRight::from(&s)], vec![PolyRight::MakeSend(&r)]];
            assert_eq!(
                poly_disposition_each(&mixed, 17),
                Err(CallError::Mig(MIG_TYPE_ERROR))
            );
        }
        space.assert_no_leaks();
    }

    #[test]
    fn counts_are_checked() {
        assert_eq!(
            same_count("b", 2, 3),
            Err(CallError::Count {
                arg: "b",
                len: 2,
                expected: 3
            })
        );
        assert_eq!(check_capacity(2, 2), Ok(()));
        assert_eq!(
            check_capacity(3, 2),
            Err(CallError::Mig(MIG_ARRAY_TOO_LARGE))
        );
        assert_eq!(
            fill_same(&mut [0; 4], &[1, 2], 3),
            Err(Refusal::failed(crate::ffi::MIG_BAD_ARGUMENTS))
        );
        assert_eq!(capacity(usize::MAX), u32::MAX);
    }
}
