//! A `Schema` written as schema.toml (what `bellows introspect` prints): the file loads
//! back with `load_schema` to an equal `Schema`, and the same schema always gives the
//! same bytes (enums, then tables, each in name order; lists in model order).
//!
//! Every index, unique constraint and foreign key is written with its name, so that no
//! name depends on the loader's defaults; the primary key's name only when it is not
//! the default `<table>_pkey`. A type from outside `pg_catalog` that is not an enum of
//! the file is written schema-qualified (`public.citext`), as the loader requires.

use std::fmt::Write as _;

use crate::model::{
    derived_name, quote_ident, Column, Deferrable, Enum, ForeignKey, Index, IndexKey, QualifiedName, ReferentialAction, Schema, SqlType, Table, TypeBase,
};
use crate::sql::parse_type;

/// The schema as a schema.toml text.
pub fn render_schema_toml(schema: &Schema) -> String {
    let mut sections = Vec::new();
    for e in schema.enums.values() {
        sections.push(enum_section(e));
    }
    for table in schema.tables.values() {
        sections.push(table_section(table, schema));
    }
    sections.join("\n")
}

fn enum_section(e: &Enum) -> String {
    format!("[enums.{}]\nvalues = {}\n", key(&name_text(&e.name)), list(&e.values))
}

fn table_section(table: &Table, schema: &Schema) -> String {
    let mut out = format!("[tables.{}]\n", key(&name_text(&table.name)));
    if let Some(comment) = &table.comment {
        let _ = writeln!(out, "comment = {}", string(comment));
    }
    if let Some(from) = &table.renamed_from {
        let _ = writeln!(out, "renamed_from = {}", string(&name_text(from)));
    }
    if let Some(pk) = &table.primary_key {
        let _ = writeln!(out, "primary_key = {}", list(&pk.columns));
        if pk.name != derived_name(&[&table.name.name, "pkey"]) {
            let _ = writeln!(out, "primary_key_name = {}", string(&pk.name));
        }
    }
    let columns: Vec<String> = table.columns.iter().map(|c| column(c, schema)).collect();
    out.push_str(&array("columns", &columns, true));
    let indexes: Vec<String> = table.indexes.iter().map(index).collect();
    out.push_str(&array("indexes", &indexes, false));
    let uniques: Vec<String> = table
        .uniques
        .iter()
        .map(|u| inline(&[("name", string(&u.name)), ("columns", list(&u.columns))]))
        .collect();
    out.push_str(&array("uniques", &uniques, false));
    let checks: Vec<String> = table
        .checks
        .iter()
        .map(|c| inline(&[("name", string(&c.name)), ("expression", string(&c.expression.text))]))
        .collect();
    out.push_str(&array("checks", &checks, false));
    let foreign_keys: Vec<String> = table.foreign_keys.iter().map(foreign_key).collect();
    out.push_str(&array("foreign_keys", &foreign_keys, false));
    out
}

/// `key = [` one entry per line `]`; nothing for an empty list unless `always`.
fn array(key: &str, entries: &[String], always: bool) -> String {
    match entries {
        [] if always => format!("{key} = []\n"),
        [] => String::new(),
        _ => format!("{key} = [\n{}]\n", entries.iter().map(|e| format!("  {e},\n")).collect::<String>()),
    }
}

fn column(column: &Column, schema: &Schema) -> String {
    let mut pairs = vec![("name", string(&column.name)), ("type", string(&type_text(&column.ty, schema)))];
    if !column.nullable {
        pairs.push(("nullable", "false".into()));
    }
    let expressions = [("default", &column.default), ("generated", &column.generated)];
    pairs.extend(expressions.into_iter().filter_map(|(k, e)| Some((k, string(&e.as_ref()?.text)))));
    if let Some(identity) = column.identity {
        let kind = match identity {
            crate::model::Identity::Always => "always",
            crate::model::Identity::ByDefault => "by default",
        };
        pairs.push(("identity", string(kind)));
    }
    if let Some(comment) = &column.comment {
        pairs.push(("comment", string(comment)));
    }
    if let Some(from) = &column.renamed_from {
        pairs.push(("renamed_from", string(from)));
    }
    let expressions = [("backfill", &column.backfill), ("using", &column.using)];
    pairs.extend(expressions.into_iter().filter_map(|(k, e)| Some((k, string(&e.as_ref()?.text)))));
    inline(&pairs)
}

