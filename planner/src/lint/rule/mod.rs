//! The rule framework: what a rule is (its metadata and documentation, in fixed
//! sections), what it sees (a statement with its facts and what was known before it),
//! and what it reports (a finding at a span). Severity and suppression are applied by
//! the engine, not by rules.

pub mod added_constraints;
pub mod commands;
pub mod recreated;
pub mod type_design;
pub mod wording;

use std::ops::Range;

use pg_query::protobuf::{AlterTableCmd, AlterTableType};
use pg_query::NodeEnum;
use serde::Serialize;

use crate::locks::PgVersion;
use crate::migration::classify::{Action, Facts};
use crate::migration::state::State;
use crate::model::QualifiedName;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Everything the documentation of a rule says, in fixed sections. `bellows rules
/// NAME`, docs/rules.md and the README table are all rendered from this.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    /// Stable forever, never reused: `BW101`.
    pub code: &'static str,
    /// The risky pattern, in kebab case: `create-index-non-concurrently`.
    pub name: &'static str,
    pub severity: Severity,
    /// Off-by-default rules (type-design advice) run only when enabled in bellows.toml.
    pub default_enabled: bool,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Why it is risky: which lock, what it blocks, for how long, from which version.
    pub why: &'static str,
    /// The safe alternative, as SQL.
    pub alternative: &'static str,
}

/// A statement as rules see it, with what was known just before it ran.
pub struct StatementContext<'a> {
    pub index: usize,
    pub node: &'a NodeEnum,
    /// The statement's text, as written.
    pub sql: &'a str,
    pub span: Range<usize>,
    pub actions: &'a [Action],
    pub facts: &'a Facts,
    /// Runs inside a transaction block.
    pub in_transaction: bool,
    pub state: &'a State,
    pub pg: PgVersion,
    /// Relations this statement itself creates (a `CREATE TABLE`'s own lock is no risk).
    pub creates: &'a [QualifiedName],
}

impl<'a> StatementContext<'a> {
    /// True when the relation existed before this file (so it may hold rows and be busy).
    pub fn existing(&self, relation: &QualifiedName) -> bool {
        !self.state.is_new(relation) && !self.creates.contains(relation)
    }

    /// The subcommands of kind `kind` of an `ALTER TABLE` of a table from before this
    /// file that act on a column from before it (one the file did not declare): the
    /// columns the application version still running uses. With the table.
    pub fn alters_of_existing_columns(&self, kind: AlterTableType) -> Vec<(QualifiedName, &'a AlterTableCmd)> {
        let NodeEnum::AlterTableStmt(alter) = self.node else { return Vec::new() };
        let Some(table) = alter.relation.as_ref().map(crate::migration::ast::relation).filter(|t| self.existing(t)) else {
            return Vec::new();
        };
        crate::migration::ast::commands_of(alter, kind)
            .filter(|cmd| !self.state.is_new_column(&table, &cmd.name))
            .map(|cmd| (table.clone(), cmd))
            .collect()
    }

    /// True when the statement acts on `relation` (or references it) and the relation
    /// existed before this file.
    pub fn acts_on_existing(&self, relation: &QualifiedName) -> bool {
        self.actions.iter().any(|a| &a.table == relation || a.referenced.as_ref() == Some(relation)) && self.existing(relation)
    }

    /// True for `COMMIT`, `ROLLBACK` and the like, which end a transaction.
    pub fn ends_transaction(&self) -> bool {
        use pg_query::protobuf::TransactionStmtKind as K;
        matches!(self.node, NodeEnum::TransactionStmt(t) if [K::TransStmtCommit, K::TransStmtRollback, K::TransStmtCommitPrepared, K::TransStmtPrepare]
            .iter()
            .any(|k| *k as i32 == t.kind))
    }

    /// The span of the first occurrence of `needle` (case-insensitive) in the
    /// statement, or the whole statement: a finding points at the words that matter.
    pub fn span_of(&self, needle: &str) -> Range<usize> {
        let lower = self.sql.to_ascii_lowercase();
        match lower.find(&needle.to_ascii_lowercase()) {
            Some(at) => self.span.start + at..self.span.start + at + needle.len(),
            None => self.span.clone(),
        }
    }

    /// Where a finding about `column` points: its name as a whole word, preferably
    /// after the statement's first `(` or the word `COLUMN` (so that a table of the same
    /// name is passed over), or the whole statement.
    pub fn span_of_column(&self, column: &str) -> Range<usize> {
        let lower = self.sql.to_ascii_lowercase();
        let needle = column.to_ascii_lowercase();
        let identifier = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '"');
        let words: Vec<usize> = lower
            .match_indices(&needle)
            .map(|(at, _)| at)
            .filter(|&at| !identifier(lower[..at].chars().next_back()) && !identifier(lower[at + needle.len()..].chars().next()))
            .collect();
        let after_opening = words.iter().find(|&&at| lower[..at].contains('(') || lower[..at].contains("column"));
        match after_opening.or(words.first()) {
            Some(&at) => self.span.start + at..self.span.start + at + needle.len(),
            None => self.span.clone(),
        }
    }
}

/// What a rule reports; the engine adds the rule's code, name and severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub span: Range<usize>,
    /// Leads with the consequence: what is blocked, for how long.
    pub message: String,
    /// The alternative.
    pub help: String,
}

impl Finding {
    pub fn new(span: Range<usize>, message: impl Into<String>, help: impl Into<String>) -> Finding {
        Finding {
            span,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// A lint rule. Most rules look at one statement at a time; some follow a whole unit.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    fn check(&self, _cx: &StatementContext<'_>, _out: &mut Vec<Finding>) {}

    /// For a rule that looks across the statements of a unit: what it keeps while the
    /// unit is read, started afresh for every unit.
    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        None
    }
}

/// A rule's view of one unit, statement by statement. Statements arrive in order and
/// their syntax trees are gone once the next part of the file is read, so a check keeps
/// what it needs, not references.
pub trait UnitCheck: Send {
    /// Every statement of the unit, after the per-statement rules, with what was known
    /// just before it ran.
    fn statement(&mut self, cx: &StatementContext<'_>, out: &mut Vec<Finding>);

    /// The unit has ended.
    fn finish(self: Box<Self>, out: &mut Vec<Finding>);
}
