//! Recipes for check and foreign-key constraints: added `NOT VALID` (instant), then
//! validated under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.

use super::index::build_index;
use super::sql::foreign_key_clause;
use super::{dotted, guard, precondition, Context, Recipe};
use crate::change::Constraint;
use crate::error::PlanError;
use crate::locks::{ConstraintKind, Op};
use crate::model::{derived_name, quote_ident, Check, ForeignKey, Index, IndexKey, QualifiedName};
use crate::step::{DbObject, Draft, Obj, Phase, StepKind};

/// Makes `step` add the check `name` with `expression` as NOT VALID (unless it is there
/// already): instant, and undone by dropping it.
pub(super) fn check_not_valid<'s>(step: &'s mut Draft, cx: &Context<'_>, t: &QualifiedName, name: &str, expression: &str) -> &'s mut Draft {
    let k = quote_ident(name);
    step.made(DbObject::Constraint {
        table: t.clone(),
        name: name.to_string(),
    })
    .sql(format!("ALTER TABLE {} ADD CONSTRAINT {k} CHECK ({expression}) NOT VALID", t.sql()))
    .lock(
        Op::AddConstraint {
            kind: ConstraintKind::Check,
            validated: false,
            using_index: false,
        },
        cx.pg,
        t,
        None,
    )
    .undo(format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {k}", t.sql()))
    .guard(guard::constraint_absent(t, name))
}

/// What a step that starts enforcing a constraint on a busy table says about the
/// application: the user declared it, so from then on a write that breaks it fails,
/// whichever version makes it.
pub(super) const ENFORCED: &str = "from this step on, a write of either application version that breaks it fails";

pub fn add_check(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, check: &Check, name: &str) -> String {
    let k = quote_ident(name);
    let add = r.independent(
        Phase::Expand,
        StepKind::AddConstraintNotValid,
        format!("add-check:{}", dotted(t, name)),
        format!("add check {k} on {t} NOT VALID; {ENFORCED}"),
    );
    check_not_valid(add, cx, t, name, &check.expression.to_string())
        .needs(Obj::Table(t.clone()))
        .creates(Obj::Constraint(t.clone(), name.to_string()));
    for column in &check.expression.columns {
        add.needs(Obj::Column(t.clone(), column.clone()));
    }
    let validate = r.step(
        Phase::Backfill,
        StepKind::ValidateConstraint,
        format!("validate-check:{}", dotted(t, name)),
        format!("validate check {k} on {t}"),
    );
    validate
        .sql(format!("ALTER TABLE {} VALIDATE CONSTRAINT {k}", t.sql()))
        .lock(Op::ValidateConstraint { kind: ConstraintKind::Check }, cx.pg, t, None);
    if let Some((description, sql)) = precondition::failing_check(cx, t, &check.expression) {
        validate.precondition(description, sql);
    }
    for column in &check.expression.columns {
        validate.needs(Obj::Filled(t.clone(), column.clone()));
    }
    validate.id.clone()
}

/// A foreign key added NOT VALID, then validated. `counted`: count the rows it would
/// fail on before the plan starts (not for a copy on a converted column, whose values
/// the key already holds for).
pub fn add_foreign_key(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, fk: &ForeignKey, name: &str, counted: bool) -> String {
    let k = quote_ident(name);
    let kind = ConstraintKind::ForeignKey;
    let add = r.independent(
        Phase::Expand,
        StepKind::AddConstraintNotValid,
        format!("add-foreign-key:{}", dotted(t, name)),
        format!("add foreign key {k} on {t} NOT VALID; {ENFORCED}"),
    );
    add.sql(format!("ALTER TABLE {} ADD CONSTRAINT {k} {} NOT VALID", t.sql(), foreign_key_clause(fk)))
        .lock(
            Op::AddConstraint {
                kind,
                validated: false,
                using_index: false,
            },
            cx.pg,
            t,
            Some(&fk.references),
        )
        .undo(format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {k}", t.sql()))
        .guard(guard::constraint_absent(t, name))
        .needs(Obj::Table(t.clone()))
        .needs(Obj::Table(fk.references.clone()))
        .needs(Obj::unique_key(&fk.references, &fk.referenced_columns))
        .creates(Obj::Constraint(t.clone(), name.to_string()));
    for column in &fk.columns {
        add.needs(Obj::Column(t.clone(), column.clone()));
    }
    let validate = r.step(
        Phase::Backfill,
        StepKind::ValidateConstraint,
        format!("validate-foreign-key:{}", dotted(t, name)),
        format!("validate foreign key {k} on {t}"),
    );
    validate
        .sql(format!("ALTER TABLE {} VALIDATE CONSTRAINT {k}", t.sql()))
        .lock(Op::ValidateConstraint { kind }, cx.pg, t, Some(&fk.references));
    if let Some((description, sql)) = precondition::dangling(cx, t, fk).filter(|_| counted) {
        validate.precondition(description, sql);
    }
    for column in &fk.columns {
        validate.needs(Obj::Filled(t.clone(), column.clone()));
    }
    validate.id.clone()
}

/// In contract: the old application may rely on the constraint (or on the index behind it).
pub fn drop_constraint(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, constraint: &Constraint) {
    let name = constraint.name();
    let step = r.step(
        Phase::Contract,
        StepKind::DropConstraint,
        format!("drop-constraint:{}", dotted(t, name)),
        format!("drop constraint {} on {t}", quote_ident(name)),
    );
    step.sql(format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", t.sql(), quote_ident(name)))
        .drops(Obj::Constraint(t.clone(), name.to_string()));
    let (kind, columns) = match constraint {
        Constraint::PrimaryKey(pk) => (ConstraintKind::PrimaryKey, pk.columns.clone()),
        Constraint::Unique(u) => (ConstraintKind::Unique, u.columns.clone()),
        Constraint::Check(c) => (ConstraintKind::Check, c.expression.columns.iter().cloned().collect()),
        Constraint::ForeignKey(fk) => (ConstraintKind::ForeignKey, fk.columns.clone()),
    };
    match constraint {
        Constraint::ForeignKey(fk) => {
            step.lock(Op::DropConstraint { kind }, cx.pg, t, Some(&fk.references))
                .releases(Obj::Table(fk.references.clone()))
                .releases(Obj::unique_key(&fk.references, &fk.referenced_columns));
        }
        Constraint::PrimaryKey(_) | Constraint::Unique(_) => {
            step.lock(Op::DropConstraint { kind }, cx.pg, t, None)
                .drops(Obj::unique_key(t, &columns))
                .drops(Obj::Index(t.sibling(name)));
        }
        Constraint::Check(_) => {
            step.lock(Op::DropConstraint { kind }, cx.pg, t, None);
        }
    }
    for column in columns {
        step.releases(Obj::Column(t.clone(), column));
    }
}

/// A changed definition under the same name: the new constraint is added beside the
/// old one under a temporary name and validated; contract swaps them in one short
/// transaction.
pub fn replace_constraint(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, old: &Constraint, new: &Constraint) -> Result<(), PlanError> {
    let name = new.name();
    let temporary = derived_name(&[name, "bellows_new"]);
    let mut ready_guard = guard::constraint_exists(t, &temporary);
    let (ready, swap) = match (old, new) {
        (Constraint::Check(_), Constraint::Check(check)) => (add_check(r, cx, t, check, &temporary), rename_constraint_sql(t, &temporary, name)),
        (Constraint::ForeignKey(_), Constraint::ForeignKey(fk)) => {
            (add_foreign_key(r, cx, t, fk, &temporary, true), rename_constraint_sql(t, &temporary, name))
        }
        (Constraint::Unique(_), Constraint::Unique(unique)) => {
            let index = Index {
                name: temporary.clone(),
                keys: unique.columns.iter().cloned().map(IndexKey::Column).collect(),
                unique: true,
                predicate: None,
                method: None,
                include: Vec::new(),
                options: Vec::new(),
            };
            let build = build_index(r, cx, t, &index, &temporary, Phase::Expand);
            ready_guard = guard::relation_exists(&t.sibling(temporary.clone()));
            // Dropping the old constraint and attaching the new index happen together.
            let attach_sql = format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                t.sql(),
                quote_ident(name),
                quote_ident(&temporary)
            );
            (build, attach_sql)
        }
        _ => {
            return Err(PlanError::refused(
                format!("constraint {} on {t}", quote_ident(name)),
                "changing a primary key, or a constraint's kind under the same name, has no safe recipe",
                "give the new constraint a new name (it is then added beside the old one), or change the primary key by hand in a maintenance window",
            ));
        }
    };
    let drop_sql = format!("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}", t.sql(), quote_ident(name));
    let kind = match new {
        Constraint::ForeignKey(_) => ConstraintKind::ForeignKey,
        Constraint::Unique(_) => ConstraintKind::Unique,
        _ => ConstraintKind::Check,
    };
    let referenced = match old {
        Constraint::ForeignKey(fk) => Some(&fk.references),
        _ => None,
    };
    r.independent(
        Phase::Contract,
        StepKind::Swap,
        format!("swap-constraint:{}", dotted(t, name)),
        format!("replace constraint {} on {t} with its new definition", quote_ident(name)),
    )
    .sql(drop_sql)
    .sql(swap)
    .lock(Op::DropConstraint { kind }, cx.pg, t, referenced)
    .lock(Op::Rename, cx.pg, t, None)
    .after(&ready)
    .guard(ready_guard);
    Ok(())
}

/// Same definition, new name: catalog only. Renaming a primary key or unique
/// constraint renames its index too.
pub fn rename_constraint(r: &mut Recipe, cx: &Context<'_>, t: &QualifiedName, from: &str, to: &str) {
    r.step(
        Phase::Expand,
        StepKind::RenameConstraint,
        format!("rename-constraint:{}", dotted(t, to)),
        format!("rename constraint {} on {t} to {}", quote_ident(from), quote_ident(to)),
    )
    .sql(rename_constraint_sql(t, from, to))
    .lock(Op::Rename, cx.pg, t, None)
    .undo(rename_constraint_sql(t, to, from))
    .guard(guard::constraint_exists(t, from))
    .needs(Obj::Table(t.clone()));
}

fn rename_constraint_sql(t: &QualifiedName, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME CONSTRAINT {} TO {}", t.sql(), quote_ident(from), quote_ident(to))
}
