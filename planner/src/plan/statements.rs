//! The pipeline's driver: each statement (a change with a recipe, or a statement of a
//! SQL migration run as written) becomes steps, in an order that keeps what the file
//! asked for, and the ordered steps become the plan.

use std::collections::BTreeSet;

use super::{fingerprint, order, PhaseSteps, Plan, PlanOptions, SchemaChecksums, FORMAT_VERSION};
use crate::change::Change;
use crate::error::PlanError;
use crate::model::{QualifiedName, Schema};
use crate::recipes::{steps_for, Context};
use crate::step::{Draft, Obj, Phase, StepKind};

/// One statement of a SQL migration, in file order: a change bellows has a recipe for,
/// or a step that runs the statement as written.
pub enum Statement {
    Change(Box<Change>),
    AsWritten(Box<Draft>),
}

/// The tables steps lock or need.
fn tables_of(steps: &[Draft]) -> BTreeSet<&QualifiedName> {
    let locked = steps.iter().flat_map(|s| s.locks.iter().map(|l| &l.relation));
    let needed = steps.iter().flat_map(|s| s.objects.needs.iter()).filter_map(|o| match o {
        Obj::Table(t) => Some(t),
        _ => None,
    });
    locked.chain(needed).collect()
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
    let mut done: Vec<(Vec<Draft>, bool)> = Vec::new();
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
        let mine: BTreeSet<QualifiedName> = tables_of(&steps).into_iter().cloned().collect();
        let shares_a_table = |earlier: &[Draft]| tables_of(earlier).into_iter().any(|t| mine.contains(t));
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
            let id = steps[0].id.clone();
            steps[0].depends_on.extend(last_as_written.replace(id));
        }
        done.push((steps, as_written));
    }
    let steps: Vec<Draft> = done.into_iter().flat_map(|(steps, _)| steps).collect();
    let mut seen = BTreeSet::new();
    if let Some(duplicate) = steps.iter().find(|s| !seen.insert(s.id.clone())) {
        return Err(PlanError::DuplicateStep { id: duplicate.id.clone() });
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
    described.extend(ordered.iter().filter(|s| s.kind == StepKind::Sql).map(|s| s.description.clone()));
    let mut plan = Plan {
        format_version: FORMAT_VERSION,
        fingerprint: String::new(),
        pg_version: options.pg_version,
        options,
        schema_checksums: {
            let schemas = desired.schemas();
            SchemaChecksums {
                from: current.checksum_of(&schemas),
                to: desired.checksum_of(&schemas),
                schemas: schemas.into_iter().collect(),
            }
        },
        changes: described,
        phases,
    };
    plan.fingerprint = fingerprint::of(&plan);
    Ok(plan)
}
