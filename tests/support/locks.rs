//! Observes, on a real server, which locks a SQL statement takes, whether it rewrites tables and whether it scans them.
//!
//! Statements that can run in a transaction block are observed from inside their own transaction (exact, see
//! `in_transaction`); the others (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...) are observed from a second connection
//! while a third one makes them wait (a sample, see `outside_transaction`).

mod in_transaction;
mod outside_transaction;
mod relations;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use super::blocking::block_on;

/// `pg_locks.mode` names from weakest to strongest; each conflicts with at least what the previous ones conflict with.
pub const LOCK_MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// Upper bound for the observed statement; a statement that runs longer is cancelled and reported as an error.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound for one lock wait of the observed statement (the blocker is released long before).
const LOCK_TIMEOUT: Duration = Duration::from_secs(20);

/// What one statement did on the server. Relations are named `schema.name`, unquoted, as they were named before the
/// statement ran (relations it created: as named after). Lock modes are `pg_locks.mode` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// Observed inside the statement's own transaction (every lock it holds at its end), rather than sampled from
    /// another connection while it waited.
    pub transactional: bool,
    /// Locks on tables, partitioned tables, views, materialized views and foreign tables: held, or (outside a
    /// transaction) waited for.
    pub locks: BTreeSet<(String, String)>,
    /// Locks on indexes (an index a statement creates is locked AccessExclusiveLock by it).
    pub index_locks: BTreeSet<(String, String)>,
    /// Locks on other user relations: sequences, composite types.
    pub other_locks: BTreeSet<(String, String)>,
    /// Locks the statement was seen waiting for (outside a transaction only): a relation name, or a lock type such as
    /// `virtualxid` when it waited for other transactions to finish. Outside a transaction, empty if the statement was
    /// never seen waiting, and then the lock sets above are empty too.
    pub waits: BTreeSet<(String, String)>,
    /// Tables (and materialized views) that got new storage (`relfilenode` changed): rewrites, and also TRUNCATE.
    pub rewritten: BTreeSet<String>,
    /// Indexes that got new storage under the same name: rebuilt by a rewrite, a type change or REINDEX.
    pub rebuilt_indexes: BTreeSet<String>,
    /// Tables whose rows the statement read with a sequential scan (their `seq_tup_read` statistic grew): validation
    /// scans (CHECK, NOT NULL, foreign keys, on both sides of the validation join), index builds, and the read side
    /// of a rewrite. A scan that reads no row does not count, so a table must have rows for its scans to be seen
    /// (TRUNCATE rebuilds indexes by scanning the new, empty storage: not a scan). Index scans are not counted either:
    /// the planner itself probes indexes while planning.
    pub scanned: BTreeSet<String>,
    /// The statement's error message, if it failed. Then the sets above are empty, except the locks and waits seen
    /// outside a transaction before it failed.
    pub error: Option<String>,
    /// SQLSTATE of the error, if it came from the server.
    pub error_code: Option<String>,
}

impl Observation {
    /// Every mode held on or waited for on `relation` (any kind of relation).
    pub fn modes(&self, relation: &str) -> BTreeSet<&str> {
        [&self.locks, &self.index_locks, &self.other_locks]
            .into_iter()
            .flatten()
            .filter(|(name, _)| name == relation)
            .map(|(_, mode)| mode.as_str())
            .collect()
    }

    /// The strongest mode on `relation`, which decides what the statement blocks.
    pub fn strongest_lock(&self, relation: &str) -> Option<&'static str> {
        let modes = self.modes(relation);
        LOCK_MODES.iter().rev().find(|mode| modes.contains(**mode)).copied()
    }

    /// Whether `mode` is among [`Observation::modes`] of `relation`.
    pub fn has_lock(&self, relation: &str, mode: &str) -> bool {
        self.modes(relation).contains(mode)
    }

    /// Files one lock by the kind of relation it is on.
    fn record_lock(&mut self, relation: &relations::Relation, mode: &str, granted: bool) {
        let entry = (relation.qualified.clone(), mode.to_string());
        if !granted {
            self.waits.insert(entry.clone());
        }
        match relation.kind {
            'r' | 'p' | 'v' | 'm' | 'f' => self.locks.insert(entry),
            'i' | 'I' => self.index_locks.insert(entry),
            _ => self.other_locks.insert(entry),
        };
    }

    fn failed(transactional: bool, error: &sqlx::Error) -> Observation {
        let (message, code) = describe(error);
        Observation {
            transactional,
            error: Some(message),
            error_code: code,
            ..Observation::default()
        }
    }
}

