//! Hostile messages through the C ABI, as a C program writes them (`c/hostile.c`): each
//! gets the exact error xnu gives, the process does not fault, and the sender's space
//! holds exactly what it held before (its names, rights, regions and ports, and nothing
//! queued); a receive buffer that cannot be written loses the message without leaking
//! what it carried. The C program returns 0, or the line of its first failed check.

// The library whose exports the C program calls.
use migz_ffi as _;

#[link(name = "migz_hostile", kind = "static")]
unsafe extern "C" {
    fn migz_hostile() -> i32;
}

#[test]
fn hostile_messages_from_c_get_their_errors_and_lose_nothing() {
    // SAFETY: the C program takes no arguments and only calls the library's exports on
    // memory it maps itself (and on addresses it knows to be bad, which is the test).
    let line = unsafe { migz_hostile() };
    assert_eq!(line, 0, "the check at c/hostile.c line {line} failed");
}
