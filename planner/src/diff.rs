//! The diff: the semantic differences between a current and a desired schema, as
//! `Change`s that carry no SQL. Recipes turn them into steps.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::PlanError;
use crate::model::{Check, Column, Enum, Expr, ForeignKey, Identity, Index, PrimaryKey, QualifiedName, Schema, SqlType, Table, Unique};

/// One semantic difference between two schemas.
// A plan holds a handful of changes, built once: boxing the large variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateSchema {
        schema: String,
    },
    CreateEnum {
        enum_type: Enum,
    },
    AddEnumValue {
        name: QualifiedName,
        value: String,
        position: EnumPosition,
    },
    DropEnum {
        name: QualifiedName,
    },
    CreateTable {
        table: Table,
    },
    DropTable {
        table: Table,
    },
    RenameTable {
        from: QualifiedName,
        to: QualifiedName,
    },
    AddColumn {
        table: QualifiedName,
        column: Column,
    },
    DropColumn {
        table: QualifiedName,
        column: Column,
    },
    /// A rename: `column` is the desired column, `old` the current one.
    RenameColumn {
        table: QualifiedName,
        old: Column,
        column: Column,
    },
    AlterColumnType {
        table: QualifiedName,
        column: Column,
        from: SqlType,
    },
    SetNotNull {
        table: QualifiedName,
        column: Column,
    },
    DropNotNull {
        table: QualifiedName,
        column: String,
    },
    SetDefault {
        table: QualifiedName,
        column: String,
        default: Expr,
    },
    DropDefault {
        table: QualifiedName,
        column: String,
    },
    AddIdentity {
        table: QualifiedName,
        column: String,
        identity: Identity,
    },
    DropIdentity {
        table: QualifiedName,
        column: String,
    },
    SetComment {
        target: CommentTarget,
        comment: Option<String>,
    },
    AddIndex {
        table: QualifiedName,
        index: Index,
    },
    DropIndex {
        table: QualifiedName,
        index: Index,
    },
    /// A changed index definition under the same name.
    ReplaceIndex {
        table: QualifiedName,
        old: Index,
        new: Index,
    },
    /// The same index definition under a new name.
    RenameIndex {
        table: QualifiedName,
        from: String,
        to: String,
    },
    AddPrimaryKey {
        table: QualifiedName,
        primary_key: PrimaryKey,
    },
    AddUnique {
        table: QualifiedName,
        unique: Unique,
    },
    AddCheck {
        table: QualifiedName,
        check: Check,
    },
    AddForeignKey {
        table: QualifiedName,
        foreign_key: ForeignKey,
    },
    DropConstraint {
        table: QualifiedName,
        constraint: Constraint,
    },
    /// A changed constraint definition under the same name.
    ReplaceConstraint {
        table: QualifiedName,
        old: Constraint,
        new: Constraint,
    },
    /// The same constraint definition under a new name.
    RenameConstraint {
        table: QualifiedName,
        from: String,
        to: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnumPosition {
    Last,
    Before(String),
    After(String),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentTarget {
    Table(QualifiedName),
    Column(QualifiedName, String),
}

/// A named table constraint, of any kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    Check(Check),
    ForeignKey(ForeignKey),
}

impl Constraint {
    /// The same constraint under another name.
    fn renamed(&self, name: &str) -> Constraint {
        let mut copy = self.clone();
        match &mut copy {
            Constraint::PrimaryKey(c) => c.name = name.to_string(),
            Constraint::Unique(c) => c.name = name.to_string(),
            Constraint::Check(c) => c.name = name.to_string(),
            Constraint::ForeignKey(c) => c.name = name.to_string(),
        }
        copy
    }

    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::Check(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
        }
    }

    fn of(table: &Table) -> Vec<Constraint> {
        let pk = table.primary_key.iter().cloned().map(Constraint::PrimaryKey);
        pk.chain(table.uniques.iter().cloned().map(Constraint::Unique))
            .chain(table.checks.iter().cloned().map(Constraint::Check))
            .chain(table.foreign_keys.iter().cloned().map(Constraint::ForeignKey))
            .collect()
    }
}

