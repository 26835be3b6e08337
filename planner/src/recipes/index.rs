//! Recipes for indexes and for the constraints backed by one (unique, primary key):
//! every index is built `CONCURRENTLY`, outside a transaction, so writes go on.

use super::constraint::ENFORCED;
use super::not_null::enforced_late;
use super::sql::{create_index, ident_list};
use super::{dotted, guard, precondition, Context, Recipe};
use crate::locks::{ConstraintKind, Op};
use crate::model::{derived_name, quote_ident, Index, IndexKey, PrimaryKey, QualifiedName, Unique};
use crate::step::{Draft, Obj, Phase, StepKind};

/// Builds `index` under `name`, concurrently; returns the step id. A unique index
/// refuses duplicates from the start of its build: the description says so, and the
/// duplicates already there are counted before the plan starts.
pub(super) fn build_index(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, index: &Index, name: &str, phase: Phase) -> String {
    let id = format!("create-index:{}", dotted(t, name));
    let mut description = format!(
        "build {}index {} on {t} concurrently",
        if index.unique { "unique " } else { "" },
        quote_ident(name)
    );
    if index.unique {
        description.push_str(&format!("; {ENFORCED}"));
    }
    let step = r.independent(phase, StepKind::CreateIndexConcurrently, id.clone(), description);
    if let Some((description, sql)) = precondition::duplicates(cx, t, index).filter(|_| index.unique) {
        step.precondition(description, sql);
    }
    // IF NOT EXISTS: run again, the build is skipped once the index is there. An
    // INVALID index left by a failed build must be dropped first (it is in `creates`).
    step.sql(create_index(t, index, name, true))
        .outside_transaction()
        .lock(Op::CreateIndex { concurrently: true }, cx.pg, t, None)
        .undo(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", t.sibling(name).sql()))
        .needs(Obj::Table(t.clone()))
        .creates(Obj::Index(t.sibling(name)));
    for column in index_columns(index) {
        step.needs(Obj::Column(t.clone(), column));
    }
    if let Some(columns) = unique_columns(index) {
        step.creates(Obj::unique_key(t, &columns));
    }
    id
}

/// Columns an index names directly (keys, INCLUDE) and through expressions.
fn index_columns(index: &Index) -> Vec<String> {
    let mut columns: Vec<String> = index
        .keys
        .iter()
        .flat_map(|k| match k {
            IndexKey::Column(c) => vec![c.clone()],
            IndexKey::Expression(e) => e.columns.iter().cloned().collect(),
        })
        .chain(index.include.iter().cloned())
        .chain(index.predicate.iter().flat_map(|p| p.columns.iter().cloned()))
        .collect();
    columns.sort();
    columns.dedup();
    columns
}

/// The key columns of a unique, non-partial index on plain columns: a key that a
/// foreign key may reference.
fn unique_columns(index: &Index) -> Option<Vec<String>> {
    let columns: Vec<String> = index.key_columns().map(str::to_string).collect();
    (index.unique && index.predicate.is_none() && columns.len() == index.keys.len()).then_some(columns)
}

pub fn add_index(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, index: &Index, name: &str) {
    build_index(r, cx, t, index, name, Phase::Expand);
}

pub fn drop_index(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, index: &Index) {
    let step = r.step(
        Phase::Contract,
        StepKind::DropIndexConcurrently,
        format!("drop-index:{}", dotted(t, &index.name)),
        format!("drop index {} concurrently", t.sibling(index.name.clone())),
    );
    drop_index_into(step, cx, t, index);
}

fn drop_index_into(step: &mut Draft, cx: &Context<'_>, t: &QualifiedName, index: &Index) {
    step.sql(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", t.sibling(index.name.clone()).sql()))
        .outside_transaction()
        .lock(Op::DropIndex { concurrently: true }, cx.pg, t, None)
        .drops(Obj::Index(t.sibling(index.name.clone())));
    for column in index_columns(index) {
        step.releases(Obj::Column(t.clone(), column));
    }
    if let Some(columns) = unique_columns(index) {
        step.drops(Obj::unique_key(t, &columns));
    }
}

/// A changed definition: the new index is built beside the old one under a temporary
/// name; contract drops the old one and gives the new one its name.
pub fn replace_index(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, old: &Index, new: &Index) {
    let temporary = derived_name(&[&new.name, "bellows_new"]);
    let build = build_index(r, cx, t, new, &temporary, Phase::Expand);
    let drop = r.independent(
        Phase::Contract,
        StepKind::DropIndexConcurrently,
        format!("drop-index:{}", dotted(t, &old.name)),
        format!("drop the old definition of index {} concurrently", t.sibling(old.name.clone())),
    );
    drop_index_into(drop, cx, t, old);
    let drop_id = drop.id.clone();
    r.independent(
        Phase::Contract,
        StepKind::RenameIndex,
        format!("rename-index:{}", dotted(t, &new.name)),
        format!("rename index {} to {}", quote_ident(&temporary), quote_ident(&new.name)),
    )
    .sql(format!(
        "ALTER INDEX {} RENAME TO {}",
        t.sibling(temporary.clone()).sql(),
        quote_ident(&new.name)
    ))
    .lock(Op::RenameIndex, cx.pg, t, None)
    .guard(guard::relation_exists(&t.sibling(temporary.clone())))
    .after(&build)
    .after(&drop_id);
}

/// Same definition, new name: catalog only (SHARE UPDATE EXCLUSIVE on PostgreSQL 12+).
pub fn rename_index(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, from: &str, to: &str) {
    r.step(
        Phase::Expand,
        StepKind::RenameIndex,
        format!("rename-index:{}", dotted(t, to)),
        format!("rename index {} to {}", t.sibling(from), quote_ident(to)),
    )
    .sql(format!("ALTER INDEX {} RENAME TO {}", t.sibling(from).sql(), quote_ident(to)))
    .lock(Op::RenameIndex, cx.pg, t, None)
    .undo(format!("ALTER INDEX {} RENAME TO {}", t.sibling(to).sql(), quote_ident(from)))
    .guard(guard::relation_exists(&t.sibling(from)))
    .needs(Obj::Table(t.clone()));
}

/// A unique constraint through a concurrently built unique index, attached with
/// `USING INDEX` (catalog only).
pub fn add_unique(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, unique: &Unique, name: &str) {
    let index = Index {
        name: name.to_string(),
        keys: unique.columns.iter().cloned().map(IndexKey::Column).collect(),
        unique: true,
        predicate: None,
        method: None,
        include: Vec::new(),
        options: Vec::new(),
    };
    let build = build_index(r, cx, t, &index, name, Phase::Expand);
    attach(r, cx, t, "UNIQUE", name, name, &unique.columns, Phase::Expand, &build);
}

/// A primary key through a concurrently built unique index. `USING INDEX` would set
/// the columns NOT NULL with a full scan under ACCESS EXCLUSIVE; the NOT NULL recipe
/// runs first, so the attach is catalog only (and waits for the phase where the
/// columns become NOT NULL: backfill, or contract when the old application version may
/// write NULLs until then).
pub fn add_primary_key(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, pk: &PrimaryKey) {
    let index = Index {
        name: pk.name.clone(),
        keys: pk.columns.iter().cloned().map(IndexKey::Column).collect(),
        unique: true,
        predicate: None,
        method: None,
        include: Vec::new(),
        options: Vec::new(),
    };
    let build = build_index(r, cx, t, &index, &pk.name, Phase::Expand);
    let nullable = cx
        .current_table(t)
        .is_some_and(|table| pk.columns.iter().any(|c| table.column(c).is_none_or(|c| c.nullable)));
    let late = cx
        .table(t)
        .is_some_and(|table| pk.columns.iter().filter_map(|c| table.column(c)).any(|c| enforced_late(cx, t, c)));
    let phase = match (late, nullable) {
        (true, _) => Phase::Contract,
        (false, true) => Phase::Backfill,
        (false, false) => Phase::Expand,
    };
    attach(r, cx, t, "PRIMARY KEY", &pk.name, &pk.name, &pk.columns, phase, &build);
    let step = r.steps.last_mut().expect("invariant: attach pushed a step");
    for column in &pk.columns {
        step.needs(Obj::NotNull(t.clone(), column.clone()));
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT name KIND USING INDEX index`.
#[allow(clippy::too_many_arguments)]
pub(super) fn attach(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, kind: &str, name: &str, index: &str, columns: &[String], phase: Phase, after: &str) {
    let constraint = if kind == "UNIQUE" {
        ConstraintKind::Unique
    } else {
        ConstraintKind::PrimaryKey
    };
    r.independent(
        phase,
        StepKind::AddConstraint,
        format!("attach-{}:{}", if kind == "UNIQUE" { "unique" } else { "primary-key" }, dotted(t, name)),
        format!(
            "add {} {} on {t} ({}) using its index",
            kind.to_lowercase(),
            quote_ident(name),
            ident_list(columns)
        ),
    )
    .sql(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
        t.sql(),
        quote_ident(name),
        quote_ident(index)
    ))
    .lock(
        Op::AddConstraint {
            kind: constraint,
            validated: true,
            using_index: true,
        },
        cx.pg,
        t,
        None,
    )
    .undo(format!("ALTER TABLE {} DROP CONSTRAINT {}", t.sql(), quote_ident(name)))
    .guard(guard::constraint_absent(t, name))
    .after(after)
    .creates(Obj::Constraint(t.clone(), name.to_string()))
    .creates(Obj::unique_key(t, columns));
}
