//! An application version, played by a test: the queries an application written for one
//! schema runs (reads, inserts with and without its optional columns, updates, deletes),
//! each checked to succeed and to read back what the schema promises (written values,
//! defaults). Run against the database after each phase, it tells whether the phase kept
//! its promise to that version.

use planner::model::{quote_ident, Column, Schema, Table};
use sqlx::PgConnection;

use super::values::{counterpart_table, feeds_a_fill, foreign_key, literal_unless, parents_first};

/// An application version: the schema it was written for, and the other version's
/// schema (to write values both can read).
pub struct App<'a> {
    pub name: &'static str,
    pub schema: &'a Schema,
    pub other: &'a Schema,
    /// Row numbers for the values it writes, apart from the seed rows' and the other app's.
    pub next: i64,
    /// While the other version runs too, a column whose default changes keeps the old
    /// one (a changed default waits for contract): either default is what it promised.
    pub either_default: bool,
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
            expect(connection, table, &full_key, column, &self.written(table, column, value.as_deref())).await?;
        }
        // The columns it may leave out get what its schema says: their default, or NULL.
        let optional: Vec<&&Column> = writable.iter().filter(|c| c.nullable || c.default.is_some()).collect();
        let required: Vec<&Column> = writable.iter().filter(|c| !optional.contains(c)).copied().collect();
        if !optional.is_empty() && !required.is_empty() {
            self.next += 1;
            let minimal = self.row(connection, table, &required).await?;
            let minimal_key = insert(connection, table, &minimal).await?;
            for column in &optional {
                let mut expected = match (&column.default, self.written(table, column, None)) {
                    // Left out, it is NULL, which the other version's fill then fills.
                    (None, filled @ (Expected::Text(_) | Expected::NotNull)) => filled,
                    _ => omitted(column),
                };
                if let (true, Some(other)) = (self.either_default, self.counterpart(table, column)) {
                    expected = Expected::Either(Box::new(expected), Box::new(omitted(other)));
                }
                expect(connection, table, &minimal_key, column, &expected).await?;
            }
            run(connection, &format!("DELETE FROM {t} WHERE {key} = {minimal_key}")).await?;
        }
        let in_key = |c: &Column| match &table.primary_key {
            Some(pk) => pk.columns.contains(&c.name),
            None => c.name == table.columns[0].name,
        };
        let other_table = counterpart_table(self.other, table);
        let referencing = |c: &Column| foreign_key(table, other_table, &c.name).is_some();
        if let Some(column) = writable.iter().find(|c| !in_key(c) && !referencing(c)) {
            self.next += 1;
            let to = self.counterpart(table, column);
            let value = literal_unless(column, to, self.next, self.schema, feeds_a_fill(self.other, table, &column.name));
            let set = value.clone().unwrap_or_else(|| "NULL".into());
            run(
                connection,
                &format!("UPDATE {t} SET {} = {set} WHERE {key} = {full_key}", quote_ident(&column.name)),
            )
            .await?;
            expect(connection, table, &full_key, column, &self.written(table, column, value.as_deref())).await?;
        }
        Ok(Some(full_key))
    }

    /// What `column` reads back as after this app wrote `value`: the value, or for a
    /// NULL written into a column the other version fills, the fill (the documented
    /// behaviour of a NOT NULL column with a `backfill` while both versions run).
    fn written(&self, table: &Table, column: &Column, value: Option<&str>) -> Expected {
        let filled = self.counterpart(table, column).filter(|c| !c.nullable).and_then(|c| c.backfill.as_ref());
        match (value, filled) {
            (None, Some(fill)) if fill.constant => Expected::Text(format!("(({fill})::{})::text", column.ty.sql())),
            (None, Some(_)) => Expected::NotNull,
            _ => written(column, value),
        }
    }

    /// The other version's column for `column` (same name, or renamed).
    fn counterpart(&self, table: &Table, column: &Column) -> Option<&'a Column> {
        let other = counterpart_table(self.other, table)?;
        other
            .columns
            .iter()
            .find(|c| c.name == column.name || c.renamed_from.as_deref() == Some(&column.name) || column.renamed_from.as_deref() == Some(&c.name))
    }

    /// Values for `columns` of a new row: foreign keys point at an existing parent row.
    async fn row(&self, connection: &mut PgConnection, table: &Table, columns: &[&Column]) -> Result<Vec<(Column, Option<String>)>, String> {
        let mut row = Vec::new();
        let other_table = counterpart_table(self.other, table);
        for column in columns {
            // A reference either version declares holds while both run.
            let fk = foreign_key(table, other_table, &column.name);
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
                None => literal_unless(
                    column,
                    self.counterpart(table, column),
                    self.next,
                    self.schema,
                    feeds_a_fill(self.other, table, &column.name),
                ),
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

/// What a column must read back as.
enum Expected {
    Text(String),
    Null,
    NotNull,
    Either(Box<Expected>, Box<Expected>),
}

impl Expected {
    /// As a SQL condition on column `c`.
    fn condition(&self, c: &str) -> String {
        match self {
            Expected::Text(sql) => format!("{c}::text IS NOT DISTINCT FROM {sql}"),
            Expected::Null => format!("{c} IS NULL"),
            Expected::NotNull => format!("{c} IS NOT NULL"),
            Expected::Either(a, b) => format!("(({}) OR ({}))", a.condition(c), b.condition(c)),
        }
    }
}

fn written(column: &Column, value: Option<&str>) -> Expected {
    match value {
        Some(value) => Expected::Text(format!("(({value})::{})::text", column.ty.sql())),
        None => Expected::Null,
    }
}

fn omitted(column: &Column) -> Expected {
    match (&column.default, column.identity) {
        (_, Some(_)) => Expected::NotNull,
        // A constant reads back as itself; `now()` or `gen_random_uuid()` as some value.
        (Some(default), _) if default.constant => Expected::Text(format!("(({default})::{})::text", column.ty.sql())),
        (Some(_), _) => Expected::NotNull,
        (None, _) => Expected::Null,
    }
}

async fn expect(connection: &mut PgConnection, table: &Table, key: &str, column: &Column, expected: &Expected) -> Result<(), String> {
    let c = quote_ident(&column.name);
    let condition = expected.condition(&c);
    let sql = format!(
        "SELECT {condition}, {c}::text FROM {} WHERE {} = {key}",
        table.name.sql(),
        key_expression(table)
    );
    let (ok, found): (Option<bool>, Option<String>) = sqlx::query_as(&sql).fetch_one(connection).await.map_err(|e| format!("{sql}: {e}"))?;
    if ok != Some(true) {
        return Err(format!("column {c} of row {key} reads {found:?}, expected {}", expected.condition(&c)));
    }
    Ok(())
}
