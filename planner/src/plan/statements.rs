//! The pipeline's driver: each statement (a change with a recipe, or a statement of a
//! SQL migration run as written) becomes steps, in an order that keeps what the file
//! asked for, and the ordered steps become the plan.

use std::collections::BTreeSet;

use super::settle::{settles, Settle, Touches};
use super::{fingerprint, order, PhaseSteps, Plan, PlanOptions, SchemaChecksums, FORMAT_VERSION};
use crate::change::Change;
use crate::error::PlanError;
use crate::model::{QualifiedName, Schema};
use crate::recipes::{steps_for, Context};
use crate::step::{Draft, Obj, Phase};

/// One statement of a SQL migration, in file order: a change bellows has a recipe for,
/// or a step that runs the statement as written, with what the statement reads or
/// writes.
pub enum Statement {
    Change(Box<Change>),
    AsWritten(Box<Draft>, Touches),
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

fn shares_a_table(a: &[Draft], b: &[Draft]) -> bool {
    let mine = tables_of(a);
    tables_of(b).into_iter().any(|t| mine.contains(t))
}

/// Plans the statements of a migration. Changes are ordered by their recipes; a
/// statement run as written keeps its place in the file relative to the other
/// statements on the tables it locks (an `UPDATE` after the `ADD COLUMN` it fills, an
/// `ADD COLUMN` after the `UPDATE` that prepares it), and to the statements run as
/// written before it. A statement that reads or writes a column a recipe is renaming,
/// retyping or filling runs once that column is complete (see `settle`), in a later
/// phase if need be; a change that must follow such a statement but whose recipe
/// starts in an earlier phase is refused.
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
    let mut settled: Vec<Settle> = Vec::new();
    let mut last_as_written: Option<(String, Phase)> = None;
    for statement in statements {
        match statement {
            Statement::Change(change) => {
                let mut steps = steps_for(&change, &cx)?;
                let before_me: Vec<&Draft> = done
                    .iter()
                    .filter(|(e, as_written)| *as_written && shares_a_table(e, &steps))
                    .map(|(e, _)| &e[0])
                    .collect();
                for before in before_me {
                    if let Some(early) = steps.iter().find(|s| s.phase < before.phase) {
                        return Err(PlanError::refused(
                            change.describe(),
                            format!(
                                "it follows step {} in the file, on the same table, so it must run after it; that statement runs in {} ({}), but this change's step {} runs in {}",
                                before.id, before.phase, before.description, early.id, early.phase
                            ),
                            "put the statement after this change in the file, or this change in a migration of its own",
                        ));
                    }
                    for step in &mut steps {
                        step.after(&before.id);
                    }
                }
                settled.extend(settles(&change, &steps));
                changes.push(*change);
                done.push((steps, false));
            }
            Statement::AsWritten(step, touches) => {
                let mut step = *step;
                let deferred = step.phase > Phase::Expand;
                let mut after: Vec<(String, Phase)> = Vec::new();
                for (earlier, earlier_as_written) in done.iter().filter(|(e, _)| shares_a_table(e, std::slice::from_ref(&step))) {
                    // Recipes' later phases do not wait for statements run as written.
                    let steps = earlier.iter().filter(|s| *earlier_as_written || s.phase == Phase::Expand);
                    after.extend(steps.map(|s| (s.id.clone(), s.phase)));
                }
                let mut waits: Vec<&str> = Vec::new();
                for settle in settled.iter().filter(|s| touches.column(&s.table, &s.column)) {
                    after.push((settle.step.clone(), settle.phase));
                    if !waits.contains(&settle.what.as_str()) {
                        waits.push(&settle.what);
                    }
                }
                after.extend(last_as_written.clone());
                step.phase = after.iter().map(|(_, p)| *p).chain([step.phase]).max().unwrap_or(Phase::Expand);
                if !waits.is_empty() {
                    step.description = format!(
                        "{}, after {}: it reads or writes that column, which is complete only then",
                        step.description,
                        waits.join(" and ")
                    );
                }
                for (id, _) in &after {
                    step.after(id);
                }
                // A statement deferred to contract (a drop the old version may still
                // use) does not hold back the statements after it.
                if !deferred {
                    last_as_written = Some((step.id.clone(), step.phase));
                }
                done.push((vec![step], true));
            }
        }
    }
    let steps: Vec<Draft> = done.iter().flat_map(|(steps, _)| steps.iter().cloned()).collect();
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
    // The migration's own statements, whether run as written or in batches.
    let own: BTreeSet<&str> = done
        .iter()
        .filter(|(_, w)| *w)
        .flat_map(|(steps, _)| steps.iter().map(|s| s.id.as_str()))
        .collect();
    described.extend(ordered.iter().filter(|s| own.contains(s.id.as_str())).map(|s| s.description.clone()));
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
        notes: Vec::new(),
    };
    plan.fingerprint = fingerprint::of(&plan);
    Ok(plan)
}
