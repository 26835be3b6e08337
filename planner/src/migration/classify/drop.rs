//! `DROP` and `TRUNCATE` as operations: what a dropped object's removal locks besides
//! itself (the tables at the other end of its foreign keys, with CASCADE; a partition's
//! parent and the parent's default partition).

use pg_query::protobuf::{node::Node as N, ObjectType};

use super::{range_var, Action};
use crate::locks::{ConstraintKind, Op};
use crate::migration::ast;
use crate::migration::state::ChildKind;
use crate::migration::state::State;
use crate::model::QualifiedName;

pub(super) fn drop_stmt(drop: &pg_query::protobuf::DropStmt, state: &State) -> Vec<Action> {
    let kind = ObjectType::try_from(drop.remove_type).unwrap_or(ObjectType::Undefined);
    if matches!(kind, ObjectType::ObjectTrigger | ObjectType::ObjectRule | ObjectType::ObjectPolicy) {
        // `DROP TRIGGER name ON table`: the object is `[schema.]table.name`. Removing a trigger (and a rule or a
        // policy) takes ACCESS EXCLUSIVE on its table (RemoveTriggerById).
        let op = if kind == ObjectType::ObjectTrigger {
            Op::DropTrigger
        } else {
            Op::ChangeCatalog
        };
        return drop
            .objects
            .iter()
            .filter_map(|o| match &o.node {
                Some(N::List(list)) => ast::dotted(&list.items[..list.items.len().saturating_sub(1)]),
                _ => None,
            })
            .map(|table| Action { op, table, referenced: None })
            .collect();
    }
    let objects: Vec<QualifiedName> = drop
        .objects
        .iter()
        .filter_map(|o| match &o.node {
            Some(N::List(list)) => ast::dotted(&list.items),
            Some(N::String(s)) => Some(QualifiedName::new("public", s.sval.clone())),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if drop.behavior == pg_query::protobuf::DropBehavior::DropCascade as i32 && kind == ObjectType::ObjectTable {
        // CASCADE drops the foreign keys that point at a dropped table, which locks their tables ACCESS EXCLUSIVE.
        for table in referencing(state, &objects) {
            out.push(Action {
                op: Op::DropConstraint {
                    kind: ConstraintKind::ForeignKey,
                },
                table,
                referenced: None,
            });
        }
    }
    for name in objects {
        match kind {
            ObjectType::ObjectTable | ObjectType::ObjectForeignTable => {
                out.push(Action {
                    op: Op::DropTable,
                    table: name.clone(),
                    referenced: None,
                });
                // Its partitions go with it.
                out.extend(state.descendants(&name).into_iter().map(|child| Action::new(Op::DropTable, child)));
                // A partition leaves its parent's partition descriptor: the parent, and its default
                // partition whose constraint changes, are locked ACCESS EXCLUSIVE.
                if let Some((parent, kind)) = state.parent_of(&name).filter(|(_, k)| *k != ChildKind::Inherits) {
                    out.push(Action {
                        op: Op::DropTable,
                        table: name.clone(),
                        referenced: Some(parent.clone()),
                    });
                    if let Some(default) = state.default_partition(parent).filter(|_| kind == ChildKind::Partition) {
                        out.push(Action::new(Op::DefaultPartition { scan: false }, default.clone()));
                    }
                }
                // The foreign keys of the dropped table lose their triggers on the tables they reference.
                for known in state
                    .constraints
                    .iter()
                    .filter(|((t, _), c)| t == &name && c.references.as_ref().is_some_and(|r| r != &name))
                {
                    out.push(Action {
                        op: Op::DropTable,
                        table: name.clone(),
                        referenced: known.1.references.clone(),
                    });
                }
            }
            ObjectType::ObjectIndex => {
                let table = state.indexes.get(&name).cloned().unwrap_or(name);
                out.push(Action {
                    op: Op::DropIndex { concurrently: drop.concurrent },
                    table,
                    referenced: None,
                });
            }
            ObjectType::ObjectView | ObjectType::ObjectMatview => out.push(Action {
                op: Op::DropView,
                table: name,
                referenced: None,
            }),
            _ => {}
        }
    }
    out
}

pub(super) fn truncate(t: &pg_query::protobuf::TruncateStmt, state: &State) -> Vec<Action> {
    let named: Vec<QualifiedName> = t.relations.iter().filter_map(range_var).collect();
    // CASCADE also truncates the tables whose foreign keys point at a truncated table, under the same lock.
    let cascaded = if t.behavior == pg_query::protobuf::DropBehavior::DropCascade as i32 {
        referencing(state, &named)
    } else {
        Vec::new()
    };
    named.into_iter().chain(cascaded).map(|r| Action::new(Op::Truncate, r)).collect()
}

/// The known tables, other than `tables`, with a foreign key to one of `tables`.
fn referencing(state: &State, tables: &[QualifiedName]) -> Vec<QualifiedName> {
    let mut out: Vec<QualifiedName> = Vec::new();
    for ((table, _), _) in state
        .constraints
        .iter()
        .filter(|((t, _), c)| !tables.contains(t) && c.references.as_ref().is_some_and(|r| tables.contains(r)))
    {
        if !out.contains(table) {
            out.push(table.clone());
        }
    }
    out
}
