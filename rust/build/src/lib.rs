//! Generates migz stubs from MIG `.defs` files in a build script.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     migz_build::Config::new()
//!         .include_dir("defs")
//!         .define("LIBSYSCALL_INTERFACE", None)
//!         .compile(&["defs/mach_port.defs"])?;
//!     Ok(())
//! }
//! ```
//!
//! ```text
//! // src/lib.rs
//! pub mod mach_port {
//!     include!(concat!(env!("OUT_DIR"), "/mach_port.rs"));
//! }
//! ```
//!
//! [`Config::compile`] runs the migz front end on every file, writes `<subsystem>.rs` (the
//! Rust writer) and `<subsystem>.zig` (the Zig writer) into `OUT_DIR`, and builds all the
//! Zig, with the migz Zig runtime embedded in this crate, into one static library that it
//! tells Cargo to link. The Zig runtime's local transport calls the `migz1_*` C functions of
//! the `migz` crate, so a crate using migz-build depends on `migz` (and nothing else: the
//! functions are linked because the generated Rust uses `migz`).
//!
//! A crate with Zig code and no `.defs` (a stream producer, say) builds it with
//! [`Config::zig_source`] and [`Config::compile_zig`].
//!
//! Zig is the pinned 0.17.1: `$ZIG`, else `zig` on `PATH`, else `python3 -m ziglang`
//! (`pip install ziglang==0.17.1`, or `scripts/setup` in the migz repository).

#![forbid(unsafe_code)]

mod lto;

use migz_defs::pp::MacroArg;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Zig version migz is written for; others are refused before they can fail obscurely.
pub const ZIG_VERSION: &str = "0.17.1";

/// The migz Zig runtime (`zig/src`), embedded so that migz-build works outside the migz
/// repository. Paths are relative to the runtime's root directory.
const ZIG_RUNTIME: &[(&str, &str)] = &[
    ("abi.zig", include_str!("../zig/abi.zig")),
    ("api.zig", include_str!("../zig/api.zig")),
    ("bootstrap.zig", include_str!("../zig/bootstrap.zig")),
    ("bridge.zig", include_str!("../zig/bridge.zig")),
    ("codec.zig", include_str!("../zig/codec.zig")),
    ("channel.zig", include_str!("../zig/channel.zig")),
    ("errors.zig", include_str!("../zig/errors.zig")),
    ("message.zig", include_str!("../zig/message.zig")),
    ("migz.zig", include_str!("../zig/migz.zig")),
    ("park.zig", include_str!("../zig/park.zig")),
    ("rights.zig", include_str!("../zig/rights.zig")),
    ("server.zig", include_str!("../zig/server.zig")),
    ("stream.zig", include_str!("../zig/stream.zig")),
    ("stubs.zig", include_str!("../zig/stubs.zig")),
    ("task.zig", include_str!("../zig/task.zig")),
    ("testing.zig", include_str!("../zig/testing.zig")),
    ("transport.zig", include_str!("../zig/transport.zig")),
    (
        "transport/local.zig",
        include_str!("../zig/transport/local.zig"),
    ),
    (
        "transport/mach.zig",
        include_str!("../zig/transport/mach.zig"),
    ),
    (
        "transport/migz_c.zig",
        include_str!("../zig/transport/migz_c.zig"),
    ),
];

