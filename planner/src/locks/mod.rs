//! Lock facts: what PostgreSQL locks for each operation, per major version. One table,
//! shared by the planner and the linter.

mod facts;
mod mode;
mod op;
mod type_change;

pub use facts::{facts, index_lock, locks_every_row, Fact, Role};
pub use mode::{Cost, LockMode, PgVersion, RelationLock};
pub use op::{AddColumn, ConstraintKind, DefaultKind, Op};
pub use type_change::{may_skip_rewrite_to, type_change_rewrites, type_change_rewrites_in_session};

use crate::model::QualifiedName;

/// The locks of `op` on concrete relations: `target` for the statement's own table,
/// `referenced` for the table a foreign key points at (facts about it are dropped when
/// there is none).
pub fn relation_locks(op: Op, pg: PgVersion, target: &QualifiedName, referenced: Option<&QualifiedName>) -> Vec<RelationLock> {
    facts(op, pg)
        .into_iter()
        .filter_map(|fact| {
            let relation = match fact.role {
                Role::Target => target,
                Role::Referenced => referenced?,
            };
            Some(RelationLock {
                relation: relation.clone(),
                mode: fact.mode,
                cost: fact.cost,
            })
        })
        .collect()
}
