//! A whole-table `UPDATE` or `DELETE` (no WHERE, or one that is not a lookup by the
//! primary key or unique NOT NULL key) holds a row lock on every row it changes until it commits, so the
//! application's writes to those rows wait, and it is one huge transaction. Where its
//! shape allows, it runs instead as keyset batches over that key, each in its
//! own short transaction (the executor's `Backfill` contract). A batch run twice must
//! do nothing the second time: its `pending` predicate is the statement's WHERE and,
//! for an UPDATE, "some assigned column differs from its new value", so an UPDATE whose
//! new values read the columns it writes (`SET n = n + 1`) or are volatile cannot be
//! batched, and is kept as written with the reason.

use pg_query::protobuf::{node::Node as N, AExprKind, BoolExprType, Node};
use pg_query::{NodeEnum, NodeRef};

use crate::locks::{Op, PgVersion};
use crate::model::{quote_ident, QualifiedName, Schema};
use crate::recipes::sql::batch_update;
use crate::sql::expr_from_node;
use crate::step::{Backfill, Draft, KeyColumn, Phase, Step, StepKind};

/// What becomes of a data-changing statement.
pub(super) enum Batching {
    /// Not a whole-table change (a key lookup, or not an UPDATE/DELETE): as written.
    NotWholeTable,
    /// A whole-table change that cannot be batched, and why.
    Kept(String),
    Batched(Box<Draft>),
}

pub(super) struct Where<'a> {
    pub schema: &'a Schema,
    pub created: &'a [QualifiedName],
    pub pg: PgVersion,
    pub batch_size: u32,
    pub id: String,
    pub line: usize,
}

pub(super) fn batching(node: &NodeEnum, at: &Where<'_>) -> Batching {
    let (verb, relation, condition, extra) = match node {
        NodeEnum::UpdateStmt(u) => (
            "UPDATE",
            u.relation.as_ref(),
            u.where_clause.as_deref(),
            u.with_clause.is_some() || !u.from_clause.is_empty() || u.returning_clause.as_ref().is_some_and(|r| !r.exprs.is_empty()),
        ),
        NodeEnum::DeleteStmt(d) => (
            "DELETE",
            d.relation.as_ref(),
            d.where_clause.as_deref(),
            d.with_clause.is_some() || !d.using_clause.is_empty() || d.returning_clause.as_ref().is_some_and(|r| !r.exprs.is_empty()),
        ),
        _ => return Batching::NotWholeTable,
    };
    let Some(relation) = relation else { return Batching::NotWholeTable };
    let table_name = crate::migration::ast::relation(relation);
    if at.created.contains(&table_name) {
        return Batching::NotWholeTable;
    }
    let key = at.schema.tables.get(&table_name).and_then(|t| Some((t, t.batch_key()?)));
    if let (Some((_, key)), Some(condition)) = (&key, condition) {
        if looks_up(condition, key) {
            return Batching::NotWholeTable;
        }
    }
    let Some((table, key)) = key else {
        return Batching::Kept(format!(
            "a whole-table {verb}, not batched: no key of {table_name} is known (a primary key, or a unique key of NOT NULL columns; give --from)"
        ));
    };
    let refuse = |why: &str| Batching::Kept(format!("a whole-table {verb}, not batched: {why}"));
    if extra {
        return refuse("it has a WITH, FROM, USING or RETURNING clause");
    }
    if node.nodes().iter().any(|(n, ..)| matches!(n, NodeRef::SubLink(_))) {
        return refuse("it has a subquery, which would see the batches before it");
    }
    let qualified = node.nodes().iter().any(|(n, ..)| matches!(n, NodeRef::ColumnRef(c) if c.fields.len() > 1));
    if qualified {
        return refuse("it names columns with their table or alias");
    }
    let filter = match condition.map(expr_from_node) {
        None => None,
        Some(Some(e)) if !e.volatile => Some(e.text),
        Some(_) => return refuse("its WHERE calls a function that may be volatile"),
    };
    let mut assignments = Vec::new();
    let mut differs = Vec::new();
    if let NodeEnum::UpdateStmt(update) = node {
        let mut written = Vec::new();
        let mut values = Vec::new();
        for target in &update.target_list {
            let Some(N::ResTarget(target)) = &target.node else {
                return refuse("it has an assignment bellows cannot read");
            };
            let value = target.val.as_deref().filter(|_| target.indirection.is_empty()).and_then(expr_from_node);
            let Some(value) = value else {
                return refuse("it assigns to a part of a column, or several columns at once");
            };
            if key.contains(&target.name) {
                return refuse("it changes the key that batches are ordered by");
            }
            written.push(target.name.clone());
            values.push(value);
        }
        for (column, value) in written.iter().zip(&values) {
            if value.volatile {
                return refuse(&format!(
                    "the new value of {} may be volatile, so a batch run again would change it again",
                    quote_ident(column)
                ));
            }
            if let Some(read) = written.iter().find(|w| value.columns.contains(*w)) {
                return refuse(&format!(
                    "the new value of {} reads {}, which it writes, so a batch run again would apply it twice",
                    quote_ident(column),
                    quote_ident(read)
                ));
            }
            let c = quote_ident(column);
            assignments.push(format!("{c} = {}", value.text));
            differs.push(format!("t.{c} IS DISTINCT FROM ({})", value.text));
        }
    }
    let pending = match (&filter, differs.is_empty()) {
        (Some(f), true) => format!("({f})"),
        (Some(f), false) => format!("({f}) AND ({})", differs.join(" OR ")),
        (None, true) => "true".to_string(),
        (None, false) => differs.join(" OR "),
    };
    let typed: Vec<(String, String)> = key
        .iter()
        .map(|k| (k.clone(), table.column(k).map_or_else(|| "text".to_string(), |c| c.ty.sql())))
        .collect();
    let (update_sql, bound_sql) = batch_update(&table.name, &typed, &assignments.join(", "), &pending);
    let batch_sql = if assignments.is_empty() {
        batch_delete(&table.name, &typed, &pending)
    } else {
        update_sql
    };
    let step = Step::new(
        at.id.clone(),
        StepKind::Backfill,
        Phase::Expand,
        format!(
            "{verb} at line {} in batches of {} over the {} of {} (as one statement it would lock every row it changes until it commits)",
            at.line,
            at.batch_size,
            if table.primary_key.is_some() { "primary key" } else { "unique key" },
            table.name
        ),
    );
    let mut draft = Draft::from(step);
    draft
        .batched(Backfill {
            table: table.name.clone(),
            key: typed
                .iter()
                .map(|(name, ty)| KeyColumn {
                    name: name.clone(),
                    ty: ty.clone(),
                })
                .collect(),
            batch_size: at.batch_size,
            batch_sql,
            bound_sql,
            pending,
        })
        .lock(Op::UpdateRows, at.pg, &table.name, None)
        .irreversible(format!("the {verb} changes rows; bellows keeps no copy of them"))
        .needs(crate::step::Obj::Table(table.name.clone()));
    Batching::Batched(Box::new(draft))
}

