//! NOT NULL without a long ACCESS EXCLUSIVE scan: a `CHECK (col IS NOT NULL) NOT VALID`,
//! validated while reads and writes go on, then `SET NOT NULL` proven by it.

use super::constraint::check_not_valid;
use super::fill::{backfill_step, drop_trigger, fill_trigger};
use super::trigger::TriggerNames;
use super::{dotted, Context, Recipe};
use crate::error::PlanError;
use crate::locks::{ConstraintKind, Op};
use crate::model::{derived_name, quote_ident, Column, QualifiedName};
use crate::step::{DbObject, Obj, Phase, StepKind};

/// NOT NULL without a long ACCESS EXCLUSIVE scan: `CHECK (col IS NOT NULL) NOT VALID`
/// (instant), `VALIDATE` (SHARE UPDATE EXCLUSIVE, reads and writes go on), then
/// `SET NOT NULL`, which PostgreSQL 12+ proves from the check without scanning.
pub(super) fn not_null_via_check(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str, after: Option<&str>, filled_by: Option<&str>) {
    let check = derived_name(&[&t.name, column, "not_null"]);
    let (c, k) = (quote_ident(column), quote_ident(&check));
    let add = r.independent(
        Phase::Expand,
        StepKind::AddConstraintNotValid,
        format!("add-not-null-check:{}", dotted(t, column)),
        format!("add CHECK ({c} IS NOT NULL) NOT VALID on {t}"),
    );
    check_not_valid(add, cx, t, &check, &format!("{c} IS NOT NULL")).needs(Obj::Column(t.clone(), column.to_string()));
    if let Some(after) = after {
        add.after(after);
    }
    let add_id = add.id.clone();
    r.independent(
        Phase::Backfill,
        StepKind::ValidateConstraint,
        format!("validate-not-null-check:{}", dotted(t, column)),
        format!("validate the NOT NULL check on {t}.{c}"),
    )
    .sql(format!("ALTER TABLE {} VALIDATE CONSTRAINT {k}", t.sql()))
    .lock(Op::ValidateConstraint { kind: ConstraintKind::Check }, cx.pg, t, None)
    .after(&add_id)
    .needs(Obj::Filled(t.clone(), column.to_string()));
    if let (Some(filled_by), Some(validate)) = (filled_by, r.steps.last_mut()) {
        validate.after(filled_by);
    }
    r.step(
        Phase::Backfill,
        StepKind::SetNotNull,
        format!("set-not-null:{}", dotted(t, column)),
        format!("set {t}.{c} NOT NULL (proven by the check) and drop the check"),
    )
    .sql(format!("ALTER TABLE {} ALTER COLUMN {c} SET NOT NULL", t.sql()))
    .sql(format!("ALTER TABLE {} DROP CONSTRAINT {k}", t.sql()))
    .removed(DbObject::Constraint {
        table: t.clone(),
        name: check.clone(),
    })
    .lock(Op::SetNotNull { proven: true }, cx.pg, t, None)
    .lock(Op::DropConstraint { kind: ConstraintKind::Check }, cx.pg, t, None)
    .undo(format!("ALTER TABLE {} ALTER COLUMN {c} DROP NOT NULL", t.sql()))
    .creates(Obj::NotNull(t.clone(), column.to_string()));
}

pub fn set_not_null(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &Column) -> Result<(), PlanError> {
    let names = TriggerNames::new("fill", t, &column.name);
    let Some(fill) = &column.backfill else {
        // No backfill: existing NULLs make VALIDATE fail, which stops the plan before
        // anything is locked for long; the check already refuses new NULLs.
        not_null_via_check(r, cx, t, &column.name, None, None);
        return Ok(());
    };
    let key = cx.table(t).and_then(|table| table.batch_key()).map(<[String]>::to_vec).ok_or_else(|| {
        PlanError::refused(
            format!("column {t}.{}", quote_ident(&column.name)),
            "a backfill needs batches over a primary key, and the table has none",
            "add a primary key to the table first",
        )
    })?;
    fill_trigger(r, cx, t, &column.name, fill, &names);
    let trigger_id = r.steps.last().map(|s| s.id.clone()).unwrap_or_default();
    let fill_id = backfill_step(r, cx, t, &key, &column.name, fill)?;
    if let Some(step) = r.steps.last_mut() {
        step.irreversible(format!(
            "the backfill gives the existing NULLs of {t}.{} a value; which rows were NULL is not kept",
            quote_ident(&column.name)
        ));
    }
    not_null_via_check(r, cx, t, &column.name, Some(&trigger_id), Some(&fill_id));
    drop_trigger(r, cx, t, &names, &column.name, "fill");
    Ok(())
}

pub fn drop_not_null(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str) {
    r.step(
        Phase::Expand,
        StepKind::AlterColumn,
        format!("drop-not-null:{}", dotted(t, column)),
        format!("drop NOT NULL on {t}.{}", quote_ident(column)),
    )
    .sql(format!("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t.sql(), quote_ident(column)))
    .undo(format!("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t.sql(), quote_ident(column)))
    .lock(Op::DropNotNull, cx.pg, t, None)
    .needs(Obj::Column(t.clone(), column.to_string()));
}
