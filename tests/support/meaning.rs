//! What the rows mean, checked across a migration: before it starts, each row's value of
//! every column of the desired schema is worked out from the row as it is (the same
//! value, converted; a rename's old column; a backfill's expression), in the database
//! itself, and kept aside; when the migration is complete, every row must hold exactly
//! that. Rows an application version writes while it runs are added as they are written.

use planner::model::{quote_ident, Column, Schema, Table};
use sqlx::PgConnection;

use super::app::key_expression;

/// The schema the expected values are kept in: one the plans leave alone.
const KEPT: &str = "bellows_meaning";

pub struct Meaning<'a> {
    pub before: &'a Schema,
    pub after: &'a Schema,
}

/// A table of the desired schema, the table it comes from, and each column's value as an
/// expression over the old row (`None`: nothing to predict, a volatile default).
struct Mapping<'a> {
    after: &'a Table,
    before: &'a Table,
    columns: Vec<(&'a Column, String)>,
}

impl<'a> Meaning<'a> {
    fn mappings(&self) -> Vec<Mapping<'a>> {
        let mut out = Vec::new();
        for after in self.after.tables.values() {
            let source = after.renamed_from.as_ref().unwrap_or(&after.name);
            let Some(before) = self.before.tables.get(source).or_else(|| self.before.tables.get(&after.name)) else {
                continue;
            };
            let columns = after.columns.iter().filter_map(|column| Some((column, value_of(column, before)?))).collect();
            out.push(Mapping { after, before, columns });
        }
        out
    }

    pub async fn setup(&self, connection: &mut PgConnection) {
        sqlx::raw_sql(&format!(
            "CREATE SCHEMA {KEPT}; CREATE TABLE {KEPT}.expected (tbl text, key text, col text, value text, PRIMARY KEY (tbl, key, col))"
        ))
        .execute(connection)
        .await
        .expect("the meaning table is created");
    }

    /// Records what the rows of the old tables must hold once the migration is
    /// complete; `only` limits it to one row of one (old) table, as its app names it.
    pub async fn snapshot(&self, connection: &mut PgConnection, only: Option<(&planner::model::QualifiedName, &str)>) {
        for mapping in self.mappings() {
            if only.is_some_and(|(t, _)| t != &mapping.before.name && t != &mapping.after.name) {
                continue;
            }
            // The table under the name the app used; a renamed table keeps a view of its old name until contract.
            let from = only.map_or(&mapping.before.name, |(t, _)| t);
            let filter = only.map_or(String::new(), |(_, key)| format!(" WHERE {} = {key}", key_expression(mapping.before)));
            for (column, value) in &mapping.columns {
                let sql = format!(
                    "INSERT INTO {KEPT}.expected SELECT {tbl}, {key}, {col}, (({value})::{ty})::text FROM {from} AS t{filter}
                     ON CONFLICT (tbl, key, col) DO UPDATE SET value = EXCLUDED.value",
                    tbl = literal(&mapping.after.name.sql()),
                    key = key_expression(mapping.before),
                    col = literal(&column.name),
                    ty = column.ty.sql(),
                    from = from.sql(),
                );
                sqlx::raw_sql(&sql).execute(&mut *connection).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
    }

    /// Every row holding other values than it must: empty when the meaning is kept.
    pub async fn check(&self, connection: &mut PgConnection) -> Vec<String> {
        let mut problems = Vec::new();
        for mapping in self.mappings() {
            let t = mapping.after.name.sql();
            for (column, _) in &mapping.columns {
                let sql = format!(
                    "SELECT e.key, e.value, x.value FROM {KEPT}.expected e
                     LEFT JOIN (SELECT {} AS key, {}::text AS value FROM {t}) x ON x.key = e.key
                     WHERE e.tbl = {} AND e.col = {} AND (x.key IS NULL OR x.value IS DISTINCT FROM e.value)
                     ORDER BY e.key LIMIT 5",
                    key_expression(mapping.after),
                    quote_ident(&column.name),
                    literal(&t),
                    literal(&column.name)
                );
                let rows: Vec<(String, Option<String>, Option<String>)> =
                    sqlx::query_as(&sql).fetch_all(&mut *connection).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                for (key, expected, found) in rows {
                    problems.push(format!("{t} row {key}: {} is {found:?}, expected {expected:?}", column.name));
                }
            }
        }
        problems
    }

    /// How many values are kept aside (to show the check checked something).
    pub async fn count(&self, connection: &mut PgConnection) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {KEPT}.expected"))
            .fetch_one(connection)
            .await
            .expect("the meaning table is readable")
    }
}

/// A column's value as an expression over the old row aliased `t`.
fn value_of(column: &Column, before: &Table) -> Option<String> {
    let source = before
        .column(&column.name)
        .or_else(|| column.renamed_from.as_deref().and_then(|old| before.column(old)));
    let Some(old) = source else {
        return match (&column.backfill, &column.default) {
            (Some(backfill), _) => Some(backfill.text.clone()),
            (None, Some(default)) if default.constant => Some(default.text.clone()),
            _ => None,
        };
    };
    let c = format!("t.{}", quote_ident(&old.name));
    let mut value = match (&column.using, old.ty == column.ty) {
        (_, true) => c,
        (Some(using), false) => using.text.clone(),
        (None, false) => format!("{c}::{}", column.ty.sql()),
    };
    if let Some(backfill) = &column.backfill {
        value = format!("coalesce({value}, {})", backfill.text);
    }
    Some(value)
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
