//! The linter: reads a migration file the way its tool runs it, parses every statement
//! with pg_query, works out what each one locks (from the lock-facts table, knowing
//! what the file created before it), and runs the rules. Findings are values.

pub mod ast;
pub mod classify;
pub mod config;
pub mod docs;
pub mod parse;
pub mod rule;
pub mod rules;
pub mod source;
pub mod state;
pub mod suppress;
pub mod track;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::LineIndex;
use crate::locks::{LockMode, PgVersion};
use classify::{actions, facts_of};
use parse::{parse_statements, Problem};
pub use rule::{Finding, Rule, RuleMeta, Severity, StatementContext, Summary};
pub use rules::{find_rule, RULES};
use source::{Layout, Wrapping};
use state::State;

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
        let diagnostic = Diagnostic::new(meta, meta.severity, &Finding::new(0..0, message, "save the file as UTF-8 SQL"), (1, 1), (1, 1));
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
    fn new(meta: &'static RuleMeta, severity: Severity, finding: &Finding, start: (usize, usize), end: (usize, usize)) -> Diagnostic {
        Diagnostic {
            line: start.0,
            column: start.1,
            end_line: end.0,
            end_column: end.1,
            span: finding.span.clone(),
            rule: meta.code,
            name: meta.name,
            severity,
            message: finding.message.clone(),
            help: finding.help.clone(),
        }
    }
}

/// Lints one file. `diesel_metadata` is the `metadata.toml` beside a diesel migration.
pub fn lint_file(path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions) -> FileReport {
    if text.contains('\0') {
        return FileReport::unreadable(path, "the file contains a NUL byte; it is not SQL text".into());
    }
    let (layout, units) = source::units(path, text, diesel_metadata, options.assume_in_transaction);
    let enabled: Vec<&'static dyn Rule> = RULES.iter().copied().filter(|r| options.rules.is_enabled(r.meta())).collect();
    let mut raw: Vec<(&'static RuleMeta, Finding, Option<usize>)> = Vec::new();
    let mut statements = Vec::new();
    let mut statement_spans: Vec<Range<usize>> = Vec::new();
    // Parsing is most of the work and needs no state: units are parsed on all cores, a
    // window at a time so that the syntax trees of a long file are not all in memory.
    let parsed_units = units.chunks(64).flat_map(|window| {
        let parsed: Vec<Vec<parse::Parsed>> = window.par_iter().map(|u| parse_statements(text, u.range.clone())).collect();
        window.iter().zip(parsed)
    });
    for (unit, parsed) in parsed_units {
        let mut state = State::default();
        if unit.wrapping == Wrapping::Transaction {
            state.begin(false);
        }
        let mut summaries = Vec::with_capacity(parsed.len());
        for statement in &parsed {
            let index = statement_spans.len();
            statement_spans.push(statement.span.clone());
            let node = match &statement.result {
                Ok(node) => node,
                Err(Problem::Syntax { message, offset }) => {
                    let finding = Finding::new(
                        *offset..*offset + 1,
                        format!("PostgreSQL rejects this statement: {message}"),
                        "fix the statement; bellows did not analyse it",
                    );
                    raw.push((rules::meta::SYNTAX_ERROR.meta(), finding, Some(index)));
                    continue;
                }
                Err(Problem::TooDeep) => {
                    let finding = Finding::new(
                        statement.span.start..statement.span.start + 1,
                        "statement nested too deeply to analyse",
                        "split the expression; it was not analysed",
                    );
                    raw.push((rules::meta::TOO_DEEP.meta(), finding, Some(index)));
                    continue;
                }
            };
            let acts = actions(node, &state, options.pg);
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
                state: &state,
                pg: options.pg,
                creates: &creates,
            };
            let mut findings = Vec::new();
            for rule in &enabled {
                rule.check(&cx, &mut findings);
                raw.extend(findings.drain(..).map(|f| (rule.meta(), f, Some(index))));
            }
            statements.push(StatementReport {
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
            let existing = acts
                .iter()
                .flat_map(|a| [Some(&a.table), a.referenced.as_ref()])
                .flatten()
                .filter(|r| !state.is_new(r) && !creates.contains(r))
                .cloned()
                .collect();
            state.took(&facts.locks, index, &creates);
            track::apply(node, &mut state);
            summaries.push(Summary {
                index,
                node,
                sql,
                span: statement.span.clone(),
                actions: acts,
                in_transaction,
                existing,
            });
        }
        let mut findings = Vec::new();
        for rule in &enabled {
            rule.check_unit(&summaries, &mut findings);
            raw.extend(findings.drain(..).map(|f| {
                // Spans are in file order: a binary search, not a scan per finding.
                let index = statement_spans
                    .partition_point(|s| s.start <= f.span.start)
                    .checked_sub(1)
                    .filter(|&i| statement_spans[i].contains(&f.span.start));
                (rule.meta(), f, index)
            }));
        }
    }
    let diagnostics = finish(text, raw, &statement_spans, options);
    let lines = LineIndex::new(text);
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

/// Applies suppressions and severities, reports unused suppressions, and positions
/// every diagnostic.
fn finish(text: &str, raw: Vec<(&'static RuleMeta, Finding, Option<usize>)>, spans: &[Range<usize>], options: &LintOptions) -> Vec<Diagnostic> {
    let mut suppressions = suppress::find(text, 0..text.len());
    for s in suppressions.iter_mut().filter(|s| !s.whole_file) {
        s.statement = spans.iter().position(|span| span.start >= s.span.end);
    }
    let lines = LineIndex::new(text);
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
            out.push(Diagnostic::new(
                meta,
                options.rules.severity_of(meta),
                &finding,
                lines.position(finding.span.start),
                lines.position(finding.span.end),
            ));
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
            out.push(Diagnostic::new(
                unused,
                options.rules.severity_of(unused),
                &finding,
                lines.position(s.span.start),
                lines.position(s.span.end),
            ));
        }
    }
    out.sort_by_key(|d| (d.span.start, d.rule));
    out
}
