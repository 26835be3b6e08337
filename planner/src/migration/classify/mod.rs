//! Classification: what each statement does to which relations, as operations of the
//! lock-facts table. The lock modes and costs come from `locks::facts`; this module
//! only reads the statement (and what the file created before it).

use pg_query::protobuf::{node::Node as N, ConstrType, Constraint, ObjectType};
use pg_query::NodeEnum;

mod alter_table;
mod drop;

use super::ast;
use super::state::State;
use crate::locks::{facts, relation_locks, ConstraintKind, Cost, LockMode, Op, PgVersion, RelationLock};
use crate::model::QualifiedName;
use alter_table::alter_table;
pub use alter_table::{add_constraint, constraint_kind, proven_not_null};
use drop::{drop_stmt, referencing};

/// One operation of a statement on a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub op: Op,
    pub table: QualifiedName,
    /// The table a foreign key points at, or a partition's parent.
    pub referenced: Option<QualifiedName>,
}

/// What a statement costs: the locks it takes, and whether it scans or rewrites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub locks: Vec<RelationLock>,
    pub rewrite: bool,
    pub scan: bool,
}

/// The facts of a statement's actions on PostgreSQL `pg`: one lock per relation, the
/// strongest mode and the highest cost.
pub fn facts_of(actions: &[Action], pg: PgVersion) -> Facts {
    let mut locks: Vec<RelationLock> = Vec::new();
    for action in actions {
        for lock in relation_locks(action.op, pg, &action.table, action.referenced.as_ref()) {
            match locks.iter_mut().find(|l| l.relation == lock.relation) {
                Some(held) => {
                    held.mode = held.mode.max(lock.mode);
                    held.cost = held.cost.max(lock.cost);
                }
                None => locks.push(lock),
            }
        }
    }
    let rewrite = locks.iter().any(|l| l.cost == Cost::Rewrite);
    let scan = locks.iter().any(|l| l.cost == Cost::Scan);
    Facts { locks, rewrite, scan }
}

/// The relations a statement's actions create.
pub fn creates(actions: &[Action]) -> Vec<QualifiedName> {
    actions
        .iter()
        .filter(|a| matches!(a.op, Op::CreateTable | Op::CreateView))
        .map(|a| a.table.clone())
        .collect()
}

