//! `CREATE TABLE` (with its partition parent, inheritance parents and foreign keys),
//! `CREATE TABLE AS`, `CREATE VIEW`, `CREATE INDEX` (on every partition of a
//! partitioned table) and `CREATE FUNCTION` (whose SQL body is analysed at once) as
//! operations.

use pg_query::protobuf::{node::Node as N, ConstrType, Constraint, CreateFunctionStmt, CreateStmt, CreateTableAsStmt, IndexStmt, ViewStmt};

use super::{query_relations, range_var, Action};
use crate::locks::{ConstraintKind, Op};
use crate::migration::ast;
use crate::migration::state::State;
use crate::model::QualifiedName;

pub(super) fn create_table(create: &CreateStmt, state: &State) -> Vec<Action> {
    let Some(table) = create.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    if create.if_not_exists && (state.schema.tables.contains_key(&table) || state.storage.contains_key(&table)) {
        // The table is there: PostgreSQL notices and does nothing.
        return Vec::new();
    }
    let mut out = vec![Action::new(Op::CreateTable, table.clone())];
    // `LIKE source` reads the source's definition under ACCESS SHARE.
    for like in create.table_elts.iter().filter_map(|e| match &e.node {
        Some(N::TableLikeClause(like)) => like.relation.as_ref().map(ast::relation),
        _ => None,
    }) {
        out.push(Action::new(Op::Read, like));
    }
    let parents: Vec<QualifiedName> = create.inh_relations.iter().filter_map(range_var).collect();
    match &create.partbound {
        // A new partition locks its parent ACCESS EXCLUSIVE, and the parent's default
        // partition, whose rows are checked against the new bound.
        Some(bound) => {
            for parent in parents {
                if !bound.is_default {
                    if let Some(default) = state.default_partition(&parent) {
                        out.push(Action::new(Op::DefaultPartition { scan: true }, default.clone()));
                    }
                }
                out.push(Action::new(Op::ChangeCatalog, parent));
            }
        }
        None => out.extend(parents.into_iter().map(|parent| Action {
            op: Op::AddInherit,
            table: table.clone(),
            referenced: Some(parent),
        })),
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

pub(super) fn create_table_as(create: &CreateTableAsStmt) -> Vec<Action> {
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
    std::iter::once(Action::new(Op::CreateTable, table))
        .chain(sources.into_iter().map(|r| Action::new(read, r)))
        .collect()
}

pub(super) fn create_view(view: &ViewStmt) -> Vec<Action> {
    let Some(name) = view.view.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    // Parse analysis of the view's query locks every table it names ACCESS SHARE.
    let sources = query_relations(view.query.as_deref());
    std::iter::once(Action::new(Op::CreateView, name))
        .chain(sources.into_iter().map(|r| Action::new(Op::Read, r)))
        .collect()
}

pub(super) fn create_index(index: &IndexStmt, state: &State) -> Vec<Action> {
    let Some(table) = index.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    let concurrently = index.concurrent;
    if index.if_not_exists && !index.idxname.is_empty() && state.indexes.contains_key(&table.sibling(index.idxname.clone())) {
        return vec![Action::new(Op::IndexWithoutBuild { concurrently }, table)];
    }
    let op = Op::CreateIndex { concurrently };
    if !state.partition_keys.contains_key(&table) {
        return vec![Action::new(op, table)];
    }
    // A partitioned table has no rows; without ONLY the index is built on every partition.
    let partitions = match index.relation.as_ref() {
        Some(r) if r.inh => state.descendants(&table),
        _ => Vec::new(),
    };
    std::iter::once(Action::new(Op::IndexWithoutBuild { concurrently }, table))
        .chain(partitions.into_iter().map(|t| Action::new(op, t)))
        .collect()
}

/// `CREATE FUNCTION`: a body in SQL (`LANGUAGE sql` or `BEGIN ATOMIC`) is parsed and
/// analysed when the function is created (`check_function_bodies`, on by default), which
/// locks the tables it names ACCESS SHARE; other languages' bodies are not analysed.
pub(super) fn create_function(function: &CreateFunctionStmt) -> Vec<Action> {
    let relations = match function.sql_body.as_deref().and_then(|b| b.node.as_ref()) {
        Some(body) => ast::named_relations(body),
        None => {
            let option = |name: &str| {
                function.options.iter().find_map(|o| match &o.node {
                    Some(N::DefElem(d)) if d.defname == name => d.arg.as_deref(),
                    _ => None,
                })
            };
            let sql = option("language")
                .and_then(crate::sql::string_value)
                .is_some_and(|l| l.eq_ignore_ascii_case("sql"));
            let body = option("as").and_then(|a| match &a.node {
                Some(N::List(list)) => list.items.first().and_then(crate::sql::string_value),
                _ => crate::sql::string_value(a),
            });
            match body.filter(|_| sql) {
                Some(body) => pg_query::parse(&body, 0)
                    .map(|tree| {
                        tree.protobuf
                            .stmts
                            .iter()
                            .filter_map(|s| s.stmt.as_ref()?.node.as_ref())
                            .flat_map(ast::named_relations)
                            .collect()
                    })
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        }
    };
    let mut out: Vec<Action> = Vec::new();
    for relation in relations {
        if !out.iter().any(|a| a.table == relation) {
            out.push(Action::new(Op::Read, relation));
        }
    }
    out
}
