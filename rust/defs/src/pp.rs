//! A C preprocessor for `.defs` files, as Apple's `mig` runs `cc -E -D__MACH30__` before
//! migcom. It works on tokens and keeps, for every token it emits, where the user sees it.
//!
//! The work is split in three: [`lex`] turns a file into pp-tokens once (cached per file),
//! [`expr`] evaluates `#if` expressions, and [`engine`] runs directives, includes and
//! macro expansion (Prosser's hide-set algorithm) with a limit on every resource, so no
//! input can make it panic, hang or run out of memory. The diagnostic codes it emits are
//! listed in [`codes`].

mod engine;
mod expr;
mod lex;

use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use std::path::PathBuf;

/// Every diagnostic code the preprocessor emits, in one place.
pub mod codes {
    /// An `#include` names a file found in none of the searched directories.
    pub const FILE_NOT_FOUND: &str = "file-not-found";
    /// An `#error` directive was reached.
    pub const PP_ERROR: &str = "pp-error";
    /// A `#warning` directive was reached (a warning).
    pub const PP_WARNING: &str = "pp-warning";
    /// `#include` nesting passed `Options::max_include_depth`, or a run processed more
    /// `#include`s than the preprocessor allows in total.
    pub const INCLUDE_DEPTH: &str = "include-depth";
    /// A file ended inside an `#if` group.
    pub const UNTERMINATED_CONDITIONAL: &str = "unterminated-conditional";
    /// `#else` or `#elif` without an `#if`, or after the group's `#else`.
    pub const UNBALANCED_ELSE: &str = "unbalanced-else";
    /// `#endif` without an `#if`.
    pub const UNMATCHED_ENDIF: &str = "unmatched-endif";
    /// A malformed or unknown directive, including bad `#define`s.
    pub const BAD_DIRECTIVE: &str = "bad-directive";
    /// A function-like macro invoked with the wrong number of arguments, or without its
    /// closing parenthesis.
    pub const MACRO_ARGS: &str = "macro-args";
    /// An `#if`/`#elif` expression that cannot be evaluated (syntax, division by zero).
    pub const BAD_EXPRESSION: &str = "bad-expression";
    /// A `/*` comment without its `*/`.
    pub const UNTERMINATED_COMMENT: &str = "unterminated-comment";
    /// A string or character literal without its closing quote.
    pub const UNTERMINATED_STRING: &str = "unterminated-string";
    /// `##` produced something that is not one preprocessing token.
    pub const BAD_PASTE: &str = "bad-paste";
    /// Macro expansion went past a limit (tokens produced, nesting, output size); the
    /// rest of the input is passed through without expansion.
    pub const EXPANSION_LIMIT: &str = "expansion-limit";
    /// A macro was redefined differently (a warning).
    pub const MACRO_REDEFINED: &str = "macro-redefined";
    /// So many diagnostics were reported that preprocessing stopped.
    pub const TOO_MANY_DIAGNOSTICS: &str = "too-many-diagnostics";

    /// All codes above, for documentation and tests.
    pub const ALL: &[&str] = &[
        FILE_NOT_FOUND,
        PP_ERROR,
        PP_WARNING,
        INCLUDE_DEPTH,
        UNTERMINATED_CONDITIONAL,
        UNBALANCED_ELSE,
        UNMATCHED_ENDIF,
        BAD_DIRECTIVE,
        MACRO_ARGS,
        BAD_EXPRESSION,
        UNTERMINATED_COMMENT,
        UNTERMINATED_STRING,
        BAD_PASTE,
        EXPANSION_LIMIT,
        MACRO_REDEFINED,
        TOO_MANY_DIAGNOSTICS,
    ];
}

/// The kind of a preprocessing token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier or keyword: `[A-Za-z_$][A-Za-z0-9_$]*`.
    Ident,
    /// A preprocessing number: starts with a digit (or `.digit`), C's pp-number rules.
    Number,
    /// A string literal, quotes included in `text`.
    Str,
    /// A character literal, quotes included in `text`.
    Char,
    /// A punctuator such as `;`, `[`, `^`, `::`, `<<`.
    Punct,
    /// Any other single character (stray bytes, U+FFFD from invalid UTF-8).
    Other,
}

