//! Recipes for columns: add, drop, defaults and identity.

use super::fill::{backfill_step, drop_trigger, fill_trigger};
use super::not_null::{enforced_late, not_null_via_check, NotNull};
use super::precondition;
use super::sql::column_definition;
use super::trigger::{FillOn, TriggerNames};
use super::{dotted, guard, Context, Recipe};
use crate::error::PlanError;
use crate::locks::{AddColumn, DefaultKind, Op};
use crate::model::{quote_ident, Column, Expr, Identity, QualifiedName};
use crate::step::{Draft, Obj, Phase, StepKind};

fn default_kind(column: &Column, cx: &Context<'_>) -> DefaultKind {
    match &column.default {
        None => DefaultKind::None,
        // Before PostgreSQL 11 every default is written into every row.
        Some(d) if d.volatile || !cx.pg.at_least(11) => DefaultKind::Volatile,
        Some(_) => DefaultKind::NonVolatile,
    }
}

pub fn add_column(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &Column) -> Result<(), PlanError> {
    let object = format!("column {t}.{}", quote_ident(&column.name));
    if column.generated.is_some() {
        return Err(PlanError::refused(
            object,
            "adding a stored generated column rewrites the whole table under an ACCESS EXCLUSIVE lock",
            "add a plain column filled by a trigger and a `backfill`, or add the generated column while the table is still small, outside bellows",
        ));
    }
    if column.identity.is_some() {
        return Err(PlanError::refused(
            object,
            "adding an identity column numbers every existing row, rewriting the table under an ACCESS EXCLUSIVE lock",
            "add the column without identity and with a `backfill`, then declare `identity` in a later plan",
        ));
    }
    let kind = default_kind(column, cx);
    let id = format!("add-column:{}", dotted(t, &column.name));
    let simple = kind != DefaultKind::Volatile && (column.nullable || kind == DefaultKind::NonVolatile);
    if simple {
        let op = Op::AddColumn(AddColumn {
            default: kind,
            not_null: !column.nullable,
            ..AddColumn::default()
        });
        let step = r.step(Phase::Expand, StepKind::AddColumn, id, format!("add column {t}.{}", quote_ident(&column.name)));
        step.sql(format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}", t.sql(), column_definition(column, true)))
            .lock(op, cx.pg, t, None)
            .undo(format!("ALTER TABLE {} DROP COLUMN {}", t.sql(), quote_ident(&column.name)));
        column_objects(step, t, column, true);
        return Ok(());
    }
    // A volatile default, or NOT NULL without a default: add the column nullable, fill
    // the existing rows in batches, then enforce NOT NULL through a validated check.
    let fill = match (&column.default, &column.backfill) {
        (_, Some(backfill)) => backfill.clone(),
        (Some(default), None) => default.clone(),
        (None, None) => {
            return Err(PlanError::refused(object, format!("a NOT NULL column without a default cannot be added to table {t}, which may hold rows"),
                "add `backfill = \"<expression>\"` (the value for existing rows and for rows the old application inserts), or a constant `default`, or make the column nullable"));
        }
    };
    if cx.table(t).is_none() {
        return Err(PlanError::refused(t, "the table is not in the desired schema", "declare it"));
    }
    let Some(key) = cx.batch_key(t) else {
        return Err(PlanError::refused(
            object,
            format!("filling existing rows needs batches over a key, and table {t} has no primary key and no unique key of NOT NULL columns"),
            "add a primary key (or a unique constraint on NOT NULL columns) to the table first",
        ));
    };
    let nullable = Column {
        default: None,
        nullable: true,
        ..column.clone()
    };
    let step = r.step(
        Phase::Expand,
        StepKind::AddColumn,
        id.clone(),
        format!("add column {t}.{} (nullable until it is filled)", quote_ident(&column.name)),
    );
    step.sql(format!(
        "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}",
        t.sql(),
        column_definition(&nullable, false)
    ))
    .lock(Op::AddColumn(AddColumn::default()), cx.pg, t, None)
    .undo(format!("ALTER TABLE {} DROP COLUMN {}", t.sql(), quote_ident(&column.name)));
    if let Some(default) = &column.default {
        step.sql(format!(
            "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default}",
            t.sql(),
            quote_ident(&column.name)
        ))
        .lock(Op::SetDefault, cx.pg, t, None);
    }
    column_objects(step, t, column, false);
    let names = TriggerNames::new("fill", t, &column.name);
    let trigger = (column.default.is_none() && !column.nullable).then_some(&names);
    // The check refuses NULLs from the old application's inserts: the fill trigger
    // must be in place before it.
    let mut check_after = id.clone();
    let late = enforced_late(cx, t, column);
    if let Some(names) = trigger {
        // The old version never names the new column: only a check added before the
        // backfill ends (not `late`) can refuse its update of a row still NULL.
        let on = if late { FillOn::Insert } else { FillOn::InsertOrUpdate };
        fill_trigger(r, cx, t, &column.name, &fill, on, names);
        check_after = r.steps.last().map_or(check_after, |s| s.id.clone());
    }
    let fill_id = backfill_step(r, cx, t, &key, &column.name, &fill)?;
    if !column.nullable {
        // A fill that may yield NULL (or a volatile default) leaves rows the old version
        // writes NULL: the check waits for contract (see not_null.rs).
        let how = NotNull {
            column: &column.name,
            after: Some(&check_after),
            filled_by: Some(&fill_id),
            late,
            precondition: precondition::new_column_fill(cx, t, &column.name, &fill),
            guard: None,
        };
        not_null_via_check(r, cx, t, how);
    }
    if let Some(names) = trigger {
        drop_trigger(r, cx, t, names, &column.name, "fill");
    }
    Ok(())
}