/// The changes that turn `current` into `desired`. Objects in schemas that `desired`
/// does not mention are left alone.
pub fn diff(current: &Schema, desired: &Schema) -> Result<Vec<Change>, PlanError> {
    let mut changes = Vec::new();
    let managed: BTreeSet<&str> = desired.tables.keys().chain(desired.enums.keys()).map(|n| n.schema.as_str()).collect();
    let existing: BTreeSet<&str> = current.tables.keys().chain(current.enums.keys()).map(|n| n.schema.as_str()).collect();
    for schema in managed.iter().filter(|s| **s != "public" && !existing.contains(*s)) {
        changes.push(Change::CreateSchema { schema: schema.to_string() });
    }
    diff_enums(current, desired, &managed, &mut changes)?;
    let mut matched: BTreeSet<&QualifiedName> = BTreeSet::new();
    for (name, table) in &desired.tables {
        let old_name = table
            .renamed_from
            .as_ref()
            .filter(|from| !current.tables.contains_key(name) && current.tables.contains_key(*from) && !desired.tables.contains_key(*from));
        match (current.tables.get(name), old_name) {
            (Some(existing), _) => {
                matched.insert(name);
                diff_table(existing, table, &mut changes)?;
            }
            (None, Some(from)) => {
                matched.insert(from);
                changes.push(Change::RenameTable {
                    from: from.clone(),
                    to: name.clone(),
                });
                let mut renamed = current.tables[from].clone();
                renamed.name = name.clone();
                diff_table(&renamed, table, &mut changes)?;
            }
            (None, None) => changes.push(Change::CreateTable { table: table.clone() }),
        }
    }
    for (name, table) in &current.tables {
        if !matched.contains(name) && managed.contains(name.schema.as_str()) {
            changes.push(Change::DropTable { table: table.clone() });
        }
    }
    for (name, _) in current
        .enums
        .iter()
        .filter(|(n, _)| managed.contains(n.schema.as_str()) && !desired.enums.contains_key(*n))
    {
        changes.push(Change::DropEnum { name: name.clone() });
    }
    Ok(changes)
}

fn diff_enums(current: &Schema, desired: &Schema, _managed: &BTreeSet<&str>, changes: &mut Vec<Change>) -> Result<(), PlanError> {
    for (name, wanted) in &desired.enums {
        let Some(existing) = current.enums.get(name) else {
            changes.push(Change::CreateEnum { enum_type: wanted.clone() });
            continue;
        };
        let removed: Vec<&String> = existing.values.iter().filter(|v| !wanted.values.contains(v)).collect();
        if !removed.is_empty() {
            return Err(PlanError::refused(
                format!("enum {name}"),
                format!("removing the value(s) {} is not supported by PostgreSQL", quoted_list(&removed)),
                format!("create a new enum type without them, move the columns to it with a type change (`using`), then drop {name}; or keep the values"),
            ));
        }
        let kept: Vec<&String> = wanted.values.iter().filter(|v| existing.values.contains(v)).collect();
        if kept.iter().zip(&existing.values).any(|(a, b)| *a != b) {
            return Err(PlanError::refused(
                format!("enum {name}"),
                "reordering existing values is not supported by PostgreSQL",
                "keep the existing values in their current order; new values may go anywhere between them",
            ));
        }
        for (i, value) in wanted.values.iter().enumerate() {
            if existing.values.contains(value) {
                continue;
            }
            // Anchor to the next existing value, or after the previous one, or last.
            let next = wanted.values[i + 1..].iter().find(|v| existing.values.contains(v));
            let position = match (next, i.checked_sub(1).map(|p| &wanted.values[p])) {
                (Some(next), _) => EnumPosition::Before(next.clone()),
                (None, Some(previous)) => EnumPosition::After(previous.clone()),
                (None, None) => EnumPosition::Last,
            };
            changes.push(Change::AddEnumValue {
                name: name.clone(),
                value: value.clone(),
                position,
            });
        }
    }
    Ok(())
}

