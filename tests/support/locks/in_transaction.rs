//! Observes a statement from inside its own transaction: `BEGIN; <statement>;` then read what the backend holds.
//!
//! Exact for relation locks: PostgreSQL keeps relation locks taken by a statement until the end of the transaction,
//! so `pg_locks` of the own backend just before COMMIT lists every one. The observation queries lock only system
//! catalogs, which are filtered out. Locks on relations that the statement created and dropped again (the transient
//! heap of a rewrite) cannot be named and are left out.

use sqlx::PgConnection;

use super::relations::{exec, pending_scans, Relations, ScanCounters};
use super::Observation;

/// SQLSTATE active_sql_transaction: "... cannot run inside a transaction block".
const CANNOT_RUN_IN_TRANSACTION: &str = "25001";

/// Relation locks of the own backend in the current database; `pg_locks` does not lock anything it reports on.
const OWN_LOCKS: &str = r"
SELECT relation::int8, mode, granted FROM pg_catalog.pg_locks
WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation'
  AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())";

/// The observation, or `None` if PostgreSQL refuses to run `statement` in a transaction block.
pub async fn observe(conn: &mut PgConnection, statement: &str) -> Option<Observation> {
    let before = Relations::read(conn).await;
    exec(conn, "BEGIN").await;
    let scans_before = pending_scans(conn).await;
    // Simple query protocol: no prepared statement, and several statements in one string are allowed.
    if let Err(error) = sqlx::raw_sql(statement).execute(&mut *conn).await {
        exec(conn, "ROLLBACK").await;
        if let sqlx::Error::Database(db) = &error {
            if db.code().as_deref() == Some(CANNOT_RUN_IN_TRANSACTION) {
                return None;
            }
        }
        return Some(Observation::failed(true, &error));
    }
    let held: Vec<(i64, String, bool)> = sqlx::query_as(OWN_LOCKS)
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("lock observer: cannot read pg_locks: {e}"));
    let scans_after = pending_scans(conn).await;
    let after = Relations::read(conn).await;
    // COMMIT runs deferred constraint triggers, which can still fail the statement.
    if let Err(error) = sqlx::raw_sql("COMMIT").execute(&mut *conn).await {
        return Some(Observation::failed(true, &error));
    }

    let mut observation = Observation {
        transactional: true,
        ..Observation::default()
    };
    for (oid, mode, granted) in &held {
        if let Some(relation) = before.resolve(&after, *oid) {
            observation.record_lock(relation, mode, *granted);
        }
    }
    observation.rewritten = before.rewritten(&after);
    observation.rebuilt_indexes = before.rebuilt_indexes(&after);
    let no_one_else = ScanCounters::new();
    for oid in super::relations::scanned(&scans_before, &scans_after, &no_one_else) {
        if let Some(relation) = before.resolve(&after, oid) {
            observation.scanned.insert(relation.qualified.clone());
        }
    }
    Some(observation)
}
