//! Classification: what each statement does to which relations, as operations of the
//! lock-facts table. The lock modes and costs come from `locks::facts`; this module
//! only reads the statement (and what the history and the file made before it): `create`
//! (tables, views, indexes, functions, statistics), `alter_table` (its subcommands,
//! recursing into partitions, and the other end of foreign keys), `drop`, `rows`
//! (reads and writes of rows, maintenance, locks, privileges), `known` (whether bellows
//! knows a statement's locks at all).

use pg_query::protobuf::{node::Node as N, ObjectType};
use pg_query::NodeEnum;

mod alter_table;
mod create;
mod drop;
mod known;
mod rows;

use super::ast;
use super::state::State;
use crate::locks::{facts, locks_every_row, relation_locks, Cost, LockMode, Op, PgVersion, RelationLock};
use crate::model::QualifiedName;
use alter_table::alter_table;
pub use alter_table::{add_column_constraint, add_constraint, constraint_kind, proven_not_null};
use drop::drop_stmt;
pub use known::locks_known;

/// One operation of a statement on a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub op: Op,
    pub table: QualifiedName,
    /// The table a foreign key points at, or a partition's parent.
    pub referenced: Option<QualifiedName>,
}

impl Action {
    pub fn new(op: Op, table: QualifiedName) -> Action {
        Action { op, table, referenced: None }
    }
}

/// What a statement costs: the locks it takes, and whether it scans or rewrites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub locks: Vec<RelationLock>,
    /// Some relation gets new storage: every row is read and written again.
    pub rewrite: bool,
    /// Some relation's rows are all read (by a scan, or by a rewrite).
    pub scan: bool,
    /// Relations on each of whose rows the statement holds a row lock until commit.
    pub every_row: Vec<QualifiedName>,
}

/// The facts of a statement's actions on PostgreSQL `pg`: one lock per relation, the
/// strongest mode and the highest cost.
pub fn facts_of(actions: &[Action], pg: PgVersion) -> Facts {
    let mut locks: Vec<RelationLock> = Vec::new();
    let mut every_row = Vec::new();
    for action in actions {
        if locks_every_row(action.op) && !every_row.contains(&action.table) {
            every_row.push(action.table.clone());
        }
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
    // A rewrite reads every row of the table it copies.
    let scan = locks.iter().any(|l| matches!(l.cost, Cost::Scan | Cost::Rewrite));
    Facts {
        locks,
        rewrite,
        scan,
        every_row,
    }
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
    let act = Action::new;
    match node {
        NodeEnum::CreateStmt(create) => create::create_table(create, state),
        NodeEnum::CreateTableAsStmt(create) => create::create_table_as(create),
        NodeEnum::ViewStmt(view) => create::create_view(view),
        NodeEnum::IndexStmt(index) => create::create_index(index, state),
        NodeEnum::CreateFunctionStmt(function) => create::create_function(function),
        NodeEnum::CreateStatsStmt(stats) => stats.relations.iter().filter_map(range_var).map(|r| act(Op::ChangeSetting, r)).collect(),
        NodeEnum::AlterTableStmt(alter) => alter_table(alter, state, pg),
        NodeEnum::RenameStmt(rename) => alter_table::rename(rename, state),
        NodeEnum::AlterObjectSchemaStmt(moved) => {
            let relation = [
                ObjectType::ObjectTable,
                ObjectType::ObjectView,
                ObjectType::ObjectMatview,
                ObjectType::ObjectForeignTable,
            ]
            .iter()
            .any(|k| *k as i32 == moved.object_type);
            // SET SCHEMA moves the relation under ACCESS EXCLUSIVE (AlterTableNamespace).
            match moved.relation.as_ref().map(ast::relation) {
                Some(r) if relation => vec![act(Op::ChangeCatalog, r)],
                _ => Vec::new(),
            }
        }
        NodeEnum::AlterDomainStmt(alter) => rows::alter_domain(alter, state),
        NodeEnum::DropStmt(drop) => drop_stmt(drop, state),
        NodeEnum::TruncateStmt(t) => drop::truncate(t, state),
        NodeEnum::CommentStmt(comment) => comment_target(comment).map(|(op, t)| vec![act(op, t)]).unwrap_or_default(),
        NodeEnum::CreatePolicyStmt(policy) => policy.table.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::AlterPolicyStmt(policy) => policy.table.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::RuleStmt(rule) => rule.relation.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::CreateTrigStmt(trigger) => trigger
            .relation
            .as_ref()
            .map(|r| vec![act(Op::CreateTrigger, ast::relation(r))])
            .unwrap_or_default(),
        _ => rows::actions(node, state),
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

/// The lock mode `LOCK TABLE` asks for (`lock.mode` counts from 1, weakest first).
fn lock_mode(mode: i32) -> LockMode {
    LockMode::ALL
        .get(usize::try_from(mode).unwrap_or(8).saturating_sub(1))
        .copied()
        .unwrap_or(LockMode::AccessExclusiveLock)
}