/// What can go wrong in [`Config::compile`].
///
/// Its `Debug` is its `Display`, the message with the fix: a build script's
/// `fn main() -> Result<(), Box<dyn std::error::Error>>` prints the error's `Debug`, and
/// the user should read the diagnostics and Zig's errors as they were printed, not as
/// escaped struct fields.
#[derive(thiserror::Error)]
pub enum Error {
    /// A `.defs` file has errors; each was also printed as a `cargo:warning` line.
    #[error("{file} has {count} error(s); fix them and build again:\n\n{rendered}")]
    Defs {
        /// The `.defs` file.
        file: PathBuf,
        /// How many errors it has.
        count: usize,
        /// The errors rendered as `migz check` renders them: code, location, source line
        /// with a caret, and a note.
        rendered: String,
    },
    /// A `.defs` file defines no subsystem.
    #[error("{0} defines no subsystem: add a `subsystem NAME BASE;` statement before its routines")]
    NoSubsystem(PathBuf),
    /// Two `.defs` files define subsystems of the same name.
    #[error(
        "subsystem `{0}` is defined twice: each subsystem's stubs are one file, so give the \
         .defs files to two `Config` runs with two `lib_name`s, or rename one subsystem"
    )]
    DuplicateSubsystem(String),
    /// No Zig, or not the pinned version.
    #[error(
        "{found}; migz needs Zig {ZIG_VERSION}: run `pip install ziglang=={ZIG_VERSION}` (or scripts/setup in the migz repository), or set ZIG to a Zig {ZIG_VERSION} binary"
    )]
    Zig {
        /// What was found instead.
        found: String,
    },
    /// Zig ran but did not build the library.
    #[error(
        "zig build-lib failed ({status}); Zig printed:\n\n{stderr}\n\
         errors in the crate's own `zig_source` files are the crate's to fix; errors in the \
         generated stubs or in the migz runtime (under {out_dir}) are migz bugs: please \
         report them with the `.defs`"
    )]
    ZigBuild {
        /// Its exit status.
        status: String,
        /// What it printed, as it printed it.
        stderr: String,
        /// Where the generated files and the runtime were written.
        out_dir: String,
    },
    /// An environment variable Cargo sets for build scripts is missing.
    #[error(
        "{0} is not set: call migz-build from a build script (build.rs), or set `out_dir` \
         (and TARGET) when calling it from elsewhere"
    )]
    Env(&'static str),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The settings of one generation run, built like `prost_build::Config`.
#[derive(Clone, Debug, Default)]
pub struct Config {
    include_dirs: Vec<PathBuf>,
    macros: Vec<MacroArg>,
    out_dir: Option<PathBuf>,
    lib_name: Option<String>,
    emit_rust: bool,
    skip_zig_build: bool,
    zig_sources: Vec<PathBuf>,
    /// The Rust target triple, when not `$TARGET` (tests).
    target: Option<String>,
    cross_language_lto: bool,
}

impl Config {
    /// A configuration with no include directories and no macros.
    pub fn new() -> Self {
        Self {
            emit_rust: true,
            ..Self::default()
        }
    }

    /// Adds a `-I` directory for `#include`.
    pub fn include_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.include_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Defines a macro (`-D NAME` or `-D NAME=VALUE`).
    pub fn define(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        self.macros.push(MacroArg::Define(
            name.to_string(),
            value.map(str::to_string),
        ));
        self
    }

    /// Undefines a macro (`-U NAME`), including the predefined `__MACH30__`/`__LP64__`.
    pub fn undefine(&mut self, name: &str) -> &mut Self {
        self.macros.push(MacroArg::Undef(name.to_string()));
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Names the static library (default `migzstubs_<first subsystem>`, or
    /// `migzzig_<first Zig source's stem>` without `.defs`).
    pub fn lib_name(&mut self, name: &str) -> &mut Self {
        self.lib_name = Some(name.to_string());
        self
    }

    /// Whether to write `<subsystem>.rs` (default yes); a crate that only calls the Zig
    /// exports through its own declarations can turn it off.
    pub fn emit_rust(&mut self, yes: bool) -> &mut Self {
        self.emit_rust = yes;
        self
    }

    /// Generates the files without building or linking the Zig (for tests of the
    /// generation itself, and tools that build the Zig their own way).
    pub fn skip_zig_build(&mut self, yes: bool) -> &mut Self {
        self.skip_zig_build = yes;
        self
    }

    /// Builds a Zig file of the crate's own into the same library, such as a server
    /// implementation or a client that Rust calls (see `migz.bridge` in the Zig runtime
    /// and `migz::zig_entry!`). The file imports the runtime as `@import("migz")` and each
    /// generated subsystem by its name (`@import("mach_port")`); its `export`s are linked.
    pub fn zig_source(&mut self, file: impl AsRef<Path>) -> &mut Self {
        self.zig_sources.push(file.as_ref().to_path_buf());
        self
    }

    /// Links the Zig half as LLVM bitcode when Rust's half is (the build passes
    /// `-Clinker-plugin-lto`), so that the linker inlines the generated pack and unpack
    /// functions into their Rust callers; without that flag nothing changes.
    ///
    /// It also takes a linker that reads bitcode (rust-lld, the default on
    /// `x86_64-unknown-linux-gnu`) and rustc and the pinned Zig on the same LLVM major
    /// version; when either is missing the build warns why and links machine code.
    ///
    /// ```text
    /// RUSTFLAGS="-Clinker-plugin-lto" cargo build --release
    /// ```
    pub fn cross_language_lto(&mut self, yes: bool) -> &mut Self {
        self.cross_language_lto = yes;
        self
    }

    /// Builds and links the crate's [`zig_source`](Self::zig_source) files with the migz
    /// Zig runtime and no `.defs`: for Zig code that only uses the runtime (a stream
    /// producer, a channel service). The same as `compile` with no files.
    pub fn compile_zig(&self) -> Result<(), Error> {
        self.compile(&[] as &[&Path]).map(drop)
    }

    /// Generates stubs for every file in `defs`, builds the Zig half (the stubs and the
    /// [`zig_source`](Self::zig_source) files) and links it. Returns the subsystem names in
    /// order.
    pub fn compile(&self, defs: &[impl AsRef<Path>]) -> Result<Vec<String>, Error> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(Error::Env("OUT_DIR"))?),
        };
        let options = migz_defs::Options {
            include_dirs: self.include_dirs.clone(),
            macros: self.macros.clone(),
        };
        println!("cargo:rerun-if-env-changed=ZIG");
        let mut names: Vec<String> = Vec::new();
        let mut zig_files = Vec::new();
        for file in defs {
            let file = file.as_ref();
            let front = migz_defs::run(file, &options);
            println!("cargo:rerun-if-changed={}", file.display());
            for read in &front.files_read {
                println!("cargo:rerun-if-changed={}", read.display());
            }
            for d in &front.diagnostics {
                println!("cargo:warning={}", migz_defs::diag::one_line(&front.map, d));
            }
            if front.has_errors() {
                let errors: Vec<_> = front
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .cloned()
                    .collect();
                return Err(Error::Defs {
                    file: file.to_path_buf(),
                    count: errors.len(),
                    rendered: migz_defs::diag::render(&front.map, &errors),
                });
            }
            if front.subsystems.is_empty() {
                return Err(Error::NoSubsystem(file.to_path_buf()));
            }
            let source = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for sub in &front.subsystems {
                if names.contains(&sub.name) {
                    return Err(Error::DuplicateSubsystem(sub.name.clone()));
                }
                names.push(sub.name.clone());
                let zig = migz_codegen::zig::generate(sub, &source);
                let zig_path = out_dir.join(&zig.name);
                write(&zig_path, &zig.contents)?;
                zig_files.push(zig_path);
                if self.emit_rust {
                    let rust = migz_codegen::rust::generate(sub, &source);
                    write(&out_dir.join(&rust.name), &rust.contents)?;
                }
            }
        }
        if self.skip_zig_build || (names.is_empty() && self.zig_sources.is_empty()) {
            return Ok(names);
        }
        let runtime = out_dir.join("migz-zig");
        for (path, text) in ZIG_RUNTIME {
            let path = runtime.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            write(&path, text)?;
        }
        // One root file imports every generated subsystem and every Zig source of the
        // crate, each a module of its own, so all their exports land in one library.
        let mut modules: Vec<(String, PathBuf)> = names.iter().cloned().zip(zig_files).collect();
        for (i, file) in self.zig_sources.iter().enumerate() {
            println!("cargo:rerun-if-changed={}", file.display());
            let file = std::fs::canonicalize(file).map_err(|source| Error::Io {
                path: file.clone(),
                source,
            })?;
            modules.push((format!("migz_user_{i}"), file));
        }
        let mut root = String::from(
            "//! Every generated subsystem and Zig source of this crate, built as one library.\n\n/// A Rust program links this library, and with it the Rust half of migz.\npub const migz_rust_linked = true;\n\ncomptime {\n",
        );
        for (name, _) in &modules {
            let _ = writeln!(root, "    _ = @import(\"{name}\");");
        }
        root.push_str("}\n");
        let root_path = out_dir.join("migz_stubs_root.zig");
        write(&root_path, &root)?;
        let lib = match (&self.lib_name, names.first()) {
            (Some(name), _) => name.clone(),
            (None, Some(first)) => format!("migzstubs_{first}"),
            // Zig sources alone: the first one's stem names the library.
            (None, None) => format!(
                "migzzig_{}",
                self.zig_sources[0]
                    .file_stem()
                    .map(|s| s
                        .to_string_lossy()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
                    .unwrap_or_default()
            ),
        };
        let rust_target = match &self.target {
            Some(t) => t.clone(),
            None => std::env::var("TARGET").map_err(|_| Error::Env("TARGET"))?,
        };
        let target = zig_target(&rust_target);
        let mut zig = zig_command()?;
        zig.args([
            "build-lib",
            "-static",
            "-O",
            "ReleaseFast",
            "-fPIC",
            "-target",
            &target,
        ])
        .args(["--name", &lib]);
        // The root module comes first; `--dep` flags belong to the `-M` that follows them.
        // Subsystems see the runtime; the crate's sources see the runtime and every
        // subsystem.
        zig.args(["--dep", "migz"]);
        for (name, _) in &modules {
            zig.args(["--dep", name]);
        }
        zig.arg(format!("-Mroot={}", root_path.display()));
        for (i, (name, path)) in modules.iter().enumerate() {
            zig.args(["--dep", "migz"]);
            if i >= names.len() {
                for sub in &names {
                    zig.args(["--dep", sub]);
                }
            }
            zig.arg(format!("-M{name}={}", path.display()));
        }
        zig.arg(format!("-Mmigz={}", runtime.join("migz.zig").display()));
        let archive = out_dir.join(format!("lib{lib}.a"));
        let bitcode = out_dir.join(format!("lib{lib}.bc"));
        let lto = self.cross_language_lto && lto_available(&rust_target)?;
        if lto {
            zig.args([
                "-fno-emit-bin",
                &format!("-femit-llvm-bc={}", bitcode.display()),
            ]);
        } else {
            zig.arg(format!("-femit-bin={}", archive.display()));
        }
        let output = zig.current_dir(&out_dir).output().map_err(|e| Error::Zig {
            found: format!("zig did not run ({e})"),
        })?;
        if !output.status.success() {
            return Err(Error::ZigBuild {
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                out_dir: out_dir.display().to_string(),
            });
        }
        if lto {
            lto::archive_thin_bitcode(zig_command, &target, &bitcode, &archive, &out_dir)?;
        }
        println!("cargo:rustc-link-search=native={}", out_dir.display());
        println!("cargo:rustc-link-lib=static={lib}");
        Ok(names)
    }
}

/// Whether a build for `target` links the Zig half as bitcode: when Rust's half is bitcode
/// and the Zig half can join it; warns when it cannot.
fn lto_available(target: &str) -> Result<bool, Error> {
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if !rustflags.contains("linker-plugin-lto") {
        // Rust's half is machine code: so is the Zig half, and there is nothing to ask.
        return Ok(false);
    }
    let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    let mut zig_cc = zig_command()?;
    zig_cc.arg("cc");
    match lto::plan(
        &rustflags,
        target,
        &lto::version_text(rustc, "-vV"),
        &lto::version_text(zig_cc, "--version"),
    ) {
        lto::Link::Bitcode => Ok(true),
        lto::Link::MachineCode => Ok(false),
        lto::Link::Fallback(why) => {
            println!(
                "cargo:warning=migz-build: cross-language LTO is off and the Zig half is linked as machine code: {why}"
            );
            Ok(false)
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    // Unchanged files are left alone so that their timestamps do not trigger rebuilds.
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The pinned Zig: `$ZIG`, else `zig` on `PATH`, else `python3 -m ziglang`, each checked
/// with `zig version`.
pub fn zig_command() -> Result<Command, Error> {
    zig_command_from(std::env::var_os("ZIG"))
}

/// [`zig_command`] with `$ZIG` given, so tests need not change the environment.
fn zig_command_from(zig_env: Option<std::ffi::OsString>) -> Result<Command, Error> {
    let candidates: Vec<(String, Vec<String>)> = match zig_env {
        Some(z) => vec![(z.to_string_lossy().into_owned(), vec![])],
        None => vec![
            ("zig".into(), vec![]),
            ("python3".into(), vec!["-m".into(), "ziglang".into()]),
        ],
    };
    let mut found = Vec::new();
    for (program, args) in &candidates {
        let shown = std::iter::once(program.as_str())
            .chain(args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        match Command::new(program).args(args).arg("version").output() {
            Ok(o) if o.status.success() => {
                let version = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if version == ZIG_VERSION {
                    let mut c = Command::new(program);
                    c.args(args);
                    return Ok(c);
                }
                found.push(format!("`{shown}` is Zig {version}"));
            }
            _ => found.push(format!("`{shown}` did not run")),
        }
    }
    Err(Error::Zig {
        found: found.join(", "),
    })
}

/// Zig's name for a Rust target triple.
pub fn zig_target(rust: &str) -> String {
    let arch = rust.split('-').next().unwrap_or("x86_64");
    if rust.contains("apple") {
        format!("{arch}-macos.11.0")
    } else if rust.contains("musl") {
        format!("{arch}-linux-musl")
    } else {
        format!("{arch}-linux-gnu")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(zig_target("x86_64-unknown-linux-gnu"), "x86_64-linux-gnu");
        assert_eq!(zig_target("aarch64-apple-darwin"), "aarch64-macos.11.0");
        assert_eq!(zig_target("x86_64-unknown-linux-musl"), "x86_64-linux-musl");
    }

    #[test]
    fn a_missing_zig_names_the_fix() {
        let err = zig_command_from(Some("/nonexistent/zig".into())).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`/nonexistent/zig` did not run"), "{text}");
        assert!(text.contains("pip install ziglang==0.17.1"), "{text}");
        assert!(text.contains("set ZIG"), "{text}");
    }

    #[test]
    fn a_zig_of_another_version_is_refused() {
        // `echo version` prints "version", which is not 0.17.1.
        let err = zig_command_from(Some("echo".into())).unwrap_err();
        assert!(err.to_string().contains("`echo` is Zig version"), "{err}");
    }

    #[test]
    fn embedded_runtime_is_complete() {
        // Every file of the runtime directory must be embedded, or a build outside the
        // repository fails. `zig/` in this crate is the runtime itself (in the repository,
        // a link to `zig/src`; in the package, its files).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("zig");
        let mut on_disk = Vec::new();
        for dir in ["", "transport"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "zig") {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    on_disk.push(if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    });
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = ZIG_RUNTIME.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn embedded_runtime_is_the_repositorys() {
        // In the repository, what this crate embeds (and ships) must be `zig/src`, which
        // `build.zig` builds and the Zig tests test: were the link ever replaced by a copy,
        // the copies must not drift apart. In the package there is nothing to compare.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../zig/src");
        if !repo.join("migz.zig").is_file() {
            return;
        }
        for (path, text) in ZIG_RUNTIME {
            let on_disk = std::fs::read_to_string(repo.join(path)).unwrap();
            assert!(
                on_disk == *text,
                "zig/src/{path} differs from what migz-build embeds"
            );
        }
    }

    #[test]
    fn errors_read_as_messages() {
        // A build script's `main` prints the error's Debug: it must be the message.
        let err = Error::Zig {
            found: "`zig` did not run".into(),
        };
        assert_eq!(format!("{err:?}"), err.to_string());
        assert!(!format!("{err:?}").contains("Zig {"), "{err:?}");
    }

    #[test]
    fn a_zig_compile_error_is_printed_as_zig_printed_it() {
        let dir = std::env::temp_dir().join(format!("migz-build-zigerr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("broken.zig");
        std::fs::write(
            &source,
            "export fn broken() i32 {\n    return not_declared_here;\n}\n",
        )
        .unwrap();
        let mut config = Config::new();
        config.out_dir(&dir).zig_source(&source);
        config.target = Some("x86_64-unknown-linux-gnu".into());
        let err = config.compile_zig().unwrap_err();
        let text = format!("{err:?}");
        assert!(matches!(err, Error::ZigBuild { .. }), "{text}");
        // Zig's own lines, unescaped: the file, line and column, and the message.
        assert!(
            text.contains(
                "broken.zig:2:12: error: use of undeclared identifier 'not_declared_here'\n"
            ),
            "{text}"
        );
        assert!(text.contains("crate's own `zig_source` files"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn zig_sources_alone_build_a_library() {
        let dir = std::env::temp_dir().join(format!("migz-build-zigonly-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("only.zig");
        std::fs::write(
            &source,
            "const migz = @import(\"migz\");\n\nexport fn only_success() i32 {\n    return migz.kern.success;\n}\n",
        )
        .unwrap();
        let mut config = Config::new();
        config.out_dir(&dir).zig_source(&source);
        config.target = Some("x86_64-unknown-linux-gnu".into());
        config.compile_zig().unwrap();
        let lib = std::fs::read(dir.join("libmigzzig_only.a")).unwrap();
        assert!(lib.windows(12).any(|w| w == b"only_success"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_defs_is_an_error_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("migz-build-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let defs = dir.join("bad.defs");
        std::fs::write(&defs, "subsystem bad 100;\nroutine f(p : nope_t);\n").unwrap();
        let err = Config::new()
            .out_dir(&dir)
            .skip_zig_build(true)
            .compile(&[&defs])
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("bad.defs has 1 error(s); fix them"), "{text}");
        assert!(matches!(err, Error::Defs { count: 1, .. }), "{text}");
        // Rendered as `migz check` renders it: the code, the place, the source line.
        assert!(
            text.contains("error[unknown-type]: unknown type `nope_t`"),
            "{text}"
        );
        assert!(text.contains("bad.defs:2:15"), "{text}");
        assert!(text.contains("routine f(p : nope_t);"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn generates_both_languages() {
        let dir = std::env::temp_dir().join(format!("migz-build-ok-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let defs =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/defs/array_test.defs");
        let names = Config::new()
            .out_dir(&dir)
            .skip_zig_build(true)
            .compile(&[&defs])
            .unwrap();
        assert_eq!(names, ["array_test"]);
        assert!(dir.join("array_test.zig").is_file());
        assert!(dir.join("array_test.rs").is_file());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
