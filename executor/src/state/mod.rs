//! What bellows records in the target database: each migration (its plan, fingerprint
//! and status), each step (status, attempts, timings, last error) and each backfill's
//! cursor. A transactional step's row is written in the step's own transaction, so the
//! record and the database never disagree about it.

mod schema;

use planner::step::Phase;
use planner::Plan;
use serde::Serialize;
use sqlx::{PgConnection, Row};

use crate::error::ExecError;
pub use schema::{ensure, exists, VERSION};

/// A migration's place in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStatus {
    /// `apply` has started and not finished expand and backfill.
    InProgress,
    /// Expand and backfill are done: deploy, then `complete`.
    Applied,
    Completed,
    /// `abort` has started undoing it.
    Aborting,
    Aborted,
}

impl MigrationStatus {
    pub fn name(self) -> &'static str {
        match self {
            MigrationStatus::InProgress => "in_progress",
            MigrationStatus::Applied => "applied",
            MigrationStatus::Completed => "completed",
            MigrationStatus::Aborting => "aborting",
            MigrationStatus::Aborted => "aborted",
        }
    }

    fn parse(text: &str) -> MigrationStatus {
        match text {
            "applied" => MigrationStatus::Applied,
            "completed" => MigrationStatus::Completed,
            "aborting" => MigrationStatus::Aborting,
            "aborted" => MigrationStatus::Aborted,
            _ => MigrationStatus::InProgress,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    /// Started outside a transaction and not known to have finished: a crash may have
    /// left part of it (its `creates` say what to look for).
    Running,
    Done,
    Failed,
    Undone,
}

impl StepStatus {
    pub fn name(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Undone => "undone",
        }
    }

    fn parse(text: &str) -> StepStatus {
        match text {
            "running" => StepStatus::Running,
            "done" => StepStatus::Done,
            "failed" => StepStatus::Failed,
            "undone" => StepStatus::Undone,
            _ => StepStatus::Pending,
        }
    }
}

/// A recorded migration.
#[derive(Clone, Debug)]
pub struct Migration {
    pub id: i64,
    pub fingerprint: String,
    pub plan: Plan,
    pub desired: Option<String>,
    pub status: MigrationStatus,
    pub bellows_version: String,
    pub started_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// A recorded step.
#[derive(Clone, Debug, Serialize)]
pub struct StepRecord {
    pub step_id: String,
    pub phase: String,
    pub status: StepStatus,
    pub attempts: i32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<BackfillProgress>,
}

/// Where a backfill stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackfillProgress {
    pub cursor: Option<Vec<String>>,
    pub upper_bound: Vec<String>,
    pub rows_done: i64,
    pub rows_updated: i64,
    pub batches: i64,
    pub batch_size: i32,
}

const MIGRATION_COLUMNS: &str = "id, fingerprint, plan::text AS plan, desired, status, bellows_version, \
    started_at::text AS started_at, updated_at::text AS updated_at, finished_at::text AS finished_at";

fn migration_of(row: &sqlx::postgres::PgRow) -> Result<Migration, ExecError> {
    let plan_text: String = row.get("plan");
    let plan = Plan::from_json(&plan_text).map_err(|e| ExecError::WrongState(format!("the recorded plan cannot be used: {e}")))?;
    Ok(Migration {
        id: row.get("id"),
        fingerprint: row.get("fingerprint"),
        plan,
        desired: row.get("desired"),
        status: MigrationStatus::parse(row.get::<&str, _>("status")),
        bellows_version: row.get("bellows_version"),
        started_at: row.get("started_at"),
        updated_at: row.get("updated_at"),
        finished_at: row.get("finished_at"),
    })
}

/// The migration in flight (not completed, not aborted), if any.
pub async fn in_flight(connection: &mut PgConnection) -> Result<Option<Migration>, ExecError> {
    let sql = format!("SELECT {MIGRATION_COLUMNS} FROM bellows.migrations WHERE status NOT IN ('completed', 'aborted')");
    let row = sqlx::query(&sql)
        .fetch_optional(connection)
        .await
        .map_err(ExecError::database("reading the migration in flight"))?;
    row.as_ref().map(migration_of).transpose()
}

