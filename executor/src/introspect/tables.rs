//! Tables: one query over `pg_class` for every ordinary and partitioned table in the
//! schemas read, with its comment and row estimate. Partitions are left out (their
//! parent stands for them); what the model cannot say about a table is reported.

use planner::model::{QualifiedName, Table};
use sqlx::postgres::types::Oid;
use sqlx::{PgConnection, Row};

use super::{extension_member, Feature, Reader, Treatment, USER_SCHEMA};
use crate::error::IntrospectError;

fn sql() -> String {
    format!(
        "SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
       c.relpersistence::text AS persistence, c.reloftype <> 0 AS typed,
       c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages,
       obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid) AS children,
       (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname), ', ' ORDER BY i.inhseqno)
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid) AS parents
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMA} AND NOT {}
 ORDER BY n.nspname, c.relname",
        extension_member("pg_class", "c.oid")
    )
}

pub(super) async fn read(connection: &mut PgConnection, reader: &mut Reader) -> Result<(), IntrospectError> {
    let rows = sqlx::query(&sql()).fetch_all(connection).await.map_err(IntrospectError::query("tables"))?;
    for row in rows {
        let decoded = decode(&row).map_err(IntrospectError::query("tables"))?;
        let name = QualifiedName::new(decoded.schema, decoded.name);
        let mut table = Table::new(name.clone());
        table.comment = decoded.comment;
        let object = format!("table {name}");
        if decoded.kind == "p" {
            let definition = format!("PARTITION BY {} ({} partitions)", decoded.partition_key.unwrap_or_default(), decoded.children);
            reader.report(object.clone(), Feature::PartitionedTable, Some(definition), Treatment::ReadWithout);
        }
        if let Some(parents) = decoded.parents {
            reader.report(
                object.clone(),
                Feature::Inheritance,
                Some(format!("INHERITS ({parents})")),
                Treatment::ReadWithout,
            );
        }
        if decoded.persistence == "u" {
            reader.report(object.clone(), Feature::Unlogged, None, Treatment::ReadWithout);
        }
        if decoded.typed {
            reader.report(object, Feature::TypedTable, None, Treatment::ReadWithout);
        }
        let estimate = row_estimate(reader.version, decoded.reltuples, decoded.relpages);
        reader.row_estimates.insert(name, estimate);
        reader.tables.insert(decoded.oid.0, table);
    }
    Ok(())
}

struct TableRow {
    oid: Oid,
    schema: String,
    name: String,
    kind: String,
    persistence: String,
    typed: bool,
    reltuples: f64,
    relpages: i64,
    comment: Option<String>,
    partition_key: Option<String>,
    children: i64,
    parents: Option<String>,
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<TableRow, sqlx::Error> {
    Ok(TableRow {
        oid: row.try_get("oid")?,
        schema: row.try_get("schema")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        persistence: row.try_get("persistence")?,
        typed: row.try_get("typed")?,
        reltuples: row.try_get("reltuples")?,
        relpages: row.try_get("relpages")?,
        comment: row.try_get("comment")?,
        partition_key: row.try_get("partition_key")?,
        children: row.try_get("children")?,
        parents: row.try_get("parents")?,
    })
}

/// `reltuples` is -1 for a table never vacuumed or analysed since PostgreSQL 14;
/// before 14 it is 0 then, as for an empty table, and `relpages` 0 tells them apart
/// as well as it can.
fn row_estimate(version: u32, reltuples: f64, relpages: i64) -> Option<u64> {
    if reltuples < 0.0 || (version < 140_000 && reltuples == 0.0 && relpages == 0) {
        return None;
    }
    // reltuples is a float estimate; a row count is what a reader wants.
    Some(reltuples.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::row_estimate;

    #[test]
    fn row_estimates_are_unknown_until_analysed() {
        assert_eq!(row_estimate(150_000, -1.0, 0), None);
        assert_eq!(row_estimate(150_000, 0.0, 0), Some(0));
        assert_eq!(row_estimate(130_000, 0.0, 0), None);
        assert_eq!(row_estimate(130_000, 1234.4, 10), Some(1234));
    }
}
