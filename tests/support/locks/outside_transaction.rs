//! Observes a statement that cannot run in a transaction block, by sampling `pg_locks` from another connection while
//! open transactions on further connections (the blockers) make the statement wait.
//!
//! Only a wait is deterministic, so only samples taken while the statement waits and a blocker is still open are
//! kept: the locks it holds then and the lock it waits for. Once it has been seen waiting in a few consecutive samples
//! the first open blocker commits; with several blockers the statement can be caught at several wait points. After
//! the last blocker it runs to completion unobserved.
//!
//! Scans are read from shared statistics once every backend involved has flushed its own (`relations::flush_own_stats`).
//! Before PostgreSQL 15, whose statistics go through a collector process on a 500 ms clock, each flush and each read
//! waits 0.6 s, a few seconds per observed statement.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use super::relations::{exec, flush_own_stats, flushed_scans, pending_scans, scanned, Relations, ScanCounters};
use super::{connect, describe, Observation, STATEMENT_TIMEOUT};

/// Consecutive samples that must show the statement waiting before the blocker lets it go. More than one so that
/// the locks held at the wait are seen settled, not half-acquired.
const WAITING_SAMPLES: u32 = 3;
const SAMPLE_INTERVAL: Duration = Duration::from_millis(5);
/// The statement's own timeout plus slack: past this the observer cancels it instead of waiting for the server.
const OBSERVER_DEADLINE: Duration = Duration::from_secs(STATEMENT_TIMEOUT.as_secs() + 10);

static NEXT_MARKER: AtomicU64 = AtomicU64::new(1);

/// Every lock of the marked backend, relation or not, so that a wait for a transaction (virtualxid) is seen too.
const MARKED_LOCKS: &str = r"
SELECT l.locktype, coalesce(l.relation::int8, 0), l.mode, l.granted
FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_locks l ON l.pid = a.pid
WHERE a.application_name = $1 AND a.datname = pg_catalog.current_database()";

/// Observes `statement`; `observer` is connected to `db_url` and has run the setup.
pub async fn observe(db_url: &str, observer: &mut PgConnection, statement: &str, blockers: Option<&[&str]>) -> Observation {
    let before = Relations::read(observer).await;
    // The setup's scans must be in shared statistics before the baseline is read, or they would count as the statement's.
    flush_own_stats(observer).await;
    let scans_before = flushed_scans(observer).await;

    let blocker_sql = match blockers {
        Some(blockers) => blockers.iter().map(ToString::to_string).collect(),
        None => default_blocker(&before),
    };
    let mut blockers = Blockers::open(db_url, &blocker_sql).await;

    let marker = format!("bellows-observed-{}-{}", std::process::id(), NEXT_MARKER.fetch_add(1, Ordering::Relaxed));
    let mut target = connect(db_url, &marker).await;
    let finished = Cell::new(false);
    let run = async {
        let result = sqlx::raw_sql(statement).execute(&mut target).await.map(|_| ());
        // The statement's scans become visible to the observer only once this backend flushes them.
        flush_own_stats(&mut target).await;
        let _ = target.close().await;
        finished.set(true);
        result
    };
    let mut observation = Observation {
        transactional: false,
        ..Observation::default()
    };
    let watch = watch(observer, &marker, &before, &mut blockers, &finished, &mut observation);
    // Both bounded already (statement_timeout, the watcher's deadline and cancel); this guards against a server that
    // stops answering altogether.
    let result = match tokio::time::timeout(OBSERVER_DEADLINE + Duration::from_secs(20), async { tokio::join!(run, watch).0 }).await {
        Ok(result) => result,
        Err(_) => panic!("lock observer: `{statement}` and its observer did not finish in {OBSERVER_DEADLINE:?} + 20 s"),
    };
    // The statement may never have waited for a blocker (VACUUM behind writers): let them go now.
    while blockers.is_open() {
        blockers.release_next().await;
    }
    if let Err(error) = result {
        let failed = Observation::failed(false, &error);
        return Observation {
            error: failed.error,
            error_code: failed.error_code,
            ..observation
        };
    }

    let after = Relations::read(observer).await;
    observation.rewritten = before.rewritten(&after);
    observation.rebuilt_indexes = before.rebuilt_indexes(&after);
    let scans_after = flushed_scans(observer).await;
    for oid in scanned(&scans_before, &scans_after, &blockers.scans) {
        if let Some(relation) = before.resolve(&after, oid) {
            observation.scanned.insert(relation.qualified.clone());
        }
    }
    observation
}

