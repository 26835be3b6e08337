//! The other end of a foreign key: a column type change re-adds the constraints on the
//! column (locking the table at the other end ACCESS EXCLUSIVE, and checking them again
//! when the values change), and dropping a column drops them.

use pg_query::protobuf::DropBehavior;

use crate::locks::{ConstraintKind, Op};
use crate::migration::classify::Action;
use crate::migration::state::{KnownConstraint, State};
use crate::model::QualifiedName;

/// The known foreign keys that involve `table.column`: on it (referencing) or pointing at
/// it (referenced; a foreign key without a column list points at the primary key).
fn involving<'a>(state: &'a State, table: &'a QualifiedName, column: &'a str) -> impl Iterator<Item = (&'a QualifiedName, &'a KnownConstraint, bool)> {
    state.constraints.iter().filter_map(move |((t, _), c)| {
        if c.kind != ConstraintKind::ForeignKey {
            return None;
        }
        let referenced = c.references.as_ref()?;
        if t == table && c.columns.iter().any(|k| k == column) {
            return Some((referenced, c, true));
        }
        if referenced != table {
            return None;
        }
        let points_at = match c.referenced_columns.is_empty() {
            true => primary_key(state, referenced).iter().any(|k| k == column),
            false => c.referenced_columns.iter().any(|k| k == column),
        };
        points_at.then_some((t, c, false))
    })
}

/// The primary key of `table`: a look-up among its own constraints, not a pass over all.
fn primary_key<'a>(state: &'a State, table: &QualifiedName) -> &'a [String] {
    state
        .constraints
        .range((table.clone(), String::new())..)
        .take_while(|((t, _), _)| t == table)
        .find(|(_, c)| c.kind == ConstraintKind::PrimaryKey)
        .map_or(&[], |(_, c)| c.columns.as_slice())
}

/// `ALTER COLUMN ... TYPE` of `table.column`: the tables at the other end of its foreign keys.
pub(super) fn rebuilt_with_type(state: &State, table: &QualifiedName, column: &str, rewrite: bool) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for (other, _, _) in involving(state, table, column) {
        if other != table && !out.iter().any(|a| &a.table == other) {
            out.push(Action::new(Op::RebuildForeignKey { revalidate: rewrite }, other.clone()));
        }
    }
    out
}

/// `DROP COLUMN`: the foreign keys on the column go with it, and with CASCADE those that
/// point at it; each unhooks its triggers from the table at the other end.
pub(super) fn dropped_with_column(state: &State, table: &QualifiedName, column: &str, behavior: i32) -> Vec<Action> {
    let cascade = behavior == DropBehavior::DropCascade as i32;
    let fk = Op::DropConstraint {
        kind: ConstraintKind::ForeignKey,
    };
    involving(state, table, column)
        .filter(|(other, _, on_column)| *other != table && (*on_column || cascade))
        .map(|(other, _, _)| Action::new(fk, other.clone()))
        .collect()
}
