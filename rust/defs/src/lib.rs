//! The migz front end: from a `.defs` file to one IR with message ids and byte-exact
//! request and reply layouts, as Apple's MIG computes them.
//!
//! The pipeline is [`pp`] (a C preprocessor), [`parse`] (a recovering parser into an
//! [`ast`]), then [`sema`] (types, implicit arguments, ids) and [`layout`], giving
//! [`ir::Subsystem`]s. [`run`] runs all of it.

#![forbid(unsafe_code)]

pub mod ast;
pub mod diag;
pub mod ir;
pub mod layout;
pub mod parse;
pub mod pp;
pub mod sema;
pub mod source;

use diag::Diagnostic;
use source::{SourceMap, Span};
use std::path::{Path, PathBuf};

/// Options of one front-end run, as the command line gives them.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-I` directories in order.
    pub include_dirs: Vec<PathBuf>,
    /// `-D`/`-U` in order.
    pub macros: Vec<pp::MacroArg>,
}

/// The result of running the front end on one file.
#[derive(Debug)]
pub struct Output {
    /// Every file read.
    pub map: SourceMap,
    /// The subsystems found (may be partial when there are errors).
    pub subsystems: Vec<ir::Subsystem>,
    /// All diagnostics, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file the run read, for build-script rerun lines.
    pub files_read: Vec<PathBuf>,
}

impl Output {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs the whole front end on `path`: preprocess (with `__MACH30__` and `__LP64__`
/// defined, as Apple's `mig` on a 64-bit Mac does), parse, analyze, lay out.
pub fn run(path: &Path, options: &Options) -> Output {
    let mut map = SourceMap::new();
    match map.load(path) {
        Ok(id) => run_loaded(map, id, options),
        Err(err) => Output {
            map,
            subsystems: Vec::new(),
            diagnostics: vec![Diagnostic::error(
                "file-not-found",
                format!("cannot read `{}`: {err}", path.display()),
            )],
            files_read: Vec::new(),
        },
    }
}

/// At most this many diagnostics are kept from one run: past it they are noise, and
/// rendering each with its source line must stay cheap however broken the input.
pub const DIAGNOSTICS_MAX: usize = 100;

/// Keeps the first [`DIAGNOSTICS_MAX`] of a run's diagnostics and sums up the rest, with
/// those the stages only counted (`dropped_errors`, `dropped_warnings`). The summary is an
/// error when an error was left out, so a run's verdict never depends on what is shown.
fn limit_diagnostics(
    diagnostics: &mut Vec<Diagnostic>,
    dropped_errors: usize,
    dropped_warnings: usize,
) {
    let (mut errors, mut warnings) = (dropped_errors, dropped_warnings);
    if diagnostics.len() > DIAGNOSTICS_MAX {
        let dropped = &diagnostics[DIAGNOSTICS_MAX..];
        let e = dropped.iter().filter(|d| d.is_error()).count();
        errors += e;
        warnings += dropped.len() - e;
        diagnostics.truncate(DIAGNOSTICS_MAX);
    }
    if errors + warnings == 0 {
        return;
    }
    let message = format!("{errors} more error(s) and {warnings} more warning(s) not shown");
    let summary = if errors > 0 {
        Diagnostic::error("too-many-errors", message)
    } else {
        Diagnostic::warning("too-many-warnings", message)
    };
    diagnostics.push(summary.note(format!(
        "migz shows the first {DIAGNOSTICS_MAX} diagnostics of a run"
    )));
}

/// Runs the front end on text in memory, named `path` in diagnostics (includes are still
/// searched on disk). Fuzzing and tests use it.
pub fn run_text(path: &Path, text: String, options: &Options) -> Output {
    let mut map = SourceMap::new();
    let id = map.add(path, text);
    run_loaded(map, id, options)
}

fn run_loaded(mut map: SourceMap, file: source::FileId, options: &Options) -> Output {
    let path = map.file(file).path.clone();
    // Apple's `mig` runs the C compiler's preprocessor with `-D__MACH30__`; that compiler
    // targets an LP64 Darwin, so `__LP64__` is predefined too (`.defs` files pick 64-bit
    // `vm_size_t` and friends with it). Both can be undone with `-U`.
    let mut macros = vec![
        pp::MacroArg::Define("__MACH30__".into(), None),
        pp::MacroArg::Define("__LP64__".into(), None),
    ];
    macros.extend(options.macros.iter().cloned());
    let pp_options = pp::Options {
        include_dirs: options.include_dirs.clone(),
        macros,
        max_include_depth: 0,
        no_builtin_includes: false,
    };
    let pre = pp::preprocess(&mut map, file, &pp_options);
    let mut diags = diag::Diags::new();
    diags.extend(pre.diagnostics);
    let eof = {
        let len = map.file(file).text.len();
        Span::new(file, len, len)
    };
    let (ast, parse_diags) = parse::parse(pre.tokens, eof);
    diags.append(parse_diags);
    let (subsystems, sema_diags) = sema::analyze(&map, &ast);
    diags.append(sema_diags);
    if subsystems.is_empty() && !diags.has_errors() {
        diags.push(sema::no_subsystem(&ast));
    }
    drop(ast);
    let (mut diagnostics, dropped_errors, dropped_warnings) = diags.into_parts();
    limit_diagnostics(&mut diagnostics, dropped_errors, dropped_warnings);
    let mut files_read = vec![path];
    files_read.extend(pre.files_read);
    files_read.dedup();
    Output {
        map,
        subsystems,
        diagnostics,
        files_read,
    }
}
