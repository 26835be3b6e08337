//! Indexes: one query over `pg_index` for every table read, with each key as a column
//! name or an expression (`pg_get_indexdef` of the key), the predicate, the access
//! method and the INCLUDE columns. An index that backs a primary key or unique
//! constraint is the constraint in the model (as schema.toml declares it), so only
//! what the constraint cannot say about it is reported; an exclusion constraint's index
//! goes with the constraint.

use planner::model::{Index, IndexKey};
use sqlx::postgres::types::Oid;
use sqlx::{PgConnection, Row};

use super::{Feature, IndexRef, Reader, Treatment};
use crate::error::IntrospectError;

/// The access methods schema.toml's `method` accepts.
const METHODS: &[&str] = &["btree", "hash", "gist", "spgist", "gin", "brin"];

fn sql(version: u32) -> String {
    // INCLUDE came in PostgreSQL 11, NULLS NOT DISTINCT in 15.
    let key_count = if version >= 110_000 { "i.indnkeyatts" } else { "i.indnatts" };
    let nulls_not_distinct = if version >= 150_000 { "i.indnullsnotdistinct" } else { "false" };
    format!(
        "SELECT i.indrelid AS table_oid, ic.relname::text AS name, i.indisunique AS is_unique,
       i.indisvalid AS valid, am.amname::text AS method, {key_count}::int4 AS key_count,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k.ord::int4, false) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
              WHERE k.num = 0 ORDER BY k.ord) AS expressions,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       EXISTS (SELECT 1 FROM unnest(i.indoption::int2[]) o(opt) WHERE o.opt <> 0)
         OR EXISTS (SELECT 1 FROM unnest(i.indclass::oid[]) c(opclass) JOIN pg_opclass oc ON oc.oid = c.opclass
                     WHERE NOT oc.opcdefault)
         OR EXISTS (SELECT 1 FROM unnest(i.indkey::int2[], i.indcollation::oid[]) k(num, coll)
                      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
                     WHERE k.coll <> 0 AND k.coll <> coalesce(a.attcollation, 100)) AS key_options,
       {nulls_not_distinct} AS nulls_not_distinct,
       con.contype::text AS constraint_kind, con.conname::text AS constraint_name,
       pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
 WHERE i.indrelid = ANY($1)
 ORDER BY i.indrelid, ic.relname"
    )
}

pub(super) async fn read(connection: &mut PgConnection, reader: &mut Reader) -> Result<(), IntrospectError> {
    let rows = sqlx::query(&sql(reader.version))
        .bind(reader.table_oids())
        .fetch_all(connection)
        .await
        .map_err(IntrospectError::query("indexes"))?;
    for row in rows {
        let decoded = decode(&row).map_err(IntrospectError::query("indexes"))?;
        add_index(reader, decoded)?;
    }
    Ok(())
}

struct IndexRow {
    table_oid: Oid,
    name: String,
    unique: bool,
    valid: bool,
    method: String,
    key_count: i32,
    /// Every indexed column, keys then INCLUDE; `None` for an expression key.
    columns: Vec<Option<String>>,
    /// The expression keys, in order.
    expressions: Vec<String>,
    predicate: Option<String>,
    key_options: bool,
    nulls_not_distinct: bool,
    constraint_kind: Option<String>,
    constraint_name: Option<String>,
    definition: String,
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<IndexRow, sqlx::Error> {
    Ok(IndexRow {
        table_oid: row.try_get("table_oid")?,
        name: row.try_get("name")?,
        unique: row.try_get("is_unique")?,
        valid: row.try_get("valid")?,
        method: row.try_get("method")?,
        key_count: row.try_get("key_count")?,
        columns: row.try_get("columns")?,
        expressions: row.try_get("expressions")?,
        predicate: row.try_get("predicate")?,
        key_options: row.try_get("key_options")?,
        nulls_not_distinct: row.try_get("nulls_not_distinct")?,
        constraint_kind: row.try_get("constraint_kind")?,
        constraint_name: row.try_get("constraint_name")?,
        definition: row.try_get("definition")?,
    })
}

fn add_index(reader: &mut Reader, row: IndexRow) -> Result<(), IntrospectError> {
    let Some(table) = reader.table(row.table_oid).map(|t| t.name.clone()) else {
        return Ok(());
    };
    let key_count = usize::try_from(row.key_count).unwrap_or(0);
    let definition = Some(row.definition.clone());
    if let (Some(kind), Some(constraint)) = (&row.constraint_kind, &row.constraint_name) {
        // The constraint stands for its index; an exclusion constraint is reported with it.
        if kind != "x" {
            let object = format!("constraint {} on {table}", planner::model::quote_ident(constraint));
            if row.columns.len() > key_count {
                reader.report(object.clone(), Feature::ConstraintInclude, definition.clone(), Treatment::ReadWithout);
            }
            if row.nulls_not_distinct {
                reader.report(object.clone(), Feature::NullsNotDistinct, definition.clone(), Treatment::ReadWithout);
            }
            if row.key_options {
                reader.report(object, Feature::IndexKeyOptions, definition, Treatment::ReadWithout);
            }
        }
        return Ok(());
    }
    let object = format!("index {}", table.sibling(row.name.clone()));
    if !METHODS.contains(&row.method.as_str()) {
        reader.report(object, Feature::IndexMethod, definition, Treatment::LeftOut);
        return Ok(());
    }
    if row.key_options {
        reader.report(object.clone(), Feature::IndexKeyOptions, definition.clone(), Treatment::ReadWithout);
    }
    if row.nulls_not_distinct {
        reader.report(object.clone(), Feature::NullsNotDistinct, definition, Treatment::ReadWithout);
    }
    let mut expressions = row.expressions.iter();
    let mut keys = Vec::new();
    for column in row.columns.iter().take(key_count) {
        match column {
            Some(name) => keys.push(IndexKey::Column(name.clone())),
            None => {
                let text = expressions.next().map(String::as_str).unwrap_or_default();
                let expression = reader.fragments.expression("index expression", || object.clone(), text)?;
                keys.push(IndexKey::Expression(expression));
            }
        }
    }
    let predicate = match &row.predicate {
        Some(text) => Some(reader.fragments.predicate(|| object.clone(), text)?),
        None => None,
    };
    if !row.valid {
        reader.invalid_indexes.push(IndexRef { table, name: row.name.clone() });
    }
    let index = Index {
        name: row.name,
        keys,
        unique: row.unique,
        predicate,
        method: (row.method != "btree").then_some(row.method),
        include: row.columns.into_iter().skip(key_count).flatten().collect(),
        options: Vec::new(),
    };
    if let Some(t) = reader.table(row.table_oid) {
        t.indexes.push(index);
    }
    Ok(())
}
