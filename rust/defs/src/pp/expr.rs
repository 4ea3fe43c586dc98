//! Evaluation of `#if` and `#elif` expressions: C integer constant expressions over
//! `intmax_t`/`uintmax_t`, after macro expansion and `defined` have been applied. All
//! arithmetic wraps, division by zero is an error, and nesting is bounded.

use super::TokenKind;
use crate::source::Span;

/// How deeply parentheses, unary operators and `?:` may nest before the expression is
/// rejected; it keeps the recursive parser far from the end of the stack.
pub(crate) const EXPR_DEPTH_MAX: usize = 256;

/// One token of an expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExprTok<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    pub span: Span,
}

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprError {
    pub message: String,
    pub span: Span,
}

/// A value with C's signedness: `intmax_t` unless `unsigned` says `uintmax_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub bits: u64,
    pub unsigned: bool,
}

impl Value {
    fn signed(v: i64) -> Value {
        Value {
            bits: v as u64,
            unsigned: false,
        }
    }

    fn truth(b: bool) -> Value {
        Value::signed(i64::from(b))
    }

    fn is_true(self) -> bool {
        self.bits != 0
    }
}

/// Evaluates a whole `#if` expression; `end` locates errors about a missing operand.
pub(crate) fn evaluate(toks: &[ExprTok<'_>], end: Span) -> Result<Value, ExprError> {
    let mut parser = Parser {
        toks,
        pos: 0,
        depth: 0,
        end,
    };
    if toks.is_empty() {
        return Err(ExprError {
            message: "#if with no expression".into(),
            span: end,
        });
    }
    let value = parser.comma(true)?;
    match parser.toks.get(parser.pos) {
        None => Ok(value),
        Some(t) => Err(ExprError {
            message: format!("missing binary operator before `{}`", t.text),
            span: t.span,
        }),
    }
}

struct Parser<'t, 'a> {
    toks: &'t [ExprTok<'a>],
    pos: usize,
    depth: usize,
    end: Span,
}

