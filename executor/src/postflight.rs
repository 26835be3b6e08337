//! Checks after a phase: nothing bellows made is left half made (INVALID indexes, NOT
//! VALID constraints whose validation has run), no step is left dirty, and once the
//! migration is complete (or aborted) the live schema is the one the plan ends at (or
//! starts from).

use std::collections::{BTreeMap, BTreeSet};

use planner::model::QualifiedName;
use planner::step::{DbObject, Phase};
use planner::{Plan, StepKind};
use sqlx::PgConnection;

use crate::error::ExecError;
use crate::introspect::introspect;
use crate::state::{StepRecord, StepStatus};

/// Problems after the steps of `phases` ran; `expected` is the checksum the live schema
/// must have (the plan's `to` after contract, `from` after an abort), if any.
pub async fn check(
    connection: &mut PgConnection,
    plan: &Plan,
    records: &[StepRecord],
    phases: &[Phase],
    expected: Option<&str>,
) -> Result<Vec<String>, ExecError> {
    let mut problems = Vec::new();
    let status: BTreeMap<&str, StepStatus> = records.iter().map(|r| (r.step_id.as_str(), r.status)).collect();
    let ran: Vec<&planner::Step> = plan.steps().filter(|s| status.get(s.id.as_str()) == Some(&StepStatus::Done)).collect();
    for step in plan.steps().filter(|s| phases.contains(&s.phase)) {
        match status.get(step.id.as_str()) {
            Some(StepStatus::Done) | Some(StepStatus::Undone) => {}
            other => problems.push(format!("step {} is {}", step.id, other.map_or("not recorded", |s| s.name()))),
        }
    }
    let live = introspect(connection).await?;
    let dropped: BTreeSet<&DbObject> = ran.iter().flat_map(|s| s.drops.iter()).collect();
    let made: Vec<&DbObject> = ran.iter().flat_map(|s| s.creates.iter()).filter(|o| !dropped.contains(o)).collect();
    for index in &live.invalid_indexes {
        let name = index.table.sibling(index.name.clone());
        if made.contains(&&DbObject::Index { name: name.clone() }) {
            problems.push(format!("index {name} that bellows built is INVALID"));
        }
    }
    // A NOT VALID constraint is expected only while a validation on its table is still to come.
    let validating: BTreeSet<&QualifiedName> = plan
        .steps()
        .filter(|s| s.kind == StepKind::ValidateConstraint && status.get(s.id.as_str()) != Some(&StepStatus::Done))
        .flat_map(|s| s.locks.first().map(|l| &l.relation))
        .collect();
    for constraint in &live.not_valid_constraints {
        let object = DbObject::Constraint {
            table: constraint.table.clone(),
            name: constraint.name.clone(),
        };
        if made.contains(&&object) && !validating.contains(&constraint.table) {
            problems.push(format!(
                "constraint {} on {} that bellows added is still NOT VALID",
                constraint.name, constraint.table
            ));
        }
    }
    if let Some(expected) = expected {
        let schemas: BTreeSet<String> = plan.schema_checksums.schemas.iter().cloned().collect();
        let found = live.schema.checksum_of(&schemas);
        if found != expected {
            problems.push(format!(
                "the live schema's checksum is {}, not the planned {}: a fresh `bellows plan` against the database shows the difference",
                &found[..12],
                &expected[..12.min(expected.len())]
            ));
        }
    }
    Ok(problems)
}
