//! The statement pass over one file: each statement classified with what was known
//! before it (from the history and the file), checked by every enabled rule (and the
//! unit-wide checks), then tracked, so the next statement knows what this one did.

use std::ops::Range;

use super::report::{finish, FileReport, LockReport, StatementReport};
use super::rule::{Finding, Rule, RuleMeta, StatementContext, UnitCheck};
use super::{rules, LintOptions, RULES};
use crate::error::LineIndex;
use crate::migration::classify::{self, actions, facts_of, locks_known};
use crate::migration::parse::{self, Problem};
use crate::migration::source::{Layout, Unit, Wrapping};
use crate::migration::state::State;
use crate::migration::track;

/// The statement pass of one file: what the rules found so far, and what every
/// statement costs.
pub(super) struct Linter<'a> {
    text: &'a str,
    /// What the history and the file's up parts have built so far; taken by the unit
    /// being read.
    known: Option<State>,
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
    down: bool,
    /// The rules that follow the whole unit, with what each has kept.
    checks: Vec<(&'static RuleMeta, Box<dyn UnitCheck>)>,
}

impl<'a> Linter<'a> {
    pub(super) fn new(text: &'a str, options: &'a LintOptions, history: State) -> Linter<'a> {
        Linter {
            text,
            known: Some(history),
            options,
            enabled: RULES.iter().copied().filter(|r| options.rules.is_enabled(r.meta())).collect(),
            unit: None,
            raw: Vec::new(),
            statements: Vec::new(),
            statement_spans: Vec::new(),
        }
    }

    /// Checks the statements of a piece of unit `index`; pieces come in file order.
    pub(super) fn piece(&mut self, index: usize, unit: &Unit, statements: &[parse::Parsed]) {
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

    fn begin(&mut self, index: usize, unit: &Unit) -> OpenUnit {
        // A rollback part runs after the up parts; what it does is not carried on.
        let mut state = match (unit.down, self.known.take()) {
            (true, Some(known)) => {
                let state = known.for_rollback(&self.text[unit.range.clone()]);
                self.known = Some(known);
                state
            }
            (_, known) => known.unwrap_or_default(),
        };
        if unit.wrapping == Wrapping::Transaction {
            state.begin(false);
        }
        let checks = self.enabled.iter().filter_map(|r| Some((r.meta(), r.unit()?))).collect();
        OpenUnit {
            index,
            state,
            checks,
            down: unit.down,
        }
    }

    fn end(&mut self, unit: OpenUnit) {
        if !unit.down {
            self.known = Some(unit.state.carried());
        }
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
        let known = locks_known(node, state, options.pg);
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
                    every_row: facts.every_row.contains(&l.relation),
                })
                .collect(),
            rewrite: facts.rewrite,
            scan: facts.scan,
            locks_known: known,
        });
        state.took(&facts.locks, index, &creates);
        track::apply(node, state);
    }

    /// The report of the file, and what the next file of its history starts from.
    pub(super) fn report(mut self, path: &str, layout: Layout) -> (FileReport, State) {
        if let Some(unit) = self.unit.take() {
            self.end(unit);
        }
        let known = self.known.take().unwrap_or_default();
        let lines = LineIndex::new(self.text);
        let diagnostics = finish(self.text, &lines, self.raw, &self.statement_spans, self.options);
        let mut statements = self.statements;
        for statement in &mut statements {
            (statement.line, statement.column) = lines.position(statement.span.start);
        }
        let report = FileReport {
            path: path.to_string(),
            layout,
            statements,
            diagnostics,
        };
        (report, known)
    }
}