/// Samples the marked backend's locks until `finished`, keeping the samples in which it waits while a blocker is
/// open, and releasing the next blocker after `WAITING_SAMPLES` of them. Cancels the statement at the deadline.
async fn watch(observer: &mut PgConnection, marker: &str, before: &Relations, blockers: &mut Blockers, finished: &Cell<bool>, observation: &mut Observation) {
    let mut waiting_samples = 0;
    let deadline = Instant::now() + OBSERVER_DEADLINE;
    while !finished.get() {
        if Instant::now() >= deadline {
            cancel(observer, marker).await;
            return;
        }
        let rows: Vec<(String, i64, String, bool)> = sqlx::query_as(MARKED_LOCKS)
            .bind(marker)
            .fetch_all(&mut *observer)
            .await
            .unwrap_or_else(|e| panic!("lock observer: cannot sample pg_locks: {e}"));
        let waiting = rows.iter().any(|(_, _, _, granted)| !granted);
        if blockers.is_open() && waiting {
            let now = Relations::read(observer).await;
            record_sample(observation, before, &now, &rows);
            waiting_samples += 1;
            if waiting_samples >= WAITING_SAMPLES {
                blockers.release_next().await;
                waiting_samples = 0;
            }
        } else {
            waiting_samples = 0;
        }
        tokio::time::sleep(SAMPLE_INTERVAL).await;
    }
}

/// Files one sample taken while the statement waited. Relations the statement created after `before` (the index of
/// CREATE INDEX CONCURRENTLY) are named from the catalog as it is now.
fn record_sample(observation: &mut Observation, before: &Relations, now: &Relations, rows: &[(String, i64, String, bool)]) {
    for (locktype, oid, mode, granted) in rows {
        if locktype != "relation" {
            if !granted {
                observation.waits.insert((locktype.clone(), mode.clone()));
            }
            continue;
        }
        if let Some(relation) = before.resolve(now, *oid) {
            observation.record_lock(relation, mode, *granted);
        }
    }
}

/// RowExclusiveLock on every table and partitioned table: what an application's open writing transaction holds, and
/// what CONCURRENTLY commands wait for.
fn default_blocker(before: &Relations) -> Vec<String> {
    let tables: Vec<String> = before
        .0
        .values()
        .filter(|r| matches!(r.kind, 'r' | 'p'))
        .map(|r| quote_qualified(&r.qualified))
        .collect();
    if tables.is_empty() {
        return Vec::new();
    }
    vec![format!("LOCK TABLE {} IN ROW EXCLUSIVE MODE", tables.join(", "))]
}

/// `schema.name` as a quoted identifier pair. Splits at the first dot: schema names made by tests contain none.
fn quote_qualified(qualified: &str) -> String {
    let quote = |identifier: &str| format!("\"{}\"", identifier.replace('"', "\"\""));
    match qualified.split_once('.') {
        Some((schema, name)) => format!("{}.{}", quote(schema), quote(name)),
        None => quote(qualified),
    }
}

/// Cancels the marked backend's statement; its `statement_timeout` would too, this only comes sooner.
async fn cancel(observer: &mut PgConnection, marker: &str) {
    let cancel = "SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_catalog.pg_stat_activity WHERE application_name = $1";
    // Best effort: if it fails the statement still ends at its statement_timeout.
    let _ = sqlx::query(cancel).bind(marker).execute(observer).await;
}

/// The blockers: one connection each, with an open transaction that ran that blocker's SQL, released in order.
struct Blockers {
    open: VecDeque<PgConnection>,
    /// The blockers' own scans, which reach shared statistics together with the statement's and are subtracted.
    scans: ScanCounters,
}

impl Blockers {
    async fn open(db_url: &str, blockers: &[String]) -> Blockers {
        let mut open = VecDeque::new();
        for sql in blockers {
            let mut conn = connect(db_url, "bellows-blocker").await;
            exec(&mut conn, "BEGIN").await;
            if let Err(e) = sqlx::raw_sql(sql).execute(&mut conn).await {
                panic!("lock observer: blocker failed: {sql}\n{}", describe(&e).0);
            }
            open.push_back(conn);
        }
        Blockers {
            open,
            scans: ScanCounters::new(),
        }
    }

    fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    async fn release_next(&mut self) {
        if let Some(mut conn) = self.open.pop_front() {
            for (oid, count) in pending_scans(&mut conn).await {
                *self.scans.entry(oid).or_default() += count;
            }
            exec(&mut conn, "COMMIT").await;
            flush_own_stats(&mut conn).await;
            let _ = conn.close().await;
        }
    }
}
