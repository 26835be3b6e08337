//! A plan's SQL script against a live database, as a person would run it: rows to fill
//! the `before` schema with (deterministic, NULLs where a column allows them), the
//! script cut into its statements, and the state a run leaves behind (the introspected
//! schema, INVALID indexes and NOT VALID constraints, a checksum of every table's rows,
//! and any trigger or function bellows left) so two runs can be compared.

use std::collections::{BTreeMap, BTreeSet};

use executor::{introspect_url, DatabaseUrl};
use planner::model::{quote_ident, Column, Schema, Table, TypeBase};
use sqlx::{Connection, PgConnection};

/// A literal for row `i` of a column, the same on every run; `None` when the type has
/// no simple literal. Row `i` of a nullable column is NULL every seventh row when
/// `nulls` is set.
pub fn literal(column: &Column, i: usize, schema: &Schema, nulls: bool) -> Option<String> {
    if column.nullable && nulls && i % 7 == 3 {
        return Some("NULL".into());
    }
    if column.ty.is_array() {
        return None;
    }
    Some(match &column.ty.base {
        TypeBase::Builtin(name) => match name.as_str() {
            "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" => format!("{i}"),
            // Addresses where the name says so (checks in the examples look for '@');
            // numbers otherwise, so that text-to-number conversions have data to convert.
            "text" | "varchar" | "bpchar" if column.name.contains("email") => format!("'v{i}@example.com'"),
            "text" | "varchar" | "bpchar" => format!("'{i}'"),
            "bool" => if i % 2 == 0 { "true" } else { "false" }.into(),
            "timestamptz" | "timestamp" | "date" => format!("'2024-01-01'::date + {i}"),
            "uuid" => format!("'00000000-0000-0000-0000-{i:012}'"),
            "jsonb" | "json" => format!("'{{\"n\": {i}}}'"),
            _ => return None,
        },
        TypeBase::User(name) => format!("'{}'", schema.enums.get(name)?.values.first()?),
    })
}

/// One `INSERT` of rows `rows` into `table`, leaving identity and generated columns to
/// the database; `None` when a column has no literal.
pub fn insert(table: &Table, schema: &Schema, rows: std::ops::Range<usize>, nulls: bool) -> Option<String> {
    let columns: Vec<&Column> = table.columns.iter().filter(|c| c.identity.is_none() && c.generated.is_none()).collect();
    let mut values = Vec::new();
    for i in rows {
        let row: Option<Vec<String>> = columns.iter().map(|c| literal(c, i, schema, nulls)).collect();
        values.push(format!("({})", row?.join(", ")));
    }
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    Some(format!("INSERT INTO {} ({}) VALUES {}", table.name.sql(), names.join(", "), values.join(", ")))
}

/// INSERTs for `rows` rows in every table of `schema`, tables without foreign keys first
/// (row `i` of a key column references row `i` of the other table).
pub fn fill(schema: &Schema, rows: usize, nulls: bool) -> Vec<String> {
    let (plain, referencing): (Vec<&Table>, Vec<&Table>) = schema.tables.values().partition(|t| t.foreign_keys.is_empty());
    plain
        .into_iter()
        .chain(referencing)
        .filter_map(|t| insert(t, schema, 1..rows + 1, nulls))
        .collect()
}

/// The statements of a script, split with PostgreSQL's own parser.
pub fn statements(script: &str) -> Vec<String> {
    pg_query::split_with_parser(script)
        .expect("the script splits")
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Runs `statements` in order; the first failure is returned with its index.
pub async fn run(connection: &mut PgConnection, statements: &[String]) -> Result<(), (usize, String)> {
    for (i, statement) in statements.iter().enumerate() {
        sqlx::raw_sql(statement)
            .execute(&mut *connection)
            .await
            .map_err(|e| (i, format!("{e}\n{statement}")))?;
    }
    Ok(())
}

/// Runs `statements`, panicking with `what` on a failure.
pub async fn run_all(connection: &mut PgConnection, statements: &[String], what: &str) {
    if let Err((i, error)) = run(connection, statements).await {
        panic!("{what}: statement {i} failed: {error}");
    }
}

pub async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|e| panic!("cannot connect: {e}"))
}

/// What a run leaves in the database.
#[derive(Debug, PartialEq)]
pub struct State {
    pub schema: Schema,
    pub invalid_indexes: Vec<String>,
    pub not_valid_constraints: Vec<String>,
    /// Per table: the row count and an md5 of its rows (columns in name order).
    pub rows: BTreeMap<String, String>,
    /// Triggers and functions that are not part of the schema (bellows's, left behind).
    pub leftovers: Vec<String>,
}

/// Reads the state of the database at `url`. Columns in `skip` (`table.column`, values
/// that differ from run to run, such as a volatile default) are left out of the row
/// checksums.
pub async fn state(url: &str, skip: &BTreeSet<String>) -> State {
    let live = introspect_url(&DatabaseUrl::new(url))
        .await
        .unwrap_or_else(|e| panic!("introspection failed: {e}"));
    let mut connection = connect(url).await;
    let mut rows = BTreeMap::new();
    for table in live.schema.tables.values() {
        let mut columns: Vec<&String> = table
            .columns
            .iter()
            .map(|c| &c.name)
            .filter(|c| !skip.contains(&format!("{}.{c}", table.name)))
            .collect();
        columns.sort();
        let values: Vec<String> = columns.iter().map(|c| format!("quote_nullable({}::text)", quote_ident(c))).collect();
        let row = if values.is_empty() {
            "''".to_string()
        } else {
            format!("concat_ws('|', {})", values.join(", "))
        };
        let sql = format!(
            "SELECT count(*)::text || ' ' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '') FROM (SELECT {row} AS r FROM {}) AS s",
            table.name.sql()
        );
        let checksum: String = sqlx::query_scalar(&sql)
            .fetch_one(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.insert(table.name.to_string(), checksum);
    }
    let leftovers: Vec<String> = sqlx::query_scalar(
        "SELECT 'trigger ' || tgname::text FROM pg_trigger WHERE NOT tgisinternal
         UNION ALL SELECT 'function ' || proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND proname LIKE 'bellows%'
         ORDER BY 1",
    )
    .fetch_all(&mut connection)
    .await
    .expect("reads triggers and functions");
    let _ = connection.close().await;
    State {
        schema: live.schema,
        invalid_indexes: live.invalid_indexes.iter().map(|i| format!("{i:?}")).collect(),
        not_valid_constraints: live.not_valid_constraints.iter().map(|c| format!("{c:?}")).collect(),
        rows,
        leftovers,
    }
}

/// Columns of `after` whose values may depend on when they are computed (a default or
/// backfill that is not a constant, such as `now()`): equal within one database, not
/// across two.
pub fn volatile_columns(after: &Schema) -> BTreeSet<String> {
    after
        .tables
        .values()
        .flat_map(|t| {
            t.columns
                .iter()
                .filter(|c| c.default.iter().chain(&c.backfill).any(|e| !e.constant))
                .map(move |c| format!("{}.{}", t.name, c.name))
        })
        .collect()
}
