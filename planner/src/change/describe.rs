//! What a change is about, and how it reads to a human.

use super::{Change, CommentTarget};
use crate::model::QualifiedName;

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
