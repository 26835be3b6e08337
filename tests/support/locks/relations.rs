//! Catalog snapshots for the lock observer: user relations with their storage, per-table scan counters, and the
//! comparison of two snapshots into rewrites and rebuilt indexes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sqlx::PgConnection;

/// Before PostgreSQL 15 a backend sends its statistics to the collector process when it goes idle, at most once per
/// `PGSTAT_STAT_INTERVAL` (500 ms), and readers accept a statistics file up to that old. This is that interval plus
/// slack.
const STATS_INTERVAL_BEFORE_15: Duration = Duration::from_millis(600);

/// One user relation as `pg_class` describes it at the time of the snapshot.
#[derive(Debug, Clone)]
pub struct Relation {
    /// `schema.name`, unquoted.
    pub qualified: String,
    /// `pg_class.relkind`: r table, p partitioned table, v view, m materialized view, f foreign table, i index,
    /// I partitioned index, S sequence, c composite type.
    pub kind: char,
    /// `pg_class.relfilenode`: changes whenever the relation gets new storage (rewrite, TRUNCATE, REINDEX); 0 for
    /// relations without storage.
    pub filenode: i64,
}

/// User relations by oid. System schemas are left out: the observer reports what a statement does to the user's
/// relations, and catalogs are also what the observation queries themselves lock.
#[derive(Debug, Clone, Default)]
pub struct Relations(pub BTreeMap<i64, Relation>);

const USER_RELATIONS: &str = r"
SELECT c.oid::int8, n.nspname::text || '.' || c.relname::text, c.relkind::text, c.relfilenode::int8
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'";

impl Relations {
    /// Reads the snapshot visible to `conn`, including uncommitted changes of its own open transaction.
    pub async fn read(conn: &mut PgConnection) -> Relations {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(USER_RELATIONS)
            .fetch_all(conn)
            .await
            .unwrap_or_else(|e| panic!("lock observer: cannot read pg_class: {e}"));
        Relations(
            rows.into_iter()
                .map(|(oid, qualified, kind, filenode)| {
                    (
                        oid,
                        Relation {
                            qualified,
                            kind: kind.chars().next().unwrap_or('?'),
                            filenode,
                        },
                    )
                })
                .collect(),
        )
    }

    /// Tables whose storage changed between `self` (before) and `after`, matched by oid because a rewrite keeps the
    /// oid and a rename does not make a rewrite. A table created by the statement was not rewritten.
    pub fn rewritten(&self, after: &Relations) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|(_, before)| matches!(before.kind, 'r' | 'm') && before.filenode != 0)
            .filter(|(oid, before)| after.0.get(oid).is_some_and(|now| now.filenode != before.filenode))
            .map(|(_, before)| before.qualified.clone())
            .collect()
    }

    /// Indexes whose storage changed, matched by name: `ALTER COLUMN ... TYPE` drops an index and recreates it under
    /// the same name with a new oid, and that rebuild is what matters for lock duration.
    pub fn rebuilt_indexes(&self, after: &Relations) -> BTreeSet<String> {
        let index_files = |relations: &Relations| -> BTreeMap<String, i64> {
            relations
                .0
                .values()
                .filter(|r| r.kind == 'i')
                .map(|r| (r.qualified.clone(), r.filenode))
                .collect()
        };
        let now = index_files(after);
        index_files(self)
            .into_iter()
            .filter(|(name, filenode)| now.get(name).is_some_and(|new| new != filenode))
            .map(|(name, _)| name)
            .collect()
    }

    /// Name of relation `oid`, preferring `self` (before the statement: the name the statement was written against)
    /// over `after` (relations the statement created).
    pub fn resolve<'a>(&'a self, after: &'a Relations, oid: i64) -> Option<&'a Relation> {
        self.0.get(&oid).or_else(|| after.0.get(&oid))
    }
}

/// `seq_tup_read` per table oid: rows read by sequential scans. Rows rather than the `seq_scan` count because an
/// index build also scans the empty new storage after TRUNCATE or a rewrite, which costs nothing.
pub type ScanCounters = BTreeMap<i64, i64>;

/// Rows read by sequential scans in this backend and not yet flushed to shared statistics.
///
/// `pg_stat_xact_user_tables` reads the backend's pending counters; they are flushed only while the backend is idle
/// outside a transaction, so two reads inside one transaction bracket exactly what happened between them.
pub async fn pending_scans(conn: &mut PgConnection) -> ScanCounters {
    scans(conn, "SELECT relid::int8, seq_tup_read FROM pg_catalog.pg_stat_xact_user_tables").await
}

/// Rows read by sequential scans, as flushed to shared statistics by all backends of this database.
///
/// Before PostgreSQL 15 the collector writes its file for readers at most every 500 ms and a reader accepts one that
/// old: waiting that long first makes the file include everything flushed before this call.
pub async fn flushed_scans(conn: &mut PgConnection) -> ScanCounters {
    if !shared_memory_stats(conn) {
        tokio::time::sleep(STATS_INTERVAL_BEFORE_15).await;
    }
    // Statistics are read once per transaction and cached (stats_fetch_consistency = cache); start afresh.
    exec(conn, "SELECT pg_catalog.pg_stat_clear_snapshot()").await;
    scans(conn, "SELECT relid::int8, coalesce(seq_tup_read, 0) FROM pg_catalog.pg_stat_user_tables").await
}

/// Makes `conn`'s backend flush its pending statistics by the time this call returns.
///
/// A backend flushes when it goes idle, which happens before the server answers a query, but at most once a second
/// (PostgreSQL 15+) or every 500 ms (before 15, to the collector process). On 15+ `pg_stat_force_next_flush` lifts
/// that limit; before 15 there is no such function, and a query that lasts longer than the interval gets past it.
pub async fn flush_own_stats(conn: &mut PgConnection) {
    if shared_memory_stats(conn) {
        exec(conn, "SELECT pg_catalog.pg_stat_force_next_flush()").await;
    } else {
        let sleep = format!("SELECT pg_catalog.pg_sleep({})", STATS_INTERVAL_BEFORE_15.as_secs_f64());
        exec(conn, &sleep).await;
    }
}

/// Whether the server keeps statistics in shared memory (PostgreSQL 15+) rather than in a collector process.
fn shared_memory_stats(conn: &PgConnection) -> bool {
    conn.server_version_num().is_none_or(|version| version >= 150_000)
}

async fn scans(conn: &mut PgConnection, query: &str) -> ScanCounters {
    let rows: Vec<(i64, i64)> = sqlx::query_as(query)
        .fetch_all(conn)
        .await
        .unwrap_or_else(|e| panic!("lock observer: cannot read scan counters: {e}"));
    rows.into_iter().collect()
}

/// Tables whose counter grew from `before` to `after`, less what `other` (another backend's share of `after`) did.
pub fn scanned(before: &ScanCounters, after: &ScanCounters, other: &ScanCounters) -> BTreeSet<i64> {
    after
        .iter()
        .filter(|(oid, count)| *count - before.get(oid).unwrap_or(&0) - other.get(oid).unwrap_or(&0) > 0)
        .map(|(oid, _)| *oid)
        .collect()
}

/// Runs observer bookkeeping SQL, which must not fail.
pub async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("lock observer: {sql} failed: {e}"));
}
