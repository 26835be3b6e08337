//! The phase promises, tested: every example's plan is run by the executor on a real
//! PostgreSQL, as a non-superuser owner, with rows in every table (NULLs and edge values
//! included). After expand the old application version's queries work; after backfill
//! both versions' do; after contract the new version's do; and when the migration is
//! complete every row means what it meant (its values mapped through the change), the
//! rows the applications wrote meanwhile included. Then a plan from the live database
//! to the same schema is empty.

mod support;

use std::path::Path;

use executor::{ApplyPhases, DatabaseUrl, Options, Outcome, Runner, Silent};
use planner::model::{quote_ident, Schema};
use planner::{make_plan, PlanOptions};
use sqlx::{Connection, PgConnection};
use support::app::App;
use support::blocking::block_on;
use support::examples::{before_and_after, scenarios};
use support::meaning::Meaning;
use support::owner::owned_database_async;
use support::values::{counterpart_table, feeds_a_fill, foreign_key, literal_unless, parents_first};

/// Rows seeded in every table of the old schema.
const ROWS: i64 = 60;

async fn seed(connection: &mut PgConnection, before: &Schema, after: &Schema) {
    for table in parents_first(before) {
        let after_table = counterpart_table(after, table);
        for i in 1..=ROWS {
            let mut names = Vec::new();
            let mut values = Vec::new();
            for column in table.columns.iter().filter(|c| c.identity.is_none() && c.generated.is_none()) {
                let to = after_table.and_then(|t| {
                    t.columns
                        .iter()
                        .find(|c| c.name == column.name || c.renamed_from.as_deref() == Some(&column.name))
                });
                // A reference either schema declares is kept: the new one is validated.
                let fk = foreign_key(table, after_table, &column.name);
                let value = match fk {
                    // Seed rows reference the parent's row of the same number (parents are seeded first).
                    Some(fk) if fk.references != table.name => Some(format!(
                        "(SELECT {} FROM {} ORDER BY 1 OFFSET {} LIMIT 1)",
                        quote_ident(&fk.referenced_columns[0]),
                        fk.references.sql(),
                        (i - 1) % ROWS
                    )),
                    _ => literal_unless(column, to, i, before, feeds_a_fill(after, table, &column.name)),
                };
                names.push(quote_ident(&column.name));
                values.push(value.unwrap_or_else(|| "NULL".into()));
            }
            let sql = format!("INSERT INTO {} ({}) VALUES ({})", table.name.sql(), names.join(", "), values.join(", "));
            sqlx::raw_sql(&sql).execute(&mut *connection).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

async fn apply(runner: &Runner<'_>, url: &DatabaseUrl, desired: &Schema, phases: ApplyPhases) -> Result<Outcome, String> {
    let prepared = executor::prepare(url, desired, PlanOptions::default())
        .await
        .map_err(|e| format!("prepare: {e}"))?;
    runner.apply(prepared.plan, None, phases).await.map_err(|e| format!("apply {phases:?}: {e}"))
}

/// Runs one example; returns what broke a promise.
async fn example(dir: &Path) -> Vec<String> {
    let (before, after) = before_and_after(dir);
    if make_plan(&before, &after, PlanOptions::default()).is_err() {
        return Vec::new();
    }
    let owner = owned_database_async().await;
    let url = DatabaseUrl::new(owner.url.clone());
    let runner = Runner::new(url.clone(), Options::default(), &Silent);
    let mut problems = Vec::new();
    let setup = async {
        if apply(&runner, &url, &before, ApplyPhases::Both).await? == Outcome::NothingToDo {
            return Ok(Outcome::NothingToDo);
        }
        runner.complete().await.map_err(|e| format!("complete (before): {e}"))
    };
    if let Err(e) = setup.await {
        return vec![format!("creating the old schema: {e}")];
    }
    let mut connection = PgConnection::connect(&owner.url).await.expect("connects as the owner");
    seed(&mut connection, &before, &after).await;
    let meaning = Meaning {
        before: &before,
        after: &after,
    };
    meaning.setup(&mut connection).await;
    meaning.snapshot(&mut connection, None).await;
    let mut old = App {
        name: "old",
        schema: &before,
        other: &after,
        next: 1_000,
        either_default: false,
    };
    let mut new = App {
        name: "new",
        schema: &after,
        other: &before,
        next: 2_000,
        either_default: true,
    };

    let mut phase = async |label: &str, result: Result<Outcome, String>, apps: &mut [&mut App<'_>], problems: &mut Vec<String>| -> bool {
        if let Err(e) = result {
            problems.push(format!("{label}: {e}"));
            return false;
        }
        for app in apps.iter_mut() {
            let (found, kept) = app.exercise(&mut connection).await;
            problems.extend(found.into_iter().map(|p| format!("after {label}: {p}")));
            if app.name == "old" && label != "contract" {
                for row in kept {
                    meaning.snapshot(&mut connection, Some((&row.table, &row.key))).await;
                }
            }
        }
        true
    };
    let expanded = apply(&runner, &url, &after, ApplyPhases::Expand).await;
    if !phase("expand", expanded, &mut [&mut old], &mut problems).await {
        return problems;
    }
    let backfilled = apply(&runner, &url, &after, ApplyPhases::Backfill).await;
    if !phase("backfill", backfilled, &mut [&mut old, &mut new], &mut problems).await {
        return problems;
    }
    let completed = runner.complete().await.map_err(|e| e.to_string());
    new.either_default = false;
    if !phase("contract", completed, &mut [&mut new], &mut problems).await {
        return problems;
    }
    let kept = meaning.count(&mut connection).await;
    if kept < ROWS && !before.tables.is_empty() {
        problems.push(format!("only {kept} values were kept aside to check"));
    }
    problems.extend(meaning.check(&mut connection).await.into_iter().map(|p| format!("meaning changed: {p}")));
    match apply(&runner, &url, &after, ApplyPhases::Both).await {
        Ok(Outcome::NothingToDo) => {}
        other => problems.push(format!("a fresh plan against the migrated database is not empty: {other:?}")),
    }
    problems
}

#[test]
fn every_phase_keeps_its_promise_to_both_application_versions() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in scenarios() {
        let name = dir.file_name().expect("a folder").to_string_lossy().into_owned();
        let problems = block_on(|| example(&dir));
        ran += 1;
        failures.extend(problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    assert!(ran >= 20, "only {ran} examples ran");
    assert!(failures.is_empty(), "{} broken promises:\n{}", failures.len(), failures.join("\n"));
}
