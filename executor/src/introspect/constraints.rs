//! Constraints: one query over `pg_constraint` for every table read: primary keys,
//! unique constraints, checks (`pg_get_expr` of the expression) and foreign keys
//! (columns, referenced table and columns, actions, deferrability). NOT VALID ones are
//! listed besides; exclusion constraints and what else the model cannot hold are
//! reported.

use planner::model::{Check, Deferrable, ForeignKey, PrimaryKey, ReferentialAction, Unique};
use sqlx::postgres::types::Oid;
use sqlx::{PgConnection, Row};

use super::{ConstraintRef, Feature, Reader, Treatment};
use crate::error::IntrospectError;

fn sql(version: u32) -> String {
    // A foreign key to a partitioned table has a child constraint per partition (11+).
    let top_level = if version >= 110_000 { "AND con.conparentid = 0" } else { "" };
    let set_columns = if version >= 150_000 { "con.confdelsetcols IS NOT NULL" } else { "false" };
    let temporal = if version >= 180_000 { "con.conperiod" } else { "false" };
    let enforced = if version >= 180_000 { "con.conenforced" } else { "true" };
    let columns = |key: &str, relation: &str| {
        format!(
            "ARRAY(SELECT a.attname::text FROM unnest(con.{key}) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.{relation} AND a.attnum = k.num ORDER BY k.ord)"
        )
    };
    format!(
        "SELECT con.conrelid AS table_oid, con.conname::text AS name, con.contype::text AS kind,
       con.convalidated AS validated, con.condeferrable AS deferrable, con.condeferred AS deferred,
       con.connoinherit AS no_inherit, {enforced} AS enforced, {temporal} AS temporal,
       {} AS columns, con.confrelid AS ref_oid, {} AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match_type, {set_columns} AS set_columns,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS check_expression,
       pg_get_constraintdef(con.oid) AS definition
  FROM pg_constraint con
 WHERE con.conrelid = ANY($1) AND con.contype IN ('p', 'u', 'c', 'f', 'x') {top_level}
 ORDER BY con.conrelid, con.conname",
        columns("conkey", "conrelid"),
        columns("confkey", "confrelid"),
    )
}

pub(super) async fn read(connection: &mut PgConnection, reader: &mut Reader) -> Result<(), IntrospectError> {
    let rows = sqlx::query(&sql(reader.version))
        .bind(reader.table_oids())
        .fetch_all(connection)
        .await
        .map_err(IntrospectError::query("constraints"))?;
    for row in rows {
        let decoded = decode(&row).map_err(IntrospectError::query("constraints"))?;
        add_constraint(reader, decoded)?;
    }
    Ok(())
}

struct ConstraintRow {
    table_oid: Oid,
    name: String,
    kind: String,
    validated: bool,
    deferrable: bool,
    deferred: bool,
    no_inherit: bool,
    enforced: bool,
    temporal: bool,
    columns: Vec<String>,
    ref_oid: Oid,
    ref_columns: Vec<String>,
    on_update: String,
    on_delete: String,
    match_type: String,
    set_columns: bool,
    check_expression: Option<String>,
    definition: String,
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<ConstraintRow, sqlx::Error> {
    Ok(ConstraintRow {
        table_oid: row.try_get("table_oid")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        validated: row.try_get("validated")?,
        deferrable: row.try_get("deferrable")?,
        deferred: row.try_get("deferred")?,
        no_inherit: row.try_get("no_inherit")?,
        enforced: row.try_get("enforced")?,
        temporal: row.try_get("temporal")?,
        columns: row.try_get("columns")?,
        ref_oid: row.try_get("ref_oid")?,
        ref_columns: row.try_get("ref_columns")?,
        on_update: row.try_get("on_update")?,
        on_delete: row.try_get("on_delete")?,
        match_type: row.try_get("match_type")?,
        set_columns: row.try_get("set_columns")?,
        check_expression: row.try_get("check_expression")?,
        definition: row.try_get("definition")?,
    })
}

fn add_constraint(reader: &mut Reader, row: ConstraintRow) -> Result<(), IntrospectError> {
    let Some(table) = reader.table(row.table_oid).map(|t| t.name.clone()) else {
        return Ok(());
    };
    let object = format!("constraint {} on {table}", planner::model::quote_ident(&row.name));
    let definition = Some(row.definition.clone());
    let mut report = |feature, treatment| reader.report(object.clone(), feature, definition.clone(), treatment);
    if row.no_inherit && row.kind == "c" {
        report(Feature::NoInherit, Treatment::ReadWithout);
    }
    if !row.enforced {
        report(Feature::NotEnforced, Treatment::ReadWithout);
    }
    if row.temporal {
        report(Feature::Temporal, Treatment::ReadWithout);
    }
    if row.deferrable && matches!(row.kind.as_str(), "p" | "u") {
        report(Feature::DeferrableKey, Treatment::ReadWithout);
    }
    let name = row.name.clone();
    match row.kind.as_str() {
        "p" => {
            let primary_key = PrimaryKey { name, columns: row.columns };
            if let Some(t) = reader.table(row.table_oid) {
                t.primary_key = Some(primary_key);
            }
        }
        "u" => {
            let unique = Unique { name, columns: row.columns };
            if let Some(t) = reader.table(row.table_oid) {
                t.uniques.push(unique);
            }
        }
        "c" => {
            let text = row.check_expression.as_deref().unwrap_or_default();
            let expression = reader.fragments.expression("check expression", || object.clone(), text)?;
            if !row.validated {
                reader.not_valid_constraints.push(ConstraintRef { table, name: name.clone() });
            }
            if let Some(t) = reader.table(row.table_oid) {
                t.checks.push(Check { name, expression });
            }
        }
        "f" => add_foreign_key(reader, row, table, object)?,
        _ => reader.report(object, Feature::Exclusion, definition, Treatment::LeftOut),
    }
    Ok(())
}

fn add_foreign_key(reader: &mut Reader, row: ConstraintRow, table: planner::model::QualifiedName, object: String) -> Result<(), IntrospectError> {
    let definition = Some(row.definition.clone());
    let Some(references) = reader.table(row.ref_oid).map(|t| t.name.clone()) else {
        reader.report(object, Feature::ReferenceOutside, definition, Treatment::LeftOut);
        return Ok(());
    };
    if row.match_type == "f" {
        reader.report(object.clone(), Feature::MatchFull, definition.clone(), Treatment::ReadWithout);
    }
    if row.set_columns {
        reader.report(object.clone(), Feature::ActionColumns, definition, Treatment::ReadWithout);
    }
    if !row.validated {
        reader.not_valid_constraints.push(ConstraintRef { table, name: row.name.clone() });
    }
    let deferrable = match (row.deferrable, row.deferred) {
        (_, true) => Deferrable::InitiallyDeferred,
        (true, false) => Deferrable::InitiallyImmediate,
        (false, false) => Deferrable::NotDeferrable,
    };
    let foreign_key = ForeignKey {
        name: row.name,
        columns: row.columns,
        references,
        referenced_columns: row.ref_columns,
        on_delete: action(&row.on_delete),
        on_update: action(&row.on_update),
        deferrable,
    };
    if let Some(t) = reader.table(row.table_oid) {
        t.foreign_keys.push(foreign_key);
    }
    Ok(())
}

/// `pg_constraint.confdeltype` / `confupdtype`.
fn action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}