/// The newest migration, whatever its status.
pub async fn latest(connection: &mut PgConnection) -> Result<Option<Migration>, ExecError> {
    let sql = format!("SELECT {MIGRATION_COLUMNS} FROM bellows.migrations ORDER BY id DESC LIMIT 1");
    let row = sqlx::query(&sql)
        .fetch_optional(connection)
        .await
        .map_err(ExecError::database("reading the latest migration"))?;
    row.as_ref().map(migration_of).transpose()
}

/// Records a new migration and its steps, all pending.
pub async fn record(connection: &mut PgConnection, plan: &Plan, desired: Option<&str>) -> Result<Migration, ExecError> {
    let what = "recording the migration";
    let mut tx = sqlx::Connection::begin(&mut *connection).await.map_err(ExecError::database(what))?;
    let json = serde_json::to_string(plan).expect("invariant: a plan serialises");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bellows.migrations (fingerprint, plan, desired, status, bellows_version) VALUES ($1, $2::jsonb, $3, 'in_progress', $4) RETURNING id",
    )
    .bind(&plan.fingerprint)
    .bind(&json)
    .bind(desired)
    .bind(env!("CARGO_PKG_VERSION"))
    .fetch_one(&mut *tx)
    .await
    .map_err(ExecError::database(what))?;
    for (position, step) in plan.steps().enumerate() {
        sqlx::query("INSERT INTO bellows.steps (migration_id, step_id, position, phase) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&step.id)
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .bind(step.phase.name())
            .execute(&mut *tx)
            .await
            .map_err(ExecError::database(what))?;
    }
    tx.commit().await.map_err(ExecError::database(what))?;
    let sql = format!("SELECT {MIGRATION_COLUMNS} FROM bellows.migrations WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_one(connection).await.map_err(ExecError::database(what))?;
    migration_of(&row)
}

pub async fn set_status(connection: &mut PgConnection, migration: i64, status: MigrationStatus) -> Result<(), ExecError> {
    let finished = matches!(status, MigrationStatus::Completed | MigrationStatus::Aborted);
    sqlx::query("UPDATE bellows.migrations SET status = $2, updated_at = now(), finished_at = CASE WHEN $3 THEN now() END WHERE id = $1")
        .bind(migration)
        .bind(status.name())
        .bind(finished)
        .execute(connection)
        .await
        .map_err(ExecError::database("recording the migration's status"))?;
    Ok(())
}

/// Every step of a migration, in plan order, with its backfill progress.
pub async fn steps(connection: &mut PgConnection, migration: i64) -> Result<Vec<StepRecord>, ExecError> {
    let rows = sqlx::query(
        "SELECT s.step_id, s.phase, s.status, s.attempts, s.started_at::text AS started_at, s.finished_at::text AS finished_at, s.last_error,
                b.cursor, b.upper_bound, b.rows_done, b.rows_updated, b.batches, b.batch_size
         FROM bellows.steps s LEFT JOIN bellows.backfills b USING (migration_id, step_id)
         WHERE s.migration_id = $1 ORDER BY s.position",
    )
    .bind(migration)
    .fetch_all(connection)
    .await
    .map_err(ExecError::database("reading the steps"))?;
    Ok(rows
        .iter()
        .map(|row| StepRecord {
            step_id: row.get("step_id"),
            phase: row.get("phase"),
            status: StepStatus::parse(row.get::<&str, _>("status")),
            attempts: row.get("attempts"),
            started_at: row.get("started_at"),
            finished_at: row.get("finished_at"),
            last_error: row.get("last_error"),
            backfill: row.get::<Option<Vec<String>>, _>("upper_bound").map(|upper_bound| BackfillProgress {
                cursor: row.get("cursor"),
                upper_bound,
                rows_done: row.get("rows_done"),
                rows_updated: row.get("rows_updated"),
                batches: row.get("batches"),
                batch_size: row.get("batch_size"),
            }),
        })
        .collect())
}

/// Marks a step started (outside any transaction of the step's own).
pub async fn start(connection: &mut PgConnection, migration: i64, step: &str, running: bool) -> Result<(), ExecError> {
    let status = if running { "running" } else { "pending" };
    sqlx::query(
        "UPDATE bellows.steps SET status = $3, started_at = coalesce(started_at, now()), attempts = attempts + 1 WHERE migration_id = $1 AND step_id = $2",
    )
    .bind(migration)
    .bind(step)
    .bind(status)
    .execute(connection)
    .await
    .map_err(ExecError::database(format!("recording the start of step {step}")))?;
    Ok(())
}

/// Marks a step done; run inside the step's transaction when it has one.
pub async fn finish(connection: &mut PgConnection, migration: i64, step: &str, status: StepStatus) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE bellows.steps SET status = $3, finished_at = now(), last_error = NULL WHERE migration_id = $1 AND step_id = $2")
        .bind(migration)
        .bind(step)
        .bind(status.name())
        .execute(connection)
        .await?;
    Ok(())
}

