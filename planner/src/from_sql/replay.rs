//! The schema a migration history built: the migrations that ran before a file, read
//! with the same recognition `plan --sql` plans with, their changes applied one after
//! the other. What bellows has no recipe for (functions, views, grants, ...) is not
//! part of the model and is skipped; the result is what the next file starts from.

use crate::migration::{parse, source};
use crate::model::Schema;

use super::recognise::recognise;

/// Applies what the migration `text` (at `path`; `diesel_metadata` beside a diesel
/// `up.sql`) does to `schema`, as run, not as planned: a rename leaves no
/// `renamed_from` behind.
pub fn replay_sql(schema: &mut Schema, path: &str, text: &str, diesel_metadata: Option<&str>) {
    let (_, units) = source::units(path, text, diesel_metadata, None);
    for unit in units.into_iter().filter(|u| !u.down) {
        for statement in parse::parse_statements(text, unit.range) {
            let Ok(node) = statement.result else { continue };
            let Some(changes) = recognise(&node, schema) else { continue };
            for change in changes {
                schema.apply(&change);
            }
        }
    }
    settle(schema);
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
    use crate::model::{IndexKey, QualifiedName};

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
