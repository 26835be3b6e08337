//! Introspection: a live database read into the planner's `Schema`, so that a plan can
//! start from what exists.
//!
//! One catalog query per kind of object (tables, columns, constraints, indexes, enums),
//! never one per table, all in one read-only REPEATABLE READ transaction, so the kinds
//! agree with each other and 1,000 tables read in well under a second. Every schema is
//! read except PostgreSQL's own (`pg_catalog`, `information_schema`, `pg_toast*`,
//! `pg_temp*`) and bellows's state schema (`bellows`); objects that belong to an
//! extension are skipped. What the model cannot express is listed in
//! [`Introspection::unsupported`], never dropped silently.

mod columns;
mod constraints;
mod enums;
mod fragments;
mod indexes;
mod report;
mod tables;

use std::collections::BTreeMap;

use planner::model::{QualifiedName, Schema, Table};
use sqlx::postgres::types::Oid;
use sqlx::{Connection, PgConnection};

use crate::database_url::DatabaseUrl;
use crate::error::{IntrospectError, ReadSchemaError};
use fragments::Fragments;
pub use report::{Feature, Treatment, Unsupported};

/// The live schema, and what the model has no field for.
#[derive(Clone, Debug, PartialEq)]
pub struct Introspection {
    pub schema: Schema,
    /// `server_version_num`, e.g. 150018.
    pub server_version: u32,
    /// `pg_class.reltuples` per table: `None` when the table was never analysed or
    /// vacuumed (PostgreSQL then does not know).
    pub row_estimates: BTreeMap<QualifiedName, Option<u64>>,
    /// Checks and foreign keys added `NOT VALID` and not validated since: existing rows
    /// may violate them. They are in `schema` too (they hold for new rows).
    pub not_valid_constraints: Vec<ConstraintRef>,
    /// Indexes marked invalid (a failed or interrupted `CREATE INDEX CONCURRENTLY`).
    /// They are in `schema` too: the name is taken and writes maintain them.
    pub invalid_indexes: Vec<IndexRef>,
    /// What the live database holds that the model cannot express, and what became of it.
    pub unsupported: Vec<Unsupported>,
}

/// A constraint of a table, by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConstraintRef {
    pub table: QualifiedName,
    pub name: String,
}

/// An index of a table, by name (indexes live in the table's schema).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexRef {
    pub table: QualifiedName,
    pub name: String,
}

/// Settings that make the catalog's text the same whoever runs bellows: names that are
/// not in `public` (or `pg_catalog`) come schema-qualified, as schema.toml reads bare
/// names in `public`; time constants print in UTC, ISO style.
const SESSION: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL search_path = public;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, MDY';
SET LOCAL IntervalStyle = 'postgres'";

/// The oldest server whose catalog the queries read (`relispartition`, `attidentity`).
const OLDEST: u32 = 100_000;

/// Connects to `url`, reads its schema and disconnects.
pub async fn introspect_url(url: &DatabaseUrl) -> Result<Introspection, ReadSchemaError> {
    let mut connection = crate::connect(url).await?;
    let introspection = introspect(&mut connection)
        .await
        .map_err(|cause| ReadSchemaError::Introspect { url: url.redacted(), cause })?;
    // The session is over either way; a failed goodbye changes nothing.
    let _ = connection.close().await;
    Ok(introspection)
}

/// Reads the live schema over `connection`.
pub async fn introspect(connection: &mut PgConnection) -> Result<Introspection, IntrospectError> {
    let mut tx = connection.begin().await.map_err(IntrospectError::query("transaction"))?;
    sqlx::raw_sql(SESSION)
        .execute(&mut *tx)
        .await
        .map_err(IntrospectError::query("session settings"))?;
    let version: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int4")
        .fetch_one(&mut *tx)
        .await
        .map_err(IntrospectError::query("server version"))?;
    let version = u32::try_from(version).unwrap_or(0);
    if version < OLDEST {
        return Err(IntrospectError::ServerTooOld { version: version.to_string() });
    }
    let mut reader = Reader::new(version);
    tables::read(&mut tx, &mut reader).await?;
    columns::read(&mut tx, &mut reader).await?;
    constraints::read(&mut tx, &mut reader).await?;
    indexes::read(&mut tx, &mut reader).await?;
    enums::read(&mut tx, &mut reader).await?;
    // Read-only: ending it either way changes nothing.
    tx.rollback().await.map_err(IntrospectError::query("transaction"))?;
    Ok(reader.finish())
}

/// What the per-kind readers fill in, keyed by table oid until the end.
pub(crate) struct Reader {
    pub version: u32,
    pub tables: BTreeMap<u32, Table>,
    pub schema: Schema,
    pub row_estimates: BTreeMap<QualifiedName, Option<u64>>,
    pub not_valid_constraints: Vec<ConstraintRef>,
    pub invalid_indexes: Vec<IndexRef>,
    pub unsupported: Vec<Unsupported>,
    pub fragments: Fragments,
}

impl Reader {
    fn new(version: u32) -> Reader {
        Reader {
            version,
            tables: BTreeMap::new(),
            schema: Schema::default(),
            row_estimates: BTreeMap::new(),
            not_valid_constraints: Vec::new(),
            invalid_indexes: Vec::new(),
            unsupported: Vec::new(),
            fragments: Fragments::default(),
        }
    }

    /// The oids of the tables read, the parameter of every later query.
    pub fn table_oids(&self) -> Vec<Oid> {
        self.tables.keys().map(|oid| Oid(*oid)).collect()
    }

    pub fn table(&mut self, oid: Oid) -> Option<&mut Table> {
        self.tables.get_mut(&oid.0)
    }

    pub fn report(&mut self, object: String, feature: Feature, definition: Option<String>, treatment: Treatment) {
        self.unsupported.push(Unsupported {
            object,
            feature,
            definition,
            treatment,
        });
    }

    fn finish(mut self) -> Introspection {
        for table in std::mem::take(&mut self.tables).into_values() {
            self.schema.tables.insert(table.name.clone(), table);
        }
        self.not_valid_constraints.sort();
        self.invalid_indexes.sort();
        self.unsupported.sort_by(|a, b| (&a.object, a.feature).cmp(&(&b.object, b.feature)));
        Introspection {
            schema: self.schema,
            server_version: self.version,
            row_estimates: self.row_estimates,
            not_valid_constraints: self.not_valid_constraints,
            invalid_indexes: self.invalid_indexes,
            unsupported: self.unsupported,
        }
    }
}

/// The schemas that hold user objects: not PostgreSQL's own, not bellows's state.
/// `n` is the `pg_namespace` alias.
pub(crate) const USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'bellows') \
AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// True for an object created by an extension (`classid` names its catalog).
pub(crate) fn extension_member(catalog: &str, oid: &str) -> String {
    format!("EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')")
}
