//! The `bellows` state schema in the target database, created on first use and
//! migrated by version: a later bellows finds the version it was left at and brings it
//! up to date, in one transaction, before anything else.

use sqlx::PgConnection;

use crate::error::ExecError;

/// The state schema's current version. Each entry of [`MIGRATIONS`] takes it one up.
pub const VERSION: i32 = 1;

/// The state schema's migrations: `MIGRATIONS[n]` takes version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &["
CREATE TABLE bellows.migrations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  fingerprint text NOT NULL,
  plan jsonb NOT NULL,
  -- The desired schema as schema.toml, when the plan was made from one.
  desired text,
  status text NOT NULL CHECK (status IN ('in_progress', 'applied', 'completed', 'aborting', 'aborted')),
  bellows_version text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- At most one migration in flight.
CREATE UNIQUE INDEX migrations_one_in_flight ON bellows.migrations ((true)) WHERE status NOT IN ('completed', 'aborted');
CREATE TABLE bellows.steps (
  migration_id bigint NOT NULL REFERENCES bellows.migrations ON DELETE CASCADE,
  step_id text NOT NULL,
  position int NOT NULL,
  phase text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed', 'undone')),
  attempts int NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  last_error text,
  PRIMARY KEY (migration_id, step_id)
);
CREATE TABLE bellows.backfills (
  migration_id bigint NOT NULL,
  step_id text NOT NULL,
  -- The key of the last row done (text per key column), NULL before the first batch.
  cursor text[],
  -- The key the backfill stops at, read when it started.
  upper_bound text[] NOT NULL,
  rows_done bigint NOT NULL DEFAULT 0,
  rows_updated bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  batch_size int NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration_id, step_id),
  FOREIGN KEY (migration_id, step_id) REFERENCES bellows.steps ON DELETE CASCADE
);
"];

/// Whether the state schema exists (read-only: for `status` and `--dry-run`).
pub async fn exists(connection: &mut PgConnection) -> Result<bool, ExecError> {
    sqlx::query_scalar("SELECT to_regclass('bellows.state_version') IS NOT NULL")
        .fetch_one(connection)
        .await
        .map_err(ExecError::database("reading whether the bellows state exists"))
}

/// Creates the state schema, or brings it to [`VERSION`]. Refuses a schema left by a
/// newer bellows.
pub async fn ensure(connection: &mut PgConnection) -> Result<(), ExecError> {
    let what = "creating the bellows state schema";
    let mut tx = sqlx::Connection::begin(&mut *connection).await.map_err(ExecError::database(what))?;
    // Two first runs at once: one waits for the other's transaction here.
    sqlx::query("SELECT pg_advisory_xact_lock(7369012345)")
        .execute(&mut *tx)
        .await
        .map_err(ExecError::database(what))?;
    sqlx::raw_sql("CREATE SCHEMA IF NOT EXISTS bellows; CREATE TABLE IF NOT EXISTS bellows.state_version (version int NOT NULL)")
        .execute(&mut *tx)
        .await
        .map_err(ExecError::database(what))?;
    let found: Option<i32> = sqlx::query_scalar("SELECT max(version) FROM bellows.state_version")
        .fetch_one(&mut *tx)
        .await
        .map_err(ExecError::database(what))?;
    let found = found.unwrap_or(0);
    if found > VERSION {
        return Err(ExecError::WrongState(format!(
            "the bellows state schema is at version {found}, made by a newer bellows; this one knows up to version {VERSION}: upgrade bellows"
        )));
    }
    for migration in &MIGRATIONS[usize::try_from(found).unwrap_or(0)..] {
        sqlx::raw_sql(migration).execute(&mut *tx).await.map_err(ExecError::database(what))?;
    }
    if found < VERSION {
        sqlx::query("DELETE FROM bellows.state_version")
            .execute(&mut *tx)
            .await
            .map_err(ExecError::database(what))?;
        sqlx::query("INSERT INTO bellows.state_version VALUES ($1)")
            .bind(VERSION)
            .execute(&mut *tx)
            .await
            .map_err(ExecError::database(what))?;
    }
    tx.commit().await.map_err(ExecError::database(what))
}
