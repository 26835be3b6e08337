//! The linter: reads a migration file the way its tool runs it, parses every statement
//! with pg_query, works out what each one locks (from the lock-facts table, knowing
//! what the file created before it), and runs the rules. Findings are values.

pub mod config;
pub mod docs;
pub mod rule;
pub mod rules;
pub mod suppress;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::LineIndex;
use crate::locks::{LockMode, PgVersion};
use crate::migration::classify::{self, actions, facts_of};
use crate::migration::parse::Problem;
use crate::migration::source::{Layout, Unit, Wrapping};
use crate::migration::state::State;
use crate::migration::{parse, source, split, track};
pub use rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
pub use rules::{find_rule, RULES};

/// Which rules run, and at which severity.
#[derive(Clone, Debug, Default)]
pub struct RuleSelection {
    /// Codes turned off.
    pub disabled: BTreeSet<&'static str>,
    /// Off-by-default codes turned on.
    pub enabled: BTreeSet<&'static str>,
    pub severity: BTreeMap<&'static str, Severity>,
}

impl RuleSelection {
    pub fn is_enabled(&self, meta: &RuleMeta) -> bool {
        !self.disabled.contains(meta.code) && (meta.default_enabled || self.enabled.contains(meta.code))
    }

    pub fn severity_of(&self, meta: &RuleMeta) -> Severity {
        self.severity.get(meta.code).copied().unwrap_or(meta.severity)
    }
}