/// One token after preprocessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What kind of token.
    pub kind: TokenKind,
    /// Its spelling.
    pub text: String,
    /// Where the user sees it: its own place in a source file, or, for a token that came
    /// out of a macro expansion, the outermost macro invocation it came from.
    pub span: Span,
    /// For tokens from a macro expansion: where the token itself was spelled (in a
    /// `#define` body or a macro argument), when that differs from `span`.
    pub spelled: Option<Span>,
    /// Whether whitespace came before it (for `#` stringizing and faithful re-printing).
    pub space_before: bool,
}

/// Options of one preprocessing run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-I` directories, searched in order (after the including file's directory for `"..."`).
    pub include_dirs: Vec<PathBuf>,
    /// `-D NAME[=VALUE]` and `-U NAME`, in command-line order.
    pub macros: Vec<MacroArg>,
    /// How deep `#include` may nest before it is an error; 0 means
    /// [`DEFAULT_MAX_INCLUDE_DEPTH`].
    pub max_include_depth: usize,
}

/// The include depth used when [`Options::max_include_depth`] is 0 (GCC's limit).
pub const DEFAULT_MAX_INCLUDE_DEPTH: usize = 200;

impl Options {
    /// The include depth in force: `max_include_depth`, or the default when it is 0.
    pub fn include_depth_limit(&self) -> usize {
        match self.max_include_depth {
            0 => DEFAULT_MAX_INCLUDE_DEPTH,
            n => n,
        }
    }
}

/// One `-D` or `-U` from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacroArg {
    /// `-D NAME` (value `1`) or `-D NAME=VALUE`.
    Define(String, Option<String>),
    /// `-U NAME`.
    Undef(String),
}

/// What preprocessing produced.
#[derive(Debug, Default)]
pub struct Output {
    /// The tokens, in order.
    pub tokens: Vec<Token>,
    /// Every file read, including files that were included (for `rerun-if-changed`).
    pub files_read: Vec<PathBuf>,
    /// Errors and warnings; preprocessing goes on after errors where it can.
    pub diagnostics: Vec<Diagnostic>,
}

/// Preprocesses `file` (already loaded in `map`); files it includes are loaded into `map`.
pub fn preprocess(map: &mut SourceMap, file: crate::source::FileId, options: &Options) -> Output {
    engine::run(map, file, options, engine::Limits::for_options(options))
}

/// Renders tokens back to text on one line, a space wherever the source had whitespace or
/// where two tokens would otherwise run together. Lexing the result gives the same tokens.
pub fn render(tokens: &[Token]) -> String {
    let mut out = String::with_capacity(tokens.len() * 6);
    let mut prev: Option<&Token> = None;
    for tok in tokens {
        if let Some(p) = prev {
            if tok.space_before || would_join(p, tok) {
                out.push(' ');
            }
        }
        out.push_str(&tok.text);
        prev = Some(tok);
    }
    out
}

/// Whether two adjacent spellings could lex as something else when written without a
/// space; erring towards a space is harmless.
fn would_join(a: &Token, b: &Token) -> bool {
    let word = |k: TokenKind| matches!(k, TokenKind::Ident | TokenKind::Number);
    let ends_word = a
        .text
        .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    (word(a.kind) || ends_word)
        && (word(b.kind) || matches!(b.kind, TokenKind::Str | TokenKind::Char))
        || a.kind == TokenKind::Punct && b.kind == TokenKind::Punct
        || a.kind == TokenKind::Number && b.text.starts_with(['.', '+', '-'])
        || a.text.ends_with('.') && b.text.starts_with(|c: char| c.is_ascii_digit())
        || a.text == "/" && b.text.starts_with(['/', '*'])
}
