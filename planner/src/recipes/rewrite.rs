//! Changes that would rewrite or break a busy table, done beside it instead: a new
//! column, triggers that keep old and new in sync both ways, a batched copy, and a
//! short swap in contract. Used for type changes that rewrite, and for renames (a
//! plain `RENAME COLUMN` would break the running application version).

use super::fill::{batched_update, create_trigger, drop_trigger};
use super::index::build_index;
use super::not_null::{not_null_via_check, NotNull};
use super::precondition;
use super::sql::column_definition;
use super::trigger::{self, TriggerNames};
use super::{dotted, guard, Context, Recipe};
use crate::error::PlanError;
use crate::locks::{type_change_rewrites, AddColumn, Op};
use crate::model::{derived_name, quote_ident, Column, Index, IndexKey, QualifiedName, SqlType, Table};
use crate::step::{DbObject, Obj, Phase, StepKind};

/// A conversion that maps distinct values to distinct values (an integer widened), so a
/// unique key rebuilt on the new column cannot meet duplicates the old one had not.
fn injective(from: &SqlType, to: &SqlType, column: &Column) -> bool {
    const WIDER: &[(&str, &[&str])] = &[("int2", &["int4", "int8", "numeric"]), ("int4", &["int8", "numeric"]), ("int8", &["numeric"])];
    let (Some(from), Some(to)) = (from.builtin_name(), to.builtin_name()) else {
        return false;
    };
    column.using.is_none() && WIDER.iter().any(|(f, wider)| *f == from && wider.contains(&to))
}