#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    pub pg: PgVersion,
    /// For plain files: whether something wraps them in a transaction.
    pub assume_in_transaction: Option<bool>,
    pub rules: RuleSelection,
}

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
    pub locks: Vec<LockReport>,
    pub rewrite: bool,
    pub scan: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockReport {
    pub relation: String,
    pub mode: LockMode,
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
    fn new(meta: &'static RuleMeta, severity: Severity, finding: Finding, lines: &LineIndex<'_>) -> Diagnostic {
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

/// Files shorter than this are parsed on the calling thread: a migration folder is
/// linted a file per core already, and threads cost more than a short file's parse.
const PARSE_THREADS_FROM: usize = 256 * 1024;

/// Lints one file. `diesel_metadata` is the `metadata.toml` beside a diesel migration.
pub fn lint_file(path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions) -> FileReport {
    let threads = if text.len() < PARSE_THREADS_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    lint_in_pieces(path, text, diesel_metadata, options, parse::CHUNK, threads)
}

/// [`lint_file`], with long units cut into pieces of about `chunk` bytes, parsed on
/// `threads` threads. The report does not depend on either.
fn lint_in_pieces(path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions, chunk: usize, threads: usize) -> FileReport {
    if text.contains('\0') {
        return FileReport::unreadable(path, "the file contains a NUL byte; it is not SQL text".into());
    }
    let (layout, units) = source::units(path, text, diesel_metadata, options.assume_in_transaction);
    let pieces: Vec<Vec<split::Piece>> = units.par_iter().map(|u| split::pieces(text, u.range.clone(), chunk)).collect();
    let (unit_of, pieces): (Vec<usize>, Vec<split::Piece>) = pieces
        .into_iter()
        .enumerate()
        .flat_map(|(unit, pieces)| pieces.into_iter().map(move |piece| (unit, piece)))
        .unzip();
    let mut linter = Linter::new(text, options);
    parse::parse_in_order(text, &pieces, threads, |at, statements| {
        linter.piece(unit_of[at], &units[unit_of[at]], statements)
    });
    linter.report(path, layout)
}

/// The statement pass of one file: what the rules found so far, and what every
/// statement costs.
struct Linter<'a> {
    text: &'a str,
    options: &'a LintOptions,
    enabled: Vec<&'static dyn Rule>,
    /// The unit being read; a long one arrives in several pieces.
    unit: Option<OpenUnit>,
    raw: Vec<(&'static RuleMeta, Finding, Option<usize>)>,
    statements: Vec<StatementReport>,
    statement_spans: Vec<Range<usize>>,
}

/// What is known while a unit is read.
struct OpenUnit {
    index: usize,
    state: State,
    /// The rules that follow the whole unit, with what each has kept.
    checks: Vec<(&'static RuleMeta, Box<dyn UnitCheck>)>,
}

impl<'a> Linter<'a> {
    fn new(text: &'a str, options: &'a LintOptions) -> Linter<'a> {
        Linter {
            text,
            options,
            enabled: RULES.iter().copied().filter(|r| options.rules.is_enabled(r.meta())).collect(),
            unit: None,
            raw: Vec::new(),
            statements: Vec::new(),
            statement_spans: Vec::new(),
        }
    }

    /// Checks the statements of a piece of unit `index`; pieces come in file order.
    fn piece(&mut self, index: usize, unit: &Unit, statements: &[parse::Parsed]) {
        let mut open = match self.unit.take() {
            Some(open) if open.index == index => open,
            previous => {
                if let Some(previous) = previous {
                    self.end(previous);
                }
                self.begin(index, unit)
            }
        };
        for statement in statements {
            self.statement(&mut open, statement);
        }
        self.unit = Some(open);
    }

    fn begin(&self, index: usize, unit: &Unit) -> OpenUnit {
        let mut state = State::default();
        if unit.wrapping == Wrapping::Transaction {
            state.begin(false);
        }
        let checks = self.enabled.iter().filter_map(|r| Some((r.meta(), r.unit()?))).collect();
        OpenUnit { index, state, checks }
    }

    fn end(&mut self, unit: OpenUnit) {
        let mut findings = Vec::new();
        for (meta, check) in unit.checks {
            check.finish(&mut findings);
            self.unit_findings(meta, &mut findings);
        }
    }

    /// Records what a unit check found: its statement is the one its span falls in.
    fn unit_findings(&mut self, meta: &'static RuleMeta, findings: &mut Vec<Finding>) {
        let spans = &self.statement_spans;
        self.raw.extend(findings.drain(..).map(|f| {
            // Spans are in file order: a binary search, not a scan per finding.
            let index = spans
                .partition_point(|s| s.start <= f.span.start)
                .checked_sub(1)
                .filter(|&i| spans[i].contains(&f.span.start));
            (meta, f, index)
        }));
    }

    fn statement(&mut self, unit: &mut OpenUnit, statement: &parse::Parsed) {
        let (text, options) = (self.text, self.options);
        let index = self.statement_spans.len();
        self.statement_spans.push(statement.span.clone());
        let node = match &statement.result {
            Ok(node) => node,
            Err(Problem::Syntax { message, offset }) => {
                let finding = Finding::new(
                    *offset..*offset + 1,
                    format!("PostgreSQL rejects this statement: {message}"),
                    "fix the statement; bellows did not analyse it",
                );
                self.raw.push((rules::meta::SYNTAX_ERROR.meta(), finding, Some(index)));
                return;
            }
            Err(Problem::TooDeep) => {
                let finding = Finding::new(
                    statement.span.start..statement.span.start + 1,
                    "statement nested too deeply to analyse",
                    "split the expression; it was not analysed",
                );
                self.raw.push((rules::meta::TOO_DEEP.meta(), finding, Some(index)));
                return;
            }
        };
        let state = &mut unit.state;
        let acts = actions(node, state, options.pg);
        let facts = facts_of(&acts, options.pg);
        let creates = classify::creates(&acts);
        let in_transaction = state.in_transaction && !matches!(node, pg_query::NodeEnum::TransactionStmt(_));
        let sql = &text[statement.span.clone()];
        let cx = StatementContext {
            index,
            node,
            sql,
            span: statement.span.clone(),
            actions: &acts,
            facts: &facts,
            in_transaction,
            state,
            pg: options.pg,
            creates: &creates,
        };
        let mut findings = Vec::new();
        for rule in &self.enabled {
            rule.check(&cx, &mut findings);
            self.raw.extend(findings.drain(..).map(|f| (rule.meta(), f, Some(index))));
        }
        for (meta, check) in &mut unit.checks {
            check.statement(&cx, &mut findings);
            self.unit_findings(meta, &mut findings);
        }
        self.statements.push(StatementReport {
            line: 0,
            column: 0,
            span: statement.span.clone(),
            sql: sql.to_string(),
            transactional: in_transaction,
            locks: facts
                .locks
                .iter()
                .map(|l| LockReport {
                    relation: l.relation.to_string(),
                    mode: l.mode,
                })
                .collect(),
            rewrite: facts.rewrite,
            scan: facts.scan,
        });
        state.took(&facts.locks, index, &creates);
        track::apply(node, state);
    }

    fn report(mut self, path: &str, layout: Layout) -> FileReport {
        if let Some(unit) = self.unit.take() {
            self.end(unit);
        }
        let lines = LineIndex::new(self.text);
        let diagnostics = finish(self.text, &lines, self.raw, &self.statement_spans, self.options);
        let mut statements = self.statements;
        for statement in &mut statements {
            (statement.line, statement.column) = lines.position(statement.span.start);
        }
        FileReport {
            path: path.to_string(),
            layout,
            statements,
            diagnostics,
        }
    }
}

/// Applies suppressions and severities, reports unused suppressions, and positions
/// every diagnostic.
fn finish(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement mix whose unit-wide findings (a rename waiting for its view, a
    /// foreign key waiting for its index, runs of ALTER TABLE) span many pieces.
    fn long_unit(blocks: usize) -> String {
        let mut text = String::from("BEGIN;\nALTER TABLE users RENAME TO accounts;\n");
        for i in 0..blocks {
            text.push_str(&format!(
                "ALTER TABLE orders ADD COLUMN c{i} int;\nALTER TABLE orders ADD COLUMN d{i} int;\nCREATE TABLE t{i} (id bigint PRIMARY KEY, o bigint REFERENCES orders (id), s text DEFAULT 'a;b');\nSELECT $$;$$, 'x'';y' /* ; */ -- ;\n;\nALTER TABLE t{i} ADD COLUM oops int;\n"
            ));
            if i % 3 == 0 {
                text.push_str(&format!("CREATE INDEX t{i}_o ON t{i} (o);\n"));
            }
        }
        text.push_str("CREATE VIEW users AS SELECT * FROM accounts;\nCOMMIT;\nALTER TABLE a RENAME TO b;\n");
        text
    }

    #[test]
    fn the_report_does_not_depend_on_pieces_or_threads() {
        let options = LintOptions::default();
        let plain = long_unit(60);
        let goose = format!(
            "-- +goose Up\n{}\n-- +goose Down\n{}-- +goose Up\nALTER TABLE x RENAME TO y;\n",
            long_unit(20),
            long_unit(5)
        );
        for (path, text) in [("plain.sql", plain), ("20240101_goose.sql", goose)] {
            let whole = lint_in_pieces(path, &text, None, &options, usize::MAX / 4, 1);
            let codes: BTreeSet<&str> = whole.diagnostics.iter().map(|d| d.rule).collect();
            for code in ["BW001", "BW117", "BW143", "BW155"] {
                assert!(codes.contains(code), "{path}: {code} does not fire in {codes:?}");
            }
            let expected = serde_json::to_string(&whole).expect("serialise");
            for (chunk, threads) in [(300, 1), (300, 3), (2048, 2), (1, 2)] {
                let cut = lint_in_pieces(path, &text, None, &options, chunk, threads);
                let (_, units) = source::units(path, &text, None, None);
                let pieces: usize = units.iter().map(|u| split::pieces(&text, u.range.clone(), chunk).len()).sum();
                assert!(pieces > units.len(), "{path}: chunk {chunk} cuts no unit");
                assert_eq!(
                    serde_json::to_string(&cut).expect("serialise"),
                    expected,
                    "{path}: chunk {chunk}, {threads} threads"
                );
            }
        }
    }
}
