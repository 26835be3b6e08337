//! Every example's plan, run by the executor on a real PostgreSQL as the role that owns
//! the tables: the `before` schema is created by bellows itself, 2,500 rows go into every
//! table (NULLs where a column allows them), then `apply` runs expand and backfill.
//! `abort` must then leave schema, rows, indexes and constraints exactly as they were
//! (or preflight refuses before anything changes, and the state is as it was); `apply`
//! again and `complete` must keep every row, leave no INVALID index, no NOT VALID
//! constraint and no trigger or function of bellows's, and a fresh plan is empty. This
//! is also where the PL/pgSQL of the sync and fill triggers meets real rows.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use executor::{ApplyPhases, DatabaseUrl, ExecError, Options, Outcome, Runner, Silent};
use planner::model::Schema;
use planner::{make_plan, PlanOptions};
use support::blocking::block_on;
use support::examples::{before_and_after, scenarios};
use support::live::{connect, fill, run_all, state};
use support::owner::owned_database_async;

const ROWS: usize = 2_500;

async fn apply(runner: &Runner<'_>, url: &DatabaseUrl, desired: &Schema) -> Result<Outcome, ExecError> {
    let prepared = executor::prepare(url, desired, PlanOptions::default()).await?;
    runner.apply(prepared.plan, None, ApplyPhases::Both).await
}

/// What the example did: `Ok(true)` when its plan ran through abort, apply and complete,
/// `Ok(false)` when preflight refused it (nothing changed); `Err` lists what went wrong.
async fn example(dir: &Path) -> Result<bool, Vec<String>> {
    let (before, after) = before_and_after(dir);
    if make_plan(&before, &after, PlanOptions::default()).is_err() {
        return Ok(false);
    }
    let owner = owned_database_async().await;
    let url = DatabaseUrl::new(owner.url.clone());
    let runner = Runner::new(url.clone(), Options::default(), &Silent);
    if apply(&runner, &url, &before).await.map_err(|e| vec![format!("creating the old schema: {e}")])? != Outcome::NothingToDo {
        runner.complete().await.map_err(|e| vec![format!("completing the old schema: {e}")])?;
    }
    let mut connection = connect(&owner.url).await;
    run_all(&mut connection, &fill(&before, ROWS, true), "rows").await;
    let none = BTreeSet::new();
    let original = state(&owner.url, &none).await;

    match apply(&runner, &url, &after).await {
        Ok(_) => {}
        Err(ExecError::Preflight { .. }) => {
            let now = state(&owner.url, &none).await;
            return if now == original {
                Ok(false)
            } else {
                Err(vec![format!("preflight refused, but the database changed:\n{now:#?}")])
            };
        }
        Err(e) => return Err(vec![format!("apply: {e}")]),
    }
    let mut problems = Vec::new();
    match runner.abort(false).await {
        Ok(_) => {
            let now = state(&owner.url, &none).await;
            if now != original {
                problems.push(format!("abort did not put the database back:\nbefore: {original:#?}\nafter abort: {now:#?}"));
            }
        }
        // Refused as a whole: nothing is undone, and apply goes on from where it stopped.
        Err(ExecError::AbortFailed(why)) if why.contains("cannot be undone") => {}
        Err(e) => problems.push(format!("abort: {e}")),
    }
    if let Err(e) = apply(&runner, &url, &after).await {
        problems.push(format!("apply after abort: {e}"));
        return Err(problems);
    }
    if let Err(e) = runner.complete().await {
        problems.push(format!("complete: {e}"));
        return Err(problems);
    }
    let done = state(&owner.url, &none).await;
    // A renamed table is found under its new name; a dropped one is gone on purpose.
    for table in before.tables.values() {
        let now = after
            .tables
            .values()
            .find(|t| t.name == table.name || t.renamed_from.as_ref() == Some(&table.name));
        let (Some(now), Some(was)) = (now, original.rows.get(&table.name.to_string())) else {
            continue;
        };
        let count = |checksum: &String| checksum.split(' ').next().unwrap_or_default().to_string();
        let kept = done.rows.get(&now.name.to_string()).map(count);
        if kept.as_ref() != Some(&count(was)) {
            problems.push(format!("rows of {}: {} before, {kept:?} after", table.name, count(was)));
        }
    }
    for (what, left) in [
        ("INVALID indexes", &done.invalid_indexes),
        ("NOT VALID constraints", &done.not_valid_constraints),
        ("triggers or functions left", &done.leftovers),
    ] {
        if !left.is_empty() {
            problems.push(format!("{what}: {left:?}"));
        }
    }
    match apply(&runner, &url, &after).await {
        Ok(Outcome::NothingToDo) => {}
        other => problems.push(format!("a fresh plan against the migrated database is not empty: {other:?}")),
    }
    if problems.is_empty() {
        Ok(true)
    } else {
        Err(problems)
    }
}

#[test]
fn every_example_applies_aborts_back_to_where_it_was_and_completes_without_losing_rows() {
    let mut failures = Vec::new();
    let (mut ran, mut refused) = (Vec::new(), Vec::new());
    for dir in scenarios() {
        let name = dir.file_name().expect("a folder").to_string_lossy().into_owned();
        match block_on(|| example(&dir)) {
            Ok(true) => ran.push(name),
            Ok(false) => refused.push(name),
            Err(problems) => failures.extend(problems.into_iter().map(|p| format!("{name}: {p}"))),
        }
    }
    eprintln!(
        "examples through apply, abort, apply, complete: {} ran, refused by preflight or the planner: {refused:?}",
        ran.len()
    );
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(ran.len() >= 20, "only {} examples ran: {ran:?}", ran.len());
}
