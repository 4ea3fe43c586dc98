//! The preprocessing-token lexer and the symbol interner. A file is lexed once into a flat
//! vector of [`RawTok`]s (byte offsets into the real file, line-start and space flags), and
//! the preprocessor walks that vector; comments and backslash-newline splices vanish here.

use super::TokenKind;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An interned spelling. Token texts are compared and copied as these small integers.
pub(crate) type Sym = u32;

/// A fast, non-cryptographic hasher for the interner and the preprocessor's tables: the
/// keys are short spellings and small integers from our own input, not from an attacker
/// who could aim collisions at a hash table worth protecting.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Spellings the preprocessor looks for, interned first so their [`Sym`]s are constants.
pub(crate) const WELL_KNOWN: &[&str] = &[
    "",
    "#",
    "##",
    "(",
    ")",
    ",",
    "...",
    "defined",
    "__VA_ARGS__",
    "__FILE__",
    "__LINE__",
    "__COUNTER__",
    "__INCLUDE_LEVEL__",
    "<",
    ">",
    "%:",
    "%:%:",
    "once",
    "0",
    "1",
    "!",
    "if",
    "ifdef",
    "ifndef",
    "elif",
    "else",
    "endif",
    "elifdef",
    "elifndef",
    "define",
    "undef",
    "include",
    "include_next",
    "import",
    "line",
    "error",
    "warning",
    "pragma",
    "ident",
    "sccs",
    "__has_include",
    "__VA_OPT__",
];

/// The empty spelling, which marks a placemarker during `##` pasting.
pub(crate) const S_EMPTY: Sym = 0;
pub(crate) const S_HASH: Sym = 1;
pub(crate) const S_HASHHASH: Sym = 2;
pub(crate) const S_LPAREN: Sym = 3;
pub(crate) const S_RPAREN: Sym = 4;
pub(crate) const S_COMMA: Sym = 5;
pub(crate) const S_ELLIPSIS: Sym = 6;
pub(crate) const S_DEFINED: Sym = 7;
pub(crate) const S_VA_ARGS: Sym = 8;
pub(crate) const S_FILE: Sym = 9;
pub(crate) const S_LINE: Sym = 10;
pub(crate) const S_COUNTER: Sym = 11;
pub(crate) const S_INCLUDE_LEVEL: Sym = 12;
pub(crate) const S_LT: Sym = 13;
pub(crate) const S_GT: Sym = 14;
pub(crate) const S_DIGRAPH_HASH: Sym = 15;
pub(crate) const S_DIGRAPH_HASHHASH: Sym = 16;
pub(crate) const S_ONCE: Sym = 17;
pub(crate) const S_ZERO: Sym = 18;
pub(crate) const S_ONE: Sym = 19;
pub(crate) const S_BANG: Sym = 20;
pub(crate) const S_IF: Sym = 21;
pub(crate) const S_IFDEF: Sym = 22;
pub(crate) const S_IFNDEF: Sym = 23;
pub(crate) const S_ELIF: Sym = 24;
pub(crate) const S_ELSE: Sym = 25;
pub(crate) const S_ENDIF: Sym = 26;
pub(crate) const S_ELIFDEF: Sym = 27;
pub(crate) const S_ELIFNDEF: Sym = 28;
pub(crate) const S_DEFINE: Sym = 29;
pub(crate) const S_UNDEF: Sym = 30;
pub(crate) const S_INCLUDE: Sym = 31;
pub(crate) const S_INCLUDE_NEXT: Sym = 32;
pub(crate) const S_IMPORT: Sym = 33;
pub(crate) const S_LINE_DIR: Sym = 34;
pub(crate) const S_ERROR: Sym = 35;
pub(crate) const S_WARNING: Sym = 36;
pub(crate) const S_PRAGMA: Sym = 37;
pub(crate) const S_IDENT: Sym = 38;
pub(crate) const S_SCCS: Sym = 39;
pub(crate) const S_HAS_INCLUDE: Sym = 40;
pub(crate) const S_VA_OPT: Sym = 41;

/// Maps spellings to [`Sym`]s and back.
#[derive(Debug)]
pub(crate) struct Interner {
    map: FxMap<Box<str>, Sym>,
    strs: Vec<Box<str>>,
}

impl Interner {
    /// An interner holding [`WELL_KNOWN`] at their fixed indices.
    pub(crate) fn new() -> Interner {
        let mut interner = Interner {
            map: FxMap::default(),
            strs: Vec::new(),
        };
        for (i, s) in WELL_KNOWN.iter().enumerate() {
            let sym = interner.intern(s);
            assert_eq!(sym as usize, i, "well-known spellings are unique");
        }
        interner
    }

    /// The symbol of a spelling, adding it when new.
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym::try_from(self.strs.len()).expect("fewer than 2^32 distinct spellings");
        self.strs.push(s.into());
        self.map.insert(s.into(), sym);
        sym
    }

    /// The spelling of a symbol.
    pub(crate) fn get(&self, sym: Sym) -> &str {
        &self.strs[sym as usize]
    }
}