/// A batch of a keyset-batched `DELETE` of the rows where `pending` holds, with the
/// parameters and result of `batch_update`'s batches.
fn batch_delete(table: &QualifiedName, key: &[(String, String)], pending: &str) -> String {
    let (update, _) = batch_update(table, key, "bellows_unused = NULL", pending);
    // The same batch, with the UPDATE replaced by a DELETE of the batch's rows.
    let start = update.find("updated AS (UPDATE").expect("invariant: batch_update writes an updated CTE");
    let join_at = update[start..]
        .find(" FROM edge WHERE ")
        .expect("invariant: the update joins the batch's last row")
        + start;
    let end = update[join_at..].find(" RETURNING 1)").expect("invariant: the update returns 1") + join_at;
    let condition = &update[join_at + " FROM edge WHERE ".len()..end];
    format!(
        "{}updated AS (DELETE FROM {} AS t USING edge WHERE {condition} RETURNING 1){}",
        &update[..start],
        table.sql(),
        &update[end + " RETURNING 1)".len()..]
    )
}

/// True when `condition` pins every column of `key` to a value or list (`id = $1`,
/// `id IN (1, 2)`), alone or ANDed with more: a lookup, not a whole-table change.
fn looks_up(condition: &Node, key: &[String]) -> bool {
    let mut pinned = Vec::new();
    let mut pending = vec![condition];
    while let Some(node) = pending.pop() {
        match &node.node {
            Some(N::BoolExpr(b)) if b.boolop == BoolExprType::AndExpr as i32 => pending.extend(b.args.iter()),
            Some(N::AExpr(e)) => {
                let kind = AExprKind::try_from(e.kind).unwrap_or(AExprKind::Undefined);
                let equals = kind == AExprKind::AexprOp && crate::migration::ast::names(&e.name) == ["="];
                let column = |side: Option<&Node>| match side.and_then(|s| s.node.as_ref()) {
                    Some(N::ColumnRef(c)) => crate::migration::ast::names(&c.fields).pop(),
                    _ => None,
                };
                // One side a key column, the other a value (not another column).
                match (column(e.lexpr.as_deref()), column(e.rexpr.as_deref())) {
                    (Some(c), None) | (None, Some(c)) if equals || kind == AExprKind::AexprIn => pinned.push(c),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    key.iter().all(|k| pinned.contains(k))
}
