//! The plan: ordered steps grouped by phase, with a fingerprint. `make_plan` is the
//! whole pipeline from two schemas: diff, recipes, order.

pub mod order;
pub mod step;

use serde::Serialize;

use crate::change::Change;
use crate::diff::diff;
use crate::error::PlanError;
use crate::locks::PgVersion;
use crate::model::{QualifiedName, Schema};
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

/// Plans a given list of changes (the diff's).
pub fn plan_changes(current: &Schema, desired: &Schema, changes: &[Change], options: PlanOptions) -> Result<Plan, PlanError> {
    let statements: Vec<Statement> = changes.iter().cloned().map(|c| Statement::Change(Box::new(c))).collect();
    plan_statements(current, desired, statements, options)
}

/// The tables steps lock or need.
fn tables_of(steps: &[Step]) -> std::collections::BTreeSet<&QualifiedName> {
    let locked = steps.iter().flat_map(|s| s.locks.iter().map(|l| &l.relation));
    let needed = steps.iter().flat_map(|s| s.objects.needs.iter()).filter_map(|o| match o {
        step::Obj::Table(t) => Some(t),
        _ => None,
    });
    locked.chain(needed).collect()
}

/// One statement of a SQL migration, in file order: a change bellows has a recipe for,
/// or a step that runs the statement as written.
pub enum Statement {
    Change(Box<Change>),
    AsWritten(Box<Step>),
}

/// Plans the statements of a migration. Changes are ordered by their recipes; a
/// statement run as written keeps its place in the file relative to the other
/// statements on the tables it locks (an `UPDATE` after the `ADD COLUMN` it fills, an
/// `ADD COLUMN` after the `UPDATE` that prepares it), and to the statements run as
/// written before it.
pub fn plan_statements(current: &Schema, desired: &Schema, statements: Vec<Statement>, options: PlanOptions) -> Result<Plan, PlanError> {
    let cx = Context {
        current,
        desired,
        pg: options.pg_version,
        batch_size: options.batch_size,
    };
    let mut changes = Vec::new();
    // The steps of each statement so far, and whether it runs as written.
    let mut done: Vec<(Vec<Step>, bool)> = Vec::new();
    let mut last_as_written: Option<String> = None;
    for statement in statements {
        let (mut steps, as_written) = match statement {
            Statement::Change(change) => {
                let steps = steps_for(&change, &cx)?;
                changes.push(*change);
                (steps, false)
            }
            Statement::AsWritten(step) => (vec![*step], true),
        };
        let mine: std::collections::BTreeSet<QualifiedName> = tables_of(&steps).into_iter().cloned().collect();
        let shares_a_table = |earlier: &[Step]| tables_of(earlier).into_iter().any(|t| mine.contains(t));
        let mut after: Vec<String> = Vec::new();
        // Only a statement run as written, on either side, adds an order to the recipes'.
        for (earlier, earlier_as_written) in done.iter().filter(|(_, e)| as_written || *e) {
            if !shares_a_table(earlier) {
                continue;
            }
            if !*earlier_as_written {
                // A statement run as written is in expand: it can follow expand steps only.
                after.extend(earlier.iter().filter(|s| s.phase == Phase::Expand).map(|s| s.id.clone()));
            } else if !as_written {
                after.extend(earlier.iter().map(|s| s.id.clone()));
            }
        }
        for step in &mut steps {
            step.depends_on.extend(after.iter().cloned());
        }
        if as_written {
            let step = &mut steps[0];
            step.depends_on.extend(last_as_written.replace(step.id.clone()));
        }
        done.push((steps, as_written));
    }
    let steps: Vec<Step> = done.into_iter().flat_map(|(steps, _)| steps).collect();
    let changes = &changes;
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
    plan.fingerprint = crate::digest::sha256_hex(serde_json::to_string(&plan).expect("invariant: a plan serialises").as_bytes());
    Ok(plan)
}
