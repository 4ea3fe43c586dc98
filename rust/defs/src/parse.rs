//! The lexer and recovering parser for the grammar Apple's migcom accepts.
//!
//! The parser never fails: it returns the statements it could read and a diagnostic for
//! each one it could not, then resynchronises at the next `;` outside parentheses (or at the
//! next statement keyword), so one run reports every broken statement.

use crate::ast::*;
use crate::diag::{Diagnostic, Diags};
use crate::pp::{self, TokenKind};
use crate::source::Span;

/// Keywords; matched without regard to case, as migcom's lexer does (except where noted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    Routine,
    SimpleRoutine,
    Subsystem,
    KernelUser,
    KernelServer,
    MsgOption,
    UseSpecialReplyPort,
    ConsumeOnSendError,
    WaitTime,
    SendTime,
    NoWaitTime,
    NoSendTime,
    ErrorProc,
    ServerPrefix,
    UserPrefix,
    ServerDemux,
    RcsId,
    Import,
    UImport,
    SImport,
    DImport,
    IImport,
    Type,
    Skip,
    Array,
    Of,
    Struct,
    CString,
    InTran,
    OutTran,
    Destructor,
    CType,
    CUserType,
    CServerType,
    /// Case-sensitive in migcom.
    PointerTo,
    /// Case-sensitive in migcom.
    PointerToIfNot,
    /// Case-sensitive in migcom.
    ValueOf,
    /// Case-sensitive in migcom.
    UserTypeLimit,
    /// Case-sensitive in migcom.
    OnStackLimit,
    Dir(Direction),
}

const CASE_INSENSITIVE: &[(&str, Kw)] = &[
    ("routine", Kw::Routine),
    ("simpleroutine", Kw::SimpleRoutine),
    ("subsystem", Kw::Subsystem),
    ("kerneluser", Kw::KernelUser),
    ("kernelserver", Kw::KernelServer),
    ("msgoption", Kw::MsgOption),
    ("usespecialreplyport", Kw::UseSpecialReplyPort),
    ("consumeonsenderror", Kw::ConsumeOnSendError),
    ("waittime", Kw::WaitTime),
    ("sendtime", Kw::SendTime),
    ("nowaittime", Kw::NoWaitTime),
    ("nosendtime", Kw::NoSendTime),
    ("error", Kw::ErrorProc),
    ("serverprefix", Kw::ServerPrefix),
    ("userprefix", Kw::UserPrefix),
    ("serverdemux", Kw::ServerDemux),
    ("rcsid", Kw::RcsId),
    ("import", Kw::Import),
    ("uimport", Kw::UImport),
    ("simport", Kw::SImport),
    ("dimport", Kw::DImport),
    ("iimport", Kw::IImport),
    ("type", Kw::Type),
    ("skip", Kw::Skip),
    ("array", Kw::Array),
    ("of", Kw::Of),
    ("struct", Kw::Struct),
    ("c_string", Kw::CString),
    ("intran", Kw::InTran),
    ("outtran", Kw::OutTran),
    ("destructor", Kw::Destructor),
    ("ctype", Kw::CType),
    ("cusertype", Kw::CUserType),
    ("cservertype", Kw::CServerType),
    ("in", Kw::Dir(Direction::In)),
    ("out", Kw::Dir(Direction::Out)),
    ("inout", Kw::Dir(Direction::InOut)),
    ("requestport", Kw::Dir(Direction::RequestPort)),
    ("replyport", Kw::Dir(Direction::ReplyPort)),
    ("sreplyport", Kw::Dir(Direction::SReplyPort)),
    ("ureplyport", Kw::Dir(Direction::UReplyPort)),
    ("msgseqno", Kw::Dir(Direction::MsgSeqno)),
    ("sectoken", Kw::Dir(Direction::SecToken)),
    ("serversectoken", Kw::Dir(Direction::ServerSecToken)),
    ("usersectoken", Kw::Dir(Direction::UserSecToken)),
    ("audittoken", Kw::Dir(Direction::AuditToken)),
    ("serveraudittoken", Kw::Dir(Direction::ServerAuditToken)),
    ("useraudittoken", Kw::Dir(Direction::UserAuditToken)),
    ("servercontexttoken", Kw::Dir(Direction::ServerContextToken)),
    ("serverimpl", Kw::Dir(Direction::ServerImpl)),
    ("userimpl", Kw::Dir(Direction::UserImpl)),
];

const CASE_SENSITIVE: &[(&str, Kw)] = &[
    ("PointerTo", Kw::PointerTo),
    ("PointerToIfNot", Kw::PointerToIfNot),
    ("ValueOf", Kw::ValueOf),
    ("UserTypeLimit", Kw::UserTypeLimit),
    ("OnStackLimit", Kw::OnStackLimit),
];

