//! Statements about rows and maintenance as operations: reads, inserts, updates and
//! deletes (an `UPDATE` or `DELETE` of every row apart), `VACUUM`, `CLUSTER`, `REINDEX`,
//! `REFRESH MATERIALIZED VIEW`, `LOCK TABLE`, privileges, and `ALTER DOMAIN`, which
//! checks the rows of every table using the domain.

use pg_query::protobuf::{node::Node as N, AlterDomainStmt, GrantTargetType, ObjectType};
use pg_query::NodeEnum;

use super::{lock_mode, range_var, Action};
use crate::locks::Op;
use crate::migration::ast;
use crate::migration::state::State;
use crate::model::QualifiedName;

pub(super) fn actions(node: &NodeEnum, state: &State) -> Vec<Action> {
    let act = Action::new;
    match node {
        NodeEnum::SelectStmt(select) if !select.from_clause.is_empty() || select.with_clause.is_some() => reads(select, node),
        NodeEnum::InsertStmt(s) => {
            let Some(target) = s.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            // `INSERT ... SELECT ... FROM` reads its sources; a list of VALUES (walked only
            // when it names tables, which long data migrations do not) reads nothing.
            let reads_rows = matches!(s.select_stmt.as_deref().and_then(|q| q.node.as_ref()), Some(N::SelectStmt(q)) if !q.from_clause.is_empty() || q.with_clause.is_some());
            let sources = match s.select_stmt.as_deref().and_then(|q| q.node.as_ref()) {
                Some(q @ N::SelectStmt(select)) if reads_rows => reads(select, q),
                _ => Vec::new(),
            };
            let target = act(Op::InsertRows, target);
            std::iter::once(target.clone())
                .chain(sources.into_iter().filter(|a| a.table != target.table))
                .collect()
        }
        NodeEnum::UpdateStmt(s) => {
            let Some(target) = s.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let op = if s.where_clause.is_none() { Op::WriteEveryRow } else { Op::WriteRows };
            let read = !s.from_clause.is_empty() || s.with_clause.is_some() || s.where_clause.is_some();
            others(act(op, target), if read { ast::named_relations(node) } else { Vec::new() })
        }
        NodeEnum::DeleteStmt(s) => {
            let Some(target) = s.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let op = if s.where_clause.is_none() { Op::WriteEveryRow } else { Op::WriteRows };
            let read = !s.using_clause.is_empty() || s.with_clause.is_some() || s.where_clause.is_some();
            others(act(op, target), if read { ast::named_relations(node) } else { Vec::new() })
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
            // The view's query runs again and reads the tables it names (known when the history or the file created the view).
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
        NodeEnum::LockStmt(lock) => {
            let mode = lock_mode(lock.mode);
            lock.relations.iter().filter_map(range_var).map(|r| act(Op::LockTable(mode), r)).collect()
        }
        // GRANT and REVOKE on tables lock each table ACCESS SHARE from PostgreSQL 18 on.
        NodeEnum::GrantStmt(grant) if grant.objtype == ObjectType::ObjectTable as i32 && grant.targtype == GrantTargetType::AclTargetObject as i32 => {
            grant.objects.iter().filter_map(range_var).map(|r| act(Op::Grant, r)).collect()
        }
        _ => Vec::new(),
    }
}

/// What a query reads: every row of the tables of its `FROM` when it has neither a
/// `WHERE` nor a `LIMIT` (the plan can only scan them), the other tables it names
/// without knowing how much.
fn reads(select: &pg_query::protobuf::SelectStmt, node: &NodeEnum) -> Vec<Action> {
    let whole = select.where_clause.is_none() && select.limit_count.is_none();
    let scanned: Vec<QualifiedName> = if whole {
        select.from_clause.iter().filter_map(range_var).collect()
    } else {
        Vec::new()
    };
    ast::named_relations(node)
        .into_iter()
        .map(|r| Action::new(if scanned.contains(&r) { Op::ReadAll } else { Op::Read }, r))
        .collect()
}

/// The action on the target, then reads of the other relations the statement names.
fn others(target: Action, named: Vec<QualifiedName>) -> Vec<Action> {
    let reads: Vec<Action> = named.into_iter().filter(|r| r != &target.table).map(|r| Action::new(Op::Read, r)).collect();
    std::iter::once(target).chain(reads).collect()
}

/// `ALTER DOMAIN`: adding a validated constraint, `SET NOT NULL` and `VALIDATE
/// CONSTRAINT` check the value of every column of the domain, in every table that has
/// one; the other forms change only the catalog.
pub(super) fn alter_domain(alter: &AlterDomainStmt, state: &State) -> Vec<Action> {
    if !checks_rows(alter) {
        return Vec::new();
    }
    let Some(domain) = ast::dotted(&alter.type_name) else { return Vec::new() };
    state
        .tables_using_domain(&domain)
        .into_iter()
        .map(|t| Action::new(Op::CheckDomain, t))
        .collect()
}

/// `ADD CONSTRAINT` without `NOT VALID`, `SET NOT NULL`, `VALIDATE CONSTRAINT`.
pub(super) fn checks_rows(alter: &AlterDomainStmt) -> bool {
    match alter.subtype.as_str() {
        "C" => !matches!(alter.def.as_deref().and_then(|d| d.node.as_ref()), Some(N::Constraint(c)) if c.skip_validation),
        "O" | "V" => true,
        _ => false,
    }
}
