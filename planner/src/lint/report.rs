//! What linting a file reports: every statement's locks, scan, rewrite and
//! transactionality, and the findings, positioned in the file, after suppressions and
//! severities are applied.

use std::ops::Range;

use serde::Serialize;

use super::rule::{Finding, Rule, RuleMeta, Severity};
use super::{find_rule, rules, suppress, LintOptions};
use crate::error::LineIndex;
use crate::locks::LockMode;
use crate::migration::source::Layout;

/// The lint result of one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub layout: Layout,
    pub statements: Vec<StatementReport>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// A report for a file that could not be read at all.
    pub fn unreadable(path: &str, message: String) -> FileReport {
        let meta = rules::meta::UNREADABLE_FILE.meta();
        let finding = Finding::new(0..0, message, "save the file as UTF-8 SQL");
        let diagnostic = Diagnostic::new(meta, meta.severity, finding, &LineIndex::new(""));
        FileReport {
            path: path.to_string(),
            layout: Layout::Plain,
            statements: Vec::new(),
            diagnostics: vec![diagnostic],
        }
    }
}

/// What one statement costs, reported whether or not a rule fires.
#[derive(Clone, Debug, Serialize)]
pub struct StatementReport {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: Range<usize>,
    pub sql: String,
    pub transactional: bool,
    /// Every relation the server locks, in its strongest mode: the tables the statement
    /// names, the other end of a foreign key, partitions and parents.
    pub locks: Vec<LockReport>,
    /// Some relation gets new storage: rows are copied, indexes rebuilt.
    pub rewrite: bool,
    /// Some relation's rows are all read, by a scan or by a rewrite.
    pub scan: bool,
    /// False when bellows does not know what the statement locks (a `DO` block, `CREATE
    /// EXTENSION`, a call of a function the migrations wrote, ...): `locks` is then what
    /// it knows, not all there is.
    pub locks_known: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockReport {
    pub relation: String,
    pub mode: LockMode,
    /// Every row of the relation is row-locked until the transaction ends (`UPDATE` or
    /// `DELETE` without `WHERE`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub every_row: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip)]
    pub span: Range<usize>,
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: String,
}

impl Diagnostic {
    /// A finding as reported, positioned with `lines` (the index of its file).
    pub(super) fn new(meta: &'static RuleMeta, severity: Severity, finding: Finding, lines: &LineIndex<'_>) -> Diagnostic {
        let (start, end) = (lines.position(finding.span.start), lines.position(finding.span.end));
        Diagnostic {
            line: start.0,
            column: start.1,
            end_line: end.0,
            end_column: end.1,
            span: finding.span,
            rule: meta.code,
            name: meta.name,
            severity,
            message: finding.message,
            help: finding.help,
        }
    }
}

/// Applies suppressions and severities, reports unused suppressions, and positions
/// every diagnostic.
pub(super) fn finish(
    text: &str,
    lines: &LineIndex<'_>,
    raw: Vec<(&'static RuleMeta, Finding, Option<usize>)>,
    spans: &[Range<usize>],
    options: &LintOptions,
) -> Vec<Diagnostic> {
    let mut suppressions = suppress::find(text, 0..text.len());
    for s in suppressions.iter_mut().filter(|s| !s.whole_file) {
        // The statement right after the comment; spans are in file order.
        let next = spans.partition_point(|span| span.start < s.span.end);
        s.statement = (next < spans.len()).then_some(next);
    }
    let mut out = Vec::new();
    for (meta, finding, statement) in raw {
        let silenced = suppressions
            .iter_mut()
            .filter(|s| (s.rule == meta.code || s.rule == meta.name) && (s.whole_file || (s.statement.is_some() && s.statement == statement)));
        let mut any = false;
        for s in silenced {
            s.used = true;
            any = true;
        }
        if !any {
            out.push(Diagnostic::new(meta, options.rules.severity_of(meta), finding, lines));
        }
    }
    let unused = rules::meta::UNUSED_SUPPRESSION.meta();
    if options.rules.is_enabled(unused) {
        for s in suppressions.iter().filter(|s| !s.used) {
            let known = find_rule(&s.rule).is_some();
            let message = if known {
                format!("the suppression of `{}` silences nothing here", s.rule)
            } else {
                format!("`{}` is not a rule", s.rule)
            };
            let help = if known {
                "remove the comment".to_string()
            } else {
                "see `bellows rules` for the codes and names".to_string()
            };
            let finding = Finding::new(s.span.clone(), message, help);
            out.push(Diagnostic::new(unused, options.rules.severity_of(unused), finding, lines));
        }
    }
    out.sort_by_key(|d| (d.span.start, d.rule));
    out
}