const FLAGS: &[(&str, Flag)] = &[
    ("samecount", Flag::SameCount),
    ("retcode", Flag::RetCode),
    ("physicalcopy", Flag::PhysicalCopy),
    ("overwrite", Flag::Overwrite),
    ("dealloc", Flag::Dealloc),
    ("notdealloc", Flag::NotDealloc),
    ("countinout", Flag::CountInOut),
    ("auto", Flag::Auto),
    ("const", Flag::Const),
];

/// The symbolic IPC types migcom knows (case-sensitive), plus `polymorphic` (any case).
pub const SYMBOLIC_TYPES: &[&str] = &[
    "MACH_MSG_TYPE_UNSTRUCTURED",
    "MACH_MSG_TYPE_BIT",
    "MACH_MSG_TYPE_BOOLEAN",
    "MACH_MSG_TYPE_INTEGER_8",
    "MACH_MSG_TYPE_INTEGER_16",
    "MACH_MSG_TYPE_INTEGER_32",
    "MACH_MSG_TYPE_INTEGER_64",
    "MACH_MSG_TYPE_REAL_32",
    "MACH_MSG_TYPE_REAL_64",
    "MACH_MSG_TYPE_CHAR",
    "MACH_MSG_TYPE_BYTE",
    "MACH_MSG_TYPE_MOVE_RECEIVE",
    "MACH_MSG_TYPE_COPY_SEND",
    "MACH_MSG_TYPE_MAKE_SEND",
    "MACH_MSG_TYPE_MOVE_SEND",
    "MACH_MSG_TYPE_MAKE_SEND_ONCE",
    "MACH_MSG_TYPE_MOVE_SEND_ONCE",
    "MACH_MSG_TYPE_PORT_NAME",
    "MACH_MSG_TYPE_PORT_RECEIVE",
    "MACH_MSG_TYPE_PORT_SEND",
    "MACH_MSG_TYPE_PORT_SEND_ONCE",
    "MACH_MSG_TYPE_POLYMORPHIC",
];

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Kw(Kw),
    Flag(Flag),
    Symbolic(String),
    Ident(String),
    Number(u64),
    Str(String),
    Punct(char),
    Bad(String),
}

#[derive(Clone, Debug)]
struct MTok {
    tok: Tok,
    text: String,
    span: Span,
    space_before: bool,
}

/// Turns preprocessed tokens into migcom's tokens: keywords, flags, symbolic types,
/// numbers, strings and one-character punctuators.
fn lex(tokens: Vec<pp::Token>, diags: &mut Diags) -> Vec<MTok> {
    let mut out = Vec::with_capacity(tokens.len());
    // Each token is moved, so the preprocessor's copy is freed as the parser's is made.
    for t in tokens {
        match t.kind {
            TokenKind::Ident => {
                let lower = t.text.to_ascii_lowercase();
                let tok = if let Some((_, k)) = CASE_SENSITIVE.iter().find(|(s, _)| *s == t.text) {
                    Tok::Kw(*k)
                } else if let Some((_, k)) = CASE_INSENSITIVE.iter().find(|(s, _)| *s == lower) {
                    Tok::Kw(*k)
                } else if let Some((_, f)) = FLAGS.iter().find(|(s, _)| *s == lower) {
                    Tok::Flag(*f)
                } else if lower == "polymorphic"
                    || SYMBOLIC_TYPES.contains(&t.text.as_str())
                    || t.text.starts_with("MACH_MSG_TYPE_")
                {
                    Tok::Symbolic(if lower == "polymorphic" {
                        "MACH_MSG_TYPE_POLYMORPHIC".to_string()
                    } else {
                        t.text.clone()
                    })
                } else {
                    Tok::Ident(t.text.clone())
                };
                out.push(MTok {
                    tok,
                    text: t.text,
                    span: t.span,
                    space_before: t.space_before,
                });
            }
            TokenKind::Number => {
                let tok = match parse_number(&t.text) {
                    Some(n) => Tok::Number(n),
                    None => {
                        diags.push(
                            Diagnostic::error(
                                "bad-number",
                                format!("`{}` is not a number migz can read", t.text),
                            )
                            .at(t.span, "expected a decimal or hexadecimal integer"),
                        );
                        Tok::Number(0)
                    }
                };
                out.push(MTok {
                    tok,
                    text: t.text,
                    span: t.span,
                    space_before: t.space_before,
                });
            }
            TokenKind::Str => out.push(MTok {
                tok: Tok::Str(t.text.clone()),
                text: t.text.clone(),
                span: t.span,
                space_before: t.space_before,
            }),
            TokenKind::Punct => {
                // migcom reads punctuation one character at a time; split `::`, `<<` and the like.
                let whole = t.span.end - t.span.start == t.text.len() as u32;
                for (i, c) in t.text.char_indices() {
                    let span = if whole {
                        Span {
                            file: t.span.file,
                            start: t.span.start + i as u32,
                            end: t.span.start + (i + c.len_utf8()) as u32,
                        }
                    } else {
                        t.span
                    };
                    let tok = if ":;,+-*/()=^~<>[]|".contains(c) {
                        Tok::Punct(c)
                    } else {
                        Tok::Bad(c.to_string())
                    };
                    out.push(MTok {
                        tok,
                        text: c.to_string(),
                        span,
                        space_before: i == 0 && t.space_before,
                    });
                }
            }
            TokenKind::Char | TokenKind::Other => out.push(MTok {
                tok: Tok::Bad(t.text.clone()),
                text: t.text,
                span: t.span,
                space_before: t.space_before,
            }),
        }
    }
    out
}

