//! The constraints an `ALTER TABLE` adds, in both forms (`ADD [CONSTRAINT] ...` and a
//! column constraint of `ADD COLUMN`), each with the action the classifier makes of it
//! and its locks from the lock-facts table.

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ConstrType, Constraint};
use pg_query::NodeEnum;

use crate::lint::rule::StatementContext;
use crate::locks::{relation_locks, ConstraintKind, Op, RelationLock};
use crate::migration::classify::{add_column_constraint, add_constraint, Action};
use crate::migration::{ast, track};
use crate::model::QualifiedName;

pub struct Added<'a> {
    pub constraint: &'a Constraint,
    /// The column of a column constraint (`ADD COLUMN org_id bigint REFERENCES orgs`).
    pub column: Option<&'a str>,
    pub action: Action,
}

impl Added<'_> {
    pub fn kind(&self) -> ConstraintKind {
        match self.action.op {
            Op::AddConstraint { kind, .. } => kind,
            _ => unreachable!("invariant: add_constraint makes an AddConstraint action"),
        }
    }

    pub fn table(&self) -> &QualifiedName {
        &self.action.table
    }

    /// Its name, or the one PostgreSQL gives it.
    pub fn name(&self) -> String {
        if self.constraint.conname.is_empty() {
            track::default_name(&self.action.table, self.constraint, self.column)
        } else {
            self.constraint.conname.clone()
        }
    }

    /// The key columns (a foreign key's referencing columns).
    pub fn columns(&self) -> Vec<String> {
        match self.column {
            Some(column) => vec![column.to_string()],
            None if !self.constraint.fk_attrs.is_empty() => ast::names(&self.constraint.fk_attrs),
            None => ast::names(&self.constraint.keys),
        }
    }

    /// The existing index it takes over (`USING INDEX`), in the table's schema.
    pub fn using_index(&self) -> Option<QualifiedName> {
        (!self.constraint.indexname.is_empty()).then(|| self.action.table.sibling(self.constraint.indexname.clone()))
    }

    /// The safe way to add it, for a rule about a validated constraint (`what`: "the
    /// check"): NOT VALID, then VALIDATE CONSTRAINT in a separate transaction under its
    /// weaker lock. A column constraint cannot be NOT VALID: the column comes first.
    pub fn validate_later(&self, cx: &StatementContext<'_>, what: &str) -> String {
        let first = self.column.map(|c| format!("add the column {c} alone, then ")).unwrap_or_default();
        let validate = crate::locks::facts(Op::ValidateConstraint { kind: self.kind() }, cx.pg)[0].mode;
        format!(
            "{first}add {what} with NOT VALID (instant), commit, and run `ALTER TABLE {} VALIDATE CONSTRAINT {}` in a separate transaction: it checks the rows under {validate}, which blocks only {}; `bellows plan --sql FILE` prints the phased plan",
            self.table(),
            self.name(),
            validate.blocks()
        )
    }

    /// Its locks on relations from before the file (the lock-facts table, for `cx.pg`).
    pub fn locks(&self, cx: &StatementContext<'_>) -> Vec<RelationLock> {
        let mut locks = relation_locks(self.action.op, cx.pg, &self.action.table, self.action.referenced.as_ref());
        locks.retain(|l| cx.existing(&l.relation));
        locks.dedup_by(|a, b| a.relation == b.relation);
        locks
    }
}

/// The key columns a primary key must first make NOT NULL, checking every row: those
/// known to be nullable, and those nothing is known about.
#[derive(Debug, Default)]
pub struct NotNullScans {
    pub nullable: Vec<String>,
    pub unknown: Vec<String>,
    /// `USING INDEX` of an index whose columns are unknown.
    pub unknown_index: Option<QualifiedName>,
}

impl NotNullScans {
    pub fn is_empty(&self) -> bool {
        self.nullable.is_empty() && self.unknown.is_empty() && self.unknown_index.is_none()
    }

