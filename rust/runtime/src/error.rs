//! The error type of the runtime's Rust API: every kernel or `mach_msg` return code the
//! runtime can produce, as a `thiserror` enum that converts back to the exact code, so a
//! Rust caller matches on names and a C caller still sees xnu's numbers.

use crate::abi::*;

/// A failed kernel call or `mach_msg`, carrying xnu's return code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `KERN_INVALID_ADDRESS`.
    #[error("invalid address")]
    InvalidAddress,
    /// `KERN_NO_SPACE`: the name table is full.
    #[error("no space in the name table")]
    NoSpace,
    /// `KERN_INVALID_ARGUMENT`.
    #[error("invalid argument")]
    InvalidArgument,
    /// `KERN_FAILURE`.
    #[error("failure")]
    Failure,
    /// `KERN_NOT_RECEIVER`.
    #[error("not the receiver")]
    NotReceiver,
    /// `KERN_ALREADY_IN_SET`.
    #[error("already in a port set")]
    AlreadyInSet,
    /// `KERN_NOT_IN_SET`.
    #[error("not in the port set")]
    NotInSet,
    /// `KERN_NAME_EXISTS`.
    #[error("name exists")]
    NameExists,
    /// `KERN_INVALID_NAME`.
    #[error("invalid name")]
    InvalidName,
    /// `KERN_INVALID_TASK`.
    #[error("invalid task")]
    InvalidTask,
    /// `KERN_INVALID_RIGHT`.
    #[error("invalid right")]
    InvalidRight,
    /// `KERN_INVALID_VALUE`.
    #[error("invalid value")]
    InvalidValue,
    /// `KERN_UREFS_OVERFLOW`.
    #[error("user reference overflow")]
    UrefsOverflow,
    /// `KERN_RIGHT_EXISTS`.
    #[error("right exists under another name")]
    RightExists,
    /// The port behind a send right is dead: the name is now a dead name.
    #[error("dead name")]
    DeadName,
    /// `MACH_SEND_TIMED_OUT`.
    #[error("send timed out")]
    SendTimedOut,
    /// `MACH_SEND_INVALID_DEST`.
    #[error("invalid destination")]
    SendInvalidDest,
    /// `MACH_RCV_TIMED_OUT`.
    #[error("receive timed out")]
    RcvTimedOut,
    /// `MACH_RCV_TOO_LARGE`, with the size the message needs (trailer included).
    #[error("message too large for the buffer (needs {needed} bytes)")]
    RcvTooLarge {
        /// Bytes needed.
        needed: u32,
    },
    /// `MACH_RCV_PORT_DIED`.
    #[error("port died")]
    RcvPortDied,
    /// `MACH_RCV_INVALID_NAME`.
    #[error("invalid receive name")]
    RcvInvalidName,
    /// Any other code.
    #[error("kernel return code {0:#x}")]
    Other(i32),
}

impl Error {
    /// Converts a return code; `Ok(())` for success.
    pub fn check(code: i32) -> Result<(), Error> {
        Err(match code {
            KERN_SUCCESS => return Ok(()),
            KERN_INVALID_ADDRESS => Error::InvalidAddress,
            KERN_NO_SPACE => Error::NoSpace,
            KERN_INVALID_ARGUMENT => Error::InvalidArgument,
            KERN_FAILURE => Error::Failure,
            KERN_NOT_RECEIVER => Error::NotReceiver,
            KERN_ALREADY_IN_SET => Error::AlreadyInSet,
            KERN_NOT_IN_SET => Error::NotInSet,
            KERN_NAME_EXISTS => Error::NameExists,
            KERN_INVALID_NAME => Error::InvalidName,
            KERN_INVALID_TASK => Error::InvalidTask,
            KERN_INVALID_RIGHT => Error::InvalidRight,
            KERN_INVALID_VALUE => Error::InvalidValue,
            KERN_UREFS_OVERFLOW => Error::UrefsOverflow,
            KERN_RIGHT_EXISTS => Error::RightExists,
            MACH_SEND_TIMED_OUT => Error::SendTimedOut,
            MACH_SEND_INVALID_DEST => Error::SendInvalidDest,
            MACH_RCV_TIMED_OUT => Error::RcvTimedOut,
            MACH_RCV_TOO_LARGE => Error::RcvTooLarge { needed: 0 },
            MACH_RCV_PORT_DIED => Error::RcvPortDied,
            MACH_RCV_INVALID_NAME => Error::RcvInvalidName,
            other => Error::Other(other),
        })
    }

    /// The xnu return code.
    pub fn code(self) -> i32 {
        match self {
            Error::InvalidAddress => KERN_INVALID_ADDRESS,
            Error::NoSpace => KERN_NO_SPACE,
            Error::InvalidArgument => KERN_INVALID_ARGUMENT,
            Error::Failure => KERN_FAILURE,
            Error::NotReceiver => KERN_NOT_RECEIVER,
            Error::AlreadyInSet => KERN_ALREADY_IN_SET,
            Error::NotInSet => KERN_NOT_IN_SET,
            Error::NameExists => KERN_NAME_EXISTS,
            Error::InvalidName => KERN_INVALID_NAME,
            Error::InvalidTask => KERN_INVALID_TASK,
            Error::InvalidRight | Error::DeadName => KERN_INVALID_RIGHT,
            Error::InvalidValue => KERN_INVALID_VALUE,
            Error::UrefsOverflow => KERN_UREFS_OVERFLOW,
            Error::RightExists => KERN_RIGHT_EXISTS,
            Error::SendTimedOut => MACH_SEND_TIMED_OUT,
            Error::SendInvalidDest => MACH_SEND_INVALID_DEST,
            Error::RcvTimedOut => MACH_RCV_TIMED_OUT,
            Error::RcvTooLarge { .. } => MACH_RCV_TOO_LARGE,
            Error::RcvPortDied => MACH_RCV_PORT_DIED,
            Error::RcvInvalidName => MACH_RCV_INVALID_NAME,
            Error::Other(c) => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            0,
            1,
            3,
            4,
            5,
            7,
            11,
            12,
            13,
            15,
            16,
            17,
            18,
            19,
            21,
            0x1000_0004,
            0x1000_4003,
            77,
        ] {
            match Error::check(code) {
                Ok(()) => assert_eq!(code, 0),
                Err(e) => assert_eq!(e.code(), code),
            }
        }
    }
}
