//! A schema's checksum: a hash of what the diff compares, so that two schemas with no
//! difference between them (a declared one and the live database's) have the same one.
//! Column and constraint order, the spelling of expressions, and the planning hints of
//! schema.toml (`renamed_from`, `backfill`, `using`) do not count.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{Column, Expr, Index, IndexKey, Schema, Table};
use crate::digest::sha256_hex;

impl Schema {
    /// Hex SHA-256 of the schema's canonical form.
    pub fn checksum(&self) -> String {
        self.checksum_of(&self.schemas())
    }

    /// The names of the schemas that hold a table or an enum.
    pub fn schemas(&self) -> BTreeSet<String> {
        self.tables.keys().chain(self.enums.keys()).map(|n| n.schema.clone()).collect()
    }

    /// The checksum of the part of the schema in `schemas` (a live database holds
    /// schemas a plan leaves alone).
    pub fn checksum_of(&self, schemas: &BTreeSet<String>) -> String {
        let tables: Vec<Value> = self.tables.values().filter(|t| schemas.contains(&t.name.schema)).map(table).collect();
        let enums: Vec<Value> = self
            .enums
            .values()
            .filter(|e| schemas.contains(&e.name.schema))
            .map(|e| json!([e.name.sql(), e.values]))
            .collect();
        let canonical = json!({ "tables": tables, "enums": enums });
        sha256_hex(canonical.to_string().as_bytes())
    }
}

fn expr(e: &Option<Expr>) -> Value {
    e.as_ref().map_or(Value::Null, |e| Value::String(e.canonical.clone()))
}

fn sorted<T>(items: &[T], key: impl Fn(&T) -> &str, value: impl Fn(&T) -> Value) -> Vec<Value> {
    let mut items: Vec<&T> = items.iter().collect();
    items.sort_by(|a, b| key(a).cmp(key(b)));
    items.into_iter().map(value).collect()
}

fn table(t: &Table) -> Value {
    let column = |c: &Column| {
        json!([
            c.name,
            c.ty.sql(),
            c.nullable,
            expr(&c.default),
            c.identity.map(|i| i.sql()),
            expr(&c.generated),
            c.comment
        ])
    };
    let index = |i: &Index| {
        let keys: Vec<Value> = i
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => json!({ "column": c }),
                IndexKey::Expression(e) => json!({ "expression": e.canonical }),
            })
            .collect();
        let options: Vec<String> = i.options.iter().map(super::KeyOptions::sql).collect();
        if options.is_empty() {
            json!([i.name, keys, i.unique, expr(&i.predicate), i.method, i.include])
        } else {
            json!([i.name, keys, i.unique, expr(&i.predicate), i.method, i.include, options])
        }
    };
    json!({
        "name": t.name.sql(),
        "columns": sorted(&t.columns, |c| &c.name, column),
        "primary_key": t.primary_key.as_ref().map(|pk| json!([pk.name, pk.columns])),
        "indexes": sorted(&t.indexes, |i| &i.name, index),
        "uniques": sorted(&t.uniques, |u| &u.name, |u| json!([u.name, u.columns])),
        "checks": sorted(&t.checks, |c| &c.name, |c| json!([c.name, c.expression.canonical])),
        "foreign_keys": sorted(&t.foreign_keys, |f| &f.name, |f| json!([
            f.name, f.columns, f.references.sql(), f.referenced_columns,
            f.on_delete.sql(), f.on_update.sql(), format!("{:?}", f.deferrable)
        ])),
        "comment": t.comment,
    })
}
