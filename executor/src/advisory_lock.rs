//! One runner per database: a session advisory lock held on a connection of its own
//! for the whole run. A second runner finds it taken and stops before changing anything.
//! The lock goes with the session, so a killed runner cannot leave it behind.

use sqlx::PgConnection;

use crate::connect;
use crate::database_url::DatabaseUrl;
use crate::error::ExecError;

/// The advisory lock key: "bellows" in the first bytes, a value no other tool is likely to use.
pub const KEY: i64 = 0x0062_656c_6c6f_7773;

/// Held (shared) by every runner's work session for its life: a session that still holds
/// it while nobody holds [`KEY`] was left running by a runner that died, and the next
/// runner ends it before it starts.
pub const WORK_KEY: i64 = KEY + 1;

/// Ends the sessions a dead runner left working (a statement the server goes on running
/// after its client was killed: a concurrent index build waiting for old transactions,
/// say); returns their pids. Call only while holding the runner lock.
pub async fn end_orphans(connection: &mut PgConnection) -> Result<Vec<i32>, ExecError> {
    let what = "ending the sessions of an interrupted run";
    let orphans: Vec<i32> = sqlx::query_scalar(
        "SELECT l.pid FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
    )
    .bind(WORK_KEY)
    .fetch_all(&mut *connection)
    .await
    .map_err(ExecError::database(what))?;
    for pid in &orphans {
        sqlx::query("SELECT pg_terminate_backend($1, 10000)")
            .bind(pid)
            .execute(&mut *connection)
            .await
            .map_err(ExecError::database(what))?;
    }
    Ok(orphans)
}

/// The held lock; dropping it closes the connection and releases the lock, and
/// [`RunnerLock::release`] releases it at once (a dropped connection's session may
/// outlive it by a moment, long enough to turn the next runner away).
pub struct RunnerLock {
    connection: PgConnection,
}

impl RunnerLock {
    pub async fn release(mut self) {
        // Best effort: the lock goes with the session anyway.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(KEY).execute(&mut self.connection).await;
        let _ = sqlx::Connection::close(self.connection).await;
    }
}

/// Takes the lock, or says who holds it.
pub async fn acquire(url: &DatabaseUrl) -> Result<RunnerLock, ExecError> {
    let mut connection = connect(url).await?;
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(KEY)
        .fetch_one(&mut connection)
        .await
        .map_err(ExecError::database("taking the runner lock"))?;
    if taken {
        return Ok(RunnerLock { connection });
    }
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT format('pid %s, %s, since %s', a.pid, coalesce(nullif(a.application_name, ''), 'no application name'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'))
         FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
    )
    .bind(KEY)
    .fetch_optional(&mut connection)
    .await
    .map_err(ExecError::database("finding the runner lock's holder"))?;
    Err(ExecError::Busy {
        holder: holder.unwrap_or_else(|| "holder unknown".into()),
    })
}
