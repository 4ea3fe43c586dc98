//! A C preprocessor for `.defs` files, as Apple's `mig` runs `cc -E -D__MACH30__` before
//! migcom. It works on tokens and keeps, for every token it emits, where the user sees it.
//!
//! The work is split in three: `lex` turns a file into pp-tokens once (cached per file),
//! `expr` evaluates `#if` expressions, and `engine` runs directives, includes and
//! macro expansion (Prosser's hide-set algorithm) with a limit on every resource, so no
//! input can make it panic, hang or run out of memory. The diagnostic codes it emits are
//! listed in [`codes`].

pub mod builtin;
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

    /// The note a diagnostic of this code carries when its site gives no better one, so
    /// that every diagnostic ends with a hint.
    pub fn default_note(code: &str) -> Option<&'static str> {
        Some(match code {
            PP_ERROR => "an `#error` directive was reached in a group that is not skipped",
            PP_WARNING => "a `#warning` directive was reached in a group that is not skipped",
            INCLUDE_DEPTH => "an include loop needs an include guard or `#pragma once`",
            UNTERMINATED_CONDITIONAL => {
                "each `#if`, `#ifdef` and `#ifndef` needs an `#endif` in the same file"
            }
            UNBALANCED_ELSE => {
                "`#elif` and `#else` follow an `#if` of the same file, and only `#endif` follows `#else`"
            }
            UNMATCHED_ENDIF => {
                "each `#endif` closes one `#if`, `#ifdef` or `#ifndef` of the same file"
            }
            BAD_DIRECTIVE => {
                "the directives are `#define`, `#undef`, `#include`, `#include_next`, `#if`, \
                 `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif`, `#line`, `#error`, \
                 `#warning` and `#pragma`"
            }
            MACRO_ARGS => {
                "arguments are separated by commas outside parentheses, and the list ends with `)`"
            }
            BAD_EXPRESSION => {
                "`#if` takes an integer constant expression; identifiers that are not macros are 0"
            }
            UNTERMINATED_COMMENT => "a `/*` comment ends at the first `*/`",
            UNTERMINATED_STRING => {
                "a literal ends on the line it starts on; end a line with `\\` to continue it"
            }
            BAD_PASTE => "`##` must join its operands into one valid token, such as one identifier",
            EXPANSION_LIMIT => "the rest of the input is passed through without macro expansion",
            MACRO_REDEFINED => "`#undef` the macro first to change its definition deliberately",
            _ => return None,
        })
    }

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
    /// The built-in standard includes ([`builtin`]) are searched after all of them.
    pub include_dirs: Vec<PathBuf>,
    /// Leaves the built-in standard includes out of the search (like a C compiler's
    /// `-nostdinc`), so only files on disk are found.
    pub no_builtin_includes: bool,
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
        if let Some(p) = prev
            && (tok.space_before || would_join(p, tok))
        {
            out.push(' ');
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use crate::source::FileId;
    use std::path::Path;

    /// Preprocesses `src` as `main.defs` with `options`.
    fn run_with(src: &str, options: &Options) -> (SourceMap, FileId, Output) {
        let mut map = SourceMap::new();
        let id = map.add("main.defs", src.to_string());
        let out = preprocess(&mut map, id, options);
        (map, id, out)
    }

    fn run(src: &str) -> Output {
        run_with(src, &Options::default()).2
    }

    /// The output spellings, space-separated.
    fn text(src: &str) -> String {
        let out = run(src);
        assert!(
            out.diagnostics.is_empty(),
            "unexpected diagnostics: {:?}",
            out.diagnostics
        );
        spellings(&out.tokens)
    }

    fn spellings(tokens: &[Token]) -> String {
        tokens
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `text`, lexed and re-joined, so expected output can be written naturally.
    fn toks(text: &str) -> String {
        let out = run(text);
        spellings(&out.tokens)
    }

    fn codes_of(out: &Output) -> Vec<&'static str> {
        out.diagnostics.iter().map(|d| d.code).collect()
    }

    /// A fresh empty directory under the system temp directory.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("migz-pp-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, text).expect("write");
        path
    }

    fn run_file(path: &Path, options: &Options) -> (SourceMap, Output) {
        let mut map = SourceMap::new();
        let id = map.load(path).expect("load");
        let out = preprocess(&mut map, id, options);
        (map, out)
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(text("routine foo(a : int);"), "routine foo ( a : int ) ;");
        assert_eq!(text(""), "");
    }

    #[test]
    fn object_like_macros_and_undef() {
        assert_eq!(text("#define N 4\nN N\n#undef N\nN"), "4 4 N");
        assert_eq!(text("#define E\na E b"), "a b");
    }

    #[test]
    fn c_standard_example_3() {
        let src = r#"
#define x 3
#define f(a) f(x * (a))
#undef x
#define x 2
#define g f
#define z z[0]
#define h g(~
#define m(a) a(w)
#define w 0,1
#define t(a) a
#define p() int
#define q(x) x
#define r(x,y) x ## y
#define str(x) # x
f(y+1) + f(f(z)) % t(t(g)(0) + t)(1);
g(x+(3,4)-w) | h 5) & m
(f)^m(m);
p() i[q()] = { q(1), r(2,3), r(4,), r(,5), r(,) };
char c[2][6] = { str(hello), str() };
"#;
        let expected = r#"
