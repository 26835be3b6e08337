//! Filling a column while the application writes: a trigger that fills it on writes
//! (or keeps two columns in sync), and batched backfills of the existing rows.

use super::sql::batch_update;
use super::trigger::{self, FillOn, TriggerNames};
use super::{dotted, guard, Context, Recipe};
use crate::error::PlanError;
use crate::locks::Op;
use crate::model::{quote_ident, Expr, QualifiedName};
use crate::step::{Backfill, Draft, KeyColumn, Obj, Phase, StepKind};

pub(super) fn fill_trigger(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str, fill: &Expr, on: FillOn, names: &TriggerNames) {
    let writes = match on {
        FillOn::Insert => "inserts",
        FillOn::InsertOrUpdate => "writes",
    };
    create_trigger(
        r,
        cx,
        t,
        names,
        format!("add-fill-trigger:{}", dotted(t, column)),
        format!("fill {t}.{} from `{fill}` on {writes} that leave it NULL", quote_ident(column)),
        trigger::fill(names, t, column, fill, on, cx.pg),
    )
    .needs(Obj::Column(t.clone(), column.to_string()))
    // Once the column is NOT NULL there is nothing left to fill.
    .guard(guard::column_nullable(t, column));
}

/// An expand step that creates a trigger and its function (`sql`), unless the trigger is
/// there already; undone by dropping both.
pub(super) fn create_trigger<'r>(
    r: &'r mut Recipe,
    cx: &Context<'_>,
    t: &QualifiedName,
    names: &TriggerNames,
    id: String,
    what: String,
    sql: Vec<String>,
) -> &'r mut Draft {
    let step = r.step(Phase::Expand, StepKind::CreateTrigger, id, what);
    for statement in sql {
        step.sql(statement);
    }
    for statement in names.drop_sql(t) {
        step.undo(statement);
    }
    for object in names.objects(t) {
        step.made(object);
    }
    step.guard(guard::trigger_absent(t, &names.trigger));
    step.lock(Op::CreateTrigger, cx.pg, t, None)
}

pub(super) fn drop_trigger(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, names: &TriggerNames, column: &str, kind: &str) {
    let step = r.step(
        Phase::Contract,
        StepKind::DropTrigger,
        format!("drop-{kind}-trigger:{}", dotted(t, column)),
        format!("drop the {kind} trigger on {t}"),
    );
    for statement in names.drop_sql(t) {
        step.sql(statement);
    }
    for object in names.objects(t) {
        step.removed(object);
    }
    step.lock(Op::DropTrigger, cx.pg, t, None).no_dependencies();
}

/// A batched `UPDATE` setting `column` from `fill` where it is still NULL; returns its id.
pub(super) fn backfill_step(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, key: &[String], column: &str, fill: &Expr) -> Result<String, PlanError> {
    let c = quote_ident(column);
    let what = format!("fill {t}.{c} with `{fill}`");
    let id = batched_update(r, cx, t, key, column, &format!("{c} = {fill}"), &format!("t.{c} IS NULL"), &what)?;
    if let Some(step) = r.steps.last_mut() {
        // A column already NOT NULL has no row left to fill: a script run again skips
        // the scan.
        step.guard(guard::column_nullable(t, column));
    }
    Ok(id)
}

/// The backfill step of `column`: an `UPDATE ... SET {set}` of the rows of `t` where
/// `pending` holds, in keyset batches over `key` (`what` says what it does); returns
/// its id.
#[allow(clippy::too_many_arguments)]
pub(super) fn batched_update(
    r: &mut Recipe,
    cx: &Context<'_>,
    t: &QualifiedName,
    key: &[String],
    column: &str,
    set: &str,
    pending: &str,
    what: &str,
) -> Result<String, PlanError> {
    let table = cx
        .table(t)
        .ok_or_else(|| PlanError::refused(t, "the table is not in the desired schema", "declare it"))?;
    let key: Vec<KeyColumn> = key
        .iter()
        .map(|k| KeyColumn {
            name: k.clone(),
            ty: table.column(k).map_or_else(|| "text".to_string(), |c| c.ty.sql()),
        })
        .collect();
    let typed: Vec<(String, String)> = key.iter().map(|k| (k.name.clone(), k.ty.clone())).collect();
    let (batch_sql, bound_sql) = batch_update(t, &typed, set, pending);
    let id = format!("backfill:{}", dotted(t, column));
    r.step(
        Phase::Backfill,
        StepKind::Backfill,
        id.clone(),
        format!("{what} in batches of {}", cx.batch_size),
    )
    .batched(Backfill {
        table: t.clone(),
        key,
        batch_size: cx.batch_size,
        batch_sql,
        bound_sql,
        pending: pending.to_string(),
    })
    .lock(Op::UpdateRows, cx.pg, t, None)
    .creates(Obj::Filled(t.clone(), column.to_string()));
    Ok(id)
}