fn quoted_list(values: &[&String]) -> String {
    values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}

fn diff_table(current: &Table, desired: &Table, changes: &mut Vec<Change>) -> Result<(), PlanError> {
    let t = &desired.name;
    let mut kept: BTreeSet<&str> = BTreeSet::new();
    for column in &desired.columns {
        if let Some(existing) = current.column(&column.name) {
            kept.insert(&existing.name);
            diff_column(t, existing, column, changes)?;
            continue;
        }
        let renamed = column
            .renamed_from
            .as_deref()
            .and_then(|from| current.column(from))
            .filter(|old| desired.column(&old.name).is_none());
        match renamed {
            Some(old) => {
                kept.insert(&old.name);
                changes.push(Change::RenameColumn {
                    table: t.clone(),
                    old: old.clone(),
                    column: column.clone(),
                });
            }
            None => changes.push(Change::AddColumn {
                table: t.clone(),
                column: column.clone(),
            }),
        }
    }
    for column in current.columns.iter().filter(|c| !kept.contains(c.name.as_str())) {
        changes.push(Change::DropColumn {
            table: t.clone(),
            column: column.clone(),
        });
    }
    let rename_index = |i: &Index, name: &str| Index {
        name: name.to_string(),
        ..i.clone()
    };
    diff_by_name(
        &current.indexes,
        &desired.indexes,
        |i| &i.name,
        rename_index,
        changes,
        |old, new, changes| match (old, new) {
            (None, Some(new)) => changes.push(Change::AddIndex {
                table: t.clone(),
                index: new.clone(),
            }),
            (Some(old), None) => changes.push(Change::DropIndex {
                table: t.clone(),
                index: old.clone(),
            }),
            (Some(old), Some(new)) if old.name != new.name => changes.push(Change::RenameIndex {
                table: t.clone(),
                from: old.name.clone(),
                to: new.name.clone(),
            }),
            (Some(old), Some(new)) => changes.push(Change::ReplaceIndex {
                table: t.clone(),
                old: old.clone(),
                new: new.clone(),
            }),
            (None, None) => {}
        },
    );
    let (old_constraints, new_constraints) = (Constraint::of(current), Constraint::of(desired));
    diff_by_name(
        &old_constraints,
        &new_constraints,
        |c| c.name(),
        Constraint::renamed,
        changes,
        |old, new, changes| match (old, new) {
            (None, Some(new)) => changes.push(add_constraint(t, new.clone())),
            (Some(old), None) => changes.push(Change::DropConstraint {
                table: t.clone(),
                constraint: old.clone(),
            }),
            (Some(old), Some(new)) if old.name() != new.name() => changes.push(Change::RenameConstraint {
                table: t.clone(),
                from: old.name().to_string(),
                to: new.name().to_string(),
            }),
            (Some(old), Some(new)) => changes.push(Change::ReplaceConstraint {
                table: t.clone(),
                old: old.clone(),
                new: new.clone(),
            }),
            (None, None) => {}
        },
    );
    if current.comment != desired.comment {
        changes.push(Change::SetComment {
            target: CommentTarget::Table(t.clone()),
            comment: desired.comment.clone(),
        });
    }
    Ok(())
}

/// The constraint of `table` called `name`, of any kind.
pub fn constraint_named(table: &Table, name: &str) -> Option<Constraint> {
    Constraint::of(table).into_iter().find(|c| c.name() == name)
}

/// The change that adds `constraint` to `table`, whatever its kind.
pub(crate) fn add_constraint(table: &QualifiedName, constraint: Constraint) -> Change {
    let table = table.clone();
    match constraint {
        Constraint::PrimaryKey(primary_key) => Change::AddPrimaryKey { table, primary_key },
        Constraint::Unique(unique) => Change::AddUnique { table, unique },
        Constraint::Check(check) => Change::AddCheck { table, check },
        Constraint::ForeignKey(foreign_key) => Change::AddForeignKey { table, foreign_key },
    }
}

