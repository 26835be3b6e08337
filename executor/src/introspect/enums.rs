//! Enums: one query over `pg_type` and `pg_enum` for every enum in the schemas read,
//! with its labels in sort order.

use planner::model::{Enum, QualifiedName};
use sqlx::{PgConnection, Row};

use super::{extension_member, Feature, Reader, Treatment, USER_SCHEMA};
use crate::error::IntrospectError;

fn sql() -> String {
    format!(
        "SELECT n.nspname::text AS schema, t.typname::text AS name,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'e' AND {USER_SCHEMA} AND NOT {}
 ORDER BY n.nspname, t.typname",
        extension_member("pg_type", "t.oid")
    )
}

pub(super) async fn read(connection: &mut PgConnection, reader: &mut Reader) -> Result<(), IntrospectError> {
    let rows = sqlx::query(&sql()).fetch_all(connection).await.map_err(IntrospectError::query("enums"))?;
    for row in rows {
        let (schema, name, values): (String, String, Vec<String>) =
            (|| Ok::<_, sqlx::Error>((row.try_get("schema")?, row.try_get("name")?, row.try_get("labels")?)))().map_err(IntrospectError::query("enums"))?;
        let name = QualifiedName::new(schema, name);
        if values.is_empty() {
            reader.report(format!("enum {name}"), Feature::EmptyEnum, None, Treatment::LeftOut);
            continue;
        }
        reader.schema.enums.insert(name.clone(), Enum { name, values });
    }
    Ok(())
}