/// The operations of one statement, given what is known before it.
pub fn actions(node: &NodeEnum, state: &State, pg: PgVersion) -> Vec<Action> {
    let act = |op: Op, table: QualifiedName| Action { op, table, referenced: None };
    match node {
        NodeEnum::CreateStmt(create) => {
            let Some(table) = create.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let mut out = vec![act(Op::CreateTable, table.clone())];
            // `LIKE source` reads the source's definition under ACCESS SHARE.
            for like in create.table_elts.iter().filter_map(|e| match &e.node {
                Some(N::TableLikeClause(like)) => like.relation.as_ref().map(ast::relation),
                _ => None,
            }) {
                out.push(act(Op::Read, like));
            }
            if let Some(parent) = create.inh_relations.first().and_then(range_var).filter(|_| create.partbound.is_some()) {
                out.push(act(Op::ChangeCatalog, parent));
            }
            let column_constraints = create.table_elts.iter().filter_map(|e| match &e.node {
                Some(N::ColumnDef(def)) => Some(ast::constraints(&def.constraints).collect::<Vec<_>>()),
                _ => None,
            });
            let all: Vec<&Constraint> = column_constraints
                .flatten()
                .chain(create.table_elts.iter().filter_map(|e| match &e.node {
                    Some(N::Constraint(c)) => Some(c.as_ref()),
                    _ => None,
                }))
                .collect();
            for c in all.into_iter().filter(|c| ast::constr_type(c) == ConstrType::ConstrForeign) {
                if let Some(referenced) = c.pktable.as_ref().map(ast::relation).filter(|r| r != &table) {
                    let op = Op::AddConstraint {
                        kind: ConstraintKind::ForeignKey,
                        validated: false,
                        using_index: false,
                    };
                    out.push(Action {
                        op,
                        table: table.clone(),
                        referenced: Some(referenced),
                    });
                }
            }
            out
        }
        NodeEnum::CreateTableAsStmt(create) => {
            let Some(table) = create.into.as_ref().and_then(|i| i.rel.as_ref()).map(ast::relation) else {
                return Vec::new();
            };
            // The query runs and reads its tables, unless WITH NO DATA; either way they are locked ACCESS SHARE.
            let read = if create.into.as_ref().is_some_and(|i| i.skip_data) {
                Op::Read
            } else {
                Op::ReadAll
            };
            let sources = query_relations(create.query.as_deref());
            std::iter::once(act(Op::CreateTable, table))
                .chain(sources.into_iter().map(|r| act(read, r)))
                .collect()
        }
        NodeEnum::ViewStmt(view) => {
            let Some(name) = view.view.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            // Parse analysis of the view's query locks every table it names ACCESS SHARE.
            let sources = query_relations(view.query.as_deref());
            std::iter::once(act(Op::CreateView, name))
                .chain(sources.into_iter().map(|r| act(Op::Read, r)))
                .collect()
        }
        NodeEnum::IndexStmt(index) => index
            .relation
            .as_ref()
            .map(|r| {
                vec![act(
                    Op::CreateIndex {
                        concurrently: index.concurrent,
                    },
                    ast::relation(r),
                )]
            })
            .unwrap_or_default(),
        NodeEnum::AlterTableStmt(alter) => alter_table(alter, state, pg),
        NodeEnum::RenameStmt(rename) => {
            let index = rename.rename_type == ObjectType::ObjectIndex as i32;
            match rename.relation.as_ref().map(ast::relation) {
                // Renaming an index locks the index only (SHARE UPDATE EXCLUSIVE since PostgreSQL 12), not its table.
                Some(r) if index => vec![act(Op::RenameIndex, r)],
                Some(r) => vec![act(Op::Rename, r)],
                None => Vec::new(),
            }
        }
        NodeEnum::DropStmt(drop) => drop_stmt(drop, state),
        NodeEnum::TruncateStmt(t) => {
            let named: Vec<QualifiedName> = t.relations.iter().filter_map(range_var).collect();
            // CASCADE also truncates the tables whose foreign keys point at a truncated table, under the same lock.
            let cascaded = if t.behavior == pg_query::protobuf::DropBehavior::DropCascade as i32 {
                referencing(state, &named)
            } else {
                Vec::new()
            };
            named.into_iter().chain(cascaded).map(|r| act(Op::Truncate, r)).collect()
        }
        NodeEnum::VacuumStmt(vacuum) => {
            let full = vacuum.options.iter().any(|o| matches!(&o.node, Some(N::DefElem(d)) if d.defname == "full" && !matches!(d.arg.as_deref().and_then(|a| a.node.as_ref()), Some(N::String(s)) if s.sval == "false")));
            let op = if full { Op::VacuumFull } else { Op::Vacuum };
            vacuum
                .rels
                .iter()
                .filter_map(|r| match &r.node {
                    Some(N::VacuumRelation(v)) => v.relation.as_ref().map(ast::relation),
                    _ => None,
                })
                .map(|r| act(op, r))
                .collect()
        }
        NodeEnum::ClusterStmt(cluster) => cluster.relation.as_ref().map(|r| vec![act(Op::Cluster, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::RefreshMatViewStmt(refresh) => {
            let Some(view) = refresh.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            // The view's query runs again and reads the tables it names (known when the file created the view).
            let sources = state.view_sources.get(&view).cloned().unwrap_or_default();
            let refresh = act(
                Op::RefreshMaterializedView {
                    concurrently: refresh.concurrent,
                },
                view,
            );
            std::iter::once(refresh).chain(sources.into_iter().map(|r| act(Op::ReadAll, r))).collect()
        }
        NodeEnum::ReindexStmt(reindex) => {
            let concurrently = reindex
                .params
                .iter()
                .any(|p| matches!(&p.node, Some(N::DefElem(d)) if d.defname == "concurrently"));
            let Some(r) = reindex.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let table = state.indexes.get(&r).cloned().unwrap_or(r);
            vec![act(Op::Reindex { concurrently }, table)]
        }
        NodeEnum::CreateTrigStmt(trigger) => trigger
            .relation
            .as_ref()
            .map(|r| vec![act(Op::CreateTrigger, ast::relation(r))])
            .unwrap_or_default(),
        NodeEnum::LockStmt(lock) => {
            let mode = LockMode::ALL
                .get(usize::try_from(lock.mode).unwrap_or(8).saturating_sub(1))
                .copied()
                .unwrap_or(LockMode::AccessExclusiveLock);
            lock.relations.iter().filter_map(range_var).map(|r| act(Op::LockTable(mode), r)).collect()
        }
        NodeEnum::InsertStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::InsertRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::UpdateStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::WriteRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::DeleteStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::WriteRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::CommentStmt(comment) => comment_target(comment).map(|(op, t)| vec![act(op, t)]).unwrap_or_default(),
        NodeEnum::CreatePolicyStmt(policy) => policy.table.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        // GRANT and REVOKE on tables lock each table ACCESS SHARE from PostgreSQL 18 on.
        NodeEnum::GrantStmt(grant)
            if grant.objtype == ObjectType::ObjectTable as i32 && grant.targtype == pg_query::protobuf::GrantTargetType::AclTargetObject as i32 =>
        {
            grant.objects.iter().filter_map(range_var).map(|r| act(Op::Grant, r)).collect()
        }
        NodeEnum::RuleStmt(rule) => rule.relation.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The relations a query names (`FROM`, joins, subqueries), each once, without the names of its CTEs.
pub fn query_relations(query: Option<&pg_query::protobuf::Node>) -> Vec<QualifiedName> {
    query.and_then(|q| q.node.as_ref()).map(ast::named_relations).unwrap_or_default()
}

fn range_var(node: &pg_query::protobuf::Node) -> Option<QualifiedName> {
    match &node.node {
        Some(N::RangeVar(r)) => Some(ast::relation(r)),
        _ => None,
    }
}

/// The table a `COMMENT` locks, and how: SHARE UPDATE EXCLUSIVE for a table or column, only ACCESS SHARE for a
/// constraint or trigger on it (`get_object_address` locks the table of a constraint or trigger ACCESS SHARE).
fn comment_target(comment: &pg_query::protobuf::CommentStmt) -> Option<(Op, QualifiedName)> {
    let object = comment.object.as_deref()?;
    let list = match &object.node {
        Some(N::List(list)) => &list.items,
        _ => return None,
    };
    let without_last = || ast::dotted(&list[..list.len().saturating_sub(1)]);
    if comment.objtype == ObjectType::ObjectTable as i32 {
        ast::dotted(list).map(|t| (Op::Comment, t))
    } else if comment.objtype == ObjectType::ObjectColumn as i32 {
        without_last().map(|t| (Op::Comment, t))
    } else if comment.objtype == ObjectType::ObjectTabconstraint as i32 || comment.objtype == ObjectType::ObjectTrigger as i32 {
        without_last().map(|t| (Op::Read, t))
    } else {
        None
    }
}

/// True when the fact table says `op` takes a lock that blocks writes.
pub fn blocks_writes(op: Op, pg: PgVersion) -> bool {
    facts(op, pg).iter().any(|f| f.mode.blocks_writes())
}