/// One token as lexed from a file, before any macro expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawTok {
    pub kind: TokenKind,
    pub sym: Sym,
    /// Byte offset of the first byte in the real file.
    pub start: u32,
    /// Byte offset one past the last byte in the real file.
    pub end: u32,
    /// First token of its (logical) line, so a `#` here starts a directive.
    pub bol: bool,
    /// Whitespace or a comment came before it on the same line.
    pub space: bool,
    /// A string or character literal without its closing quote.
    pub unterminated: bool,
}

/// A problem found while lexing, reported once when the file is first read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexProblem {
    pub code: &'static str,
    pub message: &'static str,
    pub start: u32,
    pub end: u32,
}

/// Multi-character punctuators, longest first so the first match is the longest.
const PUNCTS: &[&str] = &[
    "%:%:", "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
    "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##", "<:", ":>", "<%", "%>", "%:", "::",
];

/// Single-character punctuators; any other character is [`TokenKind::Other`].
const SINGLE_PUNCTS: &[u8] = b"[](){}.&*+-~!/%<>^|?:;=,#";

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Source text with backslash-newline splices removed, and the map back to real offsets.
struct Spliced<'a> {
    text: std::borrow::Cow<'a, str>,
    /// `(offset in text, offset in the real file)` at each place a splice was removed.
    breaks: Vec<(u32, u32)>,
}

impl Spliced<'_> {
    fn new(text: &str) -> Spliced<'_> {
        if !text.contains("\\\n") && !text.contains("\\\r\n") {
            return Spliced {
                text: std::borrow::Cow::Borrowed(text),
                breaks: Vec::new(),
            };
        }
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut breaks = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                let skip = match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(b'\n'), _) => 2,
                    (Some(b'\r'), Some(b'\n')) => 3,
                    _ => 0,
                };
                if skip > 0 {
                    i += skip;
                    breaks.push((out.len() as u32, i as u32));
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        // Only ASCII bytes were removed, so the rest is still UTF-8.
        let text = String::from_utf8(out).expect("removing ASCII splices keeps UTF-8 valid");
        Spliced {
            text: std::borrow::Cow::Owned(text),
            breaks,
        }
    }

    /// The real offset of a byte of the spliced text.
    fn real(&self, offset: usize) -> u32 {
        let offset = offset as u32;
        match self.breaks.partition_point(|&(at, _)| at <= offset) {
            0 => offset,
            n => {
                let (at, real) = self.breaks[n - 1];
                real + (offset - at)
            }
        }
    }

    /// The real end offset of a range ending (exclusively) at `end`.
    fn real_end(&self, start: usize, end: usize) -> u32 {
        if end == start {
            self.real(start)
        } else {
            self.real(end - 1) + 1
        }
    }
}

/// Lexes a whole file into pp-tokens. Never fails: odd bytes become `Other` tokens and
/// unterminated comments or literals are reported in the problem list.
pub(crate) fn lex(source: &str, interner: &mut Interner) -> (Vec<RawTok>, Vec<LexProblem>) {
    let spliced = Spliced::new(source);
    let text: &str = &spliced.text;
    let b = text.as_bytes();
    let mut toks = Vec::with_capacity(b.len() / 4);
    let mut problems = Vec::new();
    let mut i = 0;
    let mut bol = true;
    let mut space = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                bol = true;
                space = false;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                space = true;
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr(b'\n', b, i).unwrap_or(b.len());
                space = true;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                match text[i + 2..].find("*/") {
                    Some(at) => i = i + 2 + at + 2,
                    None => {
                        problems.push(LexProblem {
                            code: super::codes::UNTERMINATED_COMMENT,
                            message: "unterminated comment",
                            start: spliced.real(i),
                            end: spliced.real_end(i, i + 2),
                        });
                        i = b.len();
                    }
                }
                space = true;
                continue;
            }
            _ => {}
        }
        let start = i;
        let mut unterminated = false;
        let kind = if is_ident_start(c) {
            i += 1;
            while i < b.len() && is_ident_continue(b[i]) {
                i += 1;
            }
            let word = &b[start..i];
            let prefix = matches!(word, b"L" | b"u" | b"U" | b"u8");
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) if prefix => {
                    let (end, ok) = literal_end(b, i, q);
                    i = end;
                    unterminated = !ok;
                    if q == b'"' {
                        TokenKind::Str
                    } else {
                        TokenKind::Char
                    }
                }
                _ => TokenKind::Ident,
            }
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() {
                let d = b[i];
                let sign =
                    matches!(d, b'+' | b'-') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P');
                if sign || is_ident_continue(d) || d == b'.' {
                    i += 1;
                } else {
                    break;
                }
            }
            TokenKind::Number
        } else if c == b'"' || c == b'\'' {
            let (end, ok) = literal_end(b, i, c);
            i = end;
            unterminated = !ok;
            if c == b'"' {
                TokenKind::Str
            } else {
                TokenKind::Char
            }
        } else if let Some(p) = PUNCTS.iter().find(|p| b[i..].starts_with(p.as_bytes())) {
            i += p.len();
            TokenKind::Punct
        } else if SINGLE_PUNCTS.contains(&c) {
            i += 1;
            TokenKind::Punct
        } else {
            // One whole character, so U+FFFD and other non-ASCII text stay valid UTF-8.
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            i += len;
            TokenKind::Other
        };
        if unterminated {
            problems.push(LexProblem {
                code: super::codes::UNTERMINATED_STRING,
                message: if kind == TokenKind::Str {
                    "missing terminating `\"` character"
                } else {
                    "missing terminating `'` character"
                },
                start: spliced.real(start),
                end: spliced.real_end(start, i),
            });
        }
        toks.push(RawTok {
            kind,
            sym: interner.intern(&text[start..i]),
            start: spliced.real(start),
            end: spliced.real_end(start, i),
            bol,
            space,
            unterminated,
        });
        bol = false;
        space = false;
    }
    (toks, problems)
}

