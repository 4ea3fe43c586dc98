//! Cross-language link-time optimisation: the generated Zig (the packing hot loop) linked
//! as LLVM ThinLTO bitcode, so that the linker's LTO inlines the pack and unpack functions
//! into their Rust callers instead of calling them through the C ABI.
//!
//! It follows Rust: when Rust emits bitcode (`-Clinker-plugin-lto` in `RUSTFLAGS` or
//! `build.rustflags`) the Zig half does too, and otherwise both are machine code without a
//! word. When Rust emits bitcode but the Zig half cannot join it, the build links the Zig
//! half as machine code and warns why, never linking bitcode it cannot optimise:
//! - the linker must read bitcode: rust-lld, the default linker of `x86_64-unknown-linux-gnu`
//!   (another target needs `-Clink-arg=-fuse-ld=lld` in its flags);
//! - both compilers must be on the same LLVM major version (`rustc -vV` against `zig cc
//!   --version`): bitcode is only read back by the LLVM that wrote it, or a later minor.
//!
//! Rust's bitcode carries ThinLTO summaries, and the linker optimises full-LTO and ThinLTO
//! modules apart, so the Zig module is turned into ThinLTO bitcode as well: Zig writes its
//! optimised module (`-femit-llvm-bc`), and the pinned Zig's clang (`zig cc -flto=thin`)
//! adds the summary that lets ThinLTO import the Zig functions into Rust's modules.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::Error;

/// How a build links the Zig half.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// ThinLTO bitcode, which the linker optimises together with Rust's.
    Bitcode,
    /// Machine code, as Rust's half is (no `-Clinker-plugin-lto`).
    MachineCode,
    /// Machine code although Rust's half is bitcode, for this reason.
    Fallback(String),
}

/// How this build links the Zig half, from what cargo passes a build script.
pub(crate) fn plan(
    encoded_rustflags: &str,
    target: &str,
    rustc_version: &str,
    zig_cc_version: &str,
) -> Link {
    let flags: Vec<&str> = encoded_rustflags.split('\x1f').collect();
    let has = |flag: &str| {
        flags.iter().any(|f| f.contains(flag))
            || flags
                .windows(2)
                .any(|w| w[0] == "-C" && w[1].starts_with(flag))
    };
    if !has("linker-plugin-lto") {
        return Link::MachineCode;
    }
    if target != "x86_64-unknown-linux-gnu" && !has("fuse-ld=lld") {
        return Link::Fallback(format!(
            "the linker of {target} may not read bitcode: add -Clink-arg=-fuse-ld=lld to RUSTFLAGS"
        ));
    }
    let rust = llvm_major(rustc_version, "LLVM version: ");
    let zig = llvm_major(zig_cc_version, "clang version ");
    match (rust, zig) {
        (Some(r), Some(z)) if r == z => Link::Bitcode,
        (Some(r), Some(z)) => Link::Fallback(format!(
            "rustc is on LLVM {r} and Zig on LLVM {z}; bitcode does not cross LLVM versions"
        )),
        _ => Link::Fallback("the LLVM versions of rustc and Zig could not be read".to_owned()),
    }
}

/// The major version after `prefix` on some line of `text` (`LLVM version: 22.1.2` -> 22).
fn llvm_major(text: &str, prefix: &str) -> Option<u32> {
    text.lines().find_map(|line| {
        let rest = &line[line.find(prefix)? + prefix.len()..];
        rest.split('.').next()?.trim().parse().ok()
    })
}

/// What `program args... flag` printed, or an empty string when it did not run.
pub(crate) fn version_text(mut command: Command, flag: &str) -> String {
    match command.arg(flag).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => String::new(),
    }
}

/// Turns Zig's optimised module `bitcode` into a ThinLTO object and archives it as
/// `archive`, replacing what was there.
pub(crate) fn archive_thin_bitcode(
    zig: impl Fn() -> Result<Command, Error>,
    zig_target: &str,
    bitcode: &Path,
    archive: &Path,
    out_dir: &Path,
) -> Result<(), Error> {
    let object = bitcode.with_extension("thinlto.o");
    let mut cc = zig()?;
    cc.args([
        "cc",
        "-target",
        zig_target,
        "-c",
        "-flto=thin",
        "-O3",
        "-fPIC",
    ])
    .arg(bitcode)
    .arg("-o")
    .arg(&object);
    run(cc, "zig cc -flto=thin", out_dir)?;
    // `ar r` adds to an archive: start from none, so no machine code of an earlier build
    // stays beside the bitcode.
    match std::fs::remove_file(archive) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::Io {
                path: archive.to_path_buf(),
                source: e,
            });
        }
        _ => {}
    }
    // Zig's own `ar` (LLVM's) indexes bitcode members; a system `ar` may not.
    let mut ar = zig()?;
    ar.args([OsStr::new("ar"), OsStr::new("rcs")])
        .arg(archive)
        .arg(&object);
    run(ar, "zig ar", out_dir)
}

fn run(mut command: Command, what: &str, out_dir: &Path) -> Result<(), Error> {
    let output = command.output().map_err(|e| Error::Zig {
        found: format!("zig did not run ({e})"),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::ZigBuild {
            status: format!("{what}: {}", output.status),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            out_dir: out_dir.display().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSTC: &str = "rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\nLLVM version: 22.1.2\n";
    const ZIG_CC: &str = "clang version 22.1.8\nTarget: x86_64-unknown-linux-gnu\n";
    const LINUX: &str = "x86_64-unknown-linux-gnu";

    #[test]
    fn the_zig_half_follows_rust() {
        assert_eq!(
            plan("-Copt-level=3", LINUX, RUSTC, ZIG_CC),
            Link::MachineCode
        );
        assert_eq!(plan("", LINUX, RUSTC, ZIG_CC), Link::MachineCode);
        assert_eq!(
            plan("-Clinker-plugin-lto", LINUX, RUSTC, ZIG_CC),
            Link::Bitcode
        );
        assert_eq!(
            plan("-C\x1flinker-plugin-lto", LINUX, RUSTC, ZIG_CC),
            Link::Bitcode
        );
    }

    #[test]
    fn another_llvm_major_falls_back() {
        let old = RUSTC.replace("22.1.2", "21.1.0");
        assert_eq!(
            plan("-Clinker-plugin-lto", LINUX, &old, ZIG_CC),
            Link::Fallback(
                "rustc is on LLVM 21 and Zig on LLVM 22; bitcode does not cross LLVM versions"
                    .to_owned()
            )
        );
        assert_eq!(
            plan("-Clinker-plugin-lto", LINUX, RUSTC, ""),
            Link::Fallback("the LLVM versions of rustc and Zig could not be read".to_owned())
        );
    }

    #[test]
    fn other_targets_need_lld_named() {
        let mac = "aarch64-apple-darwin";
        assert!(matches!(
            plan("-Clinker-plugin-lto", mac, RUSTC, ZIG_CC),
            Link::Fallback(_)
        ));
        assert_eq!(
            plan(
                "-Clinker-plugin-lto\x1f-Clink-arg=-fuse-ld=lld",
                mac,
                RUSTC,
                ZIG_CC
            ),
            Link::Bitcode
        );
    }
}
