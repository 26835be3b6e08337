//! Checks across tables: foreign keys point at existing tables, columns and unique
//! keys, and names that PostgreSQL keeps in one namespace do not collide.

use std::collections::BTreeMap;
use std::ops::Range;

use super::raw::RawFile;
use super::{did_you_mean, Context};
use crate::model::{QualifiedName, Schema, Table};

pub(super) fn check(cx: &mut Context<'_>, raw: &RawFile, schema: &Schema) {
    // Tables, indexes and the indexes behind primary keys and unique constraints share
    // one namespace per schema (pg_class); tables and enums share pg_type.
    let mut relations: BTreeMap<QualifiedName, &'static str> = BTreeMap::new();
    for (raw_name, raw_table) in &raw.tables {
        let Some(table) = QualifiedName::parse(raw_name.get_ref()).and_then(|n| schema.tables.get(&n)) else {
            continue;
        };
        let raw_table = raw_table.get_ref();
        claim(cx, &mut relations, table.name.clone(), "table", raw_name.span());
        if schema.enums.contains_key(&table.name) {
            cx.error(
                raw_name.span(),
                format!(
                    "table {} has the same name as an enum; PostgreSQL gives each table a type of its name",
                    table.name
                ),
                None,
            );
        }
        let mut constraints: Vec<(&str, Range<usize>)> = Vec::new();
        if let (Some(pk), Some(raw_pk)) = (&table.primary_key, &raw_table.primary_key) {
            let span = raw_table.primary_key_name.as_ref().map_or(raw_pk.span(), |n| n.span());
            claim(cx, &mut relations, table.name.sibling(pk.name.clone()), "primary key index", span.clone());
            constraints.push((&pk.name, span));
        }
        for (index, raw_index) in table.indexes.iter().zip(&raw_table.indexes) {
            let span = raw_index.get_ref().name.as_ref().map_or(raw_index.span(), |n| n.span());
            claim(cx, &mut relations, table.name.sibling(index.name.clone()), "index", span);
        }
        for (unique, raw_unique) in table.uniques.iter().zip(&raw_table.uniques) {
            let span = raw_unique.get_ref().name.as_ref().map_or(raw_unique.span(), |n| n.span());
            claim(cx, &mut relations, table.name.sibling(unique.name.clone()), "unique constraint", span.clone());
            constraints.push((&unique.name, span));
        }
        for (check, raw_check) in table.checks.iter().zip(&raw_table.checks) {
            constraints.push((&check.name, raw_check.get_ref().name.span()));
        }
        for (fk, raw_fk) in table.foreign_keys.iter().zip(&raw_table.foreign_keys) {
            let raw_fk = raw_fk.get_ref();
            constraints.push((&fk.name, raw_fk.name.as_ref().map_or(raw_fk.columns.span(), |n| n.span())));
            foreign_key_target(cx, schema, table, fk, raw_fk);
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, span) in constraints {
            if seen.contains(&name) {
                cx.error(
                    span,
                    format!("table {} has two constraints named `{name}`", table.name),
                    Some("give each constraint its own name".into()),
                );
            }
            seen.push(name);
        }
    }
}

fn claim(cx: &mut Context<'_>, taken: &mut BTreeMap<QualifiedName, &'static str>, name: QualifiedName, what: &'static str, span: Range<usize>) {
    if let Some(previous) = taken.get(&name) {
        let article = if previous.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        let message = format!("the {what} name {name} is already used by {article} {previous} in schema {}", name.schema);
        cx.error(
            span,
            message,
            Some("tables, indexes and key constraints share one namespace per schema; rename one".into()),
        );
    } else {
        taken.insert(name, what);
    }
}

fn foreign_key_target(cx: &mut Context<'_>, schema: &Schema, table: &Table, fk: &crate::model::ForeignKey, raw: &super::raw::RawForeignKey) {
    let Some(target) = schema.tables.get(&fk.references) else {
        let names: Vec<String> = schema
            .tables
            .keys()
            .map(|n| if n.schema == "public" { n.name.clone() } else { n.to_string() })
            .collect();
        let help = did_you_mean(raw.references.get_ref(), names.iter().map(String::as_str))
            .or_else(|| Some("declare the referenced table in this file; everything not declared is dropped".into()));
        cx.error(
            raw.references.span(),
            format!(
                "foreign key {} of table {} references table {}, which is not declared",
                fk.name, table.name, fk.references
            ),
            help,
        );
        return;
    };
    let referenced: Vec<String> = match &raw.referenced_columns {
        Some(list) => cx.column_list(target, list, "foreign key's referenced columns"),
        None => match &target.primary_key {
            Some(pk) => pk.columns.clone(),
            None => {
                let help = Some(format!("add referenced_columns, or a primary key to table {}", target.name));
                cx.error(
                    raw.references.span(),
                    format!("foreign key {} references table {}, which has no primary key", fk.name, target.name),
                    help,
                );
                return;
            }
        },
    };
    let span = raw.referenced_columns.as_ref().map_or(raw.references.span(), |c| c.span());
    if referenced.len() != fk.columns.len() {
        let n = fk.columns.len();
        let message = format!(
            "foreign key {} has {n} column{} but references {}",
            fk.name,
            if n == 1 { "" } else { "s" },
            referenced.len()
        );
        cx.error(span, message, None);
        return;
    }
    if !is_unique_key(target, &referenced) {
        let help = Some(format!(
            "add a primary key, a unique constraint or a unique index on ({}) to table {}",
            referenced.join(", "),
            target.name
        ));
        cx.error(
            span,
            format!(
                "foreign key {} references ({}) of table {}, which is not a unique key",
                fk.name,
                referenced.join(", "),
                target.name
            ),
            help,
        );
    }
}

/// PostgreSQL requires the referenced columns to be exactly a primary key, a unique
/// constraint, or a non-partial unique index on plain columns.
fn is_unique_key(table: &Table, columns: &[String]) -> bool {
    let same = |other: &[String]| {
        let mut a = other.to_vec();
        let mut b = columns.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    table.primary_key.as_ref().is_some_and(|pk| same(&pk.columns))
        || table.uniques.iter().any(|u| same(&u.columns))
        || table.indexes.iter().any(|i| {
            let keys: Vec<String> = i.key_columns().map(str::to_string).collect();
            i.unique && i.predicate.is_none() && keys.len() == i.keys.len() && same(&keys)
        })
}