fn column_objects(step: &mut Draft, t: &QualifiedName, column: &Column, filled: bool) {
    step.needs(Obj::Table(t.clone())).creates(Obj::Column(t.clone(), column.name.clone()));
    if filled {
        step.creates(Obj::Filled(t.clone(), column.name.clone()));
        if !column.nullable {
            step.creates(Obj::NotNull(t.clone(), column.name.clone()));
        }
    }
    if let Some(user_type) = column.ty.user_type() {
        step.needs(Obj::Type(user_type.clone()));
    }
}

pub fn set_default(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str, default: Option<&Expr>) {
    let c = quote_ident(column);
    let (id, description, sql, op) = match default {
        Some(d) => (
            "set-default",
            format!("set the default of {t}.{c} to `{d}`"),
            format!("SET DEFAULT {d}"),
            Op::SetDefault,
        ),
        None => (
            "drop-default",
            format!("drop the default of {t}.{c}"),
            "DROP DEFAULT".to_string(),
            Op::DropDefault,
        ),
    };
    let existing = cx.current_table(t).and_then(|table| table.column(column));
    let before = existing.and_then(|c| c.default.as_ref());
    let undo = before.map_or("DROP DEFAULT".to_string(), |d| format!("SET DEFAULT {d}"));
    // The old version's inserts that leave the column out get the old default until
    // every instance runs the new version: a changed default waits for contract.
    let phase = if existing.is_some() { Phase::Contract } else { Phase::Expand };
    r.step(phase, StepKind::AlterColumn, format!("{id}:{}", dotted(t, column)), description)
        .sql(format!("ALTER TABLE {} ALTER COLUMN {c} {sql}", t.sql()))
        .undo(format!("ALTER TABLE {} ALTER COLUMN {c} {undo}", t.sql()))
        .lock(op, cx.pg, t, None)
        .needs(Obj::Column(t.clone(), column.to_string()));
}

/// The identity sequence starts after the largest existing value, read in the same
/// statement; the ALTER itself is catalog-only.
pub fn add_identity(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str, identity: Identity) {
    let c = quote_ident(column);
    let kind = match identity {
        Identity::Always => "ALWAYS",
        Identity::ByDefault => "BY DEFAULT",
    };
    let statement = format!(
        "DO $bellows$ BEGIN EXECUTE format('ALTER TABLE {t} ALTER COLUMN {c} ADD GENERATED {kind} AS IDENTITY (START WITH %s)', (SELECT coalesce(max({c}), 0) + 1 FROM {t})); END $bellows$",
        t = t.sql().replace('\'', "''"),
        c = c.replace('\'', "''"),
    );
    // ADD GENERATED needs a NOT NULL column: when the NOT NULL recipe makes it so (in
    // backfill, or in contract), the identity follows it there.
    let nullable = cx.current_table(t).and_then(|table| table.column(column)).is_none_or(|c| c.nullable);
    let late = cx.table(t).and_then(|table| table.column(column)).is_some_and(|c| enforced_late(cx, t, c));
    let phase = match (late, nullable) {
        (true, _) => Phase::Contract,
        (false, true) => Phase::Backfill,
        (false, false) => Phase::Expand,
    };
    r.step(
        phase,
        StepKind::AlterColumn,
        format!("add-identity:{}", dotted(t, column)),
        format!("make {t}.{c} an identity column, continuing after the largest value"),
    )
    .sql(statement)
    .lock(Op::AddIdentity, cx.pg, t, None)
    .undo(format!("ALTER TABLE {} ALTER COLUMN {c} DROP IDENTITY IF EXISTS", t.sql()))
    .guard(guard::not_identity(t, column))
    .needs(Obj::NotNull(t.clone(), column.to_string()));
}

/// In contract: the old application version may rely on the identity to number rows.
pub fn drop_identity(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &str) {
    r.step(
        Phase::Contract,
        StepKind::AlterColumn,
        format!("drop-identity:{}", dotted(t, column)),
        format!("drop the identity of {t}.{}", quote_ident(column)),
    )
    .sql(format!("ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS", t.sql(), quote_ident(column)))
    .lock(Op::DropIdentity, cx.pg, t, None);
}

/// In contract, when no application version reads the column any more.
pub fn drop_column(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, column: &Column) {
    let step = r.step(
        Phase::Contract,
        StepKind::DropColumn,
        format!("drop-column:{}", dotted(t, &column.name)),
        format!("drop column {t}.{}", quote_ident(&column.name)),
    );
    step.sql(format!("ALTER TABLE {} DROP COLUMN IF EXISTS {}", t.sql(), quote_ident(&column.name)))
        .lock(Op::DropColumn, cx.pg, t, None)
        .drops(Obj::Column(t.clone(), column.name.clone()));
    if let Some(user_type) = column.ty.user_type() {
        step.releases(Obj::Type(user_type.clone()));
    }
}
