//! Applying a `Change` to a `Schema`: the inverse of the diff. Used to follow a SQL
//! migration statement by statement, and to test the diff (`apply(diff(a, b), a) == b`).

use super::{Change, CommentTarget, Constraint, EnumPosition};
use crate::model::{Enum, QualifiedName, Schema, Table};

impl Schema {
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::CreateSchema { .. } => {}
            Change::CreateEnum { enum_type } => {
                self.enums.insert(enum_type.name.clone(), enum_type.clone());
            }
            Change::AddEnumValue { name, value, position } => {
                let e = self.enums.entry(name.clone()).or_insert_with(|| Enum {
                    name: name.clone(),
                    values: Vec::new(),
                });
                let at = match position {
                    EnumPosition::Last => e.values.len(),
                    EnumPosition::Before(next) => e.values.iter().position(|v| v == next).unwrap_or(e.values.len()),
                    EnumPosition::After(previous) => e.values.iter().position(|v| v == previous).map_or(e.values.len(), |i| i + 1),
                };
                e.values.insert(at, value.clone());
            }
            Change::DropEnum { name } => {
                self.enums.remove(name);
            }
            Change::CreateTable { table } => {
                self.tables.insert(table.name.clone(), table.clone());
            }
            Change::DropTable { table } => {
                self.tables.remove(&table.name);
            }
            Change::RenameTable { from, to } => {
                if let Some(mut table) = self.tables.remove(from) {
                    table.name = to.clone();
                    self.tables.insert(to.clone(), table);
                }
            }
            Change::RenameColumn { table, old, column } => {
                if let Some(t) = self.tables.get_mut(table) {
                    apply_to_table(t, change);
                }
                self.follow_column_rename(table, &old.name, &column.name);
            }
            _ => {
                let Some(table) = change.table().and_then(|t| self.tables.get_mut(t)) else {
                    return;
                };
                apply_to_table(table, change);
            }
        }
    }

    /// What PostgreSQL does on `RENAME COLUMN`: the keys, indexes and foreign keys that
    /// named column `from` of `table` (and other tables' foreign keys to it) name `to`.
    fn follow_column_rename(&mut self, table: &QualifiedName, from: &str, to: &str) {
        let swap = |names: &mut Vec<String>| names.iter_mut().filter(|n| *n == from).for_each(|n| *n = to.to_string());
        for (name, t) in &mut self.tables {
            if name == table {
                if let Some(pk) = &mut t.primary_key {
                    swap(&mut pk.columns);
                }
                t.uniques.iter_mut().for_each(|u| swap(&mut u.columns));
                t.foreign_keys.iter_mut().for_each(|f| swap(&mut f.columns));
                for index in &mut t.indexes {
                    *index = index.with_column_renamed(from, to);
                }
            }
            t.foreign_keys
                .iter_mut()
                .filter(|f| &f.references == table)
                .for_each(|f| swap(&mut f.referenced_columns));
        }
    }
}

fn apply_to_table(table: &mut Table, change: &Change) {
    match change {
        Change::AddColumn { column: c, .. } => table.columns.push(c.clone()),
        Change::DropColumn { column: c, .. } => table.columns.retain(|x| x.name != c.name),
        Change::RenameColumn { old, column: c, .. } => {
            if let Some(existing) = table.columns.iter_mut().find(|x| x.name == old.name) {
                *existing = c.clone();
            }
        }
        Change::AlterColumnType { column: c, .. } => with_column(table, &c.name, |x| x.ty = c.ty.clone()),
        Change::SetNotNull { column: c, .. } => with_column(table, &c.name, |x| x.nullable = false),
        Change::DropNotNull { column: c, .. } => with_column(table, c, |x| x.nullable = true),
        Change::SetDefault { column: c, default, .. } => with_column(table, c, |x| x.default = Some(default.clone())),
        Change::DropDefault { column: c, .. } => with_column(table, c, |x| x.default = None),
        Change::AddIdentity { column: c, identity, .. } => with_column(table, c, |x| x.identity = Some(*identity)),
        Change::DropIdentity { column: c, .. } => with_column(table, c, |x| x.identity = None),
        Change::SetComment {
            target: CommentTarget::Table(_),
            comment,
        } => table.comment = comment.clone(),
        Change::SetComment {
            target: CommentTarget::Column(_, c),
            comment,
        } => with_column(table, c, |x| x.comment = comment.clone()),
        Change::AddIndex { index, .. } => table.indexes.push(index.clone()),
        Change::DropIndex { index, .. } => table.indexes.retain(|i| i.name != index.name),
        Change::ReplaceIndex { new, .. } => table.indexes.iter_mut().filter(|i| i.name == new.name).for_each(|i| *i = new.clone()),
        Change::RenameIndex { from, to, .. } => table.indexes.iter_mut().filter(|i| &i.name == from).for_each(|i| i.name = to.clone()),
        Change::AddPrimaryKey { primary_key, .. } => table.primary_key = Some(primary_key.clone()),
        Change::AddUnique { unique, .. } => table.uniques.push(unique.clone()),
        Change::AddCheck { check, .. } => table.checks.push(check.clone()),
        Change::AddForeignKey { foreign_key, .. } => table.foreign_keys.push(foreign_key.clone()),
        Change::DropConstraint { constraint, .. } => remove_constraint(table, constraint.name()),
        Change::ReplaceConstraint { new, .. } => {
            remove_constraint(table, new.name());
            add_constraint(table, new);
        }
        Change::RenameConstraint { from, to, .. } => {
            if let Some(mut c) = take_constraint(table, from) {
                rename(&mut c, to);
                add_constraint(table, &c);
            }
        }
        _ => {}
    }
}

fn with_column(table: &mut Table, name: &str, f: impl FnOnce(&mut crate::model::Column)) {
    if let Some(c) = table.columns.iter_mut().find(|c| c.name == name) {
        f(c);
    }
}

fn take_constraint(table: &mut Table, name: &str) -> Option<Constraint> {
    if table.primary_key.as_ref().is_some_and(|p| p.name == name) {
        table.primary_key.take().map(Constraint::PrimaryKey)
    } else if let Some(i) = table.uniques.iter().position(|u| u.name == name) {
        Some(Constraint::Unique(table.uniques.remove(i)))
    } else if let Some(i) = table.checks.iter().position(|c| c.name == name) {
        Some(Constraint::Check(table.checks.remove(i)))
    } else {
        table
            .foreign_keys
            .iter()
            .position(|f| f.name == name)
            .map(|i| Constraint::ForeignKey(table.foreign_keys.remove(i)))
    }
}

fn remove_constraint(table: &mut Table, name: &str) {
    take_constraint(table, name);
}

fn add_constraint(table: &mut Table, constraint: &Constraint) {
    match constraint.clone() {
        Constraint::PrimaryKey(pk) => table.primary_key = Some(pk),
        Constraint::Unique(u) => table.uniques.push(u),
        Constraint::Check(c) => table.checks.push(c),
        Constraint::ForeignKey(f) => table.foreign_keys.push(f),
    }
}

fn rename(constraint: &mut Constraint, to: &str) {
    match constraint {
        Constraint::PrimaryKey(c) => c.name = to.to_string(),
        Constraint::Unique(c) => c.name = to.to_string(),
        Constraint::Check(c) => c.name = to.to_string(),
        Constraint::ForeignKey(c) => c.name = to.to_string(),
    }
}
