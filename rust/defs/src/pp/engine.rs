//! The preprocessor proper: an explicit stack of open files, an explicit stack of
//! conditional groups, and macro expansion by Prosser's hide-set algorithm (each token
//! carries the set of macros it may no longer expand, so `#define foo foo` and mutual
//! recursion stop). Expansion pushes its result back onto a token stack and rescans it in
//! a loop; the only recursion is argument pre-expansion, and that is bounded.

use super::expr::{self, ExprTok};
use super::lex::{self, FxMap, Interner, RawTok, Sym};
use super::{MacroArg, Options, Output, Token, TokenKind};
use super::{builtin, codes};
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Every resource limit of one run, so that no input exhausts time or memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Nesting of `#include`s below the main file.
    pub include_depth: usize,
    /// `#include` directives processed in total (include trees can be exponential).
    pub includes: usize,
    /// Tokens produced by macro substitution in total. Real `.defs` files produce a few
    /// thousand; some hostile nestings cost time that grows faster than this count.
    pub expansion_tokens: usize,
    /// Tokens handled by argument pre-expansion in total: nested arguments are expanded
    /// level by level, which can cost far more than the tokens they produce.
    pub expansion_work: usize,
    /// Tokens in the output.
    pub output_tokens: usize,
    /// Bytes of token text in the output: a long identifier multiplied by macros must not
    /// take memory that a token count alone would allow.
    pub output_bytes: usize,
    /// Size of one hide set, which is how deeply expansions nest.
    pub hide_set: usize,
    /// Nesting of macro arguments that are themselves expanded before substitution.
    pub arg_nesting: usize,
    /// Tokens held at once by the arguments being pre-expanded, every nesting level
    /// together: each level keeps its argument while the ones inside it expand, so deep
    /// nesting of long arguments would take memory of the depth times the input.
    pub arg_held: usize,
    /// Diagnostics reported before preprocessing stops.
    pub diagnostics: usize,
    /// Tokens one macro invocation may collect as its arguments: an unclosed `(` collects
    /// the rest of the input, includes and all (a self-including file held 6 million).
    pub arg_tokens: usize,
}

impl Limits {
    /// The limits for a run with these options.
    pub(crate) fn for_options(options: &Options) -> Limits {
        Limits {
            include_depth: options.include_depth_limit(),
            includes: 10_000,
            expansion_tokens: 500_000,
            expansion_work: 20_000_000,
            output_tokens: 500_000,
            output_bytes: 64 << 20,
            hide_set: 1000,
            arg_nesting: 200,
            arg_held: 200_000,
            diagnostics: 1000,
            arg_tokens: 250_000,
        }
    }
}

/// A token inside the preprocessor: the public [`Token`] with an interned spelling and a
/// hide set, small enough to copy freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PTok {
    kind: TokenKind,
    sym: Sym,
    span: Span,
    spelled: Option<Span>,
    space: bool,
    /// Index into [`HideSets`]; 0 is the empty set.
    hs: u32,
}

/// Interned, memoized hide sets: sorted symbol lists shared by every token that has them.
#[derive(Debug)]
struct HideSets {
    sets: Vec<Rc<[Sym]>>,
    index: FxMap<Rc<[Sym]>, u32>,
    add_memo: FxMap<(u32, Sym), u32>,
    union_memo: FxMap<(u32, u32), u32>,
    intersect_memo: FxMap<(u32, u32), u32>,
}

impl HideSets {
    fn new() -> HideSets {
        let empty: Rc<[Sym]> = Rc::from(Vec::new());
        let mut index = FxMap::default();
        index.insert(empty.clone(), 0);
        HideSets {
            sets: vec![empty],
            index,
            add_memo: FxMap::default(),
            union_memo: FxMap::default(),
            intersect_memo: FxMap::default(),
        }
    }

    fn contains(&self, hs: u32, sym: Sym) -> bool {
        hs != 0 && self.sets[hs as usize].binary_search(&sym).is_ok()
    }

    fn len(&self, hs: u32) -> usize {
        self.sets[hs as usize].len()
    }

    fn intern(&mut self, set: Vec<Sym>) -> u32 {
        if let Some(&id) = self.index.get(set.as_slice()) {
            return id;
        }
        let id =
            u32::try_from(self.sets.len()).expect("hide sets are bounded by the expansion limit");
        let set: Rc<[Sym]> = Rc::from(set);
        self.sets.push(set.clone());
        self.index.insert(set, id);
        id
    }

    fn add(&mut self, hs: u32, sym: Sym) -> u32 {
        if let Some(&id) = self.add_memo.get(&(hs, sym)) {
            return id;
        }
        let mut set = self.sets[hs as usize].to_vec();
        if let Err(at) = set.binary_search(&sym) {
            set.insert(at, sym);
        }
        let id = self.intern(set);
        self.add_memo.insert((hs, sym), id);
        id
    }

    fn union(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == 0 {
            return a;
        }
        if a == 0 {
            return b;
        }
        if let Some(&id) = self.union_memo.get(&(a, b)) {
            return id;
        }
        let mut set = self.sets[a as usize].to_vec();
        set.extend_from_slice(&self.sets[b as usize]);
        set.sort_unstable();
        set.dedup();
        let id = self.intern(set);
        self.union_memo.insert((a, b), id);
        id
    }

    fn intersect(&mut self, a: u32, b: u32) -> u32 {
        if a == b {
            return a;
        }
        if a == 0 || b == 0 {
            return 0;
        }
        if let Some(&id) = self.intersect_memo.get(&(a, b)) {
            return id;
        }
        let other = self.sets[b as usize].clone();
        let set: Vec<Sym> = self.sets[a as usize]
            .iter()
            .copied()
            .filter(|s| other.binary_search(s).is_ok())
            .collect();
        let id = self.intern(set);
        self.intersect_memo.insert((a, b), id);
        id
    }
}

/// Marks a body token that is not a parameter.
const NO_PARAM: u16 = u16::MAX;

/// What sort of macro a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MacroKind {
    /// `#define N body`.
    Object,
    /// `#define F(params) body`; a variadic macro's last parameter takes the rest.
    Function { variadic: bool },
    /// `__FILE__`, `__LINE__`, `__COUNTER__`, `__INCLUDE_LEVEL__`.
    Builtin,
}

/// One macro definition, shared (through `Rc`) by every expansion in progress.
#[derive(Debug)]
struct Macro {
    kind: MacroKind,
    /// Parameter names; a variadic `...` is `__VA_ARGS__`.
    params: Vec<Sym>,
    /// The replacement list with spans in the `#define`.
    body: Vec<PTok>,
    /// For each body token, the index of the parameter it names, or [`NO_PARAM`].
    param_of: Vec<u16>,
    /// The macro name in its `#define` (for redefinition notes).
    span: Option<Span>,
}

impl Macro {
    /// Whether two definitions are the same in C's sense (same spelling and spacing).
    fn same_as(&self, other: &Macro) -> bool {
        self.kind == other.kind
            && self.params == other.params
            && self.body.len() == other.body.len()
            && self
                .body
                .iter()
                .zip(&other.body)
                .enumerate()
                .all(|(i, (a, b))| a.sym == b.sym && (i == 0 || a.space == b.space))
    }
}

/// A file lexed once; shared by every inclusion of it.
#[derive(Debug)]
struct Lexed {
    toks: Vec<RawTok>,
    /// The macro of a `#ifndef X ... #endif` guard around the whole file, if any.
    guard: Option<Sym>,
}