pub fn alter_type(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &Column, from: &SqlType) -> Result<(), PlanError> {
    let c = quote_ident(&column.name);
    if column.using.is_none() && !type_change_rewrites(from, &column.ty, cx.pg) {
        r.step(
            Phase::Expand,
            StepKind::AlterType,
            format!("alter-type:{}", dotted(t, &column.name)),
            format!("change the type of {t}.{c} from {from} to {} (no rewrite)", column.ty),
        )
        .sql(format!("ALTER TABLE {} ALTER COLUMN {c} TYPE {}", t.sql(), column.ty.sql()))
        .lock(Op::AlterColumnType { rewrite: false }, cx.pg, t, None)
        .undo(format!("ALTER TABLE {} ALTER COLUMN {c} TYPE {from}", t.sql()))
        .needs(Obj::Column(t.clone(), column.name.clone()));
        return Ok(());
    }
    let table = cx
        .table(t)
        .ok_or_else(|| PlanError::refused(t, "the table is not in the desired schema", "declare it"))?;
    refuse_unsupported(cx, table, column)?;
    let key = batch_key(cx, table, &column.name)?;
    let temporary = derived_name(&[&column.name, "bellows_new"]);
    let to_new = column.using.as_ref().map_or_else(|| format!("{c}::{}", column.ty.sql()), |u| u.text.clone());
    let to_old = format!("{}::{}", quote_ident(&temporary), from.sql());
    let target = Column {
        name: temporary.clone(),
        ..column.clone()
    };
    let description = format!("{t}.{c} from {from} to {}", column.ty);
    let names = TriggerNames::new("sync", t, &column.name);
    // Until the swap, the column still has its old type: the script run again after the
    // swap must neither convert the converted values again nor swap again.
    let unconverted = guard::column_of_type(t, &column.name, from);
    let shadow = Shadow {
        source: &column.name,
        target: &target,
        desired: column,
        conversions: (&to_new, &to_old),
        unconverted: &unconverted,
    };
    shadow_column(r, cx, t, &key, &shadow, &names, &description)?;
    let counted = !injective(from, &column.ty, column);
    // Indexes and key constraints on the column are rebuilt on the new one; contract
    // gives them back their names.
    let mut swap: Vec<String> = vec![
        format!("ALTER TABLE {} DROP COLUMN {c}", t.sql()),
        format!("ALTER TABLE {} RENAME COLUMN {} TO {c}", t.sql(), quote_ident(&temporary)),
    ];
    let mut ready = Vec::new();
    for index in table.indexes.iter().filter(|i| i.mentions(&column.name)) {
        let copy_name = derived_name(&[&index.name, "bellows_new"]);
        ready.push(build_index(
            r,
            cx,
            t,
            &index.with_column_renamed(&column.name, &temporary),
            &copy_name,
            Phase::Backfill,
        ));
        count_duplicates(r, cx, t, index, counted);
        swap.push(format!("ALTER INDEX {} RENAME TO {}", t.sibling(copy_name).sql(), quote_ident(&index.name)));
    }
    let keys = table
        .primary_key
        .iter()
        .map(|pk| ("PRIMARY KEY", &pk.name, &pk.columns))
        .chain(table.uniques.iter().map(|u| ("UNIQUE", &u.name, &u.columns)));
    for (kind, name, columns) in keys.filter(|(_, _, cols)| cols.contains(&column.name)) {
        let copy_name = derived_name(&[name, "bellows_new"]);
        let index = Index {
            name: copy_name.clone(),
            keys: columns.iter().cloned().map(IndexKey::Column).collect(),
            unique: true,
            predicate: None,
            method: None,
            include: Vec::new(),
            options: Vec::new(),
        };
        ready.push(build_index(
            r,
            cx,
            t,
            &index.with_column_renamed(&column.name, &temporary),
            &copy_name,
            Phase::Backfill,
        ));
        count_duplicates(r, cx, t, &index, counted);
        swap.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
            t.sql(),
            quote_ident(name),
            quote_ident(&copy_name)
        ));
    }
    for fk in table.foreign_keys.iter().filter(|fk| fk.columns.contains(&column.name)) {
        let copy_name = derived_name(&[&fk.name, "bellows_new"]);
        let mut copy = fk.clone();
        copy.columns = fk
            .columns
            .iter()
            .map(|c| if c == &column.name { temporary.clone() } else { c.clone() })
            .collect();
        ready.push(super::constraint::add_foreign_key(r, cx, t, &copy, &copy_name, false));
        swap.push(format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            t.sql(),
            quote_ident(&copy_name),
            quote_ident(&fk.name)
        ));
    }
    if let Some(default) = &column.default {
        swap.push(format!("ALTER TABLE {} ALTER COLUMN {c} SET DEFAULT {default}", t.sql()));
    }
    let step = r.independent(
        Phase::Contract,
        StepKind::Swap,
        format!("swap-column:{}", dotted(t, &column.name)),
        format!("swap in the converted column {t}.{c} in one short transaction"),
    );
    for statement in names.drop_sql(t).into_iter().chain(swap) {
        step.sql(statement);
    }
    for object in names.objects(t) {
        step.removed(object);
    }
    step.removed(DbObject::Column {
        table: t.clone(),
        name: temporary.clone(),
    });
    step.lock(Op::DropTrigger, cx.pg, t, None)
        .lock(Op::DropColumn, cx.pg, t, None)
        .lock(Op::Rename, cx.pg, t, None)
        .guard(unconverted)
        .guard(guard::column_exists(t, &temporary));
    for id in ready
        .iter()
        .chain([format!("set-not-null:{}", dotted(t, &temporary))].iter().filter(|_| !column.nullable))
    {
        step.after(id);
    }
    step.after(&format!("backfill:{}", dotted(t, &temporary)));
    let swap_id = step.id.clone();
    // Run again after the swap, the script adds the new column once more (the
    // concurrent index builds on it cannot be skipped by a guard), converts nothing, and
    // drops it here.
    r.independent(
        Phase::Contract,
        StepKind::DropColumn,
        format!("drop-column:{}", dotted(t, &temporary)),
        format!("drop {t}.{} if a second run of the plan added it again after the swap", quote_ident(&temporary)),
    )
    .sql(format!("ALTER TABLE {} DROP COLUMN IF EXISTS {}", t.sql(), quote_ident(&temporary)))
    .lock(Op::DropColumn, cx.pg, t, None)
    .guard(guard::column_exists(t, &temporary))
    .after(&swap_id);
    Ok(())
}

