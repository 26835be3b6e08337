//! Columns: one query over `pg_attribute` for every table read, in column order, with
//! the type (`format_type`), default or generation expression (`pg_get_expr`),
//! identity, NOT NULL and comment; and what the model has no field for (a collation
//! of its own, a serial column's sequence).

use planner::model::{Column, Identity};
use sqlx::postgres::types::Oid;
use sqlx::{PgConnection, Row};

use super::fragments::{CatalogType, Fragments};
use super::{Feature, Reader, Treatment};
use crate::error::IntrospectError;

fn sql(version: u32) -> String {
    // Generated columns came in PostgreSQL 12.
    let generated = if version >= 120_000 { "a.attgenerated::text" } else { "''" };
    format!(
        "SELECT a.attrelid AS table_oid, a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS type, a.attndims::int4 AS dims,
       tn.nspname::text AS type_schema, et.typname::text AS type_name,
       a.attnotnull AS not_null, a.attidentity::text AS identity, {generated} AS generated,
       pg_get_expr(d.adbin, d.adrelid) AS expression,
       col_description(a.attrelid, a.attnum) AS comment,
       CASE WHEN a.attcollation <> t.typcollation THEN
         (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation)
       END AS collation,
       CASE WHEN d.adbin IS NOT NULL THEN
         (SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
            FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid JOIN pg_namespace sn ON sn.oid = s.relnamespace
           WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
             AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'a' AND s.relkind = 'S'
           LIMIT 1)
       END AS sequence
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
  JOIN pg_namespace tn ON tn.oid = et.typnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum"
    )
}

pub(super) async fn read(connection: &mut PgConnection, reader: &mut Reader) -> Result<(), IntrospectError> {
    let rows = sqlx::query(&sql(reader.version))
        .bind(reader.table_oids())
        .fetch_all(connection)
        .await
        .map_err(IntrospectError::query("columns"))?;
    for row in rows {
        let decoded = decode(&row).map_err(IntrospectError::query("columns"))?;
        add_column(reader, decoded)?;
    }
    Ok(())
}

struct ColumnRow {
    table_oid: Oid,
    name: String,
    ty: String,
    dims: i32,
    type_schema: String,
    type_name: String,
    not_null: bool,
    identity: String,
    generated: String,
    expression: Option<String>,
    comment: Option<String>,
    collation: Option<String>,
    sequence: Option<String>,
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<ColumnRow, sqlx::Error> {
    Ok(ColumnRow {
        table_oid: row.try_get("table_oid")?,
        name: row.try_get("name")?,
        ty: row.try_get("type")?,
        dims: row.try_get("dims")?,
        type_schema: row.try_get("type_schema")?,
        type_name: row.try_get("type_name")?,
        not_null: row.try_get("not_null")?,
        identity: row.try_get("identity")?,
        generated: row.try_get("generated")?,
        expression: row.try_get("expression")?,
        comment: row.try_get("comment")?,
        collation: row.try_get("collation")?,
        sequence: row.try_get("sequence")?,
    })
}

fn add_column(reader: &mut Reader, row: ColumnRow) -> Result<(), IntrospectError> {
    let Some(table_name) = reader.table(row.table_oid).map(|t| t.name.clone()) else {
        return Ok(());
    };
    let object = format!("column {table_name}.{}", planner::model::quote_ident(&row.name));
    let catalog_type = CatalogType {
        text: &row.ty,
        schema: &row.type_schema,
        name: &row.type_name,
        dims: row.dims,
    };
    let ty = match reader.fragments.column_type(&catalog_type) {
        Ok(ty) => ty,
        Err(reason) => {
            let fallback = Fragments::fallback_type(&catalog_type);
            let definition = format!("{} ({reason}; read as {fallback})", row.ty);
            reader.report(object.clone(), Feature::UnreadableType, Some(definition), Treatment::ReadWithout);
            fallback
        }
    };
    let mut column = Column::new(row.name.clone(), ty);
    column.nullable = !row.not_null;
    column.comment = row.comment;
    column.identity = match row.identity.as_str() {
        "a" => Some(Identity::Always),
        "d" => Some(Identity::ByDefault),
        _ => None,
    };
    if let Some(text) = &row.expression {
        let what = if row.generated.is_empty() { "default" } else { "generation expression" };
        let expression = reader.fragments.expression(what, || object.clone(), text)?;
        if row.generated.is_empty() {
            column.default = Some(expression);
        } else {
            column.generated = Some(expression);
        }
    }
    if row.generated == "v" {
        reader.report(object.clone(), Feature::VirtualGenerated, None, Treatment::ReadWithout);
    }
    if let Some(collation) = row.collation {
        reader.report(
            object.clone(),
            Feature::ColumnCollation,
            Some(format!("COLLATE {collation}")),
            Treatment::ReadWithout,
        );
    }
    if let Some(sequence) = row.sequence {
        let definition = format!("DEFAULT {} with sequence {sequence}", row.expression.unwrap_or_default());
        reader.report(object, Feature::SerialSequence, Some(definition), Treatment::ReadWithout);
    }
    if let Some(table) = reader.table(row.table_oid) {
        table.columns.push(column);
    }
    Ok(())
}
