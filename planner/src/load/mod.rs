//! Loading schema.toml into the `Schema` model. Every problem is reported with its
//! file, line and column, what is wrong, and where possible what was probably meant.

mod raw;
mod references;
mod table;

use std::ops::Range;

use toml::Spanned;

use crate::error::{LoadError, SourceError};
use crate::model::{Enum, QualifiedName, Schema};
use crate::sql::FragmentError;
pub use crate::suggest::{closest, did_you_mean};

/// Loads a schema.toml text; `path` is used only in error messages.
pub fn load_schema(path: &str, source: &str) -> Result<Schema, LoadError> {
    let (raw, shape_errors) = raw::read(source);
    let mut cx = Context {
        path,
        source,
        errors: shape_errors.iter().map(|e| toml_error(path, source, e)).collect(),
        enums: Default::default(),
        parsed: Default::default(),
    };
    let Some(raw) = raw else {
        return Err(LoadError { errors: cx.errors });
    };
    let mut schema = Schema::default();
    for (name, raw_enum) in &raw.enums {
        if let Some(e) = cx.enum_type(name, raw_enum.get_ref()) {
            schema.enums.insert(e.name.clone(), e);
        }
    }
    cx.enums = schema.enums.keys().cloned().collect();
    for (name, raw_table) in &raw.tables {
        let Some(qualified) = cx.qualified(name, "table") else { continue };
        if qualified.name.len() > crate::model::MAX_IDENTIFIER_BYTES {
            cx.error(
                name.span(),
                format!("the table name `{}` is longer than PostgreSQL's 63 bytes", qualified.name),
                Some("choose a shorter name".into()),
            );
        }
        if schema.tables.contains_key(&qualified) {
            cx.error(name.span(), format!("table {qualified} is declared twice"), None);
            continue;
        }
        let table = cx.table(qualified.clone(), raw_table.get_ref());
        schema.tables.insert(qualified, table);
    }
    references::check(&mut cx, &raw, &schema);
    if cx.errors.is_empty() {
        default_referenced_columns(&mut schema);
        Ok(schema)
    } else {
        cx.errors.sort_by_key(|e| e.span.start);
        Err(LoadError { errors: cx.errors })
    }
}

/// A foreign key without `referenced_columns` references the target's primary key.
fn default_referenced_columns(schema: &mut Schema) {
    let primary_keys: std::collections::BTreeMap<QualifiedName, Vec<String>> = schema
        .tables
        .iter()
        .filter_map(|(name, t)| Some((name.clone(), t.primary_key.as_ref()?.columns.clone())))
        .collect();
    for fk in schema.tables.values_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
        if fk.referenced_columns.is_empty() {
            fk.referenced_columns = primary_keys.get(&fk.references).cloned().unwrap_or_default();
        }
    }
}

/// Collects problems as the file is turned into the model.
pub(crate) struct Context<'a> {
    path: &'a str,
    source: &'a str,
    errors: Vec<SourceError>,
    /// Enums the file declares: the user-defined types a bare type name may mean.
    enums: std::collections::BTreeSet<QualifiedName>,
    /// Fragments already parsed: a schema repeats the same types and defaults many
    /// times, and each pg_query parse costs microseconds (lookups only, so the hash
    /// order never shows).
    parsed: Parsed,
}

#[derive(Default)]
pub(crate) struct Parsed {
    types: std::collections::HashMap<String, Result<crate::model::SqlType, FragmentError>>,
    expressions: std::collections::HashMap<String, Result<crate::model::Expr, FragmentError>>,
}

impl Parsed {
    fn ty(&mut self, text: &str) -> Result<crate::model::SqlType, FragmentError> {
        self.types.entry(text.to_string()).or_insert_with(|| crate::sql::parse_type(text)).clone()
    }

    fn expression(&mut self, text: &str) -> Result<crate::model::Expr, FragmentError> {
        self.expressions
            .entry(text.to_string())
            .or_insert_with(|| crate::sql::parse_expression(text))
            .clone()
    }
}

impl Context<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let error = SourceError::new(self.path, self.source, span, message).with_help(help);
        self.errors.push(error);
    }

    /// Reports a pg_query rejection of an SQL fragment, pointing inside the string
    /// when the string has no escapes (so that offsets in it are offsets in the file).
    fn fragment_error(&mut self, what: &str, value: &Spanned<String>, error: FragmentError) {
        let span = value.span();
        let raw = self.source.get(span.clone()).unwrap_or_default();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
        let at = match error.offset {
            Some(offset) if inner == value.get_ref() => span.start + 1 + offset,
            _ => span.start,
        };
        self.error(at..at + 1, format!("invalid {what} `{}`: {}", value.get_ref(), error.message), error.help);
    }

    fn qualified(&mut self, name: &Spanned<String>, what: &str) -> Option<QualifiedName> {
        let parsed = QualifiedName::parse(name.get_ref());
        if parsed.is_none() {
            let help = Some("write `name` or `schema.name`; put a part that contains a dot in double quotes".to_string());
            self.error(name.span(), format!("`{}` is not a valid {what} name", name.get_ref()), help);
        }
        parsed
    }

    fn enum_type(&mut self, name: &Spanned<String>, raw: &raw::RawEnum) -> Option<Enum> {
        let qualified = self.qualified(name, "enum")?;
        let mut values: Vec<String> = Vec::new();
        for value in raw.values.get_ref() {
            if values.contains(value.get_ref()) {
                self.error(value.span(), format!("enum {qualified} lists the value `{}` twice", value.get_ref()), None);
            } else {
                values.push(value.get_ref().clone());
            }
        }
        if values.is_empty() {
            self.error(raw.values.span(), format!("enum {qualified} has no values"), None);
        }
        Some(Enum { name: qualified, values })
    }
}

/// Turns a TOML or serde error into a located one, with a suggestion for unknown keys.
fn toml_error(path: &str, source: &str, error: &toml::de::Error) -> SourceError {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().to_string();
    let (message, help) = match raw::unknown_field(&message) {
        Some((field, expected)) if expected.iter().any(|e| e == "primary_key") && did_you_mean(&field, expected.iter().map(String::as_str)).is_none() => {
            // `[tables.billing.invoices]` is a table `billing` with a key `invoices`.
            let help = format!("to declare a table in another schema, quote its name: [tables.\"<schema>.{field}\"]");
            (format!("unknown key `{field}`"), Some(help))
        }
        Some((field, expected)) => {
            let help = did_you_mean(&field, expected.iter().map(String::as_str))
                .or_else(|| (!expected.is_empty()).then(|| format!("expected one of {}", expected.join(", "))));
            (format!("unknown key `{field}`"), help)
        }
        None => (message, None),
    };
    SourceError::new(path, source, span, message).with_help(help)
}
