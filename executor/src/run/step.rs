//! Running one step safely: with short lock timeouts and retries when its lock blocks
//! the application, its bookkeeping in its own transaction when it has one, and the
//! half-made objects of an interrupted attempt cleaned up before it runs again.

use planner::step::DbObject;
use planner::{Step, StepKind};

use super::session::Session;
use crate::blockers;
use crate::error::{describe, is_retryable, ExecError};
use crate::events::{Blocker, Event};
use crate::retry::Backoff;
use crate::state::{self, StepStatus};

/// What one attempt ended with.
enum Attempt {
    Done,
    Retry(sqlx::Error, Vec<Blocker>),
    Fail(String),
}

/// Runs `step` (not a backfill) to the end, or fails it.
pub async fn run(session: &mut Session<'_>, step: &Step) -> Result<(), ExecError> {
    let mut backoff = Backoff::new(session.options.lock_deadline);
    loop {
        let attempt = if step.transactional {
            state::start(&mut session.work, session.migration, &step.id, false).await?;
            transactional(session, step, &step.sql, StepStatus::Done).await
        } else {
            state::start(&mut session.work, session.migration, &step.id, true).await?;
            outside_transaction(session, step, &step.sql, StepStatus::Done).await?
        };
        match attempt {
            Attempt::Done => return Ok(()),
            Attempt::Fail(reason) => {
                state::failed(&mut session.work, session.migration, &step.id, &reason, true).await?;
                return Err(ExecError::StepFailed {
                    step: step.id.clone(),
                    attempts: backoff.attempts + 1,
                    reason,
                });
            }
            Attempt::Retry(error, blockers) => wait(session, step, &mut backoff, &error, &blockers).await?,
        }
    }
}

/// Undoes a step that ran (or may have run part way), in the step's own way.
pub async fn undo(session: &mut Session<'_>, step: &Step) -> Result<(), ExecError> {
    let mut backoff = Backoff::new(session.options.lock_deadline);
    loop {
        let attempt = if step.transactional {
            transactional(session, step, &step.undo, StepStatus::Undone).await
        } else {
            outside_transaction(session, step, &step.undo, StepStatus::Undone).await?
        };
        match attempt {
            Attempt::Done => return Ok(()),
            Attempt::Fail(reason) => return Err(ExecError::AbortFailed(format!("undoing step {} failed: {reason}", step.id))),
            Attempt::Retry(error, blockers) => wait(session, step, &mut backoff, &error, &blockers).await?,
        }
    }
}

/// Pauses before the next attempt, or gives up at the deadline.
async fn wait(session: &mut Session<'_>, step: &Step, backoff: &mut Backoff, error: &sqlx::Error, blockers: &[Blocker]) -> Result<(), ExecError> {
    let reason = format!("{}{}", describe(error), blockers::summary(blockers));
    state::failed(&mut session.work, session.migration, &step.id, &reason, false).await?;
    let Some(delay) = backoff.next_delay() else {
        return Err(ExecError::LockTimeout {
            step: step.id.clone(),
            attempts: backoff.attempts,
            seconds: backoff.elapsed().as_secs(),
            blockers: blockers::summary(blockers),
        });
    };
    session.events.emit(Event::Retrying {
        step: step.id.clone(),
        attempt: backoff.attempts,
        reason,
        delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
    });
    if session.cancelled() {
        return Err(ExecError::Interrupted(format!("while step {} waited for its locks", step.id)));
    }
    tokio::time::sleep(delay).await;
    Ok(())
}