/// Records why an attempt at a step failed (and, when it is given up, that it failed).
pub async fn failed(connection: &mut PgConnection, migration: i64, step: &str, error: &str, given_up: bool) -> Result<(), ExecError> {
    sqlx::query(
        "UPDATE bellows.steps SET last_error = $3, status = CASE WHEN $4 THEN 'failed' WHEN status = 'failed' THEN 'pending' ELSE status END
         WHERE migration_id = $1 AND step_id = $2",
    )
    .bind(migration)
    .bind(step)
    .bind(error)
    .bind(given_up)
    .execute(connection)
    .await
    .map_err(ExecError::database(format!("recording the failure of step {step}")))?;
    Ok(())
}

/// A backfill's progress, if it has started.
pub async fn backfill(connection: &mut PgConnection, migration: i64, step: &str) -> Result<Option<BackfillProgress>, ExecError> {
    let row =
        sqlx::query("SELECT cursor, upper_bound, rows_done, rows_updated, batches, batch_size FROM bellows.backfills WHERE migration_id = $1 AND step_id = $2")
            .bind(migration)
            .bind(step)
            .fetch_optional(connection)
            .await
            .map_err(ExecError::database(format!("reading the progress of {step}")))?;
    Ok(row.map(|row| BackfillProgress {
        cursor: row.get("cursor"),
        upper_bound: row.get("upper_bound"),
        rows_done: row.get("rows_done"),
        rows_updated: row.get("rows_updated"),
        batches: row.get("batches"),
        batch_size: row.get("batch_size"),
    }))
}

/// Saves a backfill's progress; run inside the batch's transaction.
pub async fn save_backfill(connection: &mut PgConnection, migration: i64, step: &str, progress: &BackfillProgress) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bellows.backfills (migration_id, step_id, cursor, upper_bound, rows_done, rows_updated, batches, batch_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (migration_id, step_id) DO UPDATE SET cursor = EXCLUDED.cursor, upper_bound = EXCLUDED.upper_bound,
           rows_done = EXCLUDED.rows_done, rows_updated = EXCLUDED.rows_updated, batches = EXCLUDED.batches,
           batch_size = EXCLUDED.batch_size, updated_at = now()",
    )
    .bind(migration)
    .bind(step)
    .bind(&progress.cursor)
    .bind(&progress.upper_bound)
    .bind(progress.rows_done)
    .bind(progress.rows_updated)
    .bind(progress.batches)
    .bind(progress.batch_size)
    .execute(connection)
    .await?;
    Ok(())
}

/// The phase a recorded step belongs to.
pub fn phase_of(record: &StepRecord) -> Phase {
    match record.phase.as_str() {
        "expand" => Phase::Expand,
        "backfill" => Phase::Backfill,
        _ => Phase::Contract,
    }
}
