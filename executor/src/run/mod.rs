//! The runner: `apply` (expand, then backfill), `complete` (contract) and `abort` (undo
//! an unfinished expand/backfill), each under the database's runner lock, recording
//! every step in the `bellows` state schema so that any interruption resumes.

mod prepare;
pub mod session;
mod step;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use planner::step::Phase;
use planner::{Plan, Step, StepKind};

use crate::advisory_lock;
use crate::database_url::DatabaseUrl;
use crate::error::ExecError;
use crate::events::{Event, Events};
use crate::state::{self, Migration, MigrationStatus, StepStatus};
use crate::{backfill, postflight, preflight};
pub use prepare::{prepare, Prepared};
pub use session::{Options, Session};

/// Which phases `apply` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyPhases {
    /// Expand, then backfill.
    Both,
    Expand,
    /// Backfill only (expand must be done).
    Backfill,
}

impl ApplyPhases {
    fn phases(self) -> &'static [Phase] {
        match self {
            ApplyPhases::Both => &[Phase::Expand, Phase::Backfill],
            ApplyPhases::Expand => &[Phase::Expand],
            ApplyPhases::Backfill => &[Phase::Backfill],
        }
    }
}

/// How a command ended, when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The plan is empty: the database already has the desired schema.
    NothingToDo,
    /// The migration's status after the command.
    Done(MigrationStatus),
}

/// Runs plans against one database.
pub struct Runner<'a> {
    pub url: DatabaseUrl,
    pub options: Options,
    pub events: &'a dyn Events,
    /// Set (by a Ctrl-C handler, say) to stop after the current batch or step.
    pub cancel: Arc<AtomicBool>,
}

