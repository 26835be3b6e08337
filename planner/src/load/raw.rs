//! The shape of schema.toml as serde reads it, with the span of every value that a
//! later check may need to point at. Unknown keys are rejected here.

use std::ops::Range;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Reads the file's shape, reporting every problem serde finds, not only the first, as a
/// compiler does: the TOML is parsed once, with recovery, into a tree with spans; then,
/// as long as deserialising it fails, the error is kept and the tree repaired where it
/// points, and the rest is deserialised again. A misspelt key becomes the key it was
/// probably meant to be (so that its value is checked too, and no "missing field"
/// follows); any other entry in error is taken out. Returns the file (without the
/// entries in error) and the errors; no file when the TOML itself does not parse.
pub fn read(source: &str) -> (Option<RawFile>, Vec<toml::de::Error>) {
    let (mut document, mut syntax) = DeTable::parse_recoverable(source);
    if !syntax.is_empty() {
        // After a syntax error the parser resynchronises, and often reports the same
        // mistake again further on: one error per line is kept.
        syntax.sort_by_key(|e| e.span().map_or(0, |s| s.start));
        let line = |e: &toml::de::Error| e.span().map(|s| source[..s.start.min(source.len())].matches('\n').count());
        syntax.dedup_by(|later, earlier| line(later) == line(earlier));
        return (None, syntax);
    }
    let mut errors = Vec::new();
    loop {
        match RawFile::deserialize(toml::de::Deserializer::from(document.clone())) {
            Ok(file) => return (Some(file), errors),
            Err(error) => {
                let meant = unknown_field(error.message())
                    .and_then(|(field, expected)| crate::suggest::closest(&field, expected.iter().map(String::as_str)).map(str::to_string));
                let repaired = error.span().is_some_and(|span| repair(document.get_mut(), &span, meant.as_deref()));
                errors.push(error);
                if !repaired {
                    return (None, errors);
                }
            }
        }
    }
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" message.
pub fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect();
    Some((field.to_string(), expected))
}

/// Repairs the innermost entry of `table` whose key or value contains `span`: renamed to
/// `meant` when that key is not there already, else taken out. Children are searched
/// first, and all of them: a table declared by a `[header]` has a span that does not
/// cover its entries.
fn repair(table: &mut DeTable<'_>, span: &Range<usize>, meant: Option<&str>) -> bool {
    let mut found = None;
    for (key, value) in table.iter_mut() {
        if repair_within(value.get_mut(), span, meant) {
            return true;
        }
        if contains(&key.span(), span) || contains(&value.span(), span) {
            found = Some(key.clone());
        }
    }
    let Some(key) = found else { return false };
    let Some(value) = table.remove(&key) else { return false };
    if let Some(meant) = meant.filter(|m| !table.contains_key(*m)) {
        table.insert(Spanned::new(key.span(), std::borrow::Cow::Owned(meant.to_string())), value);
    }
    true
}

fn repair_within(value: &mut DeValue<'_>, span: &Range<usize>, meant: Option<&str>) -> bool {
    match value {
        DeValue::Table(table) => repair(table, span, meant),
        DeValue::Array(items) => {
            for i in 0..items.len() {
                let item = &mut items.as_mut()[i];
                if repair_within(item.get_mut(), span, meant) {
                    return true;
                }
                if contains(&item.span(), span) {
                    let kept = std::mem::replace(items, toml::de::DeArray::new());
                    *items = kept.into_iter().enumerate().filter(|(j, _)| *j != i).map(|(_, item)| item).collect();
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub tables: IndexMap<Text, Spanned<RawTable>>,
    #[serde(default)]
    pub enums: IndexMap<Text, Spanned<RawEnum>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    #[serde(default)]
    pub columns: Vec<Spanned<RawColumn>>,
    pub primary_key: Option<Spanned<Vec<Text>>>,
    pub primary_key_name: Option<Text>,
    #[serde(default)]
    pub indexes: Vec<Spanned<RawIndex>>,
    #[serde(default)]
    pub uniques: Vec<Spanned<RawUnique>>,
    #[serde(default)]
    pub checks: Vec<Spanned<RawCheck>>,
    #[serde(default)]
    pub foreign_keys: Vec<Spanned<RawForeignKey>>,
    pub comment: Option<String>,
    pub renamed_from: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawColumn {
    pub name: Text,
    #[serde(rename = "type")]
    pub ty: Text,
    pub nullable: Option<bool>,
    pub default: Option<Text>,
    pub identity: Option<Text>,
    pub generated: Option<Text>,
    pub comment: Option<String>,
    pub renamed_from: Option<Text>,
    pub backfill: Option<Text>,
    pub using: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndex {
    pub name: Option<Text>,
    pub columns: Spanned<Vec<Text>>,
    #[serde(default)]
    pub unique: bool,
    #[serde(rename = "where")]
    pub predicate: Option<Text>,
    pub method: Option<Text>,
    #[serde(default)]
    pub include: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnique {
    pub name: Option<Text>,
    pub columns: Spanned<Vec<Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    pub name: Text,
    pub expression: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawForeignKey {
    pub name: Option<Text>,
    pub columns: Spanned<Vec<Text>>,
    pub references: Text,
    pub referenced_columns: Option<Spanned<Vec<Text>>>,
    pub on_delete: Option<Text>,
    pub on_update: Option<Text>,
    #[serde(default)]
    pub deferrable: bool,
    #[serde(default)]
    pub initially_deferred: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnum {
    pub values: Spanned<Vec<Text>>,
}
