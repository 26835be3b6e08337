//! What a run reports as it goes, for a person at a terminal (a progress bar) or a
//! program reading JSON lines: the caller decides how to show them.

use serde::Serialize;

/// A session that holds a lock a step is waiting for (from `pg_blocking_pids`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Blocker {
    pub pid: i32,
    pub application: String,
    pub state: String,
    /// The session's current (or last) query, shortened.
    pub query: String,
    /// How long its transaction has been open, in seconds.
    pub transaction_seconds: Option<f64>,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let application = if self.application.is_empty() {
            "no application name"
        } else {
            &self.application
        };
        write!(f, "pid {} ({application}, {}", self.pid, self.state)?;
        if let Some(seconds) = self.transaction_seconds {
            write!(f, ", transaction open {seconds:.1} s")?;
        }
        write!(f, "): {}", self.query)
    }
}

/// One thing that happened during a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Something preflight found worth saying that does not stop the run.
    Warning {
        message: String,
    },
    Started {
        fingerprint: String,
        migration: i64,
        resumed: bool,
    },
    StepStarted {
        step: String,
        phase: String,
        description: String,
    },
    /// Already done in an earlier run.
    StepSkipped {
        step: String,
    },
    /// A half-made object left by an interrupted run, removed before the step runs again.
    CleanedUp {
        step: String,
        object: String,
    },
    /// The step waits for locks held by other sessions.
    Waiting {
        step: String,
        blockers: Vec<Blocker>,
    },
    /// An attempt gave up its lock request (lock_timeout, deadlock); the next starts after `delay_ms`.
    Retrying {
        step: String,
        attempt: u32,
        reason: String,
        delay_ms: u64,
    },
    Batch {
        step: String,
        rows_done: i64,
        rows_updated: i64,
        /// Rows in the table, estimated (`reltuples`), when PostgreSQL knows.
        rows_estimate: Option<i64>,
        batch_size: i32,
        batch_ms: f64,
        rows_per_second: f64,
    },
    StepDone {
        step: String,
        seconds: f64,
    },
    StepUndone {
        step: String,
    },
    PhaseDone {
        phase: String,
    },
    Finished {
        status: String,
    },
}

/// Where events go.
pub trait Events: Send + Sync {
    fn emit(&self, event: Event);
}

/// Events nobody reads.
pub struct Silent;

impl Events for Silent {
    fn emit(&self, _: Event) {}
}

impl<F: Fn(Event) + Send + Sync> Events for F {
    fn emit(&self, event: Event) {
        self(event)
    }
}