/// One open file on the include stack.
#[derive(Debug)]
struct FileState {
    id: FileId,
    lexed: Rc<Lexed>,
    /// Index of the next raw token to read.
    pos: usize,
    /// How many conditional groups were open when the file was entered.
    cond_base: usize,
    /// Index of the `-I` directory the file was found in (for `#include_next`).
    found_in: Option<usize>,
    /// What `#line` added to the real line number.
    line_delta: i64,
    /// The file name `#line` set.
    presumed: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CondState {
    /// This group's tokens are being processed.
    Active,
    /// No group of this `#if` chain was taken yet.
    Seeking,
    /// A group was taken already; the rest of the chain is skipped.
    Done,
}

/// One open `#if` chain.
#[derive(Clone, Copy, Debug)]
struct Cond {
    state: CondState,
    /// Whether `#else` was seen, after which `#elif` and `#else` are errors.
    seen_else: bool,
    /// The opening directive, for the unterminated-conditional diagnostic.
    span: Span,
}

/// Where an expansion reads and pushes tokens: the file stack (through the pending
/// stack), or a closed list such as a macro argument or a directive line.
enum Src<'s> {
    Main,
    List(&'s mut Vec<PTok>),
}

/// The state of one preprocessing run.
struct Pp<'m> {
    map: &'m mut SourceMap,
    include_dirs: Vec<PathBuf>,
    /// Whether the built-in standard includes are searched after `include_dirs`.
    builtins: bool,
    limits: Limits,
    interner: Interner,
    /// Macro definitions indexed by the name's [`Sym`].
    macros: Vec<Option<Rc<Macro>>>,
    /// The include stack, innermost file last.
    files: Vec<FileState>,
    /// Open conditional groups of every file on the stack, innermost last.
    conds: Vec<Cond>,
    /// Tokens produced by expansion and not yet rescanned, next token last.
    pending: Vec<PTok>,
    out: Vec<Token>,
    /// Bytes of token text in `out`.
    out_bytes: usize,
    /// Tokens argument pre-expansion has handled (see `Limits::expansion_work`).
    work: usize,
    diags: Vec<Diagnostic>,
    /// Diagnostics already reported, so a loop reports each problem once.
    diag_seen: HashSet<(&'static str, Span, String)>,
    files_read: Vec<PathBuf>,
    /// The files already in `files_read`.
    read: HashSet<FileId>,
    /// Every file lexed so far.
    lexed: FxMap<FileId, Rc<Lexed>>,
    /// Include candidates known not to exist, so failed searches are not repeated.
    missing: HashSet<PathBuf>,
    /// Files with `#pragma once` (or brought in by `#import`).
    once: HashSet<FileId>,
    hide_sets: HideSets,
    /// Tokens produced by substitution so far.
    expanded: usize,
    /// Macro expansion was switched off after a limit.
    stopped: bool,
    /// Preprocessing stopped altogether after a limit.
    halted: bool,
    /// `#include`s processed so far.
    includes: usize,
    /// The next value of `__COUNTER__`.
    counter: u64,
    /// How many argument pre-expansions are in progress, one inside the other.
    arg_depth: usize,
    /// Tokens of the arguments being pre-expanded (see `Limits::arg_held`).
    arg_held: usize,
    /// The pseudo-file holding `-D`/`-U`, which is not reported as read.
    command_line: Option<FileId>,
}

/// Runs the preprocessor; see [`super::preprocess`].
pub(crate) fn run(map: &mut SourceMap, file: FileId, options: &Options, limits: Limits) -> Output {
    let mut pp = Pp {
        map,
        include_dirs: options.include_dirs.clone(),
        builtins: !options.no_builtin_includes,
        limits,
        interner: Interner::new(),
        macros: Vec::new(),
        files: Vec::new(),
        conds: Vec::new(),
        pending: Vec::new(),
        out: Vec::new(),
        out_bytes: 0,
        work: 0,
        diags: Vec::new(),
        diag_seen: HashSet::new(),
        files_read: Vec::new(),
        read: HashSet::new(),
        lexed: FxMap::default(),
        missing: HashSet::new(),
        once: HashSet::new(),
        hide_sets: HideSets::new(),
        expanded: 0,
        stopped: false,
        halted: false,
        includes: 0,
        counter: 0,
        arg_depth: 0,
        arg_held: 0,
        command_line: None,
    };
    for sym in [
        lex::S_FILE,
        lex::S_LINE,
        lex::S_COUNTER,
        lex::S_INCLUDE_LEVEL,
    ] {
        pp.set_macro(
            sym,
            Some(Rc::new(Macro {
                kind: MacroKind::Builtin,
                params: Vec::new(),
                body: Vec::new(),
                param_of: Vec::new(),
                span: None,
            })),
        );
    }
    pp.push_file(file, None);
    if !options.macros.is_empty() {
        // The command line becomes a small file of directives read before the main file,
        // so `-D` values are lexed and located like any other definition.
        let mut text = String::new();
        for m in &options.macros {
            match m {
                MacroArg::Define(name, value) => {
                    let value = value.as_deref().unwrap_or("1").replace(['\n', '\r'], " ");
                    text.push_str(&format!("#define {name} {value}\n"));
                }
                MacroArg::Undef(name) => text.push_str(&format!("#undef {name}\n")),
            }
        }
        let id = pp.map.add("<command line>", text);
        pp.command_line = Some(id);
        pp.push_file(id, None);
    }
    pp.main_loop();
    Output {
        tokens: pp.out,
        files_read: pp.files_read,
        diagnostics: pp.diags,
    }
}

fn is_hash(sym: Sym) -> bool {
    sym == lex::S_HASH || sym == lex::S_DIGRAPH_HASH
}

fn is_hashhash(sym: Sym) -> bool {
    sym == lex::S_HASHHASH || sym == lex::S_DIGRAPH_HASHHASH
}

/// The macro of a whole-file include guard: the file starts with `#ifndef X` (or
/// `#if !defined X`) and the matching `#endif` is its last line.
fn detect_guard(toks: &[RawTok], interner: &Interner) -> Option<Sym> {
    let first = toks.first()?;
    if !(first.bol && is_hash(first.sym)) {
        return None;
    }
    let line_end = |from: usize| {
        let mut j = from + 1;
        while j < toks.len() && !toks[j].bol {
            j += 1;
        }
        j
    };
    let end = line_end(0);
    let syms: Vec<Sym> = toks[1..end].iter().map(|t| t.sym).collect();
    let name = match syms.as_slice() {
        [lex::S_IFNDEF, x] => *x,
        [lex::S_IF, lex::S_BANG, lex::S_DEFINED, x] => *x,
        [
            lex::S_IF,
            lex::S_BANG,
            lex::S_DEFINED,
            lex::S_LPAREN,
            x,
            lex::S_RPAREN,
        ] => *x,
        _ => return None,
    };
    if toks[2..end].iter().all(|t| t.sym != name) || !is_ident(interner.get(name)) {
        return None;
    }
    let mut depth = 0usize;
    let mut i = end;
    while i < toks.len() {
        let t = toks[i];
        if t.bol && is_hash(t.sym) && toks.get(i + 1).is_some_and(|n| !n.bol) {
            match toks[i + 1].sym {
                lex::S_IF | lex::S_IFDEF | lex::S_IFNDEF => depth += 1,
                lex::S_ENDIF if depth == 0 => return (line_end(i) == toks.len()).then_some(name),
                lex::S_ENDIF => depth -= 1,
                lex::S_ELSE | lex::S_ELIF | lex::S_ELIFDEF | lex::S_ELIFNDEF if depth == 0 => {
                    return None;
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn is_ident(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
}

/// The index of the `)` matching a `(` at `open`, if `open` holds one.
fn matching_paren(toks: &[PTok], open: usize) -> Option<usize> {
    if toks.get(open)?.sym != lex::S_LPAREN {
        return None;
    }
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.sym {
            lex::S_LPAREN => depth += 1,
            lex::S_RPAREN => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// The inside of a plain `"..."` literal, or `None` for anything else (prefixed or
/// unterminated literals included).
fn unquote(text: &str) -> Option<&str> {
    text.strip_prefix('"')?.strip_suffix('"')
}

/// Escapes a file name for a string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl Pp<'_> {
    // ----- Diagnostics -------------------------------------------------------------------

    fn report(&mut self, mut d: Diagnostic) {
        if d.notes.is_empty()
            && let Some(note) = codes::default_note(d.code)
        {
            d = d.note(note);
        }
        if self.halted && d.code != codes::TOO_MANY_DIAGNOSTICS {
            return;
        }
        if let Some(span) = d.primary_span()
            && !self.diag_seen.insert((d.code, span, d.message.clone()))
        {
            return;
        }
        if self.diags.len() >= self.limits.diagnostics {
            self.halted = true;
            self.diags.push(
                Diagnostic::error(
                    codes::TOO_MANY_DIAGNOSTICS,
                    format!(
                        "too many diagnostics (limit {}); stopping",
                        self.limits.diagnostics
                    ),
                )
                .note("fix the errors above and run again"),
            );
            return;
        }
        self.diags.push(d);
    }

    fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span, label: &str) {
        self.report(Diagnostic::error(code, message).at(span, label));
    }

    /// An error with its own note instead of the code's default one.
    fn error_note(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        span: Span,
        label: &str,
        note: &str,
    ) {
        self.report(Diagnostic::error(code, message).at(span, label).note(note));
    }

    /// A malformed `#define`, with a note on the syntax.
    fn define_error(&mut self, message: impl Into<String>, span: Span, label: &str) {
        self.report(
            Diagnostic::error(codes::BAD_DIRECTIVE, message)
                .at(span, label)
                .note("a definition is `#define NAME body` or `#define NAME(PARAMS) body`"),
        );
    }

    /// Stops macro expansion for the rest of the run after a limit was passed.
    fn stop_expanding(&mut self, message: String, span: Span) {
        if !self.stopped {
            self.stopped = true;
            self.report(
                Diagnostic::error(codes::EXPANSION_LIMIT, message)
                    .at(span, "while expanding this")
                    .note("the rest of the input is passed through without macro expansion"),
            );
        }
    }

    // ----- Files ---------------------------------------------------------------------------

    fn lexed(&mut self, id: FileId) -> Rc<Lexed> {
        if let Some(l) = self.lexed.get(&id) {
            return l.clone();
        }
        let (toks, problems) = lex::lex(&self.map.file(id).text, &mut self.interner);
        for p in problems {
            // Unterminated literals are reported only where they are used, since skipped
            // groups may hold apostrophes that are not character constants.
            if p.code == codes::UNTERMINATED_COMMENT {
                let span = Span {
                    file: id,
                    start: p.start,
                    end: p.end,
                };
                self.error(p.code, p.message, span, "comment starts here");
            }
        }
        let guard = detect_guard(&toks, &self.interner);
        let lexed = Rc::new(Lexed { toks, guard });
        self.lexed.insert(id, lexed.clone());
        lexed
    }

    fn push_file(&mut self, id: FileId, found_in: Option<usize>) {
        let lexed = self.lexed(id);
        self.mark_read(id);
        self.files.push(FileState {
            id,
            lexed,
            pos: 0,
            cond_base: self.conds.len(),
            found_in,
            line_delta: 0,
            presumed: None,
        });
    }

    /// Records a file for [`Output::files_read`], once, whether or not its text is used.
    fn mark_read(&mut self, id: FileId) {
        // Built-in files are not on disk, so a build script cannot watch them.
        if self.read.insert(id)
            && Some(id) != self.command_line
            && !self.map.file(id).path.starts_with(builtin::DIR)
        {
            self.files_read.push(self.map.file(id).path.clone());
        }
    }

    /// Closes the current file; false when none is left.
    fn pop_file(&mut self) -> bool {
        let Some(f) = self.files.pop() else {
            return false;
        };
        let open: Vec<Cond> = self.conds.drain(f.cond_base..).collect();
        for c in open {
            self.report(
                Diagnostic::error(
                    codes::UNTERMINATED_CONDITIONAL,
                    "unterminated conditional directive",
                )
                .at(c.span, "this group has no matching `#endif`"),
            );
        }
        !self.files.is_empty()
    }

    fn skipping(&self) -> bool {
        let base = self.files.last().map_or(0, |f| f.cond_base);
        self.conds.len() > base
            && self
                .conds
                .last()
                .is_some_and(|c| c.state != CondState::Active)
    }

    /// The next token of the current file with directives carried out and skipped groups
    /// passed over; `None` at the end of the file (which stays open until popped).
    fn file_next(&mut self) -> Option<PTok> {
        loop {
            if self.halted {
                return None;
            }
            if self.skipping() {
                self.skip_group();
            }
            let f = self.files.last_mut()?;
            let rt = *f.lexed.toks.get(f.pos)?;
            if rt.bol && is_hash(rt.sym) {
                self.directive();
                continue;
            }
            f.pos += 1;
            let span = Span {
                file: f.id,
                start: rt.start,
                end: rt.end,
            };
            // A line break is whitespace, except before the very first token.
            let space = rt.space || (rt.bol && (f.pos > 1 || self.files.len() > 1));
            if rt.unterminated {
                let message = if rt.kind == TokenKind::Str {
                    "missing terminating `\"` character"
                } else {
                    "missing terminating `'` character"
                };
                self.error(
                    codes::UNTERMINATED_STRING,
                    message,
                    span,
                    "literal starts here",
                );
            }
            return Some(PTok {
                kind: rt.kind,
                sym: rt.sym,
                span,
                spelled: None,
                space,
                hs: 0,
            });
        }
    }

    /// Moves past a skipped group to the `#elif`, `#else` or `#endif` that ends it,
    /// counting nested conditionals without evaluating anything.
    fn skip_group(&mut self) {
        let Some(f) = self.files.last_mut() else {
            return;
        };
        let toks = &f.lexed.toks;
        let mut depth = 0usize;
        let mut i = f.pos;
        while i < toks.len() {
            let t = toks[i];
            if t.bol && is_hash(t.sym) && toks.get(i + 1).is_some_and(|n| !n.bol) {
                match toks[i + 1].sym {
                    lex::S_IF | lex::S_IFDEF | lex::S_IFNDEF => depth += 1,
                    lex::S_ENDIF if depth > 0 => depth -= 1,
                    lex::S_ENDIF | lex::S_ELIF | lex::S_ELSE | lex::S_ELIFDEF | lex::S_ELIFNDEF
                        if depth == 0 =>
                    {
                        f.pos = i;
                        return;
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        f.pos = toks.len();
    }

    // ----- The main loop -------------------------------------------------------------------

    fn main_loop(&mut self) {
        while !self.halted {
            let Some(tok) = self.next(&mut Src::Main) else {
                if self.pop_file() {
                    continue;
                }
                break;
            };
            if tok.kind == TokenKind::Ident && self.try_expand(tok, &mut Src::Main) {
                continue;
            }
            self.emit(tok);
        }
    }

    fn emit(&mut self, tok: PTok) {
        let text = self.interner.get(tok.sym);
        let too_long = self.out_bytes + text.len() > self.limits.output_bytes;
        if self.out.len() >= self.limits.output_tokens || too_long {
            let what = if too_long {
                format!(
                    "output exceeds {} bytes of tokens",
                    self.limits.output_bytes
                )
            } else {
                format!("output exceeds {} tokens", self.limits.output_tokens)
            };
            self.report(
                Diagnostic::error(codes::EXPANSION_LIMIT, what).at(tok.span, "output stopped here"),
            );
            self.halted = true;
            return;
        }
        self.out_bytes += text.len();
        self.out.push(Token {
            kind: tok.kind,
            text: text.to_string(),
            span: tok.span,
            spelled: tok.spelled.filter(|s| *s != tok.span),
            space_before: tok.space,
        });
    }

    fn next(&mut self, src: &mut Src<'_>) -> Option<PTok> {
        match src {
            Src::Main => self.pending.pop().or_else(|| self.file_next()),
            Src::List(list) => list.pop(),
        }
    }

    fn push(&mut self, src: &mut Src<'_>, toks: Vec<PTok>) {
        let stack = match src {
            Src::Main => &mut self.pending,
            Src::List(list) => &mut **list,
        };
        stack.extend(toks.into_iter().rev());
    }

    /// Whether the next token is `(`, without consuming it. In a file the search goes
    /// across newlines but stops at a directive and at the end of the file.
    fn peek_lparen(&self, src: &Src<'_>) -> bool {
        match src {
            Src::List(list) => list.last().is_some_and(|t| t.sym == lex::S_LPAREN),
            Src::Main => match self.pending.last() {
                Some(t) => t.sym == lex::S_LPAREN,
                None => self.files.last().is_some_and(|f| {
                    f.lexed
                        .toks
                        .get(f.pos)
                        .is_some_and(|t| t.sym == lex::S_LPAREN)
                }),
            },
        }
    }

    // ----- Macro expansion -----------------------------------------------------------------

    fn macro_of(&self, sym: Sym) -> Option<Rc<Macro>> {
        self.macros.get(sym as usize).and_then(Clone::clone)
    }

    fn set_macro(&mut self, sym: Sym, m: Option<Rc<Macro>>) {
        let i = sym as usize;
        if self.macros.len() <= i {
            self.macros.resize(i + 1, None);
        }
        self.macros[i] = m;
    }

    fn is_defined(&self, sym: Sym) -> bool {
        // `__has_include` counts as defined so that `#ifdef __has_include` finds it, as GCC.
        sym == lex::S_HAS_INCLUDE || self.macros.get(sym as usize).is_some_and(Option::is_some)
    }

    /// Expands `tok` if it names a macro it may expand; the result is pushed back onto
    /// `src` for rescanning. False when `tok` stays as it is.
    fn try_expand(&mut self, tok: PTok, src: &mut Src<'_>) -> bool {
        if self.stopped {
            return false;
        }
        let Some(m) = self.macro_of(tok.sym) else {
            return false;
        };
        if self.hide_sets.contains(tok.hs, tok.sym) {
            return false;
        }
        match m.kind {
            MacroKind::Builtin => {
                // The literal needs no rescanning, but it may be a macro argument, so it goes
                // back where the next token is read from.
                let t = self.builtin(tok);
                self.push(src, vec![t]);
                true
            }
            MacroKind::Object => {
                let Some(hs) = self.hide_set_add(tok.hs, tok.sym, tok.span) else {
                    return false;
                };
                let out = self.subst(&m, &[], hs, tok.span, tok.space);
                self.push(src, out);
                true
            }
            MacroKind::Function { variadic } => {
                if !self.peek_lparen(src) {
                    return false;
                }
                let _lparen = self.next(src);
                let Some((args, rparen)) = self.collect_args(&m, variadic, tok, src) else {
                    return true;
                };
                let inter = self.hide_sets.intersect(tok.hs, rparen.hs);
                let Some(hs) = self.hide_set_add(inter, tok.sym, tok.span) else {
                    return true;
                };
                let inv = tok.span.to(rparen.span);
                let out = self.subst(&m, &args, hs, inv, tok.space);
                self.push(src, out);
                true
            }
        }
    }

    fn hide_set_add(&mut self, hs: u32, sym: Sym, span: Span) -> Option<u32> {
        if self.hide_sets.len(hs) >= self.limits.hide_set {
            let limit = self.limits.hide_set;
            self.stop_expanding(
                format!("macro expansion nested too deeply (limit {limit})"),
                span,
            );
            return None;
        }
        Some(self.hide_sets.add(hs, sym))
    }

    fn builtin(&mut self, tok: PTok) -> PTok {
        let (kind, text) = match tok.sym {
            lex::S_FILE => {
                let name = match self.files.last() {
                    Some(f) => f
                        .presumed
                        .clone()
                        .unwrap_or_else(|| self.map.file(f.id).name.clone()),
                    None => String::new(),
                };
                (TokenKind::Str, quote(&name))
            }
            lex::S_LINE => {
                let line = self
                    .map
                    .file(tok.span.file)
                    .line_col(tok.span.start as usize)
                    .0 as i64;
                let delta = self
                    .files
                    .last()
                    .filter(|f| f.id == tok.span.file)
                    .map_or(0, |f| f.line_delta);
                (TokenKind::Number, (line + delta).to_string())
            }
            lex::S_COUNTER => {
                self.counter += 1;
                (TokenKind::Number, (self.counter - 1).to_string())
            }
            _ => (
                TokenKind::Number,
                self.files.len().saturating_sub(1).to_string(),
            ),
        };
        let sym = self.interner.intern(&text);
        PTok { kind, sym, ..tok }
    }

    /// Reads the arguments of a function-like macro after its `(`. Returns them with the
    /// closing parenthesis, or `None` after reporting a wrong count or a missing `)`.
    fn collect_args(
        &mut self,
        m: &Macro,
        variadic: bool,
        name: PTok,
        src: &mut Src<'_>,
    ) -> Option<(Vec<Vec<PTok>>, PTok)> {
        let nparams = m.params.len();
        let mut args: Vec<Vec<PTok>> = vec![Vec::new()];
        let mut depth = 0usize;
        let mut collected = 0usize;
        let rparen = loop {
            collected += 1;
            if collected > self.limits.arg_tokens {
                let macro_name = self.interner.get(name.sym).to_string();
                self.error(
                    codes::EXPANSION_LIMIT,
                    format!(
                        "the arguments of macro `{macro_name}` exceed {} tokens",
                        self.limits.arg_tokens
                    ),
                    name.span,
                    "macro invoked here",
                );
                // Like the output limit, this ends the run: the rest is an unclosed `(`.
                self.halted = true;
                return None;
            }
            let Some(t) = self.next(src) else {
                let macro_name = self.interner.get(name.sym).to_string();
                self.error(
                    codes::MACRO_ARGS,
                    format!("unterminated argument list invoking macro `{macro_name}`"),
                    name.span,
                    "macro invoked here",
                );
                return None;
            };
            match t.sym {
                lex::S_LPAREN => depth += 1,
                lex::S_RPAREN if depth == 0 => break t,
                lex::S_RPAREN => depth -= 1,
                lex::S_COMMA if depth == 0 && !(variadic && args.len() == nparams) => {
                    args.push(Vec::new());
                    continue;
                }
                _ => {}
            }
            if let Some(last) = args.last_mut() {
                last.push(t);
            }
        };
        if nparams == 0 && args.len() == 1 && args[0].is_empty() {
            args.clear();
        }
        // A variadic macro may be invoked without anything for `...` at all.
        if variadic && args.len() + 1 == nparams {
            args.push(Vec::new());
        }
        if args.len() != nparams {
            let macro_name = self.interner.get(name.sym).to_string();
            let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
            let message = if args.len() < nparams {
                format!(
                    "macro `{macro_name}` requires {nparams} {}, but only {} given",
                    plural(nparams),
                    args.len()
                )
            } else {
                format!(
                    "macro `{macro_name}` takes {nparams} {}, but {} given",
                    plural(nparams),
                    args.len()
                )
            };
            let mut d = Diagnostic::error(codes::MACRO_ARGS, message)
                .at(name.span.to(rparen.span), "in this invocation");
            if let Some(def) = m.span {
                d = d.also(def, "macro defined here");
            }
            self.report(d);
            return None;
        }
        Some((args, rparen))
    }

    /// Remaining substitution budget.
    fn budget(&self) -> usize {
        self.limits.expansion_tokens.saturating_sub(self.expanded)
    }

    /// Substitutes arguments into a macro body: `#` stringizes, `##` pastes, other
    /// parameters get their fully expanded argument. Every token gets the invocation span
    /// and the hide set `hs`.
    fn subst(
        &mut self,
        m: &Macro,
        args: &[Vec<PTok>],
        hs: u32,
        inv: Span,
        space: bool,
    ) -> Vec<PTok> {
        let body = &m.body;
        let function = matches!(m.kind, MacroKind::Function { .. });
        let variadic = matches!(m.kind, MacroKind::Function { variadic: true });
        let placemarker = PTok {
            kind: TokenKind::Other,
            sym: lex::S_EMPTY,
            span: inv,
            spelled: None,
            space: false,
            hs: 0,
        };
        let at_inv = |t: &PTok| PTok {
            span: inv,
            spelled: Some(t.spelled.unwrap_or(t.span)),
            ..*t
        };
        let mut out: Vec<PTok> = Vec::with_capacity(body.len());
        let mut expanded: Vec<Option<Vec<PTok>>> = vec![None; args.len()];
        // The `)` of a `__VA_OPT__(...)` whose contents are being substituted.
        let mut va_opt_close: Option<usize> = None;
        // The index in `out` of the left operand of a `##` whose right operand is the
        // first token a `__VA_OPT__` group produces.
        let mut paste_into: Option<usize> = None;
        let mut i = 0;
        while i < body.len() {
            if out.len() > self.budget() {
                break;
            }
            let bt = body[i];
            let param = m.param_of[i];
            if let Some(k) = paste_into
                && out.len() > k + 1
            {
                paste_into = None;
                let mut tail = out.split_off(k);
                let rest = tail.split_off(2);
                self.paste(tail[0], tail[1], inv, &mut out);
                out.extend(rest);
            }
            if va_opt_close == Some(i) {
                va_opt_close = None;
                i += 1;
                continue;
            }
            if is_hashhash(bt.sym)
                && variadic
                && param == NO_PARAM
                && body.get(i + 1).is_some_and(|t| t.sym == lex::S_VA_OPT)
                && let Some(close) = matching_paren(body, i + 2)
            {
                // `x ## __VA_OPT__(y)`: paste onto the first token of the group, if any.
                if self.va_present(args, &mut expanded) {
                    va_opt_close = Some(close);
                    paste_into = out.len().checked_sub(1);
                    i += 3;
                } else {
                    i = close + 1;
                }
                continue;
            }
            if variadic
                && bt.sym == lex::S_VA_OPT
                && param == NO_PARAM
                && let Some(close) = matching_paren(body, i + 1)
            {
                if self.va_present(args, &mut expanded) {
                    va_opt_close = Some(close);
                    i += 2;
                } else {
                    out.push(placemarker);
                    i = close + 1;
                }
                continue;
            }
            let next_param = m.param_of.get(i + 1).copied().unwrap_or(NO_PARAM);
            if function && is_hash(bt.sym) && param == NO_PARAM && next_param != NO_PARAM {
                let text = self.stringize(&args[next_param as usize]);
                out.push(PTok {
                    kind: TokenKind::Str,
                    sym: self.interner.intern(&text),
                    span: inv,
                    spelled: Some(bt.span.to(body[i + 1].span)),
                    space: bt.space,
                    hs: 0,
                });
                i += 2;
                continue;
            }
            if is_hashhash(bt.sym) && param == NO_PARAM && i + 1 < body.len() {
                let after = m.param_of.get(i + 2).copied().unwrap_or(NO_PARAM);
                let stringized = function && is_hash(body[i + 1].sym) && after != NO_PARAM;
                let rhs: Vec<PTok> = if next_param != NO_PARAM {
                    args[next_param as usize].iter().map(at_inv).collect()
                } else if stringized {
                    // `x ## #y`: the stringized argument is the right operand.
                    let text = self.stringize(&args[after as usize]);
                    vec![PTok {
                        kind: TokenKind::Str,
                        sym: self.interner.intern(&text),
                        span: inv,
                        spelled: None,
                        space: body[i + 1].space,
                        hs: 0,
                    }]
                } else {
                    vec![at_inv(&body[i + 1])]
                };
                let is_va = variadic && next_param as usize + 1 == m.params.len();
                if is_va && out.last().is_some_and(|t| t.sym == lex::S_COMMA) {
                    // GNU `, ## __VA_ARGS__`: the comma goes when the variadic part is empty.
                    if rhs.is_empty() {
                        out.pop();
                    } else {
                        out.extend(rhs);
                    }
                    i += 2;
                    continue;
                }
                let lhs = out.pop().unwrap_or(placemarker);
                match rhs.split_first() {
                    None => out.push(lhs),
                    Some((first, rest)) => {
                        self.paste(lhs, *first, inv, &mut out);
                        out.extend_from_slice(rest);
                    }
                }
                i += if stringized { 3 } else { 2 };
                continue;
            }
            if param != NO_PARAM {
                let p = param as usize;
                let before_paste =
                    body.get(i + 1).is_some_and(|n| is_hashhash(n.sym)) && next_param == NO_PARAM;
                let toks: Vec<PTok> = if before_paste {
                    args[p].clone()
                } else {
                    match &expanded[p] {
                        Some(toks) => toks.clone(),
                        None => {
                            let toks = self.expand_list(args[p].clone(), false);
                            expanded[p] = Some(toks.clone());
                            toks
                        }
                    }
                };
                if toks.len() > self.budget() {
                    out.extend(toks);
                    break;
                }
                if toks.is_empty() {
                    if before_paste {
                        out.push(placemarker);
                    }
                } else {
                    let start = out.len();
                    out.extend(toks.iter().map(at_inv));
                    out[start].space = bt.space;
                }
                i += 1;
                continue;
            }
            out.push(at_inv(&bt));
            i += 1;
        }
        out.retain(|t| t.sym != lex::S_EMPTY);
        if let Some(first) = out.first_mut() {
            first.space = space;
        }
        for t in &mut out {
            t.hs = self.hide_sets.union(t.hs, hs);
        }
        self.expanded = self.expanded.saturating_add(out.len());
        if self.expanded > self.limits.expansion_tokens {
            let limit = self.limits.expansion_tokens;
            self.stop_expanding(
                format!("macro expansion produced more than {limit} tokens"),
                inv,
            );
        }
        out
    }

    /// Whether the variadic argument (the last) expands to any tokens, for `__VA_OPT__`.
    fn va_present(&mut self, args: &[Vec<PTok>], expanded: &mut [Option<Vec<PTok>>]) -> bool {
        let Some(va) = args.len().checked_sub(1) else {
            return false;
        };
        if expanded[va].is_none() {
            expanded[va] = Some(self.expand_list(args[va].clone(), false));
        }
        expanded[va].as_ref().is_some_and(|t| !t.is_empty())
    }

    /// Fully expands a closed list of tokens (a macro argument or a directive line). In
    /// `#if` lines, `defined X` and `defined(X)` become `1` or `0` first.
    fn expand_list(&mut self, toks: Vec<PTok>, in_if: bool) -> Vec<PTok> {
        if toks.is_empty() {
            return toks;
        }
        if self.arg_depth >= self.limits.arg_nesting {
            let limit = self.limits.arg_nesting;
            self.stop_expanding(
                format!("macro arguments nested too deeply (limit {limit})"),
                toks[0].span,
            );
            return toks;
        }
        self.work = self.work.saturating_add(toks.len());
        if self.work > self.limits.expansion_work {
            let limit = self.limits.expansion_work;
            self.stop_expanding(
                format!("macro arguments took more than {limit} tokens of work to expand"),
                toks[0].span,
            );
            return toks;
        }
        // The outermost list (a directive line, or an argument bounded by `arg_tokens`)
        // is held whatever happens; what nests inside it is what multiplies.
        if self.arg_depth > 0 && self.arg_held.saturating_add(toks.len()) > self.limits.arg_held {
            let limit = self.limits.arg_held;
            self.stop_expanding(
                format!("nested macro arguments held more than {limit} tokens at once"),
                toks[0].span,
            );
            return toks;
        }
        let held = toks.len();
        self.arg_held += held;
        self.arg_depth += 1;
        let mut stack = toks;
        stack.reverse();
        let mut out = Vec::with_capacity(stack.len());
        while let Some(t) = stack.pop() {
            if in_if && t.sym == lex::S_DEFINED {
                let value = self.defined_operator(t, &mut stack);
                out.push(value);
                continue;
            }
            if in_if && t.sym == lex::S_HAS_INCLUDE {
                let value = self.has_include_operator(t, &mut stack);
                out.push(value);
                continue;
            }
            if t.kind == TokenKind::Ident && self.try_expand(t, &mut Src::List(&mut stack)) {
                continue;
            }
            out.push(t);
        }
        self.arg_depth -= 1;
        self.arg_held -= held;
        out
    }

    /// `defined X` or `defined ( X )`, as the number `1` or `0`.
    fn defined_operator(&mut self, op: PTok, stack: &mut Vec<PTok>) -> PTok {
        let mut end = op.span;
        let paren = stack.last().is_some_and(|t| t.sym == lex::S_LPAREN);
        if paren {
            stack.pop();
        }
        let name = stack.pop().filter(|t| t.kind == TokenKind::Ident);
        let mut value = false;
        match name {
            Some(n) => {
                end = n.span;
                value = self.is_defined(n.sym);
                if paren {
                    match stack.pop() {
                        Some(t) if t.sym == lex::S_RPAREN => end = t.span,
                        _ => self.error(
                            codes::BAD_EXPRESSION,
                            "missing `)` after `defined`",
                            n.span,
                            "expected `)` after this",
                        ),
                    }
                }
            }
            None => self.error(
                codes::BAD_EXPRESSION,
                "operator `defined` requires an identifier",
                op.span,
                "expected a macro name after this",
            ),
        }
        PTok {
            kind: TokenKind::Number,
            sym: if value { lex::S_ONE } else { lex::S_ZERO },
            span: op.span.to(end),
            spelled: None,
            space: op.space,
            hs: 0,
        }
    }

    fn stringize(&self, arg: &[PTok]) -> String {
        let mut s = String::from("\"");
        for (k, t) in arg.iter().enumerate() {
            if k > 0 && t.space {
                s.push(' ');
            }
            let text = self.interner.get(t.sym);
            if matches!(t.kind, TokenKind::Str | TokenKind::Char) {
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        s.push('\\');
                    }
                    s.push(c);
                }
            } else {
                s.push_str(text);
            }
        }
        s.push('"');
        s
    }

    fn paste(&mut self, lhs: PTok, rhs: PTok, inv: Span, out: &mut Vec<PTok>) {
        if lhs.sym == lex::S_EMPTY {
            out.push(rhs);
            return;
        }
        if rhs.sym == lex::S_EMPTY {
            out.push(lhs);
            return;
        }
        let (a, b) = (self.interner.get(lhs.sym), self.interner.get(rhs.sym));
        let text = format!("{a}{b}");
        match lex::lex_one(&text, &mut self.interner) {
            Some((kind, sym)) => out.push(PTok {
                kind,
                sym,
                span: inv,
                spelled: None,
                space: lhs.space,
                hs: self.hide_sets.union(lhs.hs, rhs.hs),
            }),
            None => {
                let (a, b) = (self.interner.get(lhs.sym), self.interner.get(rhs.sym));
                let message =
                    format!("pasting `{a}` and `{b}` does not give a valid preprocessing token");
                self.error(codes::BAD_PASTE, message, inv, "in this expansion");
                out.push(lhs);
                out.push(rhs);
            }
        }
    }

    // ----- Directives ----------------------------------------------------------------------

    /// Carries out the directive whose `#` is at the current position.
    fn directive(&mut self) {
        let Some(f) = self.files.last_mut() else {
            return;
        };
        let lexed = f.lexed.clone();
        let id = f.id;
        let hash_at = f.pos;
        let mut end = hash_at + 1;
        while end < lexed.toks.len() && !lexed.toks[end].bol {
            end += 1;
        }
        f.pos = end;
        let to_ptok = |rt: &RawTok| PTok {
            kind: rt.kind,
            sym: rt.sym,
            span: Span {
                file: id,
                start: rt.start,
                end: rt.end,
            },
            spelled: None,
            space: rt.space,
            hs: 0,
        };
        let hash = to_ptok(&lexed.toks[hash_at]);
        let line: Vec<PTok> = lexed.toks[hash_at + 1..end].iter().map(to_ptok).collect();
        let Some(&name) = line.first() else {
            return;
        };
        let dir_span = hash.span.to(line.last().map_or(hash.span, |t| t.span));
        let rest = &line[1..];
        // Messages of `#error` and `#warning` are free text, where apostrophes are common.
        if !matches!(name.sym, lex::S_ERROR | lex::S_WARNING) {
            let raw = &lexed.toks[hash_at + 1..end];
            for (rt, t) in raw.iter().zip(&line) {
                if rt.unterminated {
                    let message = if rt.kind == TokenKind::Str {
                        "missing terminating `\"` character"
                    } else {
                        "missing terminating `'` character"
                    };
                    self.error(
                        codes::UNTERMINATED_STRING,
                        message,
                        t.span,
                        "literal starts here",
                    );
                }
            }
        }
        match name.sym {
            lex::S_IF => {
                let value = self.eval_line(rest, name.span);
                self.open_cond(value, dir_span);
            }
            lex::S_IFDEF | lex::S_IFNDEF => {
                let value = match rest.first() {
                    Some(t) if t.kind == TokenKind::Ident => {
                        self.is_defined(t.sym) == (name.sym == lex::S_IFDEF)
                    }
                    _ => {
                        let dir = self.interner.get(name.sym).to_string();
                        self.error_note(
                            codes::BAD_DIRECTIVE,
                            format!("no macro name given in `#{dir}`"),
                            name.span,
                            "expected a macro name after this",
                            "write the macro name right after the directive, as in `#ifdef NAME`",
                        );
                        false
                    }
                };
                self.open_cond(value, dir_span);
            }
            lex::S_ELIF | lex::S_ELIFDEF | lex::S_ELIFNDEF => self.elif(name, rest),
            lex::S_ELSE => self.else_(name),
            lex::S_ENDIF => {
                let base = self.files.last().map_or(0, |f| f.cond_base);
                if self.conds.len() > base {
                    self.conds.pop();
                } else {
                    self.error(
                        codes::UNMATCHED_ENDIF,
                        "`#endif` without `#if`",
                        dir_span,
                        "no open conditional group here",
                    );
                }
            }
            lex::S_DEFINE => self.define(rest, name),
            lex::S_UNDEF => match rest.first() {
                Some(t) if t.kind == TokenKind::Ident => {
                    if self.is_defined(t.sym) {
                        self.set_macro(t.sym, None);
                    }
                }
                _ => self.error_note(
                    codes::BAD_DIRECTIVE,
                    "no macro name given in `#undef`",
                    name.span,
                    "expected a macro name after this",
                    "write the macro name right after the directive, as in `#ifdef NAME`",
                ),
            },
            lex::S_INCLUDE | lex::S_INCLUDE_NEXT | lex::S_IMPORT => {
                self.include(name, rest, id);
            }
            lex::S_LINE_DIR => self.line_directive(rest, name.span, hash.span),
            lex::S_ERROR | lex::S_WARNING => {
                let text = match (rest.first(), rest.last()) {
                    (Some(a), Some(b)) => self.map.snippet(a.span.to(b.span)).to_string(),
                    _ => String::new(),
                };
                let (code, word) = if name.sym == lex::S_ERROR {
                    (codes::PP_ERROR, "#error")
                } else {
                    (codes::PP_WARNING, "#warning")
                };
                let message = if text.is_empty() {
                    word.to_string()
                } else {
                    format!("{word} {text}")
                };
                let d = if name.sym == lex::S_ERROR {
                    Diagnostic::error(code, message)
                } else {
                    Diagnostic::warning(code, message)
                };
                self.report(d.at(dir_span, ""));
            }
            lex::S_PRAGMA => {
                if rest.first().is_some_and(|t| t.sym == lex::S_ONCE) {
                    self.once.insert(id);
                }
            }
            lex::S_IDENT | lex::S_SCCS => {}
            _ if name.kind == TokenKind::Number => {
                // A GNU line marker, `# 33 "file.h"`, is `#line` by another name.
                self.line_directive(&line, name.span, hash.span);
            }
            _ => {
                let text = self.interner.get(name.sym).to_string();
                self.error(
                    codes::BAD_DIRECTIVE,
                    format!("invalid preprocessing directive `#{text}`"),
                    name.span,
                    "unknown directive",
                );
            }
        }
    }

    fn open_cond(&mut self, value: bool, span: Span) {
        self.conds.push(Cond {
            state: if value {
                CondState::Active
            } else {
                CondState::Seeking
            },
            seen_else: false,
            span,
        });
    }

    /// The open group of the current file, or a diagnostic naming the directive.
    fn current_cond(&mut self, name: PTok) -> Option<usize> {
        let base = self.files.last().map_or(0, |f| f.cond_base);
        if self.conds.len() > base {
            return Some(self.conds.len() - 1);
        }
        let dir = self.interner.get(name.sym).to_string();
        self.error(
            codes::UNBALANCED_ELSE,
            format!("`#{dir}` without `#if`"),
            name.span,
            "no open conditional group here",
        );
        None
    }

    fn elif(&mut self, name: PTok, rest: &[PTok]) {
        let Some(i) = self.current_cond(name) else {
            return;
        };
        let c = self.conds[i];
        if c.seen_else {
            let dir = self.interner.get(name.sym).to_string();
            self.report(
                Diagnostic::error(codes::UNBALANCED_ELSE, format!("`#{dir}` after `#else`"))
                    .at(name.span, "")
                    .also(c.span, "in this conditional group"),
            );
            self.conds[i].state = CondState::Done;
            return;
        }
        self.conds[i].state = match c.state {
            CondState::Active | CondState::Done => CondState::Done,
            CondState::Seeking => {
                let value = match name.sym {
                    lex::S_ELIF => self.eval_line(rest, name.span),
                    _ => match rest.first() {
                        Some(t) if t.kind == TokenKind::Ident => {
                            self.is_defined(t.sym) == (name.sym == lex::S_ELIFDEF)
                        }
                        _ => {
                            self.error_note(
                                codes::BAD_DIRECTIVE,
                                "no macro name given",
                                name.span,
                                "expected a macro name after this",
                                "write the macro name right after the directive, as in `#ifdef NAME`",
                            );
                            false
                        }
                    },
                };
                if value {
                    CondState::Active
                } else {
                    CondState::Seeking
                }
            }
        };
    }

    fn else_(&mut self, name: PTok) {
        let Some(i) = self.current_cond(name) else {
            return;
        };
        let c = self.conds[i];
        if c.seen_else {
            self.report(
                Diagnostic::error(codes::UNBALANCED_ELSE, "`#else` after `#else`")
                    .at(name.span, "")
                    .also(c.span, "in this conditional group"),
            );
        }
        self.conds[i].seen_else = true;
        self.conds[i].state = match c.state {
            CondState::Seeking if !c.seen_else => CondState::Active,
            _ => CondState::Done,
        };
    }

    /// Expands and evaluates the expression of `#if`/`#elif`; errors count as false.
    fn eval_line(&mut self, rest: &[PTok], at: Span) -> bool {
        let expanded = self.expand_list(rest.to_vec(), true);
        let end = rest.last().map_or(at, |t| t.span);
        let toks: Vec<ExprTok<'_>> = expanded
            .iter()
            .map(|t| ExprTok {
                kind: t.kind,
                text: self.interner.get(t.sym),
                span: t.span,
            })
            .collect();
        match expr::evaluate(&toks, end) {
            Ok(v) => v.bits != 0,
            Err(e) => {
                self.error(
                    codes::BAD_EXPRESSION,
                    e.message,
                    e.span,
                    "in this `#if` expression",
                );
                false
            }
        }
    }

    fn define(&mut self, rest: &[PTok], directive: PTok) {
        let Some(&name) = rest.first() else {
            self.define_error(
                "no macro name given in `#define`",
                directive.span,
                "expected a macro name after this",
            );
            return;
        };
        if name.kind != TokenKind::Ident {
            self.define_error(
                "macro names must be identifiers",
                name.span,
                "not an identifier",
            );
            return;
        }
        if name.sym == lex::S_DEFINED {
            self.define_error("`defined` cannot be used as a macro name", name.span, "");
            return;
        }
        let mut i = 1;
        let mut params: Vec<Sym> = Vec::new();
        // Parameter positions by name, so long parameter lists stay linear.
        let mut index: FxMap<Sym, u16> = FxMap::default();
        let mut kind = MacroKind::Object;
        if rest
            .get(1)
            .is_some_and(|t| t.sym == lex::S_LPAREN && !t.space)
        {
            let mut variadic = false;
            i = 2;
            if rest.get(i).is_some_and(|t| t.sym == lex::S_RPAREN) {
                i += 1;
            } else {
                loop {
                    let Some(&t) = rest.get(i) else {
                        self.define_error(
                            "missing `)` in macro parameter list",
                            rest[i - 1].span,
                            "expected `)` after this",
                        );
                        return;
                    };
                    i += 1;
                    if t.sym == lex::S_ELLIPSIS {
                        index.insert(lex::S_VA_ARGS, params.len() as u16);
                        params.push(lex::S_VA_ARGS);
                        variadic = true;
                    } else if t.kind != TokenKind::Ident
                        || t.sym == lex::S_VA_ARGS
                        || index.contains_key(&t.sym)
                    {
                        let text = self.interner.get(t.sym).to_string();
                        let message = if index.contains_key(&t.sym) {
                            format!("duplicate macro parameter `{text}`")
                        } else {
                            format!("expected a parameter name, found `{text}`")
                        };
                        self.define_error(message, t.span, "");
                        return;
                    } else {
                        index.insert(t.sym, params.len() as u16);
                        params.push(t.sym);
                        if params.len() >= usize::from(NO_PARAM) {
                            self.define_error("too many macro parameters", t.span, "");
                            return;
                        }
                        // GNU named variadic parameter: `args...`.
                        if rest.get(i).is_some_and(|n| n.sym == lex::S_ELLIPSIS) {
                            i += 1;
                            variadic = true;
                        }
                    }
                    match rest.get(i) {
                        Some(n) if n.sym == lex::S_COMMA && !variadic => i += 1,
                        Some(n) if n.sym == lex::S_RPAREN => {
                            i += 1;
                            break;
                        }
                        other => {
                            let (span, found) = match other {
                                Some(n) => {
                                    (n.span, format!(", found `{}`", self.interner.get(n.sym)))
                                }
                                None => (t.span, String::new()),
                            };
                            let expected = if variadic { "`)`" } else { "`,` or `)`" };
                            self.define_error(
                                format!("expected {expected} in macro parameter list{found}"),
                                span,
                                "",
                            );
                            return;
                        }
                    }
                }
            }
            kind = MacroKind::Function { variadic };
        }
        let mut body: Vec<PTok> = rest[i..].to_vec();
        if let Some(first) = body.first_mut() {
            first.space = false;
        }
        let param_of: Vec<u16> = body
            .iter()
            .map(|t| match t.kind {
                TokenKind::Ident => index.get(&t.sym).copied().unwrap_or(NO_PARAM),
                _ => NO_PARAM,
            })
            .collect();
        let function = matches!(kind, MacroKind::Function { .. });
        for (j, t) in body.iter().enumerate() {
            if function
                && is_hash(t.sym)
                && param_of[j] == NO_PARAM
                && param_of.get(j + 1).is_none_or(|&p| p == NO_PARAM)
            {
                self.define_error("`#` is not followed by a macro parameter", t.span, "");
                return;
            }
        }
        if let MacroKind::Function { variadic: true } = kind
            && let Some(at) = body
                .iter()
                .enumerate()
                .position(|(j, t)| t.sym == lex::S_VA_OPT && matching_paren(&body, j + 1).is_none())
        {
            self.define_error(
                "`__VA_OPT__` must be followed by a parenthesized group",
                body[at].span,
                "",
            );
            return;
        }
        if body.first().is_some_and(|t| is_hashhash(t.sym))
            || body.last().is_some_and(|t| is_hashhash(t.sym))
        {
            let span = body
                .iter()
                .find(|t| is_hashhash(t.sym))
                .map_or(name.span, |t| t.span);
            self.define_error(
                "`##` cannot appear at either end of a macro expansion",
                span,
                "",
            );
            return;
        }
        for t in &mut body {
            t.spelled = None;
        }
        let m = Macro {
            kind,
            params,
            body,
            param_of,
            span: Some(name.span),
        };
        if let Some(old) = self.macro_of(name.sym)
            && !old.same_as(&m)
        {
            let text = self.interner.get(name.sym).to_string();
            let mut d = Diagnostic::warning(codes::MACRO_REDEFINED, format!("`{text}` redefined"))
                .at(name.span, "redefined here");
            if let Some(prev) = old.span {
                d = d.also(prev, "previous definition");
            }
            self.report(d);
        }
        self.set_macro(name.sym, Some(Rc::new(m)));
    }

    fn line_directive(&mut self, rest: &[PTok], name_span: Span, hash_span: Span) {
        let toks = self.expand_list(rest.to_vec(), false);
        let number = toks
            .first()
            .filter(|t| t.kind == TokenKind::Number)
            .and_then(|t| self.interner.get(t.sym).parse::<u32>().ok());
        let Some(number) = number else {
            self.error_note(
                codes::BAD_DIRECTIVE,
                "`#line` requires a positive line number",
                toks.first().map_or(name_span, |t| t.span),
                "expected a line number",
                "write `#line NUMBER` or `#line NUMBER \"FILE\"`",
            );
            return;
        };
        let presumed = toks.get(1).and_then(|t| {
            let text = unquote(self.interner.get(t.sym))?;
            (t.kind == TokenKind::Str).then(|| text.replace("\\\\", "\\").replace("\\\"", "\""))
        });
        let line = self
            .map
            .file(hash_span.file)
            .line_col(hash_span.start as usize)
            .0 as i64;
        if let Some(f) = self.files.last_mut() {
            f.line_delta = i64::from(number) - (line + 1);
            if presumed.is_some() {
                f.presumed = presumed;
            }
        }
    }

    // ----- Includes ------------------------------------------------------------------------

    fn include(&mut self, name: PTok, rest: &[PTok], current: FileId) {
        let next = name.sym == lex::S_INCLUDE_NEXT;
        let import = name.sym == lex::S_IMPORT;
        let Some((header, angled, header_span)) = self.header_name(rest, name, current) else {
            return;
        };
        if self.includes >= self.limits.includes {
            let limit = self.limits.includes;
            self.error(
                codes::INCLUDE_DEPTH,
                format!("too many `#include`s processed (limit {limit})"),
                header_span,
                "not included",
            );
            // Like a C preprocessor's fatal error: an include tree this large is a loop
            // whose copies would only repeat the same tokens and diagnostics.
            self.halted = true;
            return;
        }
        self.includes += 1;
        if self.files.len() > self.limits.include_depth {
            let limit = self.limits.include_depth;
            self.report(
                Diagnostic::error(
                    codes::INCLUDE_DEPTH,
                    format!("`#include` nested too deeply (limit {limit})"),
                )
                .at(header_span, "not included")
                .note("a file that includes itself needs an include guard or `#pragma once`"),
            );
            // Fatal, as in clang and GCC: a file that includes itself twice would otherwise
            // go on through an exponential tree of includes below the limit.
            self.halted = true;
            return;
        }
        let (found, searched) = self.resolve(&header, angled, next, current);
        let Some((id, index)) = found else {
            let searched: Vec<String> = searched
                .iter()
                .map(|dir| match dir.display().to_string() {
                    shown if shown.is_empty() => ".".to_string(),
                    shown => shown,
                })
                .collect();
            let mut searched = searched;
            if self.builtins && builtin::covers_directory_of(&header) {
                searched.push(builtin::DIR.to_string());
            }
            let note = if searched.is_empty() {
                "no directories were searched; add one with `-I`".to_string()
            } else {
                format!("searched: {}", searched.join(", "))
            };
            self.report(
                Diagnostic::error(codes::FILE_NOT_FOUND, format!("file not found: `{header}`"))
                    .at(header_span, "included here")
                    .note(note),
            );
            return;
        };
        self.mark_read(id);
        if self.once.contains(&id) {
            return;
        }
        if import {
            self.once.insert(id);
        }
        let lexed = self.lexed(id);
        if lexed.guard.is_some_and(|g| self.is_defined(g)) {
            // The whole file is inside `#ifndef G`, and G is defined: nothing to read.
            return;
        }
        self.push_file(id, index);
    }

    /// Finds an included file: for `"..."` the including file's directory first, then the
    /// `-I` directories in order (for `#include_next`, those after the one the current file
    /// came from), then the built-in standard includes, which count as one more directory
    /// after the last `-I`. Returns the file and its `-I` index, and the directories
    /// searched on disk.
    fn resolve(
        &mut self,
        header: &str,
        angled: bool,
        next: bool,
        current: FileId,
    ) -> (Option<(FileId, Option<usize>)>, Vec<PathBuf>) {
        let mut dirs: Vec<(PathBuf, Option<usize>)> = Vec::new();
        if Path::new(header).is_absolute() {
            dirs.push((PathBuf::new(), None));
        } else {
            let start = match (next, self.files.last()) {
                (true, Some(f)) => f.found_in.map_or(0, |i| i + 1),
                _ => 0,
            };
            if !angled && !next {
                let dir = self.map.file(current).path.parent().map(Path::to_path_buf);
                dirs.push((dir.unwrap_or_default(), None));
            }
            for (k, d) in self.include_dirs.iter().enumerate().skip(start) {
                dirs.push((d.clone(), Some(k)));
            }
        }
        for (dir, index) in &dirs {
            let candidate = dir.join(header);
            if self.missing.contains(&candidate) {
                continue;
            }
            match self.map.load_cached(&candidate) {
                Ok(id) => return (Some((id, *index)), Vec::new()),
                Err(_) => {
                    self.missing.insert(candidate);
                }
            }
        }
        let after_last_dir = self.include_dirs.len();
        let start = match (next, self.files.last()) {
            (true, Some(f)) => f.found_in.map_or(0, |i| i + 1),
            _ => 0,
        };
        if self.builtins
            && start <= after_last_dir
            && !Path::new(header).is_absolute()
            && let Some((path, text)) = builtin::find(header)
        {
            let id = self.map.add_cached(&path, text);
            return (Some((id, Some(after_last_dir))), Vec::new());
        }
        (None, dirs.into_iter().map(|(d, _)| d).collect())
    }

    /// `__has_include("x")` or `__has_include(<x>)` in `#if`, as `1` or `0`.
    fn has_include_operator(&mut self, op: PTok, stack: &mut Vec<PTok>) -> PTok {
        let mut end = op.span;
        let mut value = false;
        let mut ok = false;
        if stack.last().is_some_and(|t| t.sym == lex::S_LPAREN) {
            stack.pop();
            let header = match stack.pop() {
                Some(t) if t.kind == TokenKind::Str => {
                    unquote(self.interner.get(t.sym)).map(|h| (h.to_string(), false))
                }
                Some(t) if t.sym == lex::S_LT => {
                    let mut text = String::new();
                    let mut closed = false;
                    while let Some(x) = stack.pop() {
                        if x.sym == lex::S_GT {
                            closed = true;
                            break;
                        }
                        if !text.is_empty() && x.space {
                            text.push(' ');
                        }
                        text.push_str(self.interner.get(x.sym));
                    }
                    closed.then_some((text, true))
                }
                _ => None,
            };
            if let Some((header, angled)) = header
                && let Some(close) = stack.pop().filter(|t| t.sym == lex::S_RPAREN)
            {
                end = close.span;
                ok = true;
                let current = self.files.last().map_or(op.span.file, |f| f.id);
                value = self.resolve(&header, angled, false, current).0.is_some();
            }
        }
        if !ok {
            self.error(
                codes::BAD_EXPRESSION,
                "`__has_include` expects (\"FILENAME\") or (<FILENAME>)",
                op.span,
                "",
            );
        }
        PTok {
            kind: TokenKind::Number,
            sym: if value { lex::S_ONE } else { lex::S_ZERO },
            span: op.span.to(end),
            spelled: None,
            space: op.space,
            hs: 0,
        }
    }

    /// The file name of an `#include`: a string literal, `<...>` as written, or the same
    /// forms produced by macro expansion. Returns the name, whether it was `<...>`, and
    /// where it is.
    fn header_name(
        &mut self,
        rest: &[PTok],
        name: PTok,
        current: FileId,
    ) -> Option<(String, bool, Span)> {
        let first = rest.first().copied();
        let bad = |pp: &mut Self, span: Span| {
            pp.error_note(
                codes::BAD_DIRECTIVE,
                "`#include` expects \"FILENAME\" or <FILENAME>",
                span,
                "expected a file name",
                "a macro may also expand to either form of the file name",
            );
            None
        };
        match first {
            None => bad(self, name.span),
            Some(t) if t.kind == TokenKind::Str && unquote(self.interner.get(t.sym)).is_some() => {
                let text = unquote(self.interner.get(t.sym)).unwrap_or_default();
                Some((text.to_string(), false, t.span))
            }
            Some(t) if t.sym == lex::S_LT => {
                let Some(gt) = rest.iter().find(|x| x.sym == lex::S_GT) else {
                    return bad(self, t.span);
                };
                // The name is the text as written, so `<a//b.h>` keeps its slashes.
                let file = &self.map.file(current).text;
                let text = file
                    .get(t.span.end as usize..gt.span.start as usize)
                    .unwrap_or("")
                    .to_string();
                Some((text, true, t.span.to(gt.span)))
            }
            Some(t) => {
                let toks = self.expand_list(rest.to_vec(), false);
                let span = toks.first().map_or(t.span, |x| x.span);
                match toks.first() {
                    Some(s)
                        if s.kind == TokenKind::Str
                            && unquote(self.interner.get(s.sym)).is_some() =>
                    {
                        let text = unquote(self.interner.get(s.sym)).unwrap_or_default();
                        Some((text.to_string(), false, span))
                    }
                    Some(lt) if lt.sym == lex::S_LT => {
                        let mut text = String::new();
                        for (k, x) in toks[1..].iter().enumerate() {
                            if x.sym == lex::S_GT {
                                return Some((text, true, span.to(x.span)));
                            }
                            if k > 0 && x.space {
                                text.push(' ');
                            }
                            text.push_str(self.interner.get(x.sym));
                        }
                        bad(self, span)
                    }
                    _ => bad(self, span),
                }
            }
        }
    }
}