/// Pairs two lists by name and reports additions, removals and changed definitions.
/// An unpaired old item whose definition equals an unpaired new one's (but for the
/// name) is reported as a rename, not a drop and an add: renaming a table keeps its
/// constraint names, while the default names in schema.toml follow the new name.
fn diff_by_name<T: PartialEq>(
    current: &[T],
    desired: &[T],
    name: impl Fn(&T) -> &str,
    renamed: impl Fn(&T, &str) -> T,
    changes: &mut Vec<Change>,
    mut report: impl FnMut(Option<&T>, Option<&T>, &mut Vec<Change>),
) {
    let added: Vec<&T> = desired.iter().filter(|d| !current.iter().any(|c| name(c) == name(d))).collect();
    let mut renamed_to: Vec<&str> = Vec::new();
    for old in current {
        match desired.iter().find(|d| name(d) == name(old)) {
            None => match added.iter().find(|new| !renamed_to.contains(&name(new)) && renamed(old, name(new)) == ***new) {
                Some(new) => {
                    renamed_to.push(name(new));
                    report(Some(old), Some(new), changes);
                }
                None => report(Some(old), None, changes),
            },
            Some(new) if new != old => report(Some(old), Some(new), changes),
            Some(_) => {}
        }
    }
    for new in added.into_iter().filter(|n| !renamed_to.contains(&name(n))) {
        report(None, Some(new), changes);
    }
}

fn diff_column(t: &QualifiedName, old: &Column, new: &Column, changes: &mut Vec<Change>) -> Result<(), PlanError> {
    let column = new.name.clone();
    if old.generated != new.generated {
        return Err(PlanError::refused(
            format!("column {t}.{column}"),
            "changing whether or how a column is generated rewrites the table under an ACCESS EXCLUSIVE lock",
            "add a new column with the new expression (filled by a trigger and a backfill), move readers to it, then drop the old column",
        ));
    }
    if old.ty != new.ty {
        changes.push(Change::AlterColumnType {
            table: t.clone(),
            column: new.clone(),
            from: old.ty.clone(),
        });
    }
    if old.identity != new.identity {
        if old.identity.is_some() {
            changes.push(Change::DropIdentity {
                table: t.clone(),
                column: column.clone(),
            });
        }
        if let Some(identity) = new.identity {
            changes.push(Change::AddIdentity {
                table: t.clone(),
                column: column.clone(),
                identity,
            });
        }
    }
    if old.default != new.default && new.identity.is_none() {
        match &new.default {
            Some(default) => changes.push(Change::SetDefault {
                table: t.clone(),
                column: column.clone(),
                default: default.clone(),
            }),
            None => changes.push(Change::DropDefault {
                table: t.clone(),
                column: column.clone(),
            }),
        }
    }
    match (old.nullable, new.nullable) {
        (true, false) => changes.push(Change::SetNotNull {
            table: t.clone(),
            column: new.clone(),
        }),
        (false, true) => changes.push(Change::DropNotNull {
            table: t.clone(),
            column: column.clone(),
        }),
        _ => {}
    }
    if old.comment != new.comment {
        changes.push(Change::SetComment {
            target: CommentTarget::Column(t.clone(), column),
            comment: new.comment.clone(),
        });
    }
    Ok(())
}

