//! The plan: ordered steps grouped by phase, with a fingerprint. `make_plan` is the
//! whole pipeline from two schemas: diff, recipes, order.

pub mod fingerprint;
pub mod order;
pub mod step;

use serde::Serialize;

use crate::diff::{diff, Change};
use crate::error::PlanError;
use crate::locks::PgVersion;
use crate::model::Schema;
use crate::recipes::{steps_for, Context};
pub use step::{Backfill, Phase, Step};

/// Options that change the plan.
#[derive(Clone, Copy, Debug)]
pub struct PlanOptions {
    pub pg_version: PgVersion,
    /// Rows per backfill batch.
    pub batch_size: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            pg_version: PgVersion::DEFAULT,
            batch_size: 1000,
        }
    }
}

/// An ordered, phased plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub fingerprint: String,
    pub pg_version: PgVersion,
    /// The changes the plan makes, one line each.
    pub changes: Vec<String>,
    pub phases: Vec<PhaseSteps>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseSteps {
    pub name: Phase,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flat_map(|p| p.steps.iter())
    }

    pub fn is_empty(&self) -> bool {
        self.phases.iter().all(|p| p.steps.is_empty())
    }
}

/// Plans the move from `current` to `desired`.
pub fn make_plan(current: &Schema, desired: &Schema, options: PlanOptions) -> Result<Plan, PlanError> {
    let changes = diff(current, desired)?;
    plan_changes(current, desired, &changes, options)
}

/// Plans a given list of changes (the diff's, or those read from a SQL migration).
pub fn plan_changes(current: &Schema, desired: &Schema, changes: &[Change], options: PlanOptions) -> Result<Plan, PlanError> {
    plan_with_steps(current, desired, changes, Vec::new(), options)
}

/// Plans `changes`, with `extra` steps (statements without a recipe) run in the given
/// order in expand.
pub fn plan_with_steps(current: &Schema, desired: &Schema, changes: &[Change], extra: Vec<Step>, options: PlanOptions) -> Result<Plan, PlanError> {
    let cx = Context {
        current,
        desired,
        pg: options.pg_version,
        batch_size: options.batch_size,
    };
    let mut steps = Vec::new();
    let mut previous: Option<String> = None;
    for mut step in extra {
        if let Some(previous) = &previous {
            step.depends_on.push(previous.clone());
        }
        previous = Some(step.id.clone());
        steps.push(step);
    }
    for change in changes {
        steps.extend(steps_for(change, &cx)?);
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(duplicate) = steps.iter().find(|s| !seen.insert(s.id.clone())) {
        return Err(PlanError::Cycle {
            steps: vec![format!("two steps share the id {}", duplicate.id)],
        });
    }
    let ordered = order::order(steps)?;
    let phases = Phase::ALL
        .into_iter()
        .map(|phase| PhaseSteps {
            name: phase,
            steps: ordered.iter().filter(|s| s.phase == phase).cloned().collect(),
        })
        .collect();
    let mut described: Vec<String> = changes.iter().map(Change::describe).collect();
    described.extend(ordered.iter().filter(|s| s.id.starts_with("statement:")).map(|s| s.description.clone()));
    let mut plan = Plan {
        fingerprint: String::new(),
        pg_version: options.pg_version,
        changes: described,
        phases,
    };
    plan.fingerprint = fingerprint::sha256_hex(serde_json::to_string(&plan).expect("invariant: a plan serialises").as_bytes());
    Ok(plan)
}
