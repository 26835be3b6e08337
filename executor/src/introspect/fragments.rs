//! Catalog text into model values: types as `format_type()` prints them and
//! expressions as `pg_get_expr()` prints them, both through the planner's own parsers
//! (so a declared and an introspected schema normalise the same way). A schema repeats
//! the same types and defaults many times; each distinct text is parsed once.

use std::collections::HashMap;

use planner::model::{Expr, QualifiedName, SqlType, TypeBase};
use planner::sql::{parse_expression, parse_predicate, parse_type};

use crate::error::IntrospectError;

#[derive(Default)]
pub(crate) struct Fragments {
    types: HashMap<String, Result<SqlType, String>>,
    expressions: HashMap<String, Result<Expr, String>>,
    predicates: HashMap<String, Result<Expr, String>>,
}

/// A column's type as the catalog describes it.
pub(crate) struct CatalogType<'a> {
    /// `format_type(atttypid, atttypmod)`.
    pub text: &'a str,
    /// Schema and name of the type, or of its element type for an array.
    pub schema: &'a str,
    pub name: &'a str,
    /// `attndims`: the declared array dimensions (0 when not declared).
    pub dims: i32,
}

impl Fragments {
    /// The normalised type, or the reason schema.toml cannot write it.
    pub fn column_type(&mut self, ty: &CatalogType<'_>) -> Result<SqlType, String> {
        let parsed = self
            .types
            .entry(ty.text.to_string())
            .or_insert_with(|| parse_type(ty.text).map_err(|e| e.message))
            .clone();
        let mut parsed = parsed?;
        // format_type prints a pg_catalog type unqualified; the parser takes a bare name it
        // does not know as a type in `public` (the search path during introspection).
        if let TypeBase::User(name) = &parsed.base {
            if ty.schema == "pg_catalog" && name.schema == "public" {
                parsed.base = TypeBase::Builtin(name.name.clone());
            }
        }
        // format_type prints one `[]` whatever was declared; attndims keeps the declaration.
        if parsed.array_dims > 0 && ty.dims > 1 {
            parsed.array_dims = usize::try_from(ty.dims).unwrap_or(1);
        }
        Ok(parsed)
    }

    /// The type read from the catalog's names alone, without modifiers: what a column
    /// whose `format_type()` text cannot be parsed is read as.
    pub fn fallback_type(ty: &CatalogType<'_>) -> SqlType {
        let base = if ty.schema == "pg_catalog" {
            TypeBase::Builtin(ty.name.to_string())
        } else {
            TypeBase::User(QualifiedName::new(ty.schema, ty.name))
        };
        let array_dims = if ty.text.ends_with("[]") {
            usize::try_from(ty.dims.max(1)).unwrap_or(1)
        } else {
            0
        };
        SqlType {
            base,
            typmods: Vec::new(),
            array_dims,
        }
    }

    /// An expression (`pg_get_expr` of a default, check, generated column or index key).
    pub fn expression(&mut self, what: &'static str, object: impl FnOnce() -> String, text: &str) -> Result<Expr, IntrospectError> {
        let parsed = self
            .expressions
            .entry(text.to_string())
            .or_insert_with(|| parse_expression(text).map_err(|e| e.message))
            .clone();
        parsed.map_err(|reason| unparsable(what, object(), text, reason))
    }

    /// An index predicate.
    pub fn predicate(&mut self, object: impl FnOnce() -> String, text: &str) -> Result<Expr, IntrospectError> {
        let parsed = self
            .predicates
            .entry(text.to_string())
            .or_insert_with(|| parse_predicate(text).map_err(|e| e.message))
            .clone();
        parsed.map_err(|reason| unparsable("predicate", object(), text, reason))
    }
}

fn unparsable(what: &'static str, object: String, text: &str, reason: String) -> IntrospectError {
    IntrospectError::Unparsable {
        what,
        object,
        text: text.to_string(),
        reason,
    }
}
