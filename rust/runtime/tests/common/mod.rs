//! Helpers shared by the runtime's integration tests: building messages in the wire format.

#![allow(dead_code)]

use migz::abi::*;

/// A simple message: header, then `payload`.
pub fn simple(
    dest: u32,
    dest_disp: u32,
    reply: u32,
    reply_disp: u32,
    id: i32,
    payload: &[u8],
) -> Vec<u8> {
    let size = (HEADER_SIZE + payload.len()).div_ceil(4) * 4;
    let mut b = vec![0u8; size];
    MachMsgHeader {
        msgh_bits: mach_msgh_bits(dest_disp, reply_disp),
        msgh_size: size as u32,
        msgh_remote_port: dest,
        msgh_local_port: reply,
        msgh_voucher_port: 0,
        msgh_id: id,
    }
    .write(&mut b);
    b[HEADER_SIZE..HEADER_SIZE + payload.len()].copy_from_slice(payload);
    b
}

/// A descriptor for `complex`.
#[derive(Clone, Copy, Debug)]
pub enum Desc {
    /// A port descriptor.
    Port(u32, u32),
    /// OOL memory: address, size, deallocate, copy.
    Ool(usize, u32, bool, u32),
    /// OOL ports: address, count, deallocate, disposition.
    OolPorts(usize, u32, bool, u32),
}

/// A complex message with descriptors, then `payload`.
pub fn complex(
    dest: u32,
    dest_disp: u32,
    reply: u32,
    reply_disp: u32,
    id: i32,
    descs: &[Desc],
    payload: &[u8],
) -> Vec<u8> {
    let mut b = simple(dest, dest_disp, reply, reply_disp, id, &[]);
    b.extend_from_slice(&(descs.len() as u32).to_ne_bytes());
    for d in descs {
        match *d {
            Desc::Port(name, disp) => {
                b.extend_from_slice(&name.to_ne_bytes());
                b.extend_from_slice(&0u32.to_ne_bytes());
                b.extend_from_slice(&port_descriptor_word(disp).to_ne_bytes());
            }
            Desc::Ool(addr, size, dealloc, copy) => {
                b.extend_from_slice(&(addr as u64).to_ne_bytes());
                b.extend_from_slice(&ool_descriptor_word(dealloc, copy).to_ne_bytes());
                b.extend_from_slice(&size.to_ne_bytes());
            }
            Desc::OolPorts(addr, count, dealloc, disp) => {
                b.extend_from_slice(&(addr as u64).to_ne_bytes());
                b.extend_from_slice(
                    &ool_ports_descriptor_word(dealloc, MACH_MSG_PHYSICAL_COPY, disp).to_ne_bytes(),
                );
                b.extend_from_slice(&count.to_ne_bytes());
            }
        }
    }
    b.extend_from_slice(payload);
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    let size = b.len() as u32;
    let bits = read_u32(&b, 0).unwrap() | MACH_MSGH_BITS_COMPLEX;
    write_u32(&mut b, 0, bits);
    write_u32(&mut b, 4, size);
    b
}

/// Sends `msg` (no timeout unless `timeout` is given).
pub fn send(space: &migz::Space, msg: &[u8], timeout: Option<u32>) -> i32 {
    let mut b = msg.to_vec();
    let opt = MACH_SEND_MSG
        | if timeout.is_some() {
            MACH_SEND_TIMEOUT
        } else {
            0
        };
    space.mach_msg(&mut b, opt, msg.len() as u32, 0, 0, timeout.unwrap_or(0), 0)
}

/// Receives on `name` into a buffer of `size` bytes with the given extra options.
pub fn recv(
    space: &migz::Space,
    name: u32,
    size: u32,
    extra: i32,
    timeout: Option<u32>,
) -> (i32, Vec<u8>) {
    let mut b = vec![0u8; size as usize];
    let opt = MACH_RCV_MSG
        | extra
        | if timeout.is_some() {
            MACH_RCV_TIMEOUT
        } else {
            0
        };
    let r = space.mach_msg(&mut b, opt, 0, size, name, timeout.unwrap_or(0), 0);
    (r, b)
}

/// Reads the header of a received buffer.
pub fn header(b: &[u8]) -> MachMsgHeader {
    MachMsgHeader::read(b).unwrap()
}
