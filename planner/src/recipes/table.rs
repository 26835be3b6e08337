//! Recipes for whole tables, schemas, enums and comments.

use super::sql::{column_definition, create_index, foreign_key_clause, ident_list};
use super::{dotted, guard, plain, Context, Recipe};
use crate::change::{CommentTarget, EnumPosition};
use crate::locks::{ConstraintKind, Op};
use crate::model::{quote_ident, quote_literal, Enum, QualifiedName, Table};
use crate::step::{DbObject, Obj, Phase, StepKind};

pub fn create_schema(r: &mut Recipe, schema: &str) {
    r.step(
        Phase::Expand,
        StepKind::CreateSchema,
        format!("create-schema:{schema}"),
        format!("create schema {}", quote_ident(schema)),
    )
    .sql(format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)))
    .undo(format!("DROP SCHEMA IF EXISTS {}", quote_ident(schema)))
    .creates(Obj::Schema(schema.to_string()));
}

pub fn create_enum(r: &mut Recipe, enum_type: &Enum) {
    let values: Vec<String> = enum_type.values.iter().map(|v| quote_literal(v)).collect();
    r.step(
        Phase::Expand,
        StepKind::CreateEnum,
        format!("create-enum:{}", plain(&enum_type.name)),
        format!("create enum {}", enum_type.name),
    )
    .sql(format!("CREATE TYPE {} AS ENUM ({})", enum_type.name.sql(), values.join(", ")))
    .undo(format!("DROP TYPE {}", enum_type.name.sql()))
    .guard(guard::type_absent(&enum_type.name))
    .needs(Obj::Schema(enum_type.name.schema.clone()))
    .creates(Obj::Type(enum_type.name.clone()));
}

pub fn add_enum_value(r: &mut Recipe, name: &QualifiedName, value: &str, position: &EnumPosition) {
    let place = match position {
        EnumPosition::Last => String::new(),
        EnumPosition::Before(next) => format!(" BEFORE {}", quote_literal(next)),
        EnumPosition::After(previous) => format!(" AFTER {}", quote_literal(previous)),
    };
    // Before PostgreSQL 12, ADD VALUE cannot run in a transaction block; on 12+ it can,
    // but the value is unusable until commit. Running it alone works on every version.
    r.step(
        Phase::Expand,
        StepKind::AddEnumValue,
        format!("add-enum-value:{}.{value}", plain(name)),
        format!("add value {} to enum {name}", quote_literal(value)),
    )
    .sql(format!("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{place}", name.sql(), quote_literal(value)))
    .outside_transaction()
    .irreversible("PostgreSQL cannot remove a value from an enum")
    .needs(Obj::Type(name.clone()));
}

pub fn drop_enum(r: &mut Recipe, name: &QualifiedName) {
    r.step(
        Phase::Contract,
        StepKind::DropEnum,
        format!("drop-enum:{}", plain(name)),
        format!("drop enum {name}"),
    )
    .sql(format!("DROP TYPE IF EXISTS {}", name.sql()))
    .drops(Obj::Type(name.clone()));
}

