//! NOT NULL without a long ACCESS EXCLUSIVE scan: a `CHECK (col IS NOT NULL) NOT VALID`,
//! validated while reads and writes go on, then `SET NOT NULL` proven by it.
//!
//! Where the check goes: a constraint the old application version can violate is never
//! put in front of it. With a fill trigger whose value is a non-NULL constant, no write
//! of the old version can leave the column NULL, so the check is added in expand and
//! proven in backfill. Otherwise (a fill expression that can yield NULL, or no fill at
//! all, and the old version may write NULLs) the check, its validation and `SET NOT
//! NULL` wait for contract, when only the new version runs; the rows that would make
//! the validation fail are counted before the plan starts (a precondition).

use super::constraint::check_not_valid;
use super::fill::{backfill_step, drop_trigger, fill_trigger};
use super::precondition::{self, non_null_constant, Counted};
use super::trigger::{FillOn, TriggerNames};
use super::{dotted, guard, Context, Recipe};
use crate::error::PlanError;
use crate::locks::{ConstraintKind, Op};
use crate::model::{derived_name, quote_ident, Column, QualifiedName};
use crate::step::{DbObject, Obj, Phase, StepKind};

/// How a column is made NOT NULL.
pub(super) struct NotNull<'a> {
    pub column: &'a str,
    /// The step the check must follow (the fill trigger, or the column's creation).
    pub after: Option<&'a str>,
    /// The step that fills the column: validation waits for it.
    pub filled_by: Option<&'a str>,
    /// Enforced in contract: the old application version may write NULLs.
    pub late: bool,
    /// The rows validation would fail on, counted before the plan starts.
    pub precondition: Option<Counted>,
    /// A further guard of every step (a type change: the column is not converted yet).
    pub guard: Option<String>,
}

/// Whether the NOT NULL of `column` (as desired) is enforced only in contract.
pub(super) fn enforced_late(cx: &Context<'_>, t: &QualifiedName, column: &Column) -> bool {
    if column.nullable {
        return false;
    }
    let current = cx.current_table(t);
    match current.and_then(|table| table.column(&column.name)) {
        Some(now) if !now.nullable => false,
        Some(_) => !column.backfill.as_ref().is_some_and(non_null_constant),
        None if current.is_none() => false,
        None => {
            let constant_default = column.default.as_ref().is_some_and(|d| !d.volatile) && cx.pg.at_least(11);
            let fill = column.backfill.as_ref().or(column.default.as_ref());
            !constant_default && !fill.is_some_and(non_null_constant)
        }
    }
}