fn parse_number(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

/// A parse error that abandons the current statement.
struct Abandon;

type PResult<T> = Result<T, Abandon>;

/// Nesting bound for type constructors (`^array[] of array[2] of ...`), so hostile input
/// cannot exhaust the stack.
pub(crate) const TYPE_DEPTH_MAX: usize = 64;

struct Parser<'a> {
    toks: &'a [MTok],
    pos: usize,
    diags: Diags,
    eof_span: Span,
}

/// Parses preprocessed tokens into a file. Always returns a tree; problems are diagnostics.
pub fn parse(tokens: Vec<pp::Token>, eof_span: Span) -> (File, Diags) {
    let mut diags = Diags::new();
    let toks = lex(tokens, &mut diags);
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        diags,
        eof_span,
    };
    let mut file = File::default();
    while p.pos < p.toks.len() {
        let start = p.pos;
        match p.statement() {
            Ok(Some(item)) => file.items.push(item),
            Ok(None) => {}
            Err(Abandon) => {
                p.recover(start);
                let span = p.span_from(start);
                file.items.push(Item {
                    kind: ItemKind::Error_,
                    span,
                });
            }
        }
    }
    (file, p.diags)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&MTok> {
        self.toks.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.eof_span, |t| t.span)
    }

    fn prev_span(&self) -> Span {
        if self.pos == 0 {
            self.here()
        } else {
            self.toks[self.pos - 1].span
        }
    }

    fn span_from(&self, start: usize) -> Span {
        let first = self.toks.get(start).map_or(self.eof_span, |t| t.span);
        first.to(self.prev_span())
    }

    fn bump(&mut self) -> Option<&MTok> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn describe(t: Option<&MTok>) -> String {
        match t {
            None => "end of file".to_string(),
            Some(t) => match &t.tok {
                Tok::Kw(_) => format!("keyword `{}`", t.text),
                Tok::Flag(_) => format!("flag `{}`", t.text),
                Tok::Number(_) => format!("number `{}`", t.text),
                Tok::Str(_) => format!("string {}", t.text),
                _ => format!("`{}`", t.text),
            },
        }
    }

    fn error_expected(&mut self, what: &str) -> Abandon {
        let found = Self::describe(self.peek());
        let mut d = Diagnostic::error("syntax", format!("expected {what}, found {found}"))
            .at(self.here(), format!("expected {what}"));
        if let Some(Tok::Bad(_)) = self.peek_tok() {
            d = d.note("this character has no meaning in a .defs file");
        }
        if matches!(self.peek_tok(), Some(Tok::Kw(_))) && what.contains("name") {
            d = d.note("migcom reserves its keywords in every position, in any case");
        }
        self.diags.push(d);
        Abandon
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek_tok() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, c: char) -> PResult<Span> {
        if self.eat_punct(c) {
            Ok(self.prev_span())
        } else {
            Err(self.error_expected(&format!("`{c}`")))
        }
    }

    fn eat_kw(&mut self, kw: Kw) -> bool {
        if self.peek_tok() == Some(&Tok::Kw(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: Kw, what: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error_expected(what))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek() {
            Some(MTok {
                tok: Tok::Ident(s),
                span,
                ..
            }) => {
                let id = Ident {
                    text: s.clone(),
                    span: *span,
                };
                self.pos += 1;
                Ok(id)
            }
            _ => Err(self.error_expected(what)),
        }
    }

    fn number(&mut self, what: &str) -> PResult<u64> {
        match self.peek_tok() {
            Some(Tok::Number(n)) => {
                let n = *n;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.error_expected(what)),
        }
    }

    fn number_u32(&mut self, what: &str) -> PResult<u32> {
        let span = self.here();
        let n = self.number(what)?;
        u32::try_from(n).map_err(|_| {
            self.diags.push(
                Diagnostic::error("number-too-large", format!("{n} does not fit in 32 bits"))
                    .at(span, "too large"),
            );
            Abandon
        })
    }

    /// migcom's `String` lexer state: a run of `[-/._$A-Za-z0-9]` characters with no
    /// space inside, read here by gluing adjacent tokens.
    fn loose_string(&mut self, what: &str) -> PResult<Ident> {
        let start = self.pos;
        let mut text = String::new();
        while let Some(t) = self.peek() {
            if self.pos > start && t.space_before {
                break;
            }
            let ok = t
                .text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-/._$".contains(c));
            if !ok || matches!(t.tok, Tok::Str(_)) {
                break;
            }
            text.push_str(&t.text);
            self.pos += 1;
        }
        if text.is_empty() {
            return Err(self.error_expected(what));
        }
        Ok(Ident {
            text,
            span: self.span_from(start),
        })
    }

    fn end_statement(&mut self) -> PResult<()> {
        self.expect_punct(';').map(|_| ())
    }

    /// Skips to just past the next `;` outside parentheses, or to the next statement
    /// keyword at the start of a statement, whichever comes first.
    fn recover(&mut self, start: usize) {
        // Count the parentheses the statement had opened before the error, so a `;`
        // between arguments does not end the recovery early.
        let mut depth =
            self.toks[start..self.pos.min(self.toks.len())]
                .iter()
                .fold(0usize, |d, t| match t.tok {
                    Tok::Punct('(') => d + 1,
                    Tok::Punct(')') => d.saturating_sub(1),
                    _ => d,
                });
        if self.pos == start {
            self.pos += 1;
        }
        while let Some(t) = self.peek() {
            match &t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth = depth.saturating_sub(1),
                Tok::Punct(';') if depth == 0 => {
                    self.pos += 1;
                    return;
                }
                Tok::Kw(
                    Kw::Routine
                    | Kw::SimpleRoutine
                    | Kw::Subsystem
                    | Kw::Type
                    | Kw::Skip
                    | Kw::Import
                    | Kw::UImport
                    | Kw::SImport
                    | Kw::DImport
                    | Kw::IImport,
                ) if depth == 0 || self.prev_is_semi() => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn prev_is_semi(&self) -> bool {
        self.pos > 0 && self.toks[self.pos - 1].tok == Tok::Punct(';')
    }

    fn statement(&mut self) -> PResult<Option<Item>> {
        let start = self.pos;
        let Some(t) = self.peek() else {
            return Ok(None);
        };
        let kind = match t.tok.clone() {
            Tok::Punct(';') => {
                self.pos += 1;
                return Ok(None);
            }
            Tok::Kw(Kw::Subsystem) => {
                self.pos += 1;
                let mut kernel_user = false;
                let mut kernel_server = false;
                loop {
                    if self.eat_kw(Kw::KernelUser) {
                        if kernel_user {
                            self.warn_dup("KernelUser");
                        }
                        kernel_user = true;
                    } else if self.eat_kw(Kw::KernelServer) {
                        if kernel_server {
                            self.warn_dup("KernelServer");
                        }
                        kernel_server = true;
                    } else {
                        break;
                    }
                }
                let name = self.ident("a subsystem name")?;
                let base = self.number_u32("the subsystem's base message id")?;
                ItemKind::Subsystem {
                    kernel_user,
                    kernel_server,
                    name,
                    base,
                }
            }
            Tok::Kw(Kw::WaitTime) => {
                self.pos += 1;
                ItemKind::WaitTime(Some(self.loose_string("a wait time")?))
            }
            Tok::Kw(Kw::NoWaitTime) => {
                self.pos += 1;
                ItemKind::WaitTime(None)
            }
            Tok::Kw(Kw::SendTime) => {
                self.pos += 1;
                ItemKind::SendTime(Some(self.loose_string("a send time")?))
            }
            Tok::Kw(Kw::NoSendTime) => {
                self.pos += 1;
                ItemKind::SendTime(None)
            }
            Tok::Kw(Kw::MsgOption) => {
                self.pos += 1;
                ItemKind::MsgOption(self.loose_string("a message option")?)
            }
            Tok::Kw(Kw::UseSpecialReplyPort) => {
                self.pos += 1;
                ItemKind::UseSpecialReplyPort(self.number_u32("0 or 1")?)
            }
            Tok::Kw(Kw::ConsumeOnSendError) => {
                self.pos += 1;
                let value = self.loose_string("`None`, `Timeout` or `Any`")?;
                let lower = value.text.to_ascii_lowercase();
                if !["none", "timeout", "any"].contains(&lower.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            "bad-consume-on-send-error",
                            format!("unknown ConsumeOnSendError mode `{}`", value.text),
                        )
                        .at(value.span, "expected `None`, `Timeout` or `Any`"),
                    );
                }
                ItemKind::ConsumeOnSendError(value)
            }
            Tok::Kw(Kw::UserTypeLimit) => {
                self.pos += 1;
                ItemKind::UserTypeLimit(self.number_u32("a byte count")?)
            }
            Tok::Kw(Kw::OnStackLimit) => {
                self.pos += 1;
                ItemKind::OnStackLimit(self.number_u32("a byte count")?)
            }
            Tok::Kw(Kw::ErrorProc) => {
                self.pos += 1;
                ItemKind::Error(self.ident("an error function name")?)
            }
            Tok::Kw(Kw::ServerPrefix) => {
                self.pos += 1;
                ItemKind::ServerPrefix(self.ident("a prefix")?)
            }
            Tok::Kw(Kw::UserPrefix) => {
                self.pos += 1;
                ItemKind::UserPrefix(self.ident("a prefix")?)
            }
            Tok::Kw(Kw::ServerDemux) => {
                self.pos += 1;
                ItemKind::ServerDemux(self.ident("a demux function name")?)
            }
            Tok::Kw(Kw::Type) => {
                self.pos += 1;
                ItemKind::Type(self.named_type(0)?)
            }
            Tok::Kw(k @ (Kw::Routine | Kw::SimpleRoutine)) => {
                self.pos += 1;
                let name = self.ident("a routine name")?;
                let args = self.arguments()?;
                ItemKind::Routine(Routine {
                    kind: if k == Kw::Routine {
                        RoutineKind::Routine
                    } else {
                        RoutineKind::SimpleRoutine
                    },
                    name,
                    args,
                })
            }
            Tok::Kw(Kw::Skip) => {
                self.pos += 1;
                ItemKind::Skip
            }
            Tok::Kw(k @ (Kw::Import | Kw::UImport | Kw::SImport | Kw::DImport | Kw::IImport)) => {
                self.pos += 1;
                let kind = match k {
                    Kw::Import => ImportKind::Both,
                    Kw::UImport => ImportKind::User,
                    Kw::SImport => ImportKind::Server,
                    Kw::DImport => ImportKind::Definitions,
                    _ => ImportKind::Internal,
                };
                let file = self.file_name()?;
                ItemKind::Import { kind, file }
            }
            Tok::Kw(Kw::RcsId) => {
                self.pos += 1;
                match self.peek_tok() {
                    Some(Tok::Str(s)) => {
                        let s = s.clone();
                        self.pos += 1;
                        ItemKind::RcsId(s)
                    }
                    _ => return Err(self.error_expected("a quoted string")),
                }
            }
            _ => return Err(self.error_expected("a statement")),
        };
        self.end_statement()?;
        Ok(Some(Item {
            kind,
            span: self.span_from(start),
        }))
    }

    fn warn_dup(&mut self, what: &str) {
        self.diags.push(
            Diagnostic::warning("duplicate-keyword", format!("duplicate `{what}` keyword"))
                .at(self.prev_span(), "already given"),
        );
    }

    /// `"file"` or `<file>`; the angle form is glued from its tokens.
    fn file_name(&mut self) -> PResult<String> {
        match self.peek_tok() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            Some(Tok::Punct('<')) => {
                self.pos += 1;
                let mut s = String::from("<");
                loop {
                    match self.peek() {
                        Some(t) if t.tok == Tok::Punct('>') => {
                            self.pos += 1;
                            s.push('>');
                            return Ok(s);
                        }
                        Some(t) if !matches!(t.tok, Tok::Punct(';')) => {
                            if t.space_before && s.len() > 1 {
                                s.push(' ');
                            }
                            s.push_str(&t.text);
                            self.pos += 1;
                        }
                        _ => return Err(self.error_expected("`>` closing the file name")),
                    }
                }
            }
            _ => Err(self.error_expected("a file name in quotes or angle brackets")),
        }
    }

    fn named_type(&mut self, depth: usize) -> PResult<NamedType> {
        let name = self.ident("a type name")?;
        self.expect_punct('=')?;
        let spec = self.type_spec(depth)?;
        let decorations = self.decorations()?;
        Ok(NamedType {
            name,
            spec,
            decorations,
        })
    }

    fn decorations(&mut self) -> PResult<Vec<Decoration>> {
        let mut out = Vec::new();
        loop {
            let d = if self.eat_kw(Kw::CType) {
                self.expect_punct(':')?;
                Decoration::CType(self.ident("a C type name")?)
            } else if self.eat_kw(Kw::CUserType) {
                self.expect_punct(':')?;
                Decoration::CUserType(self.ident("a C type name")?)
            } else if self.eat_kw(Kw::CServerType) {
                self.expect_punct(':')?;
                Decoration::CServerType(self.ident("a C type name")?)
            } else if self.eat_kw(Kw::InTran) {
                self.expect_punct(':')?;
                let trans_type = self.ident("the translated type")?;
                let function = self.ident("the translation function")?;
                self.expect_punct('(')?;
                let server_type = self.ident("the server type")?;
                self.expect_punct(')')?;
                Decoration::InTran {
                    trans_type,
                    function,
                    server_type,
                }
            } else if self.eat_kw(Kw::OutTran) {
                self.expect_punct(':')?;
                let server_type = self.ident("the server type")?;
                let function = self.ident("the translation function")?;
                self.expect_punct('(')?;
                let trans_type = self.ident("the translated type")?;
                self.expect_punct(')')?;
                Decoration::OutTran {
                    server_type,
                    function,
                    trans_type,
                }
            } else if self.eat_kw(Kw::Destructor) {
                self.expect_punct(':')?;
                let function = self.ident("the destructor function")?;
                self.expect_punct('(')?;
                let trans_type = self.ident("the translated type")?;
                self.expect_punct(')')?;
                Decoration::Destructor {
                    function,
                    trans_type,
                }
            } else {
                return Ok(out);
            };
            out.push(d);
        }
    }

    fn type_spec(&mut self, depth: usize) -> PResult<TypeSpec> {
        if depth > TYPE_DEPTH_MAX {
            self.diags.push(
                Diagnostic::error("type-too-deep", "type constructors nest too deeply")
                    .at(self.here(), format!("more than {TYPE_DEPTH_MAX} levels")),
            );
            return Err(Abandon);
        }
        let start = self.pos;
        let Some(t) = self.peek() else {
            return Err(self.error_expected("a type"));
        };
        match t.tok.clone() {
            Tok::Ident(s) => {
                let span = t.span;
                self.pos += 1;
                Ok(TypeSpec::Named(Ident { text: s, span }))
            }
            Tok::Number(_) | Tok::Symbolic(_) => self.ipc_type(),
            Tok::Punct('(') => {
                // The long form `(type, size, flags)`: migcom parses it only to reject it.
                let open = t.span;
                self.pos += 1;
                let _ = self.ipc_type();
                let mut depth = 1usize;
                while let Some(t) = self.peek() {
                    match t.tok {
                        Tok::Punct('(') => depth += 1,
                        Tok::Punct(')') => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                break;
                            }
                        }
                        Tok::Punct(';') => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                self.diags.push(
                    Diagnostic::error(
                        "long-form-type",
                        "long form type declarations aren't allowed any longer",
                    )
                    .at(
                        open.to(self.prev_span()),
                        "write the IPC type alone, as in `MACH_MSG_TYPE_INTEGER_32`",
                    ),
                );
                Err(Abandon)
            }
            Tok::Punct('^') => {
                self.pos += 1;
                let target = self.type_spec(depth + 1)?;
                Ok(TypeSpec::Pointer {
                    target: Box::new(target),
                    span: self.span_from(start),
                })
            }
            Tok::Kw(Kw::Array) => {
                self.pos += 1;
                self.expect_punct('[')?;
                if self.eat_punct(']') {
                    self.expect_kw(Kw::Of, "`of`")?;
                    let element = self.type_spec(depth + 1)?;
                    return Ok(TypeSpec::VarArray {
                        max: None,
                        element: Box::new(element),
                        span: self.span_from(start),
                    });
                }
                if self.eat_punct('*') {
                    let max = if self.eat_punct(':') {
                        Some(self.int_exp()?)
                    } else {
                        None
                    };
                    self.expect_punct(']')?;
                    self.expect_kw(Kw::Of, "`of`")?;
                    let element = self.type_spec(depth + 1)?;
                    return Ok(TypeSpec::VarArray {
                        max,
                        element: Box::new(element),
                        span: self.span_from(start),
                    });
                }
                let count = self.int_exp()?;
                self.expect_punct(']')?;
                self.expect_kw(Kw::Of, "`of`")?;
                let element = self.type_spec(depth + 1)?;
                Ok(TypeSpec::Array {
                    count,
                    element: Box::new(element),
                    span: self.span_from(start),
                })
            }
            Tok::Kw(Kw::Struct) => {
                self.pos += 1;
                self.expect_punct('[')?;
                let count = self.int_exp()?;
                self.expect_punct(']')?;
                self.expect_kw(Kw::Of, "`of`")?;
                let element = self.type_spec(depth + 1)?;
                Ok(TypeSpec::Struct {
                    count,
                    element: Box::new(element),
                    span: self.span_from(start),
                })
            }
            Tok::Kw(Kw::CString) => {
                self.pos += 1;
                self.expect_punct('[')?;
                let varying = self.eat_punct('*');
                if varying {
                    self.expect_punct(':')?;
                }
                let max = self.int_exp()?;
                self.expect_punct(']')?;
                Ok(TypeSpec::CString {
                    max,
                    varying,
                    span: self.span_from(start),
                })
            }
            Tok::Kw(Kw::PointerTo | Kw::PointerToIfNot | Kw::ValueOf) => self.native_type(),
            _ => Err(self.error_expected("a type")),
        }
    }

    fn native_type(&mut self) -> PResult<TypeSpec> {
        let start = self.pos;
        let (pointer, if_not) = match self.bump().map(|t| t.tok.clone()) {
            Some(Tok::Kw(Kw::PointerTo)) => (true, false),
            Some(Tok::Kw(Kw::PointerToIfNot)) => (true, true),
            _ => (false, false),
        };
        self.expect_punct('(')?;
        let phrase = self.type_phrase()?;
        let bad_value = if if_not {
            self.expect_punct(',')?;
            Some(self.type_phrase()?)
        } else {
            None
        };
        self.expect_punct(')')?;
        Ok(TypeSpec::Native {
            pointer,
            phrase,
            bad_value,
            span: self.span_from(start),
        })
    }

    fn type_phrase(&mut self) -> PResult<String> {
        let mut words = vec![self.ident("a C type")?.text];
        while let Some(Tok::Ident(s)) = self.peek_tok() {
            words.push(s.clone());
            self.pos += 1;
        }
        Ok(words.join(" "))
    }

    fn ipc_name(&mut self) -> PResult<IpcName> {
        match self.peek_tok() {
            Some(Tok::Number(n)) => {
                let n = *n;
                let span = self.here();
                self.pos += 1;
                match u32::try_from(n) {
                    Ok(n) => Ok(IpcName::Number(n)),
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                "number-too-large",
                                format!("{n} does not fit in 32 bits"),
                            )
                            .at(span, "too large for an IPC type"),
                        );
                        Err(Abandon)
                    }
                }
            }
            Some(Tok::Symbolic(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(IpcName::Symbolic(s))
            }
            _ => Err(self.error_expected("an IPC type")),
        }
    }

    fn ipc_type(&mut self) -> PResult<TypeSpec> {
        let start = self.pos;
        let send = self.ipc_name()?;
        let receive = if self.eat_punct('|') {
            Some(self.ipc_name()?)
        } else {
            None
        };
        Ok(TypeSpec::Ipc {
            send,
            receive,
            span: self.span_from(start),
        })
    }

    /// `IntExp`: `+ - * /` over numbers and parentheses, evaluated now, as migcom does.
    /// Arithmetic is checked: overflow and division by zero are diagnostics.
    fn int_exp(&mut self) -> PResult<u64> {
        let start = self.pos;
        let value = self.int_sum(0)?;
        value.ok_or_else(|| {
            let span = self.span_from(start);
            self.diags.push(
                Diagnostic::error(
                    "bad-expression",
                    "this expression overflows or divides by zero",
                )
                .at(span, "cannot be evaluated"),
            );
            Abandon
        })
    }

    fn int_sum(&mut self, depth: usize) -> PResult<Option<u64>> {
        let mut acc = self.int_product(depth)?;
        loop {
            if self.eat_punct('+') {
                let rhs = self.int_product(depth)?;
                acc = acc.zip(rhs).and_then(|(a, b)| a.checked_add(b));
            } else if self.eat_punct('-') {
                let rhs = self.int_product(depth)?;
                acc = acc.zip(rhs).and_then(|(a, b)| a.checked_sub(b));
            } else {
                return Ok(acc);
            }
        }
    }

    fn int_product(&mut self, depth: usize) -> PResult<Option<u64>> {
        let mut acc = self.int_atom(depth)?;
        loop {
            if self.eat_punct('*') {
                let rhs = self.int_atom(depth)?;
                acc = acc.zip(rhs).and_then(|(a, b)| a.checked_mul(b));
            } else if self.eat_punct('/') {
                let rhs = self.int_atom(depth)?;
                acc = acc.zip(rhs).and_then(|(a, b)| a.checked_div(b));
            } else {
                return Ok(acc);
            }
        }
    }

    fn int_atom(&mut self, depth: usize) -> PResult<Option<u64>> {
        if self.eat_punct('(') {
            if depth > TYPE_DEPTH_MAX {
                self.diags.push(
                    Diagnostic::error("bad-expression", "parentheses nest too deeply").at(
                        self.prev_span(),
                        format!("more than {TYPE_DEPTH_MAX} levels"),
                    ),
                );
                return Err(Abandon);
            }
            let v = self.int_sum(depth + 1)?;
            self.expect_punct(')')?;
            return Ok(v);
        }
        match self.peek_tok() {
            Some(Tok::Number(n)) => {
                let n = *n;
                self.pos += 1;
                Ok(Some(n))
            }
            Some(Tok::Ident(name)) => {
                let name = name.clone();
                let span = self.here();
                self.diags.push(
                    Diagnostic::error("bad-expression", format!("`{name}` is not a number"))
                        .at(span, "array sizes must be integer expressions")
                        .note("a macro that should give this number may be undefined: check -I and -D"),
                );
                Err(Abandon)
            }
            _ => Err(self.error_expected("a number")),
        }
    }

    fn arguments(&mut self) -> PResult<Vec<Arg>> {
        self.expect_punct('(')?;
        let mut args = Vec::new();
        if self.eat_punct(')') {
            return Ok(args);
        }
        loop {
            args.push(self.argument()?);
            if self.eat_punct(';') {
                continue;
            }
            if self.eat_punct(')') {
                return Ok(args);
            }
            return Err(self.error_expected("`;` or `)`"));
        }
    }

    fn argument(&mut self) -> PResult<Arg> {
        let start = self.pos;
        let direction = match self.peek_tok() {
            Some(Tok::Kw(Kw::Dir(d))) => {
                let d = *d;
                self.pos += 1;
                Some(d)
            }
            // `WaitTime`, `SendTime` and `MsgOption` are statements and directions alike.
            Some(Tok::Kw(Kw::WaitTime)) => {
                self.pos += 1;
                Some(Direction::WaitTime)
            }
            Some(Tok::Kw(Kw::SendTime)) => {
                self.pos += 1;
                Some(Direction::SendTime)
            }
            Some(Tok::Kw(Kw::MsgOption)) => {
                self.pos += 1;
                Some(Direction::MsgOption)
            }
            _ => None,
        };
        let name = self.ident("an argument name")?;
        self.expect_punct(':')?;
        let ty = match (self.peek_tok(), self.toks.get(self.pos + 1).map(|t| &t.tok)) {
            (Some(Tok::Kw(Kw::PointerTo | Kw::PointerToIfNot | Kw::ValueOf)), _) => {
                ArgType::Native(self.native_type()?)
            }
            (Some(Tok::Ident(_)), Some(Tok::Punct('='))) => {
                ArgType::Inline(Box::new(self.named_type(0)?))
            }
            (Some(Tok::Ident(_)), _) => ArgType::Named(self.ident("a type name")?),
            // migcom wants a named type here; a type written in place, as in
            // `data : array[*:1024] of int32_t`, is what users write, so migz takes it too.
            (Some(Tok::Kw(Kw::Array | Kw::Struct | Kw::CString) | Tok::Punct('^')), _) => {
                let spec = self.type_spec(0)?;
                let decorations = self.decorations()?;
                ArgType::Anonymous(spec, decorations)
            }
            _ => return Err(self.error_expected("a type name")),
        };
        let mut flags = Vec::new();
        let trailer = matches!(direction, Some(Direction::ServerImpl | Direction::UserImpl));
        while !trailer && self.eat_punct(',') {
            let span = self.here();
            let flag = match self.peek_tok() {
                Some(Tok::Flag(f)) => *f,
                _ => {
                    return Err(self.error_expected("an IPC flag such as `Dealloc` or `SameCount`"));
                }
            };
            self.pos += 1;
            if self.eat_punct('[') {
                self.expect_punct(']')?;
                if flag == Flag::Dealloc {
                    flags.push((Flag::MaybeDealloc, span.to(self.prev_span())));
                } else {
                    self.diags.push(
                        Diagnostic::warning("ignored-flag", "only Dealloc is variable")
                            .at(span.to(self.prev_span()), "`[]` ignored"),
                    );
                    flags.push((flag, span));
                }
                continue;
            }
            if flags.iter().any(|(f, _)| *f == flag) {
                self.diags.push(
                    Diagnostic::warning("ignored-flag", "redundant IPC flag ignored")
                        .at(span, "given twice"),
                );
                continue;
            }
            flags.push((flag, span));
        }
        Ok(Arg {
            direction,
            name,
            ty,
            flags,
            span: self.span_from(start),
        })
    }
}
