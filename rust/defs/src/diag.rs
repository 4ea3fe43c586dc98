//! Diagnostics are data: a code, a message, labelled spans and notes. They are rendered
//! separately (with codespan-reporting), so their text can be snapshot-tested.

use crate::source::{SourceMap, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; the run still succeeds.
    Warning,
    /// The input is wrong; the run fails.
    Error,
}

/// A span with a short message under its caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The main location of the diagnostic, or a secondary one.
    pub primary: bool,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case code such as `unknown-type`.
    pub code: &'static str,
    /// One lowercase sentence without a trailing period.
    pub message: String,
    /// Primary label first.
    pub labels: Vec<Label>,
    /// Extra sentences shown after the snippet.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A new error with no location yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A new warning with no location yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds the primary location.
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary location.
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }

    fn to_codespan(&self) -> cs::Diagnostic<crate::source::FileId> {
        let base = match self.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        base.with_code(self.code)
            .with_message(&self.message)
            .with_labels(
                self.labels
                    .iter()
                    .map(|l| {
                        let style = if l.primary {
                            cs::LabelStyle::Primary
                        } else {
                            cs::LabelStyle::Secondary
                        };
                        cs::Label::new(
                            style,
                            l.span.file,
                            l.span.start as usize..l.span.end as usize,
                        )
                        .with_message(&l.message)
                    })
                    .collect(),
            )
            .with_notes(self.notes.clone())
    }
}

/// Renders diagnostics as plain text (no colour), the form UI tests compare.
pub fn render(map: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = term::termcolor::NoColor::new(Vec::new());
    emit(map, diagnostics, &mut out);
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}

/// Renders diagnostics to a terminal writer (coloured when the writer supports it).
pub fn emit(
    map: &SourceMap,
    diagnostics: &[Diagnostic],
    out: &mut dyn term::termcolor::WriteColor,
) {
    let config = term::Config::default();
    for d in diagnostics {
        if term::emit(out, &config, map, &d.to_codespan()).is_err() {
            // A span outside its file is a bug of ours; still say what went wrong.
            let _ = writeln!(
                out,
                "{}[{}]: {}",
                severity_word(d.severity),
                d.code,
                d.message
            );
        }
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Renders one diagnostic as a single line `file:line:col: error[code]: message`, the form
/// build scripts print through cargo.
pub fn one_line(map: &SourceMap, d: &Diagnostic) -> String {
    match d.primary_span() {
        Some(span) => format!(
            "{}: {}[{}]: {}",
            map.location(span),
            severity_word(d.severity),
            d.code,
            d.message
        ),
        None => format!("{}[{}]: {}", severity_word(d.severity), d.code, d.message),
    }
}

/// Diagnostics collected by one stage of the front end, bounded: the first
/// [`Diags::KEEP`] are kept, later ones are only counted. Broken input can produce a
/// diagnostic per token, and a run must not hold millions of them to show a hundred.
#[derive(Debug, Default)]
pub struct Diags {
    kept: Vec<Diagnostic>,
    dropped_errors: usize,
    dropped_warnings: usize,
}

impl Diags {
    /// How many diagnostics one stage keeps; more than the run shows
    /// (`crate::DIAGNOSTICS_MAX`), so the run's first ones are all kept.
    pub const KEEP: usize = 200;

    /// An empty sink.
    pub fn new() -> Diags {
        Diags::default()
    }

    /// Keeps `d` while there is room, else counts it.
    pub fn push(&mut self, d: Diagnostic) {
        if self.kept.len() < Self::KEEP {
            self.kept.push(d);
        } else if d.is_error() {
            self.dropped_errors += 1;
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Pushes each of `ds`.
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        for d in ds {
            self.push(d);
        }
    }

    /// Adds another sink's diagnostics and counts.
    pub fn append(&mut self, other: Diags) {
        self.dropped_errors += other.dropped_errors;
        self.dropped_warnings += other.dropped_warnings;
        self.extend(other.kept);
    }

    /// The kept diagnostics.
    pub fn kept(&self) -> &[Diagnostic] {
        &self.kept
    }

    /// Whether any diagnostic, kept or counted, is an error.
    pub fn has_errors(&self) -> bool {
        self.dropped_errors > 0 || self.kept.iter().any(Diagnostic::is_error)
    }

    /// The kept diagnostics and the numbers of errors and warnings dropped.
    pub fn into_parts(self) -> (Vec<Diagnostic>, usize, usize) {
        (self.kept, self.dropped_errors, self.dropped_warnings)
    }
}
