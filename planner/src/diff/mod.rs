//! The diff: the semantic differences between a current and a desired schema, as
//! `Change`s that carry no SQL. Recipes turn them into steps.

mod table;

use std::collections::BTreeSet;

use crate::change::{Change, EnumPosition};
use crate::error::PlanError;
use crate::model::{QualifiedName, Schema};
use table::diff_table;

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
                format!(
                    "removing the value{} {} is not supported by PostgreSQL",
                    if removed.len() == 1 { "" } else { "s" },
                    quoted_list(&removed)
                ),
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