/// A new table is empty and invisible until commit: it is created whole, with its
/// constraints and indexes, in one short transaction. Foreign keys to other tables
/// created by the same plan are added by their own steps, so that tables referring to
/// each other need no particular order.
pub fn create_table(r: &mut Recipe, cx: &Context<'_>, table: &Table) {
    let t = &table.name;
    let is_new = |name: &QualifiedName| name != t && !cx.exists(name);
    let mut parts: Vec<String> = table.columns.iter().map(|c| column_definition(c, true)).collect();
    if let Some(pk) = &table.primary_key {
        parts.push(format!("CONSTRAINT {} PRIMARY KEY ({})", quote_ident(&pk.name), ident_list(&pk.columns)));
    }
    for unique in &table.uniques {
        parts.push(format!("CONSTRAINT {} UNIQUE ({})", quote_ident(&unique.name), ident_list(&unique.columns)));
    }
    for check in &table.checks {
        parts.push(format!("CONSTRAINT {} CHECK ({})", quote_ident(&check.name), check.expression));
    }
    let (later, inline): (Vec<_>, Vec<_>) = table.foreign_keys.iter().partition(|fk| is_new(&fk.references));
    for fk in &inline {
        parts.push(format!("CONSTRAINT {} {}", quote_ident(&fk.name), foreign_key_clause(fk)));
    }
    let step = r.step(
        Phase::Expand,
        StepKind::CreateTable,
        format!("create-table:{}", plain(t)),
        format!("create table {t}"),
    );
    step.sql(format!("CREATE TABLE IF NOT EXISTS {} (\n  {}\n)", t.sql(), parts.join(",\n  ")))
        .lock(Op::CreateTable, cx.pg, t, None)
        .undo(format!("DROP TABLE {}", t.sql()))
        .needs(Obj::Schema(t.schema.clone()))
        .creates(Obj::Table(t.clone()));
    for index in &table.indexes {
        step.sql(create_index(t, index, &index.name, false))
            .creates(Obj::Index(t.sibling(index.name.clone())));
        if index.unique && index.predicate.is_none() && index.key_columns().count() == index.keys.len() {
            step.creates(Obj::unique_key(t, &index.key_columns().map(str::to_string).collect::<Vec<_>>()));
        }
    }
    if let Some(comment) = &table.comment {
        step.sql(format!("COMMENT ON TABLE {} IS {}", t.sql(), quote_literal(comment)));
    }
    for column in &table.columns {
        step.creates(Obj::Column(t.clone(), column.name.clone()))
            .creates(Obj::Filled(t.clone(), column.name.clone()))
            .creates(Obj::NotNull(t.clone(), column.name.clone()));
        if let Some(user_type) = column.ty.user_type() {
            step.needs(Obj::Type(user_type.clone()));
        }
        if let Some(comment) = &column.comment {
            step.sql(format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                t.sql(),
                quote_ident(&column.name),
                quote_literal(comment)
            ));
        }
    }
    if let Some(pk) = &table.primary_key {
        step.creates(Obj::unique_key(t, &pk.columns))
            .creates(Obj::Constraint(t.clone(), pk.name.clone()));
    }
    for unique in &table.uniques {
        step.creates(Obj::unique_key(t, &unique.columns))
            .creates(Obj::Constraint(t.clone(), unique.name.clone()));
    }
    for fk in &inline {
        step.lock(
            Op::AddConstraint {
                kind: ConstraintKind::ForeignKey,
                validated: false,
                using_index: false,
            },
            cx.pg,
            t,
            Some(&fk.references),
        )
        .needs(Obj::unique_key(&fk.references, &fk.referenced_columns))
        .creates(Obj::Constraint(t.clone(), fk.name.clone()));
    }
    for fk in later {
        // Both tables are new and empty: the constraint is validated at once.
        let op = Op::AddConstraint {
            kind: ConstraintKind::ForeignKey,
            validated: true,
            using_index: false,
        };
        r.independent(
            Phase::Expand,
            StepKind::AddConstraint,
            format!("add-foreign-key:{}", dotted(t, &fk.name)),
            format!("add foreign key {} on new table {t}", fk.name),
        )
        .sql(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            t.sql(),
            quote_ident(&fk.name),
            foreign_key_clause(fk)
        ))
        .lock(op, cx.pg, t, Some(&fk.references))
        .undo(format!("ALTER TABLE {} DROP CONSTRAINT {}", t.sql(), quote_ident(&fk.name)))
        .guard(guard::constraint_absent(t, &fk.name))
        .needs(Obj::Table(t.clone()))
        .needs(Obj::Table(fk.references.clone()))
        .needs(Obj::unique_key(&fk.references, &fk.referenced_columns))
        .creates(Obj::Constraint(t.clone(), fk.name.clone()));
    }
}

/// Dropped in contract, when no application version reads the table any more.
pub fn drop_table(r: &mut Recipe, cx: &Context<'_>, table: &Table) {
    let t = &table.name;
    let step = r.step(
        Phase::Contract,
        StepKind::DropTable,
        format!("drop-table:{}", plain(t)),
        format!("drop table {t}"),
    );
    step.sql(format!("DROP TABLE IF EXISTS {}", t.sql()))
        .lock(Op::DropTable, cx.pg, t, None)
        .drops(Obj::Table(t.clone()));
    for fk in table.foreign_keys.iter().filter(|fk| &fk.references != t) {
        step.lock(Op::DropTable, cx.pg, t, Some(&fk.references))
            .releases(Obj::Table(fk.references.clone()))
            .releases(Obj::unique_key(&fk.references, &fk.referenced_columns));
    }
    for column in &table.columns {
        step.drops(Obj::Column(t.clone(), column.name.clone()));
        if let Some(user_type) = column.ty.user_type() {
            step.releases(Obj::Type(user_type.clone()));
        }
    }
    if let Some(pk) = &table.primary_key {
        step.drops(Obj::unique_key(t, &pk.columns));
    }
    for unique in &table.uniques {
        step.drops(Obj::unique_key(t, &unique.columns));
    }
}