f(2 * (y+1)) + f(2 * (f(2 * (z[0])))) % f(2 * (0)) + t(1);
f(2 * (2+(3,4)-0,1)) | f(2 * (~ 5)) & f(2 * (0,1))^m(0,1);
int i[] = { 1, 23, 4, 5, };
char c[2][6] = { "hello", "" };
"#;
        assert_eq!(text(src), toks(expected));
    }

    #[test]
    fn c_standard_example_4_stringize_and_paste() {
        let src = r#"
#define str(s) # s
#define xstr(s) str(s)
#define debug(s, t) printf("x" # s "= %d, x" # t "= %s", \
 x ## s, x ## t)
#define INCFILE(n) vers ## n
#define glue(a, b) a ## b
#define xglue(a, b) glue(a, b)
#define HIGHLOW "hello"
#define LOW LOW ", world"
debug(1, 2);
fputs(str(strncmp("abc\0d", "abc", '\4') // this goes away
 == 0) str(: @\n), s);
xstr(INCFILE(2).h)
glue(HIGH, LOW);
xglue(HIGH, LOW)
"#;
        let expected = r#"
printf("x" "1" "= %d, x" "2" "= %s", x1, x2);
fputs("strncmp(\"abc\\0d\", \"abc\", '\\4') == 0" ": @\n", s);
"vers2.h"
"hello";
"hello" ", world"
"#;
        assert_eq!(text(src), toks(expected));
    }

    #[test]
    fn c_standard_example_7_variadic() {
        let src = r#"
#define debug(...) fprintf(stderr, __VA_ARGS__)
#define showlist(...) puts(#__VA_ARGS__)
#define report(test, ...) ((test)?puts(#test): printf(__VA_ARGS__))
debug("Flag");
debug("X = %d\n", x);
showlist(The first, second, and third items.);
report(x>y, "x is %d but y is %d", x, y);
"#;
        let expected = r#"
fprintf(stderr, "Flag");
fprintf(stderr, "X = %d\n", x);
puts("The first, second, and third items.");
((x>y)?puts("x>y"): printf("x is %d but y is %d", x, y));
"#;
        assert_eq!(text(src), toks(expected));
    }

    #[test]
    fn gnu_variadic_extensions() {
        let src = "#define e(fmt, ...) f(fmt, ## __VA_ARGS__)\n\
                   #define n(args...) g(args)\n\
                   e(1) e(1, 2, 3) e(1,) n(a, b) n()";
        // As in GCC's GNU mode, an empty variadic argument also drops the comma.
        assert_eq!(text(src), toks("f(1) f(1, 2, 3) f(1) g(a, b) g()"));
    }

    #[test]
    fn va_opt() {
        let src = "#define F(a, ...) f(a __VA_OPT__(,) __VA_ARGS__)\n\
                   #define G(x, ...) x ## __VA_OPT__(_y) z\n\
                   F(1) F(1, 2, 3) G(a) G(a, 1)";
        assert_eq!(text(src), toks("f(1) f(1, 2, 3) a z a_y z"));
        let out = run("#define H(...) __VA_OPT__ x\n");
        assert_eq!(codes_of(&out), ["bad-directive"]);
    }

    #[test]
    fn recursion_stops() {
        assert_eq!(text("#define foo foo\nfoo"), "foo");
        assert_eq!(text("#define a b\n#define b a\na b"), "a b");
        // The `f` from the expansion is painted: it never expands again, even with `(2)`.
        assert_eq!(text("#define f(x) x f\nf(1)(2)"), "1 f ( 2 )");
        assert_eq!(text("#define f(x) f(x)\nf(f(1))"), toks("f(f(1))"));
    }

    #[test]
    fn function_like_needs_parens_and_nested_parens_stay_in_one_argument() {
        assert_eq!(
            text("#define f(x) [x]\nf f (a(b, c)) f\n(d)"),
            toks("f [a(b, c)] [d]")
        );
        assert_eq!(
            text("#define f(x, y) x|y\nf((a, b), {c)"),
            toks("(a, b)|{c")
        );
        assert_eq!(text("#define f() z\nf() f( )"), "z z");
    }

    #[test]
    fn prefix_pasting_like_the_corpus() {
        let src = "#define PREFIX(name) mig_ ## name\n\
                   #define ROUTINE(n) routine PREFIX(n)\n\
                   ROUTINE(vm_allocate)(target : port);";
        assert_eq!(text(src), toks("routine mig_vm_allocate(target : port);"));
    }

    #[test]
    fn paste_makes_one_token_and_rejects_bad_pairs() {
        assert_eq!(
            text("#define cat(a, b) a ## b\ncat(<, <) cat(1, e5) cat(, x)"),
            "<< 1e5 x"
        );
        let out = run("#define cat(a, b) a ## b\ncat(+, /)");
        assert_eq!(codes_of(&out), ["bad-paste"]);
        assert_eq!(spellings(&out.tokens), "+ /");
    }

    #[test]
    fn conditionals_and_elif_chains() {
        let src = "#if 1 + 1 == 2\na\n#else\nb\n#endif\n\
                   #if 0\nc\n#elif 2 > 3\nd\n#elif (7 & 3) == 3\ne\n#elif 1\nf\n#else\ng\n#endif\n\
                   #if 0\n#if 1\nh\n#else\ni\n#endif\n#elif 0\nj\n#else\nk\n#endif";
        assert_eq!(text(src), "a e k");
    }

    #[test]
    fn skipped_groups_ignore_junk_directives_and_literals() {
        let src = "#if 0\n#bogus\n#error no\ndon't\n#include <nothing.h>\n#endif\nok";
        assert_eq!(text(src), "ok");
    }

    #[test]
    fn routine_names_split_across_conditionals() {
        let src = "#define X 1\nroutine\n#if X\nfoo_new\n#else\nfoo_old\n#endif\n(a : int);";
        assert_eq!(text(src), toks("routine foo_new (a : int);"));
    }

    #[test]
    fn defined_in_all_its_forms() {
        let src = "#define A\n#define B 0\n\
                   #if defined A && defined(B) && !defined C && !defined ( C )\nyes\n#endif\n\
                   #ifdef A\na\n#endif\n#ifndef C\nc\n#endif\n#ifdef C\nno\n#endif\n\
                   #if B\nno\n#endif\n#if UNKNOWN == 0\nzero\n#endif\n\
                   #define D defined(A)\n#if D\nd\n#endif";
        assert_eq!(text(src), "yes a c zero d");
    }

    #[test]
    fn command_line_macros_apply_in_order() {
        let options = Options {
            macros: vec![
                MacroArg::Define("A".into(), None),
                MacroArg::Define("B".into(), Some("2".into())),
                MacroArg::Define("C".into(), Some("3".into())),
                MacroArg::Undef("C".into()),
                MacroArg::Undef("D".into()),
                MacroArg::Define("D".into(), Some("4".into())),
                MacroArg::Define("F(x)".into(), Some("[x]".into())),
            ],
            ..Options::default()
        };
        let (_, _, out) = run_with("A B C D F(5)", &options);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(spellings(&out.tokens), "1 2 C 4 [ 5 ]");
        assert_eq!(out.files_read, [PathBuf::from("main.defs")]);
    }

    #[test]
    fn include_search_order() {
        let dir = temp_dir("search");
        write(&dir, "src/a.h", "src_a");
        write(&dir, "one/a.h", "one_a");
        write(&dir, "one/b.h", "one_b\n#include_next <b.h>\n");
        write(&dir, "two/b.h", "two_b");
        write(&dir, "two/c.h", "two_c");
        let main = write(
            &dir,
            "src/main.defs",
            "#include \"a.h\"\n#include <a.h>\n#include <b.h>\n#include \"c.h\"\n",
        );
        let options = Options {
            include_dirs: vec![dir.join("one"), dir.join("two")],
            ..Options::default()
        };
        let (_, out) = run_file(&main, &options);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(spellings(&out.tokens), "src_a one_a one_b two_b two_c");
        assert_eq!(out.files_read.len(), 6);
        assert_eq!(out.files_read[0], main);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn computed_includes_guards_and_pragma_once() {
        let dir = temp_dir("computed");
        write(
            &dir,
            "inc/g.h",
            "#ifndef G_H\n#define G_H\nguarded\n#endif\n",
        );
        write(&dir, "inc/o.h", "#pragma once\nonce\n");
        write(&dir, "inc/x.h", "x");
        let main = write(
            &dir,
            "main.defs",
            "#define HDR <x.h>\n#define Q \"inc/x.h\"\n#include HDR\n#include Q\n\
             #include <g.h>\n#include <g.h>\n#include <o.h>\n#include <o.h>\n",
        );
        let options = Options {
            include_dirs: vec![dir.join("inc")],
            ..Options::default()
        };
        let (map, out) = run_file(&main, &options);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(spellings(&out.tokens), "x x guarded once");
        // The same path is loaded into the map once, however often it is included.
        assert_eq!(map.len(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_not_found_points_at_the_name_and_lists_directories() {
        let options = Options {
            include_dirs: vec![PathBuf::from("/nonexistent/one")],
            ..Options::default()
        };
        let (map, _, out) = run_with("a\n#include <missing.h>\nb", &options);
        assert_eq!(codes_of(&out), ["file-not-found"]);
        let d = &out.diagnostics[0];
        assert_eq!(d.message, "file not found: `missing.h`");
        assert_eq!(map.snippet(d.primary_span().expect("span")), "<missing.h>");
        assert_eq!(d.notes, ["searched: /nonexistent/one"]);
        assert_eq!(spellings(&out.tokens), "a b", "preprocessing goes on");
        let rendered = crate::diag::render(&map, &out.diagnostics);
        assert!(rendered.contains("error[file-not-found]: file not found: `missing.h`"));
        assert!(rendered.contains("main.defs:2:10"), "{rendered}");
    }

    #[test]
    fn include_depth_limit_stops_loops() {
        let dir = temp_dir("depth");
        let main = write(&dir, "loop.h", "x\n#include \"loop.h\"\n");
        let options = Options {
            max_include_depth: 10,
            ..Options::default()
        };
        let (_, out) = run_file(&main, &options);
        assert_eq!(codes_of(&out), ["include-depth"]);
        assert_eq!(out.tokens.len(), 11);
        // A file that includes itself twice grows exponentially; the total limit ends it.
        let twice = write(
            &dir,
            "twice.h",
            "#include \"twice.h\"\n#include \"twice.h\"\ny\n",
        );
        let (_, out) = run_file(&twice, &Options::default());
        assert!(codes_of(&out).contains(&"include-depth"));
        assert!(out.diagnostics.len() < 10);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn error_and_warning_directives() {
        let out = run("#warning don't worry\n#error \"bad\" thing\nafter");
        assert_eq!(codes_of(&out), ["pp-warning", "pp-error"]);
        assert_eq!(out.diagnostics[0].severity, Severity::Warning);
        assert_eq!(out.diagnostics[1].message, "#error \"bad\" thing");
        assert_eq!(spellings(&out.tokens), "after");
    }

    #[test]
    fn line_directive_changes_line_and_file() {
        let src = "__LINE__\n#line 100\n__LINE__\n__LINE__ __FILE__\n#line 7 \"other.defs\"\n__LINE__ __FILE__";
        assert_eq!(text(src), "1 100 101 \"main.defs\" 7 \"other.defs\"");
        assert_eq!(text("__COUNTER__ __COUNTER__ __INCLUDE_LEVEL__"), "0 1 0");
    }

    #[test]
    fn spans_of_expanded_tokens() {
        let src = "#define T(x) int x\nT( a ) ;\n";
        let (map, _, out) = run_with(src, &Options::default());
        let [int, a, semi] = out.tokens.as_slice() else {
            panic!("three tokens: {:?}", out.tokens);
        };
        assert_eq!(map.snippet(int.span), "T( a )");
        assert_eq!(map.snippet(int.spelled.expect("spelled")), "int");
        assert_eq!(map.snippet(a.span), "T( a )");
        assert_eq!(map.snippet(a.spelled.expect("spelled")), "a");
        assert_eq!(map.location(a.spelled.expect("spelled")), "main.defs:2:4");
        assert_eq!(map.snippet(semi.span), ";");
        assert_eq!(semi.spelled, None);
        // Nested expansions report the outermost invocation; pasted tokens have no spelling.
        let src = "#define cat(a, b) a ## b\n#define OUTER cat(x, y) z\nOUTER";
        let (map, _, out) = run_with(src, &Options::default());
        assert_eq!(spellings(&out.tokens), "xy z");
        assert!(out.tokens.iter().all(|t| map.snippet(t.span) == "OUTER"));
        assert_eq!(out.tokens[0].spelled, None);
        assert_eq!(map.snippet(out.tokens[1].spelled.expect("spelled")), "z");
    }

    #[test]
    fn spacing_is_recorded() {
        let out = run("a  b(c)\n#define M x y\n(M)");
        let spaces: Vec<bool> = out.tokens.iter().map(|t| t.space_before).collect();
        assert_eq!(
            spaces,
            [false, true, false, false, false, true, false, true, false]
        );
        assert_eq!(render(&out.tokens), "a b(c) (x y)");
    }

    #[test]
    fn diagnostics_for_each_code() {
        let cases: &[(&str, &str)] = &[
            ("#if 1\n", "unterminated-conditional"),
            ("#else\n", "unbalanced-else"),
            ("#if 1\n#else\n#else\n#endif\n", "unbalanced-else"),
            ("#if 1\n#else\n#elif 1\n#endif\n", "unbalanced-else"),
            ("#endif\n", "unmatched-endif"),
            ("#frobnicate\n", "bad-directive"),
            ("#define\n", "bad-directive"),
            ("#define 3 x\n", "bad-directive"),
            ("#define f(x x\n", "bad-directive"),
            ("#define f(x) #y\n", "bad-directive"),
            ("#define f(x) ## x\n", "bad-directive"),
            ("#include\n", "bad-directive"),
            ("#line x\n", "bad-directive"),
            ("#define f(x) x\nf(1, 2)\n", "macro-args"),
            ("#define f(x, y) x\nf(1)\n", "macro-args"),
            ("#define f(x) x\nf(1\n", "macro-args"),
            ("#if 1 / 0\n#endif\n", "bad-expression"),
            ("#if (1\n#endif\n", "bad-expression"),
            ("#if\n#endif\n", "bad-expression"),
            ("#if defined\n#endif\n", "bad-expression"),
            ("/* open", "unterminated-comment"),
            ("\"open\n", "unterminated-string"),
            ("#define Q 'q\n", "unterminated-string"),
            ("#define c(a, b) a ## b\nc(., +)\n", "bad-paste"),
            ("#error stop\n", "pp-error"),
            ("#warning hm\n", "pp-warning"),
            ("#define A 1\n#define A 2\n", "macro-redefined"),
            ("#include \"no-such-file.h\"\n", "file-not-found"),
        ];
        for (src, code) in cases {
            let out = run(src);
            assert_eq!(
                codes_of(&out),
                [*code],
                "for {src:?}: {:?}",
                out.diagnostics
            );
            assert!(
                out.diagnostics[0].primary_span().is_some(),
                "{code} has a location"
            );
            assert!(codes::ALL.contains(code));
            assert!(!out.diagnostics[0].notes.is_empty(), "{code} has a note");
        }
        // The same definition twice is not a redefinition.
        assert!(
            run("#define A (1 + 2)\n#define A (1 + 2)\n")
                .diagnostics
                .is_empty()
        );
    }

    #[test]
    fn many_errors_in_one_run() {
        let out = run("#error one\n#if 1/0\n#endif\n#error two\n#endif");
        assert_eq!(
            codes_of(&out),
            ["pp-error", "bad-expression", "pp-error", "unmatched-endif"]
        );
    }

    #[test]
    fn exponential_expansion_stops_at_the_limit() {
        let mut src = String::new();
        for i in 0..40 {
            src.push_str(&format!("#define m{i} m{} m{}\n", i + 1, i + 1));
        }
        src.push_str("m0\n");
        let mut map = SourceMap::new();
        let id = map.add("main.defs", src);
        let mut limits = engine::Limits::for_options(&Options::default());
        limits.expansion_tokens = 100_000;
        let out = engine::run(&mut map, id, &Options::default(), limits);
        assert_eq!(codes_of(&out), ["expansion-limit"]);
        assert!(out.tokens.len() < 200_000);
    }

    #[test]
    fn doubling_arguments_stop_at_the_limit() {
        let src = format!(
            "#define d(x) x x x x x x x x\n{}1{}\n",
            "d(".repeat(12),
            ")".repeat(12)
        );
        let mut map = SourceMap::new();
        let id = map.add("main.defs", src);
        let mut limits = engine::Limits::for_options(&Options::default());
        limits.expansion_tokens = 100_000;
        let out = engine::run(&mut map, id, &Options::default(), limits);
        assert_eq!(codes_of(&out), ["expansion-limit"]);
        assert!(out.tokens.len() < 2_000_000);
    }

    #[test]
    fn long_arguments_nested_deep_are_bounded_in_memory() {
        // Each level of nesting holds its argument while the one inside it expands: 150
        // levels of a 3,000-token argument would hold 450,000 tokens at once. (A fuzzer
        // found `#define a(x) a(x) a(x)` nested 2,000 deep taking 210 MB and 3.6 s.)
        let src = format!(
            "#define f(x) x\n{}{}{}\n",
            "f(".repeat(150),
            "1 ".repeat(3000),
            ")".repeat(150)
        );
        let out = run(&src);
        assert_eq!(codes_of(&out), ["expansion-limit"]);
        assert!(
            out.diagnostics[0]
                .message
                .contains("held more than 200000 tokens"),
            "{:?}",
            out.diagnostics[0].message
        );
        // The same argument nested 50 deep stays within the limit and expands.
        let src = format!(
            "#define f(x) x\n{}{}{}\n",
            "f(".repeat(50),
            "1 ".repeat(3000),
            ")".repeat(50)
        );
        let out = run(&src);
        assert!(codes_of(&out).is_empty());
        assert_eq!(out.tokens.len(), 3000);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // Arguments nested far past the limit.
        let src = format!("#define f(x) x\n{}1{}", "f(".repeat(5000), ")".repeat(5000));
        let out = run(&src);
        assert_eq!(codes_of(&out), ["expansion-limit"]);
        // A long chain of distinct macros, each expanding to the next.
        let mut chain = String::new();
        for i in 0..3000 {
            chain.push_str(&format!("#define c{i} c{}\n", i + 1));
        }
        chain.push_str("c0\n");
        let out = run(&chain);
        assert_eq!(codes_of(&out), ["expansion-limit"]);
        // Conditionals nested deeply use an explicit stack.
        let ifs = format!(
            "{}x\n{}",
            "#if 1\n".repeat(100_000),
            "#endif\n".repeat(100_000)
        );
        assert_eq!(text(&ifs), "x");
        let skipped = format!(
            "#if 0\n{}x\n{}#endif\ny",
            "#if 1\n".repeat(100_000),
            "#endif\n".repeat(100_000)
        );
        assert_eq!(text(&skipped), "y");
        let parens = format!(
            "#if {}1{}\nz\n#endif",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert_eq!(codes_of(&run(&parens)), ["bad-expression"]);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let inputs = [
            "#",
            "# 12",
            "#define",
            "#define f(",
            "#define f(...",
            "#define f(a,",
            "#if",
            "#elif",
            "#include <",
            "#include \"",
            "#line",
            "#line 0 \"",
            "f(",
            "\\",
            "'",
            "\"",
            "/*",
            "#define f(x) #x\nf(\"\\\")",
            "#define s(x) #x\ns('\\'')",
            "\u{fffd}\u{fffd}",
            "#if '\\x'\n#endif",
            "#if 0x\n#endif",
            "#if 1 ? 2\n#endif",
            "#define a(x) x\na(",
            "#define __FILE__ 1\n__FILE__",
            "#undef __LINE__\n__LINE__",
            "#if __LINE__ > 0\nL\n#endif",
            "#define EMPTY\n#include EMPTY",
            "#include_next <nothing.h>",
            "#pragma once\n#pragma",
        ];
        for src in inputs {
            let _ = run(src);
        }
    }

    #[test]
    fn has_include_and_import() {
        let dir = temp_dir("has-include");
        write(&dir, "inc/here.h", "here");
        let main = write(
            &dir,
            "main.defs",
            "#if __has_include(<here.h>) && !__has_include(\"gone.h\") && defined __has_include\n\
             yes\n#endif\n#import <here.h>\n#import <here.h>\n",
        );
        let options = Options {
            include_dirs: vec![dir.join("inc")],
            ..Options::default()
        };
        let (_, out) = run_file(&main, &options);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(spellings(&out.tokens), "yes here");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn guarded_file_seen_only_through_its_guard_is_still_read() {
        let dir = temp_dir("guard-read");
        write(&dir, "g.h", "#ifndef G\n#define G\ng\n#endif\n");
        let main = write(&dir, "main.defs", "#define G\n#include \"g.h\"\nm\n");
        let (_, out) = run_file(&main, &Options::default());
        assert_eq!(spellings(&out.tokens), "m");
        assert_eq!(out.files_read, [main.clone(), dir.join("g.h")]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rendered_diagnostic_snapshot() {
        let src = "subsystem s 100;\n#include <mach/missing.defs>\n";
        let options = Options {
            include_dirs: vec![PathBuf::from("/opt/none")],
            ..Options::default()
        };
        let (map, _, out) = run_with(src, &options);
        let expected = "\
error[file-not-found]: file not found: `mach/missing.defs`
  ┌─ main.defs:2:10
  │
2 │ #include <mach/missing.defs>
  │          ^^^^^^^^^^^^^^^^^^^ included here
  │
  = searched: /opt/none, <migz built-in>

";
        assert_eq!(crate::diag::render(&map, &out.diagnostics), expected);
    }

    #[test]
    fn long_parameter_lists_are_linear() {
        let params: Vec<String> = (0..5000).map(|i| format!("p{i}")).collect();
        let src = format!(
            "#define f({}) {}\nf({})",
            params.join(", "),
            params.join(" "),
            (0..5000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let out = run(&src);
        assert!(out.diagnostics.is_empty());
        assert_eq!(out.tokens.len(), 5000);
        assert_eq!(out.tokens[4999].text, "4999");
    }

    /// Random soups of directive and macro fragments: every one must finish without a
    /// panic, and within the limits.
    #[test]
    fn random_inputs_terminate() {
        const PIECES: &[&str] = &[
            "#define a b b\n",
            "#define b a a\n",
            "#define f(x, ...) x ## __VA_ARGS__ #x f\n",
            "#define g(y) f(y, y) g\n",
            "#undef a\n",
            "#if ",
            "#elif ",
            "#else\n",
            "#endif\n",
            "#ifdef a\n",
            "#include \"main.defs\"\n",
            "#line 5\n",
            "#error e\n",
            "defined ",
            "f(",
            "g(",
            ")",
            ",",
            "(",
            "a ",
            "b ",
            "1 ",
            "/ 0",
            "##",
            "#",
            "\"s",
            "'c'",
            "/*",
            "*/",
            "\\\n",
            "\n",
            "__LINE__ ",
            "__VA_ARGS__",
            "...",
            "<",
            ">",
            "\u{fffd}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut src = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + seed % 40;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                src.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let mut map = SourceMap::new();
            let id = map.add("main.defs", src);
            let mut limits = engine::Limits::for_options(&Options::default());
            limits.expansion_tokens = 20_000;
            limits.include_depth = 5;
            let out = engine::run(&mut map, id, &Options::default(), limits);
            for d in &out.diagnostics {
                assert!(!d.notes.is_empty(), "{} has a note", d.code);
                assert!(codes::ALL.contains(&d.code));
                // Every label must lie inside its file, or rendering would fail.
                for l in &d.labels {
                    assert!(l.span.end as usize <= map.file(l.span.file).text.len());
                    assert!(l.span.start <= l.span.end);
                }
            }
            for t in &out.tokens {
                for span in std::iter::once(t.span).chain(t.spelled) {
                    assert!(span.end as usize <= map.file(span.file).text.len());
                    assert!(span.start <= span.end);
                }
            }
            let _ = crate::diag::render(&map, &out.diagnostics);
        }
    }

    #[test]
    fn too_many_diagnostics_stops_the_run() {
        let src = "#error e\n".repeat(20);
        let mut map = SourceMap::new();
        let id = map.add("main.defs", src);
        let mut limits = engine::Limits::for_options(&Options::default());
        limits.diagnostics = 5;
        let out = engine::run(&mut map, id, &Options::default(), limits);
        assert_eq!(out.diagnostics.len(), 6);
        assert_eq!(out.diagnostics[5].code, codes::TOO_MANY_DIAGNOSTICS);
    }

    #[test]
    fn crlf_and_absolute_includes() {
        let dir = temp_dir("crlf");
        let inc = write(&dir, "abs.h", "#define V 7\r\nabs\r\n");
        let main = write(
            &dir,
            "main.defs",
            &format!(
                "#include \"{}\"\r\n#if V == 7\r\nseven\r\n#endif\r\n",
                inc.display()
            ),
        );
        let (_, out) = run_file(&main, &Options::default());
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(spellings(&out.tokens), "abs seven");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn options_default_depth() {
        assert_eq!(Options::default().include_depth_limit(), 200);
        let o = Options {
            max_include_depth: 3,
            ..Options::default()
        };
        assert_eq!(o.include_depth_limit(), 3);
    }
}