/// Counts the duplicates a unique key rebuilt on the converted values would meet, unless
/// the conversion keeps distinct values distinct; on the step just pushed.
fn count_duplicates(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, original: &Index, counted: bool) {
    let found = precondition::duplicates(cx, t, original).filter(|_| counted && original.unique);
    if let (Some((description, sql)), Some(step)) = (found, r.steps.last_mut()) {
        step.precondition(description, sql);
    }
}

/// A rename keeps both names working: the new column is added and kept in sync with
/// the old one until contract drops the old one.
pub fn rename_column(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, old: &Column, column: &Column) -> Result<(), PlanError> {
    let table = cx
        .table(t)
        .ok_or_else(|| PlanError::refused(t, "the table is not in the desired schema", "declare it"))?;
    let key = batch_key(cx, table, &column.name)?;
    let (o, n) = (quote_ident(&old.name), quote_ident(&column.name));
    let (to_new, to_old) = if old.ty == column.ty {
        (o.clone(), n.clone())
    } else {
        (
            column.using.as_ref().map_or_else(|| format!("{o}::{}", column.ty.sql()), |u| u.text.clone()),
            format!("{n}::{}", old.ty.sql()),
        )
    };
    let description = format!("{t}.{o} renamed to {n}");
    let names = TriggerNames::new("sync", t, &column.name);
    // Until contract drops the old column, there is something to copy.
    let unconverted = guard::column_exists(t, &old.name);
    let shadow = Shadow {
        source: &old.name,
        target: column,
        desired: column,
        conversions: (&to_new, &to_old),
        unconverted: &unconverted,
    };
    shadow_column(r, cx, t, &key, &shadow, &names, &description)?;
    drop_trigger(r, cx, t, &names, &column.name, "sync");
    let step = r.step(
        Phase::Contract,
        StepKind::DropColumn,
        format!("drop-column:{}", dotted(t, &old.name)),
        format!("drop the old column {t}.{o}"),
    );
    step.sql(format!("ALTER TABLE {} DROP COLUMN IF EXISTS {o}", t.sql()))
        .lock(Op::DropColumn, cx.pg, t, None)
        .drops(Obj::Column(t.clone(), old.name.clone()));
    Ok(())
}

/// A new column kept beside an old one: the source it is copied from, the column it is
/// added as, the column as desired (its final name and type), the conversions both
/// ways, and the guard that holds until the copy is no longer needed.
struct Shadow<'a> {
    source: &'a str,
    target: &'a Column,
    desired: &'a Column,
    conversions: (&'a str, &'a str),
    unconverted: &'a str,
}