/// The table gets its new name, and a view under the old name keeps the old
/// application working (a simple view is updatable); contract drops the view.
pub fn rename_table(r: &mut Recipe, cx: &Context<'_>, from: &QualifiedName, to: &QualifiedName) {
    let step = r.step(
        Phase::Expand,
        StepKind::RenameTable,
        format!("rename-table:{}", plain(to)),
        format!("rename table {from} to {to}, keeping a view named {from}"),
    );
    let mut current = from.clone();
    if from.schema != to.schema {
        step.sql(format!("ALTER TABLE {} SET SCHEMA {}", from.sql(), quote_ident(&to.schema)));
        current = QualifiedName::new(to.schema.clone(), from.name.clone());
    }
    if current.name != to.name {
        step.sql(format!("ALTER TABLE {} RENAME TO {}", current.sql(), quote_ident(&to.name)));
    }
    step.made(DbObject::View { name: from.clone() });
    step.sql(format!("CREATE VIEW {} AS SELECT * FROM {}", from.sql(), to.sql()))
        .lock(Op::Rename, cx.pg, from, None)
        .undo(format!("DROP VIEW {}", from.sql()))
        .undo(format!(
            "ALTER TABLE {} RENAME TO {}",
            QualifiedName::new(to.schema.clone(), to.name.clone()).sql(),
            quote_ident(&from.name)
        ))
        .guard(guard::is_table(from))
        .needs(Obj::Schema(to.schema.clone()))
        .creates(Obj::Table(to.clone()));
    r.step(
        Phase::Contract,
        StepKind::DropView,
        format!("drop-view:{}", plain(from)),
        format!("drop the view {from} that kept the old name working"),
    )
    .sql(format!("DROP VIEW IF EXISTS {}", from.sql()))
    .lock(Op::DropView, cx.pg, from, None)
    .removed(DbObject::View { name: from.clone() })
    .releases(Obj::Table(to.clone()));
    if let Some(table) = cx.current_table(to) {
        let step = r.steps.last_mut().expect("invariant: the drop-view step was just pushed");
        for column in &table.columns {
            // The view reads every column: it must go before any of them is dropped.
            step.releases(Obj::Column(to.clone(), column.name.clone()));
        }
    }
}

pub fn set_comment(r: &mut Recipe, cx: &Context<'_>, target: &CommentTarget, comment: Option<&str>) {
    let text = comment.map_or("NULL".to_string(), quote_literal);
    let (id, what, sql) = match target {
        CommentTarget::Table(t) => (plain(t), format!("table {t}"), format!("COMMENT ON TABLE {} IS {text}", t.sql())),
        CommentTarget::Column(t, c) => (
            dotted(t, c),
            format!("column {t}.{}", quote_ident(c)),
            format!("COMMENT ON COLUMN {}.{} IS {text}", t.sql(), quote_ident(c)),
        ),
    };
    let table = match target {
        CommentTarget::Table(t) | CommentTarget::Column(t, _) => t,
    };
    let current = cx.current_table(table);
    let before = match target {
        CommentTarget::Table(_) => current.and_then(|t| t.comment.as_deref()),
        CommentTarget::Column(_, c) => current.and_then(|t| t.column(c)).and_then(|c| c.comment.as_deref()),
    };
    let undo = sql.replacen(&format!(" IS {text}"), &format!(" IS {}", before.map_or("NULL".to_string(), quote_literal)), 1);
    r.step(Phase::Expand, StepKind::Comment, format!("comment:{id}"), format!("set the comment of {what}"))
        .sql(sql)
        .undo(undo)
        .lock(Op::Comment, cx.pg, table, None)
        .needs(Obj::Table(table.clone()));
}
