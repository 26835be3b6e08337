//! An application version, played by a test: the queries an application written for one
//! schema runs (reads, inserts with and without its optional columns, updates, deletes),
//! each checked to succeed and to read back what the schema promises (written values,
//! defaults). Run against the database after each phase, it tells whether the phase kept
//! its promise to that version.

use planner::model::{quote_ident, Column, Schema, Table};
use sqlx::PgConnection;

use super::values::{literal, parents_first};

/// An application version: the schema it was written for, and the other version's
/// schema (to write values both can read).
pub struct App<'a> {
    pub name: &'static str,
    pub schema: &'a Schema,
    pub other: &'a Schema,
    /// Row numbers for the values it writes, apart from the seed rows' and the other app's.
    pub next: i64,
}

/// A row an app wrote and kept: its table and key, as the app names them.
pub struct Kept {
    pub table: planner::model::QualifiedName,
    pub key: String,
}

impl<'a> App<'a> {
    /// Reads, inserts, updates and deletes in every table; returns the problems found
    /// and the rows it kept.
    pub async fn exercise(&mut self, connection: &mut PgConnection) -> (Vec<String>, Vec<Kept>) {
        let mut problems = Vec::new();
        let mut kept = Vec::new();
        for table in parents_first(self.schema) {
            match self.table(connection, table).await {
                Ok(key) => kept.extend(key.map(|key| Kept {
                    table: table.name.clone(),
                    key,
                })),
                Err(problem) => problems.push(format!("{} app on {}: {problem}", self.name, table.name)),
            }
        }
        (problems, kept)
    }

    async fn table(&mut self, connection: &mut PgConnection, table: &Table) -> Result<Option<String>, String> {
        let t = table.name.sql();
        let key = key_expression(table);
        let all: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
        run(connection, &format!("SELECT {} FROM {t} ORDER BY {key} LIMIT 5", all.join(", "))).await?;
        let writable: Vec<&Column> = table.columns.iter().filter(|c| c.identity.is_none() && c.generated.is_none()).collect();
        self.next += 1;
        let full = self.row(connection, table, &writable).await?;
        let full_key = insert(connection, table, &full).await?;
        for (column, value) in &full {
            expect(connection, table, &full_key, column, &written(column, value.as_deref())).await?;
        }
        // The columns it may leave out get what its schema says: their default, or NULL.
        let optional: Vec<&&Column> = writable.iter().filter(|c| c.nullable || c.default.is_some()).collect();
        let required: Vec<&Column> = writable.iter().filter(|c| !optional.contains(c)).copied().collect();
        if !optional.is_empty() && !required.is_empty() {
            self.next += 1;
            let minimal = self.row(connection, table, &required).await?;
            let minimal_key = insert(connection, table, &minimal).await?;
            for column in &optional {
                expect(connection, table, &minimal_key, column, &omitted(column)).await?;
            }
            run(connection, &format!("DELETE FROM {t} WHERE {key} = {minimal_key}")).await?;
        }
        let in_key = |c: &Column| table.primary_key.as_ref().is_some_and(|pk| pk.columns.contains(&c.name));
        let referencing = |c: &Column| table.foreign_keys.iter().any(|fk| fk.columns.contains(&c.name));
        if let Some(column) = writable.iter().find(|c| !in_key(c) && !referencing(c)) {
            self.next += 1;
            let to = self.counterpart(table, column);
            let value = literal(column, to, self.next, self.schema);
            let set = value.clone().unwrap_or_else(|| "NULL".into());
            run(
                connection,
                &format!("UPDATE {t} SET {} = {set} WHERE {key} = {full_key}", quote_ident(&column.name)),
            )
            .await?;
            expect(connection, table, &full_key, column, &written(column, value.as_deref())).await?;
        }
        Ok(Some(full_key))
    }

