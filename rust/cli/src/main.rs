//! `migz`: MIG for Rust and Zig. `migz check` reports what is wrong with `.defs` files,
//! `migz layout` prints the message layouts Apple's MIG would produce, `migz gen` writes stubs,
//! `migz diff` reports wire-incompatible changes between two versions of a `.defs` file.

#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use migz_defs::diag::{self, Diagnostic, Severity};
use migz_defs::ir::{Layout, Subsystem};
use migz_defs::{Options, pp::MacroArg};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

mod diff;
mod rustfmt;

#[derive(Parser)]
#[command(
    name = "migz",
    version,
    about = "MIG (the Mach Interface Generator) for Rust and Zig"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Preprocess, parse and analyze .defs files; exit 1 if any has errors.
    Check {
        #[command(flatten)]
        pp: PpArgs,
        /// The .defs files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Generate stubs: one file per subsystem in each requested language's directory.
    Gen {
        /// Write `<subsystem>.zig` files into this directory.
        #[arg(long, value_name = "DIR")]
        zig: Option<PathBuf>,
        /// Write `<subsystem>.rs` files into this directory.
        #[arg(long, value_name = "DIR")]
        rust: Option<PathBuf>,
        /// Leave the Rust files as the writer lays them out (with prettyplease), without
        /// passing them through rustfmt (`$RUSTFMT`, else on `PATH`) when it is found.
        #[arg(long)]
        no_rustfmt: bool,
        #[command(flatten)]
        pp: PpArgs,
        /// The .defs files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the request and reply layout of every routine.
    Layout {
        /// Print JSON in the shape of SPEC section 4 instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        pp: PpArgs,
        /// The .defs file.
        file: PathBuf,
    },
    /// Report wire-incompatible changes from OLD to NEW (routines removed or renumbered,
    /// arguments retyped or reordered, layouts moved); exit 1 when there are any.
    Diff {
        #[command(flatten)]
        pp: PpArgs,
        /// The old .defs file.
        old: PathBuf,
        /// The new .defs file.
        new: PathBuf,
    },
}

#[derive(Args)]
struct PpArgs {
    /// Add a directory to the include search path.
    #[arg(short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Define a macro: NAME or NAME=VALUE.
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    define: Vec<String>,
    /// Undefine a macro.
    #[arg(short = 'U', value_name = "NAME")]
    undef: Vec<String>,
}

impl PpArgs {
    /// The front end's options, with `-D`/`-U` in command-line order.
    fn options(&self, macros: Vec<MacroArg>) -> Options {
        Options {
            include_dirs: self.include.clone(),
            macros,
        }
    }
}

/// `-D` and `-U` in command-line order: clap keeps each list in order but not their
/// interleaving, which matters for `-DX -UX` against `-UX -DX`.
fn macro_order(args: &[String], pp: &PpArgs) -> Vec<MacroArg> {
    let mut out = Vec::new();
    let mut defines = pp.define.iter();
    let mut undefs = pp.undef.iter();
    for a in args {
        let next = match a.get(..2) {
            Some("-D") => defines.next().map(|d| parse_define(d)),
            Some("-U") => undefs.next().map(|u| MacroArg::Undef(u.clone())),
            _ => None,
        };
        out.extend(next);
    }
    // Anything clap read in a form the scan above missed keeps its relative order at the end.
    out.extend(defines.map(|d| parse_define(d)));
    out.extend(undefs.map(|u| MacroArg::Undef(u.clone())));
    out
}

fn parse_define(d: &str) -> MacroArg {
    match d.split_once('=') {
        Some((name, value)) => MacroArg::Define(name.to_string(), Some(value.to_string())),
        None => MacroArg::Define(d.to_string(), None),
    }
}

/// A generator: a subsystem and its `.defs` file name give one file.
type Writer = fn(&migz_defs::ir::Subsystem, &str) -> migz_codegen::GeneratedFile;

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    let cli = Cli::parse();
    match cli.command {
        Command::Check { pp, files } => {
            let options = pp.options(macro_order(&raw, &pp));
            let mut failed = false;
            for file in &files {
                let out = migz_defs::run(file, &options);
                report(&out.map, &out.diagnostics);
                failed |= out.has_errors();
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Gen {
            zig,
            rust,
            no_rustfmt,
            pp,
            files,
        } => {
            if zig.is_none() && rust.is_none() {
                eprintln!("migz gen: nothing to generate; give --zig DIR and/or --rust DIR");
                return ExitCode::from(2);
            }
            let rustfmt = match (&rust, no_rustfmt) {
                (Some(_), false) => rustfmt::Rustfmt::find()
                    .inspect_err(|why| {
                        eprintln!(
                            "migz gen: note: rustfmt not used ({why}); the Rust files are laid out by prettyplease alone"
                        );
                    })
                    .ok(),
                _ => None,
            };
            let options = pp.options(macro_order(&raw, &pp));
            let mut failed = false;
            for file in &files {
                let out = migz_defs::run(file, &options);
                report(&out.map, &out.diagnostics);
                if out.has_errors() {
                    failed = true;
                    continue;
                }
                let source = file.file_name().map_or_else(
                    || file.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                for sub in &out.subsystems {
                    if let Some(why) = migz_codegen::unsupported(sub) {
                        eprintln!("migz gen: {}: {why}", file.display());
                        failed = true;
                        continue;
                    }
                    let writers: [(&Option<PathBuf>, Writer); 2] = [
                        (&zig, migz_codegen::zig::generate),
                        (&rust, migz_codegen::rust::generate),
                    ];
                    for (dir, generate) in writers {
                        let Some(dir) = dir else { continue };
                        let mut generated = generate(sub, &source);
                        if let (Some(fmt), true) = (&rustfmt, generated.name.ends_with(".rs")) {
                            match fmt.format(&generated.contents) {
                                Ok(text) => generated.contents = text,
                                Err(why) => eprintln!(
                                    "migz gen: warning: {}: {why}; left as prettyplease laid it out",
                                    generated.name
                                ),
                            }
                        }
                        if let Err(e) = write_if_changed(dir, &generated) {
                            eprintln!(
                                "migz gen: cannot write {}: {e}",
                                dir.join(&generated.name).display()
                            );
                            failed = true;
                        }
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Diff { pp, old, new } => {
            let options = pp.options(macro_order(&raw, &pp));
            let before = migz_defs::run(&old, &options);
            report(&before.map, &before.diagnostics);
            let after = migz_defs::run(&new, &options);
            report(&after.map, &after.diagnostics);
            if before.has_errors() || after.has_errors() {
                return ExitCode::from(2);
            }
            let changes = diff::diff(&before.subsystems, &after.subsystems);
            let mut text = String::new();
            for c in &changes {
                let tag = if c.incompatible {
                    "incompatible"
                } else {
                    "compatible"
                };
                text.push_str(&format!("{tag}: {}\n", c.what));
            }
            let broken = changes.iter().filter(|c| c.incompatible).count();
            text.push_str(&match broken {
                0 => "no wire-incompatible changes\n".to_string(),
                n => format!("{n} wire-incompatible change(s)\n"),
            });
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(text.as_bytes()).is_err() {
                return ExitCode::from(2);
            }
            if broken == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Layout { json, pp, file } => {
            let options = pp.options(macro_order(&raw, &pp));
            let out = migz_defs::run(&file, &options);
            report(&out.map, &out.diagnostics);
            if out.has_errors() {
                return ExitCode::FAILURE;
            }
            let text = if json {
                layout_json(&out.subsystems)
            } else {
                layout_table(&out.subsystems)
            };
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(text.as_bytes()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
    }
}

fn report(map: &migz_defs::source::SourceMap, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        codespan_reporting::term::termcolor::ColorChoice::Auto
    } else {
        codespan_reporting::term::termcolor::ColorChoice::Never
    };
    // Buffered: a diagnostic on a long source line is written in many small pieces, and a
    // write call each made showing a hundred of them take seconds.
    let mut stderr = codespan_reporting::term::termcolor::BufferedStandardStream::stderr(choice);
    diag::emit(map, diagnostics, &mut stderr);
    let _ = std::io::Write::flush(&mut stderr);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if errors > 0 {
        eprintln!("migz: {errors} error(s), {warnings} warning(s)");
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn layout_json_one(l: &Layout) -> String {
    let fields: Vec<String> = l
        .fields
        .iter()
        .map(|f| {
            format!(
                "{{\"name\": {}, \"offset\": {}, \"size\": {}}}",
                json_string(&f.name),
                f.offset,
                f.size
            )
        })
        .collect();
    format!(
        "{{\"size\": {}, \"fields\": [{}]}}",
        l.size,
        fields.join(", ")
    )
}

/// The JSON of SPEC section 4: one object per subsystem (one file usually has one; several
/// become a JSON array).
fn layout_json(subsystems: &[Subsystem]) -> String {
    let objs: Vec<String> = subsystems
        .iter()
        .map(|s| {
            let routines: Vec<String> = s
                .routines
                .iter()
                .map(|r| {
                    let kind = match r.kind {
                        migz_defs::ir::RoutineKind::Routine => "routine",
                        migz_defs::ir::RoutineKind::SimpleRoutine => "simpleroutine",
                    };
                    format!(
                        "  {{\"name\": {}, \"id\": {}, \"kind\": \"{kind}\",\n   \"request\": {},\n   \"reply\": {}}}",
                        json_string(&r.name),
                        r.id,
                        layout_json_one(&r.request),
                        r.reply.as_ref().map_or("null".to_string(), layout_json_one)
                    )
                })
                .collect();
            format!(
                "{{\"subsystem\": {}, \"base\": {},\n \"routines\": [\n{}\n ]}}",
                json_string(&s.name),
                s.base,
                routines.join(",\n")
            )
        })
        .collect();
    match objs.len() {
        1 => format!("{}\n", objs[0]),
        _ => format!("[{}]\n", objs.join(",\n")),
    }
}

/// A readable table in the manner of `pahole`.
fn layout_table(subsystems: &[Subsystem]) -> String {
    let mut out = String::new();
    for s in subsystems {
        out.push_str(&format!("subsystem {} (base {})\n\n", s.name, s.base));
        for r in &s.routines {
            let mut one = |what: &str, id: u32, l: &Layout| {
                out.push_str(&format!(
                    "{what} {} {{ /* id {id}, {}{} descriptor(s) */\n",
                    r.name,
                    if l.complex { "complex, " } else { "simple, " },
                    l.descriptor_count
                ));
                for f in &l.fields {
                    let decl = match f.c_type.split_once('[') {
                        Some((base, dims)) => format!("{base} {}[{dims};", f.name),
                        None => format!("{} {};", f.c_type, f.name),
                    };
                    out.push_str(&format!(
                        "\t{decl:<52} /* {:>6} {:>6} */\n",
                        f.offset, f.size
                    ));
                }
                out.push_str(&format!(
                    "\t/* size: {}, minimum size: {} */\n}};\n\n",
                    l.size, l.min_size
                ));
            };
            one("request", r.id, &r.request);
            if let Some(reply) = &r.reply {
                one("reply", r.reply_id(), reply);
            }
        }
    }
    out
}

/// Writes a generated file, leaving it untouched when its contents are the same (so build
/// systems that watch modification times do not rebuild for nothing).
fn write_if_changed(
    dir: &std::path::Path,
    file: &migz_codegen::GeneratedFile,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(&file.name);
    if std::fs::read(&path).is_ok_and(|old| old == file.contents.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, &file.contents)
}
