//! A `Change`: one semantic difference between two schemas (add a column, change a
//! type, add a foreign key, ...), with no SQL in it. The diff and `plan --sql` produce
//! changes; recipes turn them into steps; `Schema::apply` (in `apply`) is their inverse.

mod apply;
mod describe;

use serde::Serialize;

use crate::model::{Check, Column, Enum, Expr, ForeignKey, Identity, Index, PrimaryKey, QualifiedName, SqlType, Table, Unique};

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
    pub fn renamed(&self, name: &str) -> Constraint {
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

    pub fn of(table: &Table) -> Vec<Constraint> {
        let pk = table.primary_key.iter().cloned().map(Constraint::PrimaryKey);
        pk.chain(table.uniques.iter().cloned().map(Constraint::Unique))
            .chain(table.checks.iter().cloned().map(Constraint::Check))
            .chain(table.foreign_keys.iter().cloned().map(Constraint::ForeignKey))
            .collect()
    }
}

/// The constraint of `table` called `name`, of any kind.
pub fn constraint_named(table: &Table, name: &str) -> Option<Constraint> {
    Constraint::of(table).into_iter().find(|c| c.name() == name)
}

/// The change that adds `constraint` to `table`, whatever its kind.
pub fn add_constraint(table: &QualifiedName, constraint: Constraint) -> Change {
    let table = table.clone();
    match constraint {
        Constraint::PrimaryKey(primary_key) => Change::AddPrimaryKey { table, primary_key },
        Constraint::Unique(unique) => Change::AddUnique { table, unique },
        Constraint::Check(check) => Change::AddCheck { table, check },
        Constraint::ForeignKey(foreign_key) => Change::AddForeignKey { table, foreign_key },
    }
}
