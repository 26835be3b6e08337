//! The schema a migration history built: the migrations that ran before a file, read
//! with the same recognition `plan --sql` plans with, their changes applied one after
//! the other. What bellows has no recipe for (functions, views, grants, ...) is not
//! part of the model and is skipped; the result is what the next file starts from.

use crate::change::Change;
use crate::migration::{parse, source};
use crate::model::{IndexKey, Schema};

use super::recognise::recognise;

/// Applies what the migration `text` (at `path`; `diesel_metadata` beside a diesel
/// `up.sql`) does to `schema`, as run, not as planned: a rename leaves no
/// `renamed_from` behind, and the keys, indexes and foreign keys that named the old
/// column name the new one.
pub fn replay_sql(schema: &mut Schema, path: &str, text: &str, diesel_metadata: Option<&str>) {
    let (_, units) = source::units(path, text, diesel_metadata, None);
    for unit in units.into_iter().filter(|u| !u.down) {
        for statement in parse::parse_statements(text, unit.range) {
            let Ok(node) = statement.result else { continue };
            let Some(changes) = recognise(&node, schema) else { continue };
            for change in changes {
                schema.apply(&change);
                if let Change::RenameColumn { table, old, column } = &change {
                    rename_references(schema, table, &old.name, &column.name);
                }
            }
        }
    }
    settle(schema);
}

/// Every reference to column `from` of `table` (its keys, indexes, foreign keys, and
/// other tables' foreign keys to it) names `to` instead.
fn rename_references(schema: &mut Schema, table: &crate::model::QualifiedName, from: &str, to: &str) {
    let swap = |names: &mut Vec<String>| names.iter_mut().filter(|n| *n == from).for_each(|n| *n = to.to_string());
    for (name, t) in &mut schema.tables {
        if name == table {
            if let Some(pk) = &mut t.primary_key {
                swap(&mut pk.columns);
            }
            t.uniques.iter_mut().for_each(|u| swap(&mut u.columns));
            t.foreign_keys.iter_mut().for_each(|f| swap(&mut f.columns));
            for index in &mut t.indexes {
                index.include.iter_mut().filter(|n| *n == from).for_each(|n| *n = to.to_string());
                for key in &mut index.keys {
                    if matches!(key, IndexKey::Column(c) if c == from) {
                        *key = IndexKey::Column(to.to_string());
                    }
                }
            }
        }
        t.foreign_keys
            .iter_mut()
            .filter(|f| &f.references == table)
            .for_each(|f| swap(&mut f.referenced_columns));
    }
}

/// The schema as it is once the history has run: no pending renames or fill hints.
fn settle(schema: &mut Schema) {
    for table in schema.tables.values_mut() {
        table.renamed_from = None;
        for column in &mut table.columns {
            column.renamed_from = None;
            column.backfill = None;
            column.using = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QualifiedName;

    #[test]
    fn a_history_builds_tables_keys_and_indexes_and_renames_follow_through() {
        let mut schema = Schema::default();
        replay_sql(
            &mut schema,
            "migrations/0001_users.sql",
            "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, name text);
             CREATE UNIQUE INDEX users_name_key ON users (name);
             CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
            None,
        );
        replay_sql(
            &mut schema,
            "migrations/0002_rename.sql",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
            None,
        );
        let users = &schema.tables[&QualifiedName::new("public", "users")];
        assert_eq!(users.primary_key.as_ref().map(|pk| pk.columns.clone()), Some(vec!["id".to_string()]));
        let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "email", "full_name"]);
        assert!(users.columns.iter().all(|c| c.renamed_from.is_none()));
        assert_eq!(users.indexes[0].keys, [IndexKey::Column("full_name".into())]);
        assert!(users.indexes[0].unique);
    }

    #[test]
    fn a_rollback_adds_nothing() {
        let mut schema = Schema::default();
        replay_sql(&mut schema, "migrations/0001_t.down.sql", "CREATE TABLE t (id int);", None);
        assert!(schema.tables.is_empty());
    }
}
