//! The database objects a step creates or drops, named so that the executor can look
//! them up in the catalog after a crash.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{quote_ident, QualifiedName};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum DbObject {
    Schema {
        name: String,
    },
    Type {
        name: QualifiedName,
    },
    Table {
        name: QualifiedName,
    },
    View {
        name: QualifiedName,
    },
    Column {
        table: QualifiedName,
        name: String,
    },
    /// An index (in its table's schema).
    Index {
        name: QualifiedName,
    },
    Constraint {
        table: QualifiedName,
        name: String,
    },
    Trigger {
        table: QualifiedName,
        name: String,
    },
    /// A function without arguments (the trigger functions bellows installs).
    Function {
        name: QualifiedName,
    },
}

impl fmt::Display for DbObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbObject::Schema { name } => write!(f, "schema {}", quote_ident(name)),
            DbObject::Type { name } => write!(f, "type {name}"),
            DbObject::Table { name } => write!(f, "table {name}"),
            DbObject::View { name } => write!(f, "view {name}"),
            DbObject::Column { table, name } => write!(f, "column {table}.{}", quote_ident(name)),
            DbObject::Index { name } => write!(f, "index {name}"),
            DbObject::Constraint { table, name } => write!(f, "constraint {} on {table}", quote_ident(name)),
            DbObject::Trigger { table, name } => write!(f, "trigger {} on {table}", quote_ident(name)),
            DbObject::Function { name } => write!(f, "function {name}()"),
        }
    }
}