fn index(index: &Index) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let key = match k {
                IndexKey::Column(c) => c.clone(),
                // An expression key is written in parentheses, as in CREATE INDEX.
                IndexKey::Expression(e) if is_parenthesised(&e.text) => e.text.clone(),
                IndexKey::Expression(e) => format!("({})", e.text),
            };
            // Options follow the key as in CREATE INDEX (the column then needs its quotes).
            match index.key_options(i).sql() {
                o if o.is_empty() => key,
                o if matches!(k, IndexKey::Column(_)) => format!("{} {o}", quote_ident(&key)),
                o => format!("{key} {o}"),
            }
        })
        .collect();
    let mut pairs = vec![("name", string(&index.name)), ("columns", list(&keys))];
    if index.unique {
        pairs.push(("unique", "true".into()));
    }
    if let Some(predicate) = &index.predicate {
        pairs.push(("where", string(&predicate.text)));
    }
    if let Some(method) = &index.method {
        pairs.push(("method", string(method)));
    }
    if !index.include.is_empty() {
        pairs.push(("include", list(&index.include)));
    }
    inline(&pairs)
}

fn foreign_key(fk: &ForeignKey) -> String {
    let mut pairs = vec![
        ("name", string(&fk.name)),
        ("columns", list(&fk.columns)),
        ("references", string(&name_text(&fk.references))),
    ];
    if !fk.referenced_columns.is_empty() {
        pairs.push(("referenced_columns", list(&fk.referenced_columns)));
    }
    let actions = [("on_delete", fk.on_delete), ("on_update", fk.on_update)];
    for (key, action) in actions.into_iter().filter(|(_, a)| *a != ReferentialAction::NoAction) {
        pairs.push((key, string(&action.sql().to_lowercase())));
    }
    match fk.deferrable {
        Deferrable::NotDeferrable => {}
        Deferrable::InitiallyImmediate => pairs.push(("deferrable", "true".into())),
        Deferrable::InitiallyDeferred => {
            pairs.push(("deferrable", "true".into()));
            pairs.push(("initially_deferred", "true".into()));
        }
    }
    inline(&pairs)
}

/// True when `text` is one parenthesised group: `(lower(a))`, not `(a) + (b)`.
fn is_parenthesised(text: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == text.len() - 1;
                }
            }
            (None, _) if depth == 0 => return false,
            _ => {}
        }
    }
    false
}

/// The type as schema.toml must spell it to load back as the same type.
fn type_text(ty: &SqlType, schema: &Schema) -> String {
    let sql = ty.sql();
    match &ty.base {
        // A bare name must be an enum of the file; anything else in public is qualified.
        TypeBase::User(name) if name.schema == "public" && !schema.enums.contains_key(name) => format!("public.{sql}"),
        // A built-in type whose bare name the loader does not know.
        TypeBase::Builtin(_) if parse_type(&sql).ok().as_ref() != Some(ty) => format!("pg_catalog.{sql}"),
        _ => sql,
    }
}

/// A table or enum name as schema.toml writes it: `users` for `public.users`,
/// `billing.invoices` otherwise; a part with a dot, a leading double quote or
/// surrounding spaces in double quotes.
fn name_text(name: &QualifiedName) -> String {
    if name.schema == "public" {
        part(&name.name)
    } else {
        format!("{}.{}", part(&name.schema), part(&name.name))
    }
}

fn part(text: &str) -> String {
    if text.contains('.') || text.starts_with('"') || text.trim() != text || text.is_empty() {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A TOML key: bare where TOML allows it, else a quoted string.
fn key(text: &str) -> String {
    let bare = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        text.to_string()
    } else {
        string(text)
    }
}

fn inline(pairs: &[(&str, String)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// A TOML basic string.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_valid_toml() {
        assert_eq!(string("say \"hi\"\\\n\u{1}"), "\"say \\\"hi\\\"\\\\\\n\\u0001\"");
        assert_eq!(key("users"), "users");
        assert_eq!(key("billing.order"), "\"billing.order\"");
        assert_eq!(name_text(&QualifiedName::new("public", "a.b")), "\"a.b\"");
        assert_eq!(name_text(&QualifiedName::new("My.Schema", "t")), "\"My.Schema\".t");
        assert_eq!(name_text(&QualifiedName::new("billing", "\"x")), "billing.\"\"\"x\"");
        assert!(is_parenthesised("(lower(a))") && is_parenthesised("(a || ')')"));
        assert!(!is_parenthesised("(a) + (b)") && !is_parenthesised("lower(a)") && !is_parenthesised("(a"));
    }
}
