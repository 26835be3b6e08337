//! The changes inside one table: columns, indexes, constraints and comments.

use std::collections::BTreeSet;

use crate::change::{add_constraint, Change, CommentTarget, Constraint};
use crate::error::PlanError;
use crate::model::{Column, Index, QualifiedName, Table};

pub(super) fn diff_table(current: &Table, desired: &Table, changes: &mut Vec<Change>) -> Result<(), PlanError> {
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