impl Change {
    /// The table a change is about, for changes inside one table.
    pub fn table(&self) -> Option<&QualifiedName> {
        match self {
            Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumnType { table, .. }
            | Change::SetNotNull { table, .. }
            | Change::DropNotNull { table, .. }
            | Change::SetDefault { table, .. }
            | Change::DropDefault { table, .. }
            | Change::AddIdentity { table, .. }
            | Change::DropIdentity { table, .. }
            | Change::AddIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::ReplaceIndex { table, .. }
            | Change::RenameIndex { table, .. }
            | Change::AddPrimaryKey { table, .. }
            | Change::AddUnique { table, .. }
            | Change::AddCheck { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropConstraint { table, .. }
            | Change::ReplaceConstraint { table, .. }
            | Change::RenameConstraint { table, .. } => Some(table),
            Change::SetComment {
                target: CommentTarget::Table(t) | CommentTarget::Column(t, _),
                ..
            } => Some(t),
            Change::CreateTable { table } | Change::DropTable { table } => Some(&table.name),
            Change::RenameTable { to, .. } => Some(to),
            Change::CreateSchema { .. } | Change::CreateEnum { .. } | Change::AddEnumValue { .. } | Change::DropEnum { .. } => None,
        }
    }

    /// One line for a human: what changes, not how.
    pub fn describe(&self) -> String {
        use crate::model::quote_ident as q;
        match self {
            Change::CreateSchema { schema } => format!("create schema {}", q(schema)),
            Change::CreateEnum { enum_type } => format!("create enum {}", enum_type.name),
            Change::AddEnumValue { name, value, .. } => format!("add value '{value}' to enum {name}"),
            Change::DropEnum { name } => format!("drop enum {name}"),
            Change::CreateTable { table } => format!("create table {}", table.name),
            Change::DropTable { table } => format!("drop table {}", table.name),
            Change::RenameTable { from, to } => format!("rename table {from} to {to}"),
            Change::AddColumn { table, column } => format!("add column {table}.{} {}", q(&column.name), column.ty),
            Change::DropColumn { table, column } => format!("drop column {table}.{}", q(&column.name)),
            Change::RenameColumn { table, old, column } => format!("rename column {table}.{} to {}", q(&old.name), q(&column.name)),
            Change::AlterColumnType { table, column, from } => format!("change type of {table}.{} from {from} to {}", q(&column.name), column.ty),
            Change::SetNotNull { table, column } => format!("set {table}.{} NOT NULL", q(&column.name)),
            Change::DropNotNull { table, column } => format!("drop NOT NULL on {table}.{}", q(column)),
            Change::SetDefault { table, column, default } => format!("set default of {table}.{} to {default}", q(column)),
            Change::DropDefault { table, column } => format!("drop default of {table}.{}", q(column)),
            Change::AddIdentity { table, column, .. } => format!("make {table}.{} an identity column", q(column)),
            Change::DropIdentity { table, column } => format!("drop identity of {table}.{}", q(column)),
            Change::SetComment {
                target: CommentTarget::Table(t),
                ..
            } => format!("set comment on table {t}"),
            Change::SetComment {
                target: CommentTarget::Column(t, c),
                ..
            } => format!("set comment on column {t}.{}", q(c)),
            Change::AddIndex { table, index } => format!("add index {} on {table}", q(&index.name)),
            Change::DropIndex { table, index } => format!("drop index {} on {table}", q(&index.name)),
            Change::ReplaceIndex { table, new, .. } => format!("change definition of index {} on {table}", q(&new.name)),
            Change::RenameIndex { table, from, to } => format!("rename index {} on {table} to {}", q(from), q(to)),
            Change::RenameConstraint { table, from, to } => format!("rename constraint {} on {table} to {}", q(from), q(to)),
            Change::AddPrimaryKey { table, primary_key } => format!("add primary key {} on {table}", q(&primary_key.name)),
            Change::AddUnique { table, unique } => format!("add unique constraint {} on {table}", q(&unique.name)),
            Change::AddCheck { table, check } => format!("add check {} on {table}", q(&check.name)),
            Change::AddForeignKey { table, foreign_key } => {
                format!("add foreign key {} on {table} referencing {}", q(&foreign_key.name), foreign_key.references)
            }
            Change::DropConstraint { table, constraint } => format!("drop constraint {} on {table}", q(constraint.name())),
            Change::ReplaceConstraint { table, new, .. } => format!("change definition of constraint {} on {table}", q(new.name())),
        }
    }
}