impl<'a> Runner<'a> {
    pub fn new(url: DatabaseUrl, options: Options, events: &'a dyn Events) -> Runner<'a> {
        Runner {
            url,
            options,
            events,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs `work` under the runner lock, with a session whose state schema is ready;
    /// the lock is released when it ends, however it ends.
    async fn locked<T>(&self, work: impl AsyncFnOnce(&mut Session<'_>) -> Result<T, ExecError>) -> Result<T, ExecError> {
        let lock = advisory_lock::acquire(&self.url).await?;
        let result = async {
            let mut session = Session::open(&self.url, &self.options, self.events, self.cancel.clone()).await?;
            state::ensure(&mut session.work).await?;
            let result = work(&mut session).await;
            session.close().await;
            result
        }
        .await;
        lock.release().await;
        result
    }

    /// Records `plan` (made from the live database to `desired`) and runs its expand and
    /// backfill steps; run again, it resumes the migration in flight.
    pub async fn apply(&self, plan: Plan, desired: Option<&str>, phases: ApplyPhases) -> Result<Outcome, ExecError> {
        self.locked(async |session| self.apply_locked(session, plan, desired, phases).await).await
    }

    async fn apply_locked(&self, session: &mut Session<'_>, plan: Plan, desired: Option<&str>, phases: ApplyPhases) -> Result<Outcome, ExecError> {
        let migration = match state::in_flight(&mut session.work).await? {
            Some(migration) => resume(migration, &plan)?,
            None if plan.is_empty() => return Ok(Outcome::NothingToDo),
            None => {
                let live = crate::introspect::introspect(&mut session.work).await?;
                let findings = preflight::check(&mut session.work, &plan, &live).await?;
                for warning in findings.warnings {
                    self.events.emit(Event::Warning { message: warning });
                }
                if !findings.problems.is_empty() {
                    return Err(ExecError::Preflight { problems: findings.problems });
                }
                let migration = state::record(&mut session.work, &plan, desired).await?;
                self.events.emit(Event::Started {
                    fingerprint: migration.fingerprint.clone(),
                    migration: migration.id,
                    resumed: false,
                });
                migration
            }
        };
        session.migration = migration.id;
        if migration.status == MigrationStatus::Applied {
            return Ok(Outcome::Done(MigrationStatus::Applied));
        }
        let records = state::steps(&mut session.work, migration.id).await?;
        if phases == ApplyPhases::Backfill {
            let expand_left = pending(&migration.plan, &records, Phase::Expand);
            if let Some(step) = expand_left.first() {
                return Err(ExecError::WrongState(format!(
                    "expand is not finished (step {step} is not done): run `bellows apply` or `bellows apply --phase expand` first"
                )));
            }
        }
        for phase in phases.phases() {
            run_phase(session, &migration.plan, &records, *phase).await?;
        }
        let records = state::steps(&mut session.work, migration.id).await?;
        if !pending(&migration.plan, &records, Phase::Backfill).is_empty() || !pending(&migration.plan, &records, Phase::Expand).is_empty() {
            return Ok(Outcome::Done(MigrationStatus::InProgress));
        }
        let problems = postflight::check(&mut session.work, &migration.plan, &records, &[Phase::Expand, Phase::Backfill], None).await?;
        if !problems.is_empty() {
            return Err(ExecError::Postflight { problems });
        }
        state::set_status(&mut session.work, migration.id, MigrationStatus::Applied).await?;
        self.events.emit(Event::Finished { status: "applied".into() });
        Ok(Outcome::Done(MigrationStatus::Applied))
    }

    /// Runs the contract steps of the applied migration, then proves the live schema is
    /// the planned one.
    pub async fn complete(&self) -> Result<Outcome, ExecError> {
        self.locked(async |session| self.complete_locked(session).await).await
    }

    async fn complete_locked(&self, session: &mut Session<'_>) -> Result<Outcome, ExecError> {
        let Some(migration) = state::in_flight(&mut session.work).await? else {
            return Err(ExecError::WrongState("no migration is in flight: `bellows apply` first".into()));
        };
        if migration.status != MigrationStatus::Applied {
            return Err(ExecError::WrongState(format!(
                "migration {} is {}, not applied: finish `bellows apply` first",
                short(&migration.fingerprint),
                migration.status.name()
            )));
        }
        session.migration = migration.id;
        self.events.emit(Event::Started {
            fingerprint: migration.fingerprint.clone(),
            migration: migration.id,
            resumed: true,
        });
        let records = state::steps(&mut session.work, migration.id).await?;
        run_phase(session, &migration.plan, &records, Phase::Contract).await?;
        let records = state::steps(&mut session.work, migration.id).await?;
        let expected = migration.plan.schema_checksums.to.clone();
        let problems = postflight::check(&mut session.work, &migration.plan, &records, &Phase::ALL, Some(&expected)).await?;
        if !problems.is_empty() {
            return Err(ExecError::Postflight { problems });
        }
        state::set_status(&mut session.work, migration.id, MigrationStatus::Completed).await?;
        self.events.emit(Event::Finished { status: "completed".into() });
        Ok(Outcome::Done(MigrationStatus::Completed))
    }

    /// Undoes the migration in flight, last step first, and proves the schema is back
    /// where it started. Refused once contract has begun, and (unless
    /// `accept_irreversible`) when a step that ran cannot be undone.
    pub async fn abort(&self, accept_irreversible: bool) -> Result<Outcome, ExecError> {
        self.locked(async |session| self.abort_locked(session, accept_irreversible).await).await
    }

    async fn abort_locked(&self, session: &mut Session<'_>, accept_irreversible: bool) -> Result<Outcome, ExecError> {
        let Some(migration) = state::in_flight(&mut session.work).await? else {
            return Err(ExecError::WrongState("no migration is in flight: nothing to abort".into()));
        };
        session.migration = migration.id;
        let records = state::steps(&mut session.work, migration.id).await?;
        let status: BTreeMap<&str, StepStatus> = records.iter().map(|r| (r.step_id.as_str(), r.status)).collect();
        let touched = |s: &&Step| matches!(status.get(s.id.as_str()), Some(StepStatus::Done | StepStatus::Running | StepStatus::Failed));
        if let Some(step) = migration.plan.phase(Phase::Contract).iter().find(touched) {
            return Err(ExecError::AbortFailed(format!(
                "contract has begun (step {} ran): the old application version may no longer work with what is left; finish with `bellows complete`",
                step.id
            )));
        }
        let ran: Vec<&Step> = migration.plan.steps().filter(touched).collect();
        let irreversible: Vec<String> = ran
            .iter()
            .filter(|s| status.get(s.id.as_str()) == Some(&StepStatus::Done))
            .filter_map(|s| s.irreversible.as_ref().map(|why| format!("{}: {why}", s.id)))
            .collect();
        if !irreversible.is_empty() && !accept_irreversible {
            return Err(ExecError::AbortFailed(format!(
                "these steps cannot be undone: {}; nothing was undone. `bellows abort --accept-irreversible` undoes the rest",
                irreversible.join("; ")
            )));
        }
        state::set_status(&mut session.work, migration.id, MigrationStatus::Aborting).await?;
        for step in ran.into_iter().rev() {
            session.events.emit(Event::StepStarted {
                step: step.id.clone(),
                phase: step.phase.name().into(),
                description: format!("undo: {}", step.description),
            });
            step::undo(session, step).await?;
            session.events.emit(Event::StepUndone { step: step.id.clone() });
        }
        let records = state::steps(&mut session.work, migration.id).await?;
        let expected = (irreversible.is_empty()).then(|| migration.plan.schema_checksums.from.clone());
        let problems = postflight::check(&mut session.work, &migration.plan, &records, &[], expected.as_deref())
            .await
            .map_err(|e| ExecError::AbortFailed(e.to_string()))?;
        if !problems.is_empty() {
            return Err(ExecError::AbortFailed(problems.join("; ")));
        }
        state::set_status(&mut session.work, migration.id, MigrationStatus::Aborted).await?;
        self.events.emit(Event::Finished { status: "aborted".into() });
        Ok(Outcome::Done(MigrationStatus::Aborted))
    }
}

/// The migration in flight, if it is the one asked for; refused with both fingerprints
/// otherwise. The same target schema is the same migration: a plan made again from a
/// half-migrated database differs, but moves to the same place.
fn resume(migration: Migration, plan: &Plan) -> Result<Migration, ExecError> {
    let recorded = &migration.plan.schema_checksums;
    let same = migration.fingerprint == plan.fingerprint || (recorded.to == plan.schema_checksums.to && recorded.schemas == plan.schema_checksums.schemas);
    if !same || migration.status == MigrationStatus::Aborting {
        return Err(ExecError::PlanMismatch {
            recorded: migration.fingerprint.clone(),
            current: plan.fingerprint.clone(),
            status: migration.status.name().into(),
        });
    }
    Ok(migration)
}

/// The steps of `phase` that are not done, in plan order.
fn pending(plan: &Plan, records: &[state::StepRecord], phase: Phase) -> Vec<String> {
    let done: Vec<&str> = records.iter().filter(|r| r.status == StepStatus::Done).map(|r| r.step_id.as_str()).collect();
    plan.phase(phase)
        .iter()
        .filter(|s| !done.contains(&s.id.as_str()))
        .map(|s| s.id.clone())
        .collect()
}

/// Runs the steps of one phase that are not done yet, in plan order.
async fn run_phase(session: &mut Session<'_>, plan: &Plan, records: &[state::StepRecord], phase: Phase) -> Result<(), ExecError> {
    let status: BTreeMap<&str, StepStatus> = records.iter().map(|r| (r.step_id.as_str(), r.status)).collect();
    for step in plan.phase(phase) {
        if status.get(step.id.as_str()) == Some(&StepStatus::Done) {
            session.events.emit(Event::StepSkipped { step: step.id.clone() });
            continue;
        }
        if session.cancelled() {
            return Err(ExecError::Interrupted(format!("before step {}", step.id)));
        }
        session.events.emit(Event::StepStarted {
            step: step.id.clone(),
            phase: phase.name().into(),
            description: step.description.clone(),
        });
        let started = Instant::now();
        match (&step.backfill, step.kind) {
            (Some(batches), StepKind::Backfill) => backfill::run(session, step, batches).await?,
            _ => step::run(session, step).await?,
        }
        session.events.emit(Event::StepDone {
            step: step.id.clone(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    session.events.emit(Event::PhaseDone { phase: phase.name().into() });
    Ok(())
}

fn short(fingerprint: &str) -> &str {
    &fingerprint[..12.min(fingerprint.len())]
}