/// One attempt at `statements` in one transaction with the step's bookkeeping.
async fn transactional(session: &mut Session<'_>, step: &Step, statements: &[String], status: StepStatus) -> Attempt {
    let (lock_timeout, statement_timeout) = session.timeouts(step);
    let begin = format!("BEGIN; SET LOCAL lock_timeout = {lock_timeout}; SET LOCAL statement_timeout = {statement_timeout}");
    if let Err(error) = session.raw(&begin).await {
        return Attempt::Fail(describe(&error));
    }
    for statement in statements {
        let (result, blockers) = session.execute(&step.id, statement).await;
        if let Err(error) = result {
            // The transaction is over either way; a failed rollback means a lost session, reported next.
            let _ = session.raw("ROLLBACK").await;
            return classify(error, blockers);
        }
    }
    let recorded = state::finish(&mut session.work, session.migration, &step.id, status).await;
    match recorded {
        Ok(()) => match session.raw("COMMIT").await {
            Ok(()) => Attempt::Done,
            Err(error) => classify(error, Vec::new()),
        },
        Err(error) => {
            let _ = session.raw("ROLLBACK").await;
            Attempt::Fail(describe(&error))
        }
    }
}

/// One attempt at `statements` outside a transaction (each on its own), after removing
/// what an interrupted attempt may have left; the step is marked done after them.
async fn outside_transaction(session: &mut Session<'_>, step: &Step, statements: &[String], status: StepStatus) -> Result<Attempt, ExecError> {
    let leftover = clean_up(session, step).await?;
    if leftover == Leftover::Finished && status == StepStatus::Done {
        state::finish(&mut session.work, session.migration, &step.id, status)
            .await
            .map_err(ExecError::database("recording a step done"))?;
        return Ok(Attempt::Done);
    }
    let (lock_timeout, statement_timeout) = session.timeouts(step);
    let set = format!("SET lock_timeout = {lock_timeout}; SET statement_timeout = {statement_timeout}");
    session.raw(&set).await.map_err(ExecError::database("setting the step's timeouts"))?;
    for statement in statements {
        let (result, blockers) = session.execute(&step.id, statement).await;
        if let Err(error) = result {
            session
                .raw("RESET lock_timeout; RESET statement_timeout")
                .await
                .map_err(ExecError::database("resetting timeouts"))?;
            return Ok(classify(error, blockers));
        }
    }
    session
        .raw("RESET lock_timeout; RESET statement_timeout")
        .await
        .map_err(ExecError::database("resetting timeouts"))?;
    state::finish(&mut session.work, session.migration, &step.id, status)
        .await
        .map_err(ExecError::database("recording a step done"))?;
    Ok(Attempt::Done)
}

fn classify(error: sqlx::Error, blockers: Vec<Blocker>) -> Attempt {
    if is_retryable(&error) {
        Attempt::Retry(error, blockers)
    } else {
        Attempt::Fail(describe(&error))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Leftover {
    /// Nothing there, or what was there was removed: run the step.
    Clean,
    /// Everything the step creates exists and is valid: an earlier attempt finished it.
    Finished,
}

/// For a step that builds an index concurrently: an INVALID index of that name (a build
/// that failed or was killed) is dropped; a valid one means the build had finished.
async fn clean_up(session: &mut Session<'_>, step: &Step) -> Result<Leftover, ExecError> {
    if step.kind != StepKind::CreateIndexConcurrently {
        return Ok(Leftover::Clean);
    }
    let mut finished = true;
    for object in &step.creates {
        let DbObject::Index { name } = object else { continue };
        let valid: Option<bool> = sqlx::query_scalar(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
        )
        .bind(&name.schema)
        .bind(&name.name)
        .fetch_optional(&mut session.work)
        .await
        .map_err(ExecError::database("looking for a half-built index"))?;
        match valid {
            Some(true) => {}
            Some(false) => {
                session
                    .raw(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", name.sql()))
                    .await
                    .map_err(ExecError::database(format!("dropping the invalid index {name}")))?;
                session.events.emit(Event::CleanedUp {
                    step: step.id.clone(),
                    object: format!("invalid index {name}"),
                });
                finished = false;
            }
            None => finished = false,
        }
    }
    Ok(if finished { Leftover::Finished } else { Leftover::Clean })
}
