//! Batched backfills: keyset batches over the table's key, each a short transaction that
//! also saves the cursor, so a run stopped anywhere resumes at the next batch. The batch
//! size adapts to keep each batch near a target duration; rows written by the triggers
//! after the backfill started lie past its upper bound and are left alone, so it ends
//! even while the application inserts.

use std::time::{Duration, Instant};

use planner::step::Backfill;
use planner::Step;
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::error::{describe, is_retryable, ExecError};
use crate::events::Event;
use crate::retry::Backoff;
use crate::run::session::Session;
use crate::state::{self, BackfillProgress, StepStatus};

/// The smallest and largest batch the size may adapt to.
const MIN_BATCH: i32 = 10;
const MAX_BATCH: i32 = 100_000;

/// Runs the backfill of `step` from where it stands to the end.
pub async fn run(session: &mut Session<'_>, step: &Step, backfill: &Backfill) -> Result<(), ExecError> {
    state::start(&mut session.work, session.migration, &step.id, true).await?;
    let recorded = state::backfill(&mut session.work, session.migration, &step.id).await?;
    let mut progress = match recorded {
        Some(progress) => progress,
        None => match upper_bound(session, backfill).await? {
            Some(upper_bound) => {
                let size = session.options.batch_size.unwrap_or(backfill.batch_size);
                let progress = BackfillProgress {
                    cursor: None,
                    upper_bound,
                    rows_done: 0,
                    rows_updated: 0,
                    batches: 0,
                    batch_size: i32::try_from(size).unwrap_or(MAX_BATCH).clamp(MIN_BATCH, MAX_BATCH),
                };
                state::save_backfill(&mut session.work, session.migration, &step.id, &progress)
                    .await
                    .map_err(ExecError::database("saving the backfill's bound"))?;
                progress
            }
            None => {
                // An empty table: nothing to fill.
                state::finish(&mut session.work, session.migration, &step.id, StepStatus::Done)
                    .await
                    .map_err(ExecError::database("recording the backfill done"))?;
                return Ok(());
            }
        },
    };
    let estimate = rows_estimate(session, backfill).await;
    let started = Instant::now();
    let rows_at_start = progress.rows_done;
    loop {
        if session.cancelled() {
            return Err(ExecError::Interrupted(format!("during backfill {} (its cursor is saved)", step.id)));
        }
        let begun = Instant::now();
        let done = batch(session, step, backfill, &mut progress).await?;
        let elapsed = begun.elapsed();
        let rate = (progress.rows_done - rows_at_start) as f64 / started.elapsed().as_secs_f64().max(1e-3);
        session.events.emit(Event::Batch {
            step: step.id.clone(),
            rows_done: progress.rows_done,
            rows_updated: progress.rows_updated,
            rows_estimate: estimate,
            batch_size: progress.batch_size,
            batch_ms: elapsed.as_secs_f64() * 1000.0,
            rows_per_second: rate,
        });
        if done {
            return Ok(());
        }
        progress.batch_size = adapt(progress.batch_size, elapsed, session.options.batch_target);
        if !session.options.batch_pause.is_zero() {
            tokio::time::sleep(session.options.batch_pause).await;
        }
    }
}

/// The next batch size: scaled towards the target duration, at most doubled or halved.
pub fn adapt(size: i32, took: Duration, target: Duration) -> i32 {
    let ratio = target.as_secs_f64() / took.as_secs_f64().max(1e-4);
    let next = (f64::from(size) * ratio.clamp(0.5, 2.0)).round() as i32;
    next.clamp(MIN_BATCH, MAX_BATCH)
}

/// The key of the table's last row, or `None` for an empty table.
async fn upper_bound(session: &mut Session<'_>, backfill: &Backfill) -> Result<Option<Vec<String>>, ExecError> {
    let row = sqlx::query(&backfill.bound_sql)
        .persistent(false)
        .fetch_optional(&mut session.work)
        .await
        .map_err(ExecError::database(format!("reading the last key of {}", backfill.table)))?;
    Ok(row.map(|row| key_of(&row, backfill.key.len())))
}

fn key_of(row: &PgRow, n: usize) -> Vec<String> {
    (0..n).map(|i| row.get::<String, _>(i)).collect()
}