/// Runs `setup` (each string committed on its own), then observes `statement` on database `db_url`.
///
/// A statement that PostgreSQL refuses to run in a transaction block is observed outside one, made to wait by a
/// transaction holding RowExclusiveLock on every table (what a writing application holds), as
/// [`observe_outside_transaction`] describes. A failing statement is recorded in `error`; a failing setup panics.
pub fn observe(db_url: &str, setup: &[&str], statement: &str) -> Observation {
    block_on(|| observe_async(db_url, setup, statement))
}

/// Like [`observe`], for a statement expected to fail: returns its error message, and panics if it succeeded.
pub fn observe_error(db_url: &str, setup: &[&str], statement: &str) -> String {
    let observation = observe(db_url, setup, statement);
    match observation.error {
        Some(message) => message,
        None => panic!("expected `{statement}` to fail, but it succeeded: {observation:?}"),
    }
}

/// Observes `statement` outside a transaction block from a second connection, while blockers make it wait.
///
/// Each element of `blockers` is SQL that a connection of its own runs in a transaction left open (e.g.
/// `LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE`); whenever the statement is seen waiting, the first open blocker
/// commits, so several blockers catch the statement at several wait points. `None` is one blocker holding
/// RowExclusiveLock on every table, as an application's writing transaction does.
///
/// What can be seen: the locks the statement holds, and the one it waits for, at each point where it waits for a
/// blocker (CREATE INDEX CONCURRENTLY behind writers: SHARE UPDATE EXCLUSIVE held while waiting for them; VACUUM
/// behind a SHARE UPDATE EXCLUSIVE blocker: its table lock request). What cannot: locks taken and released between
/// such points, or after the last one.
pub fn observe_outside_transaction(db_url: &str, setup: &[&str], statement: &str, blockers: Option<&[&str]>) -> Observation {
    block_on(|| async {
        let mut observer = connect(db_url, "bellows-observer").await;
        run_setup(&mut observer, setup).await;
        outside_transaction::observe(db_url, &mut observer, statement, blockers).await
    })
}

/// Async form of [`observe`] for `#[tokio::test]` tests.
pub async fn observe_async(db_url: &str, setup: &[&str], statement: &str) -> Observation {
    let mut observer = connect(db_url, "bellows-observer").await;
    run_setup(&mut observer, setup).await;
    match in_transaction::observe(&mut observer, statement).await {
        Some(observation) => observation,
        None => outside_transaction::observe(db_url, &mut observer, statement, None).await,
    }
}

/// A connection with every wait bounded, and parallel workers off: their scans would be counted in the workers'
/// statistics, not in the observed backend's.
async fn connect(db_url: &str, application_name: &str) -> PgConnection {
    let statement_timeout = format!("{}ms", STATEMENT_TIMEOUT.as_millis());
    let lock_timeout = format!("{}ms", LOCK_TIMEOUT.as_millis());
    PgConnectOptions::from_str(db_url)
        .unwrap_or_else(|e| panic!("lock observer: bad database URL {db_url}: {e}"))
        .application_name(application_name)
        .options([
            ("statement_timeout", statement_timeout.as_str()),
            ("lock_timeout", lock_timeout.as_str()),
            ("max_parallel_maintenance_workers", "0"),
            ("max_parallel_workers_per_gather", "0"),
            ("client_min_messages", "warning"),
        ])
        .connect()
        .await
        .unwrap_or_else(|e| panic!("lock observer: cannot connect to {db_url}: {e}"))
}

async fn run_setup(conn: &mut PgConnection, setup: &[&str]) {
    for sql in setup {
        if let Err(e) = sqlx::raw_sql(sql).execute(&mut *conn).await {
            panic!("lock observer: setup statement failed: {sql}\n{}", describe(&e).0);
        }
    }
}

/// The server's message and SQLSTATE, or the client error's text.
fn describe(error: &sqlx::Error) -> (String, Option<String>) {
    match error {
        sqlx::Error::Database(db) => (db.message().to_string(), db.code().map(std::borrow::Cow::into_owned)),
        other => (other.to_string(), None),
    }
}