/// Binary operators by precedence (higher binds tighter), C's table minus `,` and `?:`.
fn binary_precedence(op: &str) -> Option<u8> {
    Some(match op {
        "*" | "/" | "%" => 10,
        "+" | "-" => 9,
        "<<" | ">>" => 8,
        "<" | ">" | "<=" | ">=" => 7,
        "==" | "!=" => 6,
        "&" => 5,
        "^" => 4,
        "|" => 3,
        "&&" => 2,
        "||" => 1,
        _ => return None,
    })
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> Option<&ExprTok<'a>> {
        self.toks.get(self.pos)
    }

    fn peek_punct(&self, p: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == TokenKind::Punct && t.text == p)
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }

    fn error<T>(&self, message: impl Into<String>, span: Span) -> Result<T, ExprError> {
        Err(ExprError {
            message: message.into(),
            span,
        })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > EXPR_DEPTH_MAX {
            return self.error(
                format!("expression nested too deeply (limit {EXPR_DEPTH_MAX})"),
                self.here(),
            );
        }
        Ok(())
    }

    /// `a , b`: evaluates both, yields `b`.
    fn comma(&mut self, eval: bool) -> Result<Value, ExprError> {
        let mut value = self.conditional(eval)?;
        while self.peek_punct(",") {
            self.pos += 1;
            value = self.conditional(eval)?;
        }
        Ok(value)
    }

    /// `c ? a : b`, right-associative; only the chosen arm is evaluated.
    fn conditional(&mut self, eval: bool) -> Result<Value, ExprError> {
        self.enter()?;
        let cond = self.binary(0, eval)?;
        let result = if self.peek_punct("?") {
            self.pos += 1;
            let taken = cond.is_true();
            let a = self.comma(eval && taken)?;
            if !self.peek_punct(":") {
                return self.error("expected `:` in conditional expression", self.here());
            }
            self.pos += 1;
            let b = self.conditional(eval && !taken)?;
            let unsigned = a.unsigned || b.unsigned;
            let bits = if taken { a.bits } else { b.bits };
            Value { bits, unsigned }
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    /// Binary operators by precedence climbing, so long chains use a loop, not recursion.
    fn binary(&mut self, min: u8, eval: bool) -> Result<Value, ExprError> {
        let mut lhs = self.unary(eval)?;
        while let Some(tok) = self.peek().copied() {
            let prec = match binary_precedence(tok.text) {
                Some(p) if tok.kind == TokenKind::Punct && p > min => p,
                _ => break,
            };
            self.pos += 1;
            let rhs_eval = match tok.text {
                "&&" => eval && lhs.is_true(),
                "||" => eval && !lhs.is_true(),
                _ => eval,
            };
            self.enter()?;
            let rhs = self.binary(prec, rhs_eval)?;
            self.depth -= 1;
            lhs = self.apply(tok, lhs, rhs, eval)?;
        }
        Ok(lhs)
    }

    fn apply(&self, op: ExprTok<'a>, a: Value, b: Value, eval: bool) -> Result<Value, ExprError> {
        let unsigned = a.unsigned || b.unsigned;
        let (x, y) = (a.bits, b.bits);
        let (sx, sy) = (x as i64, y as i64);
        let arith = |bits: u64| Value { bits, unsigned };
        Ok(match op.text {
            "*" => arith(x.wrapping_mul(y)),
            "+" => arith(x.wrapping_add(y)),
            "-" => arith(x.wrapping_sub(y)),
            "/" | "%" => {
                if y == 0 {
                    if eval {
                        return self.error("division by zero in #if", op.span);
                    }
                    return Ok(arith(0));
                }
                let bits = match (op.text, unsigned) {
                    ("/", true) => x / y,
                    ("/", false) => sx.wrapping_div(sy) as u64,
                    (_, true) => x % y,
                    (_, false) => sx.wrapping_rem(sy) as u64,
                };
                arith(bits)
            }
            // The result of a shift has the type of its left operand.
            "<<" => Value {
                bits: shift(a, sy, b.unsigned, true),
                unsigned: a.unsigned,
            },
            ">>" => Value {
                bits: shift(a, sy, b.unsigned, false),
                unsigned: a.unsigned,
            },
            "<" | ">" | "<=" | ">=" => {
                let ord = if unsigned { x.cmp(&y) } else { sx.cmp(&sy) };
                Value::truth(match op.text {
                    "<" => ord.is_lt(),
                    ">" => ord.is_gt(),
                    "<=" => ord.is_le(),
                    _ => ord.is_ge(),
                })
            }
            "==" => Value::truth(x == y),
            "!=" => Value::truth(x != y),
            "&" => arith(x & y),
            "^" => arith(x ^ y),
            "|" => arith(x | y),
            "&&" => Value::truth(a.is_true() && b.is_true()),
            "||" => Value::truth(a.is_true() || b.is_true()),
            other => unreachable!("binary_precedence admitted `{other}`"),
        })
    }

    fn unary(&mut self, eval: bool) -> Result<Value, ExprError> {
        let Some(tok) = self.peek().copied() else {
            return self.error("expected a value at the end of #if", self.end);
        };
        self.pos += 1;
        match (tok.kind, tok.text) {
            (TokenKind::Punct, "+" | "-" | "~" | "!") => {
                self.enter()?;
                let v = self.unary(eval)?;
                self.depth -= 1;
                Ok(match tok.text {
                    "+" => v,
                    "-" => Value {
                        bits: v.bits.wrapping_neg(),
                        unsigned: v.unsigned,
                    },
                    "~" => Value {
                        bits: !v.bits,
                        unsigned: v.unsigned,
                    },
                    _ => Value::truth(!v.is_true()),
                })
            }
            (TokenKind::Punct, "(") => {
                self.enter()?;
                let v = self.comma(eval)?;
                self.depth -= 1;
                if !self.peek_punct(")") {
                    return self.error("missing `)` in #if expression", self.here());
                }
                self.pos += 1;
                Ok(v)
            }
            (TokenKind::Number, text) => parse_number(text).map_err(|message| ExprError {
                message,
                span: tok.span,
            }),
            (TokenKind::Char, text) => parse_char(text).map_err(|message| ExprError {
                message,
                span: tok.span,
            }),
            // Identifiers left after macro expansion are 0, as C says.
            (TokenKind::Ident, _) => Ok(Value::signed(0)),
            _ => self.error(
                format!("token `{}` is not valid in a #if expression", tok.text),
                tok.span,
            ),
        }
    }
}

/// A shift by `count` places (negative counts shift the other way); counts past the width
/// give 0, or -1 for a negative signed value shifted right.
fn shift(a: Value, count: i64, count_unsigned: bool, left: bool) -> u64 {
    let (left, count) = if !count_unsigned && count < 0 {
        (!left, count.unsigned_abs())
    } else {
        (left, count as u64)
    };
    let negative = !a.unsigned && (a.bits as i64) < 0;
    if count >= 64 {
        return if !left && negative { u64::MAX } else { 0 };
    }
    if left {
        a.bits << count
    } else if a.unsigned {
        a.bits >> count
    } else {
        ((a.bits as i64) >> count) as u64
    }
}

/// Parses an integer pp-number with C's bases and `u`/`l` suffixes.
pub(crate) fn parse_number(text: &str) -> Result<Value, String> {
    let lower = text.to_ascii_lowercase();
    let digits_end = lower.trim_end_matches(['u', 'l']).len();
    let (body, suffix) = lower.split_at(digits_end);
    let unsigned_suffix = suffix.contains('u');
    if !matches!(suffix, "" | "u" | "l" | "ul" | "lu" | "ll" | "ull" | "llu") {
        return Err(format!("invalid suffix on integer constant `{text}`"));
    }
    let (radix, digits) = if let Some(hex) = body.strip_prefix("0x") {
        (16, hex)
    } else if let Some(bin) = body.strip_prefix("0b") {
        (2, bin)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || body.contains(['.', '+', '-']) {
        return Err(format!("`{text}` is not an integer constant"));
    }
    let mut value: u64 = 0;
    for c in digits.chars() {
        let d = c
            .to_digit(radix)
            .ok_or_else(|| format!("invalid digit `{c}` in constant `{text}`"))?;
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or_else(|| format!("integer constant `{text}` is too large"))?;
    }
    // A constant too big for intmax_t is unsigned, as GCC treats it.
    Ok(Value {
        bits: value,
        unsigned: unsigned_suffix || value > i64::MAX as u64,
    })
}

/// Parses a character constant: `'a'`, escapes, multi-character constants and prefixes.
pub(crate) fn parse_char(text: &str) -> Result<Value, String> {
    let prefixed = !text.starts_with('\'');
    let open = text.find('\'').unwrap_or(0);
    let inner = text
        .get(open + 1..text.len().saturating_sub(1))
        .filter(|_| text.len() >= open + 2 && text.ends_with('\''))
        .ok_or_else(|| format!("unterminated character constant {text}"))?;
    let mut chars = inner.chars().peekable();
    let mut units: Vec<u32> = Vec::new();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if prefixed {
                units.push(u32::from(c));
            } else {
                let mut buf = [0u8; 4];
                units.extend(c.encode_utf8(&mut buf).bytes().map(u32::from));
            }
            continue;
        }
        let e = chars
            .next()
            .ok_or("incomplete escape in character constant")?;
        let v = match e {
            'n' => 10,
            't' => 9,
            'r' => 13,
            'a' => 7,
            'b' => 8,
            'f' => 12,
            'v' => 11,
            'e' | 'E' => 27,
            'x' => {
                let mut v: u32 = 0;
                let mut any = false;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(16)) {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    any = true;
                    chars.next();
                }
                if !any {
                    return Err("`\\x` used with no following hex digits".into());
                }
                v
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                v
            }
            other => u32::from(other),
        };
        units.push(v);
    }
    match units.as_slice() {
        [] => Err("empty character constant".into()),
        // A plain `char` is signed, as on the targets mig runs for.
        [one] if !prefixed => Ok(Value::signed(i64::from(*one as u8 as i8))),
        [one] => Ok(Value::signed(i64::from(*one))),
        many => {
            let v = many
                .iter()
                .fold(0u32, |acc, &u| acc.wrapping_shl(8) | (u & 0xff));
            Ok(Value::signed(i64::from(v as i32)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pp::lex::{Interner, lex};
    use crate::source::FileId;

    /// Converts the tokens of a line to expression tokens using the interner's spellings.
    fn expr_tokens<'a>(
        toks: impl Iterator<Item = (TokenKind, crate::pp::lex::Sym, Span)>,
        interner: &'a crate::pp::lex::Interner,
    ) -> Vec<ExprTok<'a>> {
        toks.map(|(kind, sym, span)| ExprTok {
            kind,
            text: interner.get(sym),
            span,
        })
        .collect()
    }

    fn eval(src: &str) -> Result<i64, String> {
        let mut interner = Interner::new();
        let (raw, _) = lex(src, &mut interner);
        let span = |s: u32, e: u32| Span {
            file: FileId(0),
            start: s,
            end: e,
        };
        let toks = expr_tokens(
            raw.iter().map(|t| (t.kind, t.sym, span(t.start, t.end))),
            &interner,
        );
        evaluate(&toks, span(0, 0))
            .map(|v| v.bits as i64)
            .map_err(|e| e.message)
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(eval("1 + 2 * 3"), Ok(7));
        assert_eq!(eval("(1 + 2) * 3"), Ok(9));
        assert_eq!(eval("10 / 3 % 2"), Ok(1));
        assert_eq!(eval("-7 / 2"), Ok(-3));
        assert_eq!(eval("1 << 4 >> 2"), Ok(4));
        assert_eq!(eval("~0 & 0xff ^ 0x0f | 0x100"), Ok(0x1f0));
        assert_eq!(
            eval("3 > 2 && 2 >= 2 && 1 < 2 && 1 <= 1 && 1 != 2 && 2 == 2"),
            Ok(1)
        );
        assert_eq!(eval("!0 + !5"), Ok(1));
        assert_eq!(eval("1 ? 2 : 3"), Ok(2));
        assert_eq!(eval("0 ? 2 : 0 ? 3 : 4"), Ok(4));
        assert_eq!(eval("(1, 2)"), Ok(2));
        assert_eq!(eval("0x10 + 010 + 0b11 + 10UL"), Ok(16 + 8 + 3 + 10));
        assert_eq!(
            eval("'a' + '\\n' + '\\x41' + '\\101'"),
            Ok(97 + 10 + 65 + 65)
        );
        assert_eq!(eval("'\\377' < 0"), Ok(1));
        assert_eq!(eval("'ab'"), Ok(0x6162));
        assert_eq!(eval("undefined_name + 1"), Ok(1));
    }

    #[test]
    fn unsigned_rules_and_wrapping() {
        assert_eq!(eval("-1 < 0"), Ok(1));
        assert_eq!(eval("-1 < 0u"), Ok(0));
        assert_eq!(eval("0xffffffffffffffff > 0"), Ok(1));
        assert_eq!(eval("9223372036854775807 + 1 < 0"), Ok(1));
        assert_eq!(eval("(-9223372036854775807 - 1) / -1 < 0"), Ok(1));
        assert_eq!(eval("1 << 64"), Ok(0));
        assert_eq!(eval("-8 >> 100"), Ok(-1));
        assert_eq!(eval("1 << -1"), Ok(0));
    }

    #[test]
    fn errors_are_reported_not_panics() {
        assert!(eval("1 / 0").unwrap_err().contains("division by zero"));
        assert!(eval("5 % 0").unwrap_err().contains("division by zero"));
        assert_eq!(eval("0 && 1 / 0"), Ok(0));
        assert_eq!(eval("1 || 1 / 0"), Ok(1));
        assert_eq!(eval("1 ? 2 : 1 / 0"), Ok(2));
        for (src, error) in [
            ("1 +", "expected a value at the end of #if"),
            ("(1", "missing `)` in #if expression"),
            ("1 2", "missing binary operator before `2`"),
            ("1.5", "`1.5` is not an integer constant"),
            ("\"s\"", "token `\"s\"` is not valid in a #if expression"),
            ("1 = 2", "missing binary operator before `=`"),
            (
                "99999999999999999999",
                "integer constant `99999999999999999999` is too large",
            ),
            ("08", "invalid digit `8` in constant `08`"),
            ("''", "empty character constant"),
            ("", "#if with no expression"),
        ] {
            assert_eq!(eval(src), Err(error.to_string()), "{src:?}");
        }
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(eval(&deep).unwrap_err().contains("nested too deeply"));
        let unary = format!("{}1", "- ".repeat(10_000));
        assert!(eval(&unary).unwrap_err().contains("nested too deeply"));
        let chain = format!("1{}", " + 1".repeat(100_000));
        assert_eq!(eval(&chain), Ok(100_001));
    }
}