/// Adds `target` beside `source`, syncs them with triggers, copies existing rows in
/// batches, and makes `target` NOT NULL through a validated check if it must be.
fn shadow_column(
    r: &mut Recipe,
    cx: &Context<'_>,
    t: &QualifiedName,
    key: &[String],
    shadow: &Shadow<'_>,
    names: &TriggerNames,
    what: &str,
) -> Result<(), PlanError> {
    let (target, (to_new, to_old)) = (shadow.target, shadow.conversions);
    let n = quote_ident(&target.name);
    let plain = Column {
        default: None,
        nullable: true,
        identity: None,
        ..target.clone()
    };
    let add_id = format!("add-column:{}", dotted(t, &target.name));
    let step = r.step(Phase::Expand, StepKind::AddColumn, add_id.clone(), format!("add column {t}.{n} for {what}"));
    step.sql(format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}", t.sql(), column_definition(&plain, false)))
        .lock(Op::AddColumn(AddColumn::default()), cx.pg, t, None)
        .undo(format!("ALTER TABLE {} DROP COLUMN IF EXISTS {n}", t.sql()))
        .needs(Obj::Table(t.clone()))
        .creates(Obj::Column(t.clone(), target.name.clone()));
    if let Some(default) = &target.default {
        // SET DEFAULT affects only future rows: no rewrite, even when volatile.
        step.sql(format!("ALTER TABLE {} ALTER COLUMN {n} SET DEFAULT {default}", t.sql()))
            .lock(Op::SetDefault, cx.pg, t, None);
    }
    if let Some(user_type) = target.ty.user_type() {
        step.needs(Obj::Type(user_type.clone()));
    }
    create_trigger(
        r,
        cx,
        t,
        names,
        format!("add-sync-trigger:{}", dotted(t, &target.name)),
        format!("keep {t}.{} and {t}.{n} in sync on every write", quote_ident(shadow.source)),
        trigger::sync(names, t, shadow.source, &target.name, to_new, to_old, cx.pg),
    )
    .guard(shadow.unconverted);
    let copy_id = batched_update(
        r,
        cx,
        t,
        key,
        &target.name,
        &format!("{n} = {to_new}"),
        &format!("t.{n} IS DISTINCT FROM ({to_new})"),
        &format!("copy {t}.{} into {t}.{n}", quote_ident(shadow.source)),
    )?;
    if let Some(step) = r.steps.last_mut() {
        step.guard(shadow.unconverted);
    }
    if !target.nullable {
        // The old version writes the source; the sync trigger converts it. Only a
        // NOT NULL source converted by a cast can never give a NULL.
        let source_not_null = cx.current_table(t).and_then(|table| table.column(shadow.source)).is_some_and(|c| !c.nullable);
        let late = !(source_not_null && shadow.desired.using.is_none());
        let how = NotNull {
            column: &target.name,
            after: Some(&add_id),
            filled_by: Some(&copy_id),
            late,
            precondition: late.then(|| precondition::converted_not_null(cx, t, shadow.source, shadow.desired)).flatten(),
            guard: Some(shadow.unconverted.to_string()),
        };
        not_null_via_check(r, cx, t, how);
    }
    Ok(())
}

fn batch_key(cx: &Context<'_>, table: &Table, column: &str) -> Result<Vec<String>, PlanError> {
    // Batching by the column being converted works too: the old column keeps its
    // values until contract swaps the columns.
    cx.batch_key(&table.name).ok_or_else(|| {
        PlanError::refused(
            format!("column {}.{}", table.name, quote_ident(column)),
            format!(
                "copying the column needs batches over a key, and table {} has no primary key and no unique key of NOT NULL columns",
                table.name
            ),
            "add a primary key (or a unique constraint on NOT NULL columns) to the table first",
        )
    })
}

/// What the new-column recipe cannot carry over automatically.
fn refuse_unsupported(cx: &Context<'_>, table: &Table, column: &Column) -> Result<(), PlanError> {
    let object = format!("column {}.{}", table.name, quote_ident(&column.name));
    let referencing = cx
        .desired
        .tables
        .values()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .find(|(_, fk)| fk.references == table.name && fk.referenced_columns.contains(&column.name));
    if let Some((other, fk)) = referencing {
        return Err(PlanError::refused(
            object,
            format!(
                "foreign key {} on {} references it, and would have to be rebuilt on the new column",
                quote_ident(&fk.name),
                other.name
            ),
            "change the referencing columns first, or convert both by hand in a maintenance window",
        ));
    }
    let expression_user = table.indexes.iter().find(|i| {
        i.mentions(&column.name)
            && (i.predicate.as_ref().is_some_and(|p| p.columns.contains(&column.name))
                || i.keys.iter().any(|k| matches!(k, IndexKey::Expression(e) if e.columns.contains(&column.name))))
    });
    if let Some(index) = expression_user {
        return Err(PlanError::refused(
            object,
            format!(
                "index {} uses it in an expression or predicate, which bellows cannot rebuild on the new column",
                quote_ident(&index.name)
            ),
            "drop the index in one plan and re-create it after the type change",
        ));
    }
    if let Some(check) = table.checks.iter().find(|c| c.expression.columns.contains(&column.name)) {
        return Err(PlanError::refused(
            object,
            format!("check {} uses it, and would have to be rebuilt on the new column", quote_ident(&check.name)),
            "drop the check in one plan and add it back after the type change",
        ));
    }
    if column.identity.is_some() {
        return Err(PlanError::refused(
            object,
            "changing the type of an identity column through a new column would restart its numbering",
            "change the type by hand in a maintenance window",
        ));
    }
    Ok(())
}
