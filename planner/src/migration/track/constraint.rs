//! Constraints as they are made: their kind, columns, what a foreign key references,
//! what a check proves, and the index a key constraint brings; PostgreSQL's default
//! names for them.

use pg_query::protobuf::{ConstrType, Constraint};

use crate::locks::ConstraintKind;
use crate::migration::ast;
use crate::migration::bound;
use crate::migration::classify::constraint_kind;
use crate::migration::state::{KnownConstraint, State};
use crate::model::QualifiedName;

pub(super) fn remember_constraint(state: &mut State, table: &QualifiedName, c: &Constraint, column: Option<&str>, in_transaction: bool) {
    let kind = constraint_kind(c);
    if matches!(
        ast::constr_type(c),
        ConstrType::ConstrNotnull | ConstrType::ConstrNull | ConstrType::ConstrDefault | ConstrType::ConstrIdentity | ConstrType::ConstrGenerated
    ) {
        return;
    }
    let name = if c.conname.is_empty() {
        default_name(table, c, column)
    } else {
        c.conname.clone()
    };
    let references = (kind == ConstraintKind::ForeignKey).then(|| c.pktable.as_ref().map(ast::relation)).flatten();
    let is_check = kind == ConstraintKind::Check;
    let not_null_of = is_check.then(|| ast::not_null_check_column(c)).flatten();
    let bounds = match c.raw_expr.as_deref() {
        Some(expr) if is_check => bound::comparisons(expr),
        _ => Vec::new(),
    };
    let columns = match column {
        Some(column) => vec![column.to_string()],
        None if !c.fk_attrs.is_empty() => ast::names(&c.fk_attrs),
        None => ast::names(&c.keys),
    };
    let known = KnownConstraint {
        kind,
        validated: !c.skip_validation,
        columns,
        references,
        referenced_columns: ast::names(&c.pk_attrs),
        not_null_of,
        bounds,
        added_in_transaction: in_transaction && state.in_transaction,
        added_in_file: true,
    };
    // A primary key or unique constraint makes an index of the same name on the table.
    if matches!(kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion) {
        let index = if c.indexname.is_empty() { name.clone() } else { c.indexname.clone() };
        state.indexes.insert(table.sibling(index), table.clone());
    }
    // A primary key's columns are NOT NULL from then on.
    if kind == ConstraintKind::PrimaryKey {
        let columns = match c.indexname.is_empty() {
            true => known.columns.clone(),
            false => state.index_columns.get(&table.sibling(c.indexname.clone())).cloned().unwrap_or_default(),
        };
        let tables = &mut state.schema.tables;
        for column in columns {
            match tables.get_mut(table).and_then(|t| t.columns.iter_mut().find(|c| c.name == column)) {
                Some(known) => known.nullable = false,
                None => {
                    state.not_null_set.insert((table.clone(), column), true);
                }
            }
        }
    }
    state.constraints.insert((table.clone(), name), known);
}

/// PostgreSQL's default constraint names: `<table>_<column>_fkey`, `_key`, `_check`, `_pkey`.
pub(crate) fn default_name(table: &QualifiedName, c: &Constraint, column: Option<&str>) -> String {
    let columns = if c.fk_attrs.is_empty() {
        ast::names(&c.keys)
    } else {
        ast::names(&c.fk_attrs)
    };
    let first = column.map(str::to_string).or_else(|| columns.first().cloned()).unwrap_or_default();
    let suffix = match constraint_kind(c) {
        ConstraintKind::ForeignKey => "fkey",
        ConstraintKind::PrimaryKey => return format!("{}_pkey", table.name),
        ConstraintKind::Unique => "key",
        ConstraintKind::Exclusion => "excl",
        _ => "check",
    };
    format!("{}_{first}_{suffix}", table.name)
}
