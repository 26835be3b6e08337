//! The schema model: names, types, expressions and the `Schema` they make up.

mod checksum;
mod expr;
mod name;
mod schema;
mod types;

pub use expr::Expr;
pub use name::{derived_name, quote_ident, quote_literal, QualifiedName, MAX_IDENTIFIER_BYTES};
pub use schema::*;
pub use types::{builtin_type_names, SqlType, TypeBase, SERIAL_NAMES};