/// NOT NULL without a long ACCESS EXCLUSIVE scan: `CHECK (col IS NOT NULL) NOT VALID`
/// (instant), `VALIDATE` (SHARE UPDATE EXCLUSIVE, reads and writes go on), then
/// `SET NOT NULL`, which PostgreSQL 12+ proves from the check without scanning.
pub(super) fn not_null_via_check(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, how: NotNull<'_>) {
    let column = how.column;
    let check = derived_name(&[&t.name, column, "not_null"]);
    let (c, k) = (quote_ident(column), quote_ident(&check));
    let (add_phase, validate_phase, why) = if how.late {
        (Phase::Contract, Phase::Contract, ", now that only the new application version writes")
    } else {
        (Phase::Expand, Phase::Backfill, "")
    };
    let add = r.independent(
        add_phase,
        StepKind::AddConstraintNotValid,
        format!("add-not-null-check:{}", dotted(t, column)),
        format!("add CHECK ({c} IS NOT NULL) NOT VALID on {t}{why}"),
    );
    check_not_valid(add, cx, t, &check, &format!("{c} IS NOT NULL"))
        .needs(Obj::Column(t.clone(), column.to_string()))
        .guard(guard::column_nullable(t, column));
    if let Some(after) = how.after {
        add.after(after);
    }
    if let Some(condition) = &how.guard {
        add.guard(condition.clone());
    }
    let add_id = add.id.clone();
    let validate = r.independent(
        validate_phase,
        StepKind::ValidateConstraint,
        format!("validate-not-null-check:{}", dotted(t, column)),
        format!("validate the NOT NULL check on {t}.{c}"),
    );
    validate
        .sql(format!("ALTER TABLE {} VALIDATE CONSTRAINT {k}", t.sql()))
        .lock(Op::ValidateConstraint { kind: ConstraintKind::Check }, cx.pg, t, None)
        .after(&add_id)
        .needs(Obj::Filled(t.clone(), column.to_string()))
        .guard(guard::constraint_exists(t, &check));
    if let Some(filled_by) = how.filled_by {
        validate.after(filled_by);
    }
    if let Some((description, sql)) = how.precondition {
        validate.precondition(description, sql);
    }
    if let Some(condition) = &how.guard {
        validate.guard(condition.clone());
    }
    let set = r.step(
        validate_phase,
        StepKind::SetNotNull,
        format!("set-not-null:{}", dotted(t, column)),
        format!("set {t}.{c} NOT NULL (proven by the check) and drop the check"),
    );
    set.sql(format!("ALTER TABLE {} ALTER COLUMN {c} SET NOT NULL", t.sql()))
        .sql(format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {k}", t.sql()))
        .removed(DbObject::Constraint {
            table: t.clone(),
            name: check.clone(),
        })
        .lock(Op::SetNotNull { proven: true }, cx.pg, t, None)
        .lock(Op::DropConstraint { kind: ConstraintKind::Check }, cx.pg, t, None)
        .undo(format!("ALTER TABLE {} ALTER COLUMN {c} DROP NOT NULL", t.sql()))
        .creates(Obj::NotNull(t.clone(), column.to_string()));
    if let Some(condition) = how.guard {
        set.guard(condition);
    }
}

pub fn set_not_null(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &Column) -> Result<(), PlanError> {
    let names = TriggerNames::new("fill", t, &column.name);
    // The column exists and may hold NULLs (plan --sql gives it as it is now): only a
    // non-NULL constant fill keeps the old version's writes from leaving it NULL.
    let late = !column.backfill.as_ref().is_some_and(non_null_constant);
    let precondition = precondition::not_null(cx, t, &column.name, column.backfill.as_ref());
    let Some(fill) = &column.backfill else {
        // No backfill: the old version may write NULLs until contract; existing NULLs
        // are counted before the plan starts, and would make VALIDATE fail.
        let how = NotNull {
            column: &column.name,
            after: None,
            filled_by: None,
            late,
            precondition,
            guard: None,
        };
        not_null_via_check(r, cx, t, how);
        return Ok(());
    };
    let key = cx.batch_key(t).ok_or_else(|| {
        PlanError::refused(
            format!("column {t}.{}", quote_ident(&column.name)),
            "a backfill needs batches over a key, and the table has no primary key and no unique key of NOT NULL columns",
            "add a primary key (or a unique constraint on NOT NULL columns) to the table first",
        )
    })?;
    // The old version knows the column and may write NULL into it.
    fill_trigger(r, cx, t, &column.name, fill, FillOn::InsertOrUpdate, &names);
    let trigger_id = r.steps.last().map(|s| s.id.clone()).unwrap_or_default();
    let fill_id = backfill_step(r, cx, t, &key, &column.name, fill)?;
    if let Some(step) = r.steps.last_mut() {
        step.irreversible(format!(
            "the backfill gives the existing NULLs of {t}.{} a value; which rows were NULL is not kept",
            quote_ident(&column.name)
        ));
    }
    let how = NotNull {
        column: &column.name,
        after: Some(&trigger_id),
        filled_by: Some(&fill_id),
        late,
        precondition,
        guard: None,
    };
    not_null_via_check(r, cx, t, how);
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
