//! The shape of schema.toml as serde reads it, with the span of every value that a
//! later check may need to point at. Unknown keys are rejected here.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

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