    /// The other version's column for `column` (same name, or renamed).
    fn counterpart(&self, table: &Table, column: &Column) -> Option<&'a Column> {
        let other = self
            .other
            .tables
            .values()
            .find(|t| t.name == table.name || t.renamed_from.as_ref() == Some(&table.name) || table.renamed_from.as_ref() == Some(&t.name))?;
        other
            .columns
            .iter()
            .find(|c| c.name == column.name || c.renamed_from.as_deref() == Some(&column.name) || column.renamed_from.as_deref() == Some(&c.name))
    }

    /// Values for `columns` of a new row: foreign keys point at an existing parent row.
    async fn row(&self, connection: &mut PgConnection, table: &Table, columns: &[&Column]) -> Result<Vec<(Column, Option<String>)>, String> {
        let mut row = Vec::new();
        for column in columns {
            let fk = table.foreign_keys.iter().find(|fk| fk.columns.contains(&column.name));
            let value = match fk {
                Some(fk) => {
                    let position = fk.columns.iter().position(|c| c == &column.name).unwrap_or(0);
                    let parent = quote_ident(&fk.referenced_columns[position]);
                    let sql = format!("SELECT {parent}::text FROM {} ORDER BY {parent} LIMIT 1", fk.references.sql());
                    let found: Option<String> = sqlx::query_scalar(&sql)
                        .fetch_optional(&mut *connection)
                        .await
                        .map_err(|e| format!("{sql}: {e}"))?;
                    match found {
                        Some(value) => Some(format!("'{value}'")),
                        None if column.nullable => None,
                        None => return Err(format!("no row in {} to reference", fk.references)),
                    }
                }
                None => literal(column, self.counterpart(table, column), self.next, self.schema),
            };
            row.push(((*column).clone(), value));
        }
        Ok(row)
    }
}

/// The table's key as one text value (`jsonb_build_array(...)::text`), the form every
/// check compares keys in.
pub fn key_expression(table: &Table) -> String {
    let columns: Vec<String> = match &table.primary_key {
        Some(pk) => pk.columns.iter().map(|c| quote_ident(c)).collect(),
        None => vec![quote_ident(&table.columns[0].name)],
    };
    format!("jsonb_build_array({})::text", columns.join(", "))
}

async fn run(connection: &mut PgConnection, sql: &str) -> Result<(), String> {
    sqlx::raw_sql(sql).execute(connection).await.map(|_| ()).map_err(|e| format!("{sql}: {e}"))
}

/// Inserts `row`, returning its key (as `key_expression` gives it, quoted as a literal).
async fn insert(connection: &mut PgConnection, table: &Table, row: &[(Column, Option<String>)]) -> Result<String, String> {
    let names: Vec<String> = row.iter().map(|(c, _)| quote_ident(&c.name)).collect();
    let values: Vec<String> = row.iter().map(|(_, v)| v.clone().unwrap_or_else(|| "NULL".into())).collect();
    let sql = if names.is_empty() {
        format!("INSERT INTO {} DEFAULT VALUES RETURNING {}", table.name.sql(), key_expression(table))
    } else {
        format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {}",
            table.name.sql(),
            names.join(", "),
            values.join(", "),
            key_expression(table)
        )
    };
    let key: String = sqlx::query_scalar(&sql).fetch_one(connection).await.map_err(|e| format!("{sql}: {e}"))?;
    Ok(format!("'{}'", key.replace('\'', "''")))
}

/// What a column must read back as, as a SQL condition on `v` (its text).
enum Expected {
    Text(String),
    Null,
    NotNull,
}

fn written(column: &Column, value: Option<&str>) -> Expected {
    match value {
        Some(value) => Expected::Text(format!("(({value})::{})::text", column.ty.sql())),
        None => Expected::Null,
    }
}

fn omitted(column: &Column) -> Expected {
    match &column.default {
        Some(default) if !default.volatile => Expected::Text(format!("(({default})::{})::text", column.ty.sql())),
        Some(_) => Expected::NotNull,
        None => Expected::Null,
    }
}

async fn expect(connection: &mut PgConnection, table: &Table, key: &str, column: &Column, expected: &Expected) -> Result<(), String> {
    let c = quote_ident(&column.name);
    let condition = match expected {
        Expected::Text(sql) => format!("{c}::text IS NOT DISTINCT FROM {sql}"),
        Expected::Null => format!("{c} IS NULL"),
        Expected::NotNull => format!("{c} IS NOT NULL"),
    };
    let sql = format!(
        "SELECT {condition}, {c}::text FROM {} WHERE {} = {key}",
        table.name.sql(),
        key_expression(table)
    );
    let (ok, found): (Option<bool>, Option<String>) = sqlx::query_as(&sql).fetch_one(connection).await.map_err(|e| format!("{sql}: {e}"))?;
    if ok != Some(true) {
        return Err(format!(
            "column {c} of row {key} reads {found:?}, expected {}",
            match expected {
                Expected::Text(sql) => sql.clone(),
                Expected::Null => "NULL".into(),
                Expected::NotNull => "a value".into(),
            }
        ));
    }
    Ok(())
}
