//! The connections a run works with: one that runs the steps, and one that watches it
//! (who blocks it) — besides the runner lock's own. Also the options every step obeys.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use planner::Step;
use sqlx::PgConnection;

use crate::blockers;
use crate::database_url::DatabaseUrl;
use crate::error::ExecError;
use crate::events::{Blocker, Event, Events};

/// How a run treats the application: how long a lock may be waited for, how often it is
/// tried again, and how big a backfill's batches are.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a step whose lock blocks the application's reads or writes waits for it
    /// before giving way (and trying again after a pause). Default 200 ms.
    pub lock_timeout: Duration,
    /// How long a step keeps trying to get its locks, in all; also how long a step whose
    /// locks do not block the application (a concurrent index build, a validation) may
    /// wait for them. Default 10 minutes.
    pub lock_deadline: Duration,
    /// The longest a statement holding a lock that blocks the application may run.
    /// Backfill batches, concurrent index builds and validations have none.
    pub statement_timeout: Duration,
    /// The duration a backfill batch aims at; the batch size adapts to it.
    pub batch_target: Duration,
    /// A pause after every batch, to leave room to the application.
    pub batch_pause: Duration,
    /// The first batch size (default: the plan's).
    pub batch_size: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lock_timeout: Duration::from_millis(200),
            lock_deadline: Duration::from_secs(600),
            statement_timeout: Duration::from_secs(60),
            batch_target: Duration::from_millis(100),
            batch_pause: Duration::ZERO,
            batch_size: None,
        }
    }
}

/// A run's connections, options and event sink.
pub struct Session<'a> {
    pub work: PgConnection,
    /// The work connection's backend pid, for `pg_blocking_pids`.
    pub pid: i32,
    pub monitor: PgConnection,
    pub options: &'a Options,
    pub events: &'a dyn Events,
    pub cancel: Arc<AtomicBool>,
    pub migration: i64,
}

/// How often a waiting statement's blockers are looked up.
const WATCH_EVERY: Duration = Duration::from_millis(100);

impl<'a> Session<'a> {
    pub async fn open(url: &DatabaseUrl, options: &'a Options, events: &'a dyn Events, cancel: Arc<AtomicBool>) -> Result<Session<'a>, ExecError> {
        let mut work = crate::connect(url).await?;
        let monitor = crate::connect(url).await?;
        for pid in crate::advisory_lock::end_orphans(&mut work).await? {
            events.emit(Event::CleanedUp {
                step: String::new(),
                object: format!("session {pid}, left running by an interrupted run"),
            });
        }
        sqlx::query("SELECT pg_advisory_lock_shared($1)")
            .bind(crate::advisory_lock::WORK_KEY)
            .execute(&mut work)
            .await
            .map_err(ExecError::database("marking the work session"))?;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut work)
            .await
            .map_err(ExecError::database("opening the work session"))?;
        // Each batch is planned with its parameters' values, so the cursor's IS NULL test
        // is decided and every batch is an index range scan (PostgreSQL 12+).
        sqlx::raw_sql("DO $$ BEGIN IF current_setting('server_version_num')::int >= 120000 THEN SET plan_cache_mode = force_custom_plan; END IF; END $$")
            .execute(&mut work)
            .await
            .map_err(ExecError::database("opening the work session"))?;
        Ok(Session {
            work,
            pid,
            monitor,
            options,
            events,
            cancel,
            migration: 0,
        })
    }

    /// Ends both sessions politely.
    pub async fn close(self) {
        let _ = sqlx::Connection::close(self.work).await;
        let _ = sqlx::Connection::close(self.monitor).await;
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The lock and statement timeouts for `step`, in milliseconds (0 = none): short for
    /// locks that block the application, so it never queues behind bellows for long.
    pub fn timeouts(&self, step: &Step) -> (u128, u128) {
        let blocks = step.locks.iter().any(|l| l.mode.blocks_writes());
        if blocks {
            (self.options.lock_timeout.as_millis(), self.options.statement_timeout.as_millis())
        } else {
            (self.options.lock_deadline.as_millis(), 0)
        }
    }

    /// Runs `sql` on the work connection, looking up who blocks it while it waits;
    /// returns the blockers seen.
    pub async fn execute(&mut self, step: &str, sql: &str) -> (Result<(), sqlx::Error>, Vec<Blocker>) {
        let mut seen: Vec<Blocker> = Vec::new();
        let run = sqlx::raw_sql(sql).execute(&mut self.work);
        tokio::pin!(run);
        loop {
            tokio::select! {
                result = &mut run => return (result.map(|_| ()), seen),
                _ = tokio::time::sleep(WATCH_EVERY) => {
                    let blockers = blockers::of(&mut self.monitor, self.pid).await;
                    if !blockers.is_empty() && blockers != seen {
                        self.events.emit(Event::Waiting { step: step.to_string(), blockers: blockers.clone() });
                        seen = blockers;
                    }
                }
            }
        }
    }

    /// Runs bookkeeping SQL on the work connection (no watching).
    pub async fn raw(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(&mut self.work).await.map(|_| ())
    }
}
