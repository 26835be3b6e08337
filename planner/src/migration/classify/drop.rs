//! `DROP` and `TRUNCATE` as operations: what a dropped object's removal locks besides
//! itself (the tables at the other end of its foreign keys, with CASCADE).

use pg_query::protobuf::{node::Node as N, ObjectType};

use super::Action;
use crate::locks::{ConstraintKind, Op};
use crate::migration::ast;
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

/// The known tables, other than `tables`, with a foreign key to one of `tables`.
pub(super) fn referencing(state: &State, tables: &[QualifiedName]) -> Vec<QualifiedName> {
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