/// The end of a string or character literal whose opening quote is at `open`, and whether
/// it was closed before the end of the line.
fn literal_end(b: &[u8], open: usize, quote: u8) -> (usize, bool) {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            c if c == quote => return (i + 1, true),
            b'\\' if i + 1 < b.len() && b[i + 1] != b'\n' => i += 2,
            b'\n' => return (i, false),
            _ => i += 1,
        }
    }
    (b.len(), false)
}

fn memchr(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    hay[from..]
        .iter()
        .position(|&b| b == needle)
        .map(|p| p + from)
}

/// Lexes one spelling and returns its kind when it is exactly one token (used by `##`).
pub(crate) fn lex_one(text: &str, interner: &mut Interner) -> Option<(TokenKind, Sym)> {
    let (toks, problems) = lex(text, interner);
    match toks.as_slice() {
        [t] if problems.is_empty() && t.start == 0 && t.end as usize == text.len() => {
            Some((t.kind, t.sym))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, String)> {
        let mut interner = Interner::new();
        let (toks, _) = lex(src, &mut interner);
        toks.iter()
            .map(|t| (t.kind, interner.get(t.sym).to_string()))
            .collect()
    }

    #[test]
    fn lexes_each_kind() {
        use TokenKind::*;
        assert_eq!(
            kinds("a$1 0x1fUL 1.5e+3 \"s\\\"\" 'c' <<= :: @ ..."),
            vec![
                (Ident, "a$1".into()),
                (Number, "0x1fUL".into()),
                (Number, "1.5e+3".into()),
                (Str, "\"s\\\"\"".into()),
                (Char, "'c'".into()),
                (Punct, "<<=".into()),
                (Punct, "::".into()),
                (Other, "@".into()),
                (Punct, "...".into()),
            ]
        );
    }

    #[test]
    fn comments_are_space_and_splices_join_lines() {
        let mut interner = Interner::new();
        let src = "a/* x\n y */b // c\nab\\\ncd";
        let (toks, problems) = lex(src, &mut interner);
        assert!(problems.is_empty());
        let texts: Vec<_> = toks.iter().map(|t| interner.get(t.sym)).collect();
        assert_eq!(texts, ["a", "b", "abcd"]);
        assert!(
            toks[1].space && !toks[1].bol,
            "a block comment is one space"
        );
        assert!(toks[2].bol);
        assert_eq!(
            (toks[2].start, toks[2].end),
            (18, 24),
            "spans cover the splice"
        );
    }

    #[test]
    fn reports_unterminated_comment_and_string() {
        let mut interner = Interner::new();
        let (toks, problems) = lex("'a\n\"b\n/* c", &mut interner);
        assert_eq!(toks.len(), 2);
        assert!(toks.iter().all(|t| t.unterminated));
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            [
                "unterminated-string",
                "unterminated-string",
                "unterminated-comment"
            ]
        );
    }

    #[test]
    fn prefixed_literals_and_invalid_utf8() {
        use TokenKind::*;
        assert_eq!(
            kinds("L'x' u8\"y\" \u{fffd}"),
            vec![
                (Char, "L'x'".into()),
                (Str, "u8\"y\"".into()),
                (Other, "\u{fffd}".into())
            ]
        );
    }

    #[test]
    fn lex_one_accepts_only_single_tokens() {
        let mut interner = Interner::new();
        assert!(lex_one("ab", &mut interner).is_some());
        assert!(lex_one("+=", &mut interner).is_some());
        assert!(lex_one("+-", &mut interner).is_none());
        assert!(lex_one("//", &mut interner).is_none());
    }
}