    /// `account_id, and id (unless it is already NOT NULL)`, for a message.
    pub fn describe(&self) -> String {
        let unknown = match (&self.unknown_index, self.unknown.as_slice()) {
            (Some(index), _) => Some(format!("the columns of {index} (unless they are already NOT NULL)")),
            (None, []) => None,
            (None, [one]) => Some(format!("{one} (unless it is already NOT NULL)")),
            (None, many) => Some(format!("{} (unless they are already NOT NULL)", many.join(", "))),
        };
        match (self.nullable.is_empty(), unknown) {
            (false, Some(unknown)) => format!("{}, and {unknown}", self.nullable.join(", ")),
            (false, None) => self.nullable.join(", "),
            (true, Some(unknown)) => unknown,
            (true, None) => String::new(),
        }
    }

    /// The columns by name, for a help text.
    pub fn columns(&self) -> String {
        match &self.unknown_index {
            Some(index) => format!("the columns of {index}"),
            None => self.nullable.iter().chain(&self.unknown).cloned().collect::<Vec<_>>().join(", "),
        }
    }
}

/// What a primary key's SET NOT NULL of its columns scans on `cx.pg` (none of them when
/// a validated `CHECK (col IS NOT NULL)` proves a column on PostgreSQL 12+).
pub fn primary_key_not_null_scans(cx: &StatementContext<'_>, added: &Added<'_>) -> NotNullScans {
    let table = added.table();
    if added.kind() != ConstraintKind::PrimaryKey || added.column.is_some() {
        // `ADD COLUMN ... PRIMARY KEY` adds a NOT NULL column: no SET NOT NULL of old rows.
        return NotNullScans::default();
    }
    let scans = |column: &str| {
        let proven = crate::migration::classify::proven_not_null(cx.state, table, column);
        crate::locks::facts(Op::SetNotNull { proven }, cx.pg)
            .iter()
            .any(|f| f.cost != crate::locks::Cost::Instant)
    };
    let columns = match added.using_index() {
        Some(index) => match cx.state.index_columns.get(&index) {
            Some(columns) => columns.clone(),
            None => {
                return NotNullScans {
                    unknown_index: Some(index),
                    ..NotNullScans::default()
                }
            }
        },
        None => added.columns(),
    };
    let mut out = NotNullScans::default();
    for column in columns.into_iter().filter(|c| scans(c)) {
        match cx.state.not_null(table, &column) {
            Some(true) => {}
            Some(false) => out.nullable.push(column),
            None => out.unknown.push(column),
        }
    }
    out
}

/// The constraints the statement adds to a table that existed before the file.
pub fn added_to_existing<'a>(cx: &StatementContext<'a>) -> Vec<Added<'a>> {
    let NodeEnum::AlterTableStmt(alter) = cx.node else { return Vec::new() };
    let Some(table) = alter.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    if !cx.existing(&table) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for cmd in ast::commands(alter) {
        match ast::definition(cmd) {
            Some(N::Constraint(c)) if cmd.subtype == At::AtAddConstraint as i32 => out.push(Added {
                constraint: c,
                column: None,
                action: add_constraint(c, &table),
            }),
            Some(N::ColumnDef(def)) if cmd.subtype == At::AtAddColumn as i32 => {
                // The others (NOT NULL, DEFAULT, identity, generated) are column properties.
                let constraints = ast::constraints(&def.constraints).filter(|c| {
                    matches!(
                        ast::constr_type(c),
                        ConstrType::ConstrForeign | ConstrType::ConstrCheck | ConstrType::ConstrUnique | ConstrType::ConstrPrimary
                    )
                });
                out.extend(constraints.map(|c| Added {
                    constraint: c,
                    column: Some(def.colname.as_str()),
                    action: add_column_constraint(c, def, &table),
                }));
            }
            _ => {}
        }
    }
    out
}

/// The span of the first whole-word `keyword` in the statement (`CHECK`, not the `check`
/// of `users_age_check`), or the whole statement.
pub fn keyword_span(cx: &StatementContext<'_>, keyword: &str) -> std::ops::Range<usize> {
    let lower = cx.sql.to_ascii_lowercase();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '"';
    let found = lower.match_indices(&keyword.to_ascii_lowercase()).map(|(at, _)| at).find(|&at| {
        let before = lower[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after = lower[at + keyword.len()..].chars().next().is_none_or(|c| !is_word(c));
        before && after
    });
    match found {
        Some(at) => cx.span.start + at..cx.span.start + at + keyword.len(),
        None => cx.span.clone(),
    }
}