async fn rows_estimate(session: &mut Session<'_>, backfill: &Backfill) -> Option<i64> {
    let estimate: Option<f64> = sqlx::query_scalar("SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)")
        .bind(backfill.table.sql())
        .fetch_optional(&mut session.work)
        .await
        .ok()
        .flatten();
    estimate.filter(|e| *e >= 0.0).map(|e| e as i64)
}

/// One batch and its cursor in one transaction, retried while its row locks are not
/// granted; returns true when the backfill is done.
async fn batch(session: &mut Session<'_>, step: &Step, backfill: &Backfill, progress: &mut BackfillProgress) -> Result<bool, ExecError> {
    let mut backoff = Backoff::new(session.options.lock_deadline);
    loop {
        match attempt(session, step, backfill, progress).await {
            Ok(done) => return Ok(done),
            Err(error) if is_retryable(&error) => {
                let _ = session.raw("ROLLBACK").await;
                let reason = describe(&error);
                let Some(delay) = backoff.next_delay() else {
                    state::failed(&mut session.work, session.migration, &step.id, &reason, true).await?;
                    return Err(ExecError::LockTimeout {
                        step: step.id.clone(),
                        attempts: backoff.attempts,
                        seconds: backoff.elapsed().as_secs(),
                        blockers: String::new(),
                    });
                };
                session.events.emit(Event::Retrying {
                    step: step.id.clone(),
                    attempt: backoff.attempts,
                    reason,
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                });
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                let _ = session.raw("ROLLBACK").await;
                let reason = describe(&error);
                state::failed(&mut session.work, session.migration, &step.id, &reason, true).await?;
                return Err(ExecError::StepFailed {
                    step: step.id.clone(),
                    attempts: backoff.attempts + 1,
                    reason,
                });
            }
        }
    }
}

async fn attempt(session: &mut Session<'_>, step: &Step, backfill: &Backfill, progress: &mut BackfillProgress) -> Result<bool, sqlx::Error> {
    // Row locks held by the application are waited for briefly, then the batch gives way;
    // the planner keeps to the batch's own key range (`Backfill::PLANNER_OFF`).
    let lock_timeout = session.options.lock_timeout.as_millis();
    let planner: String = Backfill::PLANNER_OFF.iter().map(|s| format!("; SET LOCAL {s} = off")).collect();
    session
        .raw(&format!(
            "BEGIN; SET LOCAL lock_timeout = {lock_timeout}; SET LOCAL statement_timeout = 0{planner}"
        ))
        .await?;
    let n = backfill.key.len();
    let mut query = sqlx::query(&backfill.batch_sql).persistent(false).bind(i64::from(progress.batch_size));
    for i in 0..n {
        query = query.bind(progress.cursor.as_ref().map(|c| c[i].clone()));
    }
    for i in 0..n {
        query = query.bind(progress.upper_bound[i].clone());
    }
    let row = query.fetch_optional(&mut session.work).await?;
    let mut next = progress.clone();
    let done = match &row {
        Some(row) => {
            next.cursor = Some(key_of(row, n));
            next.rows_updated += row.get::<i64, _>("updated_rows");
            next.rows_done += row.get::<i64, _>("batch_rows");
            next.batches += 1;
            state::save_backfill(&mut session.work, session.migration, &step.id, &next).await?;
            false
        }
        None => {
            state::finish(&mut session.work, session.migration, &step.id, StepStatus::Done).await?;
            true
        }
    };
    session.raw("COMMIT").await?;
    *progress = next;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_size_moves_towards_the_target_by_at_most_a_factor_of_two() {
        let target = Duration::from_millis(100);
        assert_eq!(adapt(1000, Duration::from_millis(100), target), 1000);
        assert_eq!(adapt(1000, Duration::from_millis(10), target), 2000);
        assert_eq!(adapt(1000, Duration::from_millis(400), target), 500);
        assert_eq!(adapt(1000, Duration::from_millis(80), target), 1250);
        assert_eq!(adapt(MAX_BATCH, Duration::from_millis(1), target), MAX_BATCH);
        assert_eq!(adapt(MIN_BATCH, Duration::from_secs(10), target), MIN_BATCH);
    }
}
