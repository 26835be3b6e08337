//! The SQL script of every example's plan is safe to run again (issue 8, defect 6): run
//! twice on a database with rows, the second run succeeds and changes nothing (the
//! introspected schema, INVALID indexes, NOT VALID constraints, leftover triggers and
//! functions, and a checksum of every table's rows); stopped after any of its
//! statements and then run again from the top, it ends where an uninterrupted run ends;
//! and after a concurrent unique index build that failed on a duplicate and left an
//! INVALID index, the script run again drops it and builds it.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use planner::render::render_sql;
use planner::{make_plan, Plan, PlanOptions, Schema, StepKind};
use sqlx::Connection as _;
use support::blocking::block_on;
use support::live::{connect, fill, run, run_all, state, statements, volatile_columns, State};

const ROWS: usize = 40;

fn name(dir: &Path) -> String {
    dir.file_name().expect("a folder name").to_string_lossy().into_owned()
}

/// A fresh database holding `before` and its rows: with NULLs where the columns allow
/// them, unless a precondition of the plan counts such rows (then the plan would
/// rightly refuse to start, which `phase_promises.rs` tests), without them otherwise.
fn prepared(before: &Schema, plan: &Plan, what: &str) -> String {
    for nulls in [true, false] {
        let url = support::postgres::fresh_database();
        let refused = block_on(|| async {
            let mut connection = connect(&url).await;
            let setup = make_plan(&Schema::default(), before, PlanOptions::default()).expect("the before schema plans from empty");
            run_all(&mut connection, &statements(&render_sql(&setup)), &format!("{what}: before")).await;
            run_all(&mut connection, &fill(before, ROWS, nulls), &format!("{what}: rows")).await;
            let mut refused = false;
            for precondition in plan.steps().flat_map(|s| &s.preconditions) {
                let count: i64 = sqlx::query_scalar(&precondition.sql)
                    .fetch_one(&mut connection)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: precondition does not run: {e}\n{}", precondition.sql));
                refused |= count > 0;
            }
            let _ = connection.close().await;
            refused
        });
        if !refused {
            return url;
        }
        assert!(nulls, "{what}: a precondition counts rows even without NULLs");
    }
    unreachable!("the second pass has no NULLs")
}

fn run_script(url: &str, statements: &[String], what: &str) {
    block_on(|| async {
        let mut connection = connect(url).await;
        run_all(&mut connection, statements, what).await;
        let _ = connection.close().await;
    });
}

fn state_of(url: &str, skip: &BTreeSet<String>) -> State {
    block_on(|| state(url, skip))
}

/// The plans of the examples that plan, with their `before` and `after` schemas.
fn plans() -> Vec<(String, Schema, Schema, Plan)> {
    support::examples::scenarios()
        .into_iter()
        .filter_map(|dir| {
            let (before, after) = support::examples::before_and_after(&dir);
            let plan = make_plan(&before, &after, PlanOptions::default()).ok()?;
            Some((name(&dir), before, after, plan))
        })
        .collect()
}

#[test]
fn every_script_run_twice_changes_nothing_the_second_time() {
    let mut checked = 0;
    for (what, before, after, plan) in plans() {
        let url = prepared(&before, &plan, &what);
        let script = statements(&render_sql(&plan));
        run_script(&url, &script, &format!("{what}: first run"));
        let first = state_of(&url, &BTreeSet::new());
        let rest = make_plan(&first.schema, &after, PlanOptions::default()).expect("plans");
        assert!(rest.is_empty(), "{what}: the script did not reach the after schema: {:?}", rest.changes);
        assert_eq!(
            (&first.invalid_indexes, &first.not_valid_constraints, &first.leftovers),
            (&vec![], &vec![], &vec![]),
            "{what}: the script left something behind"
        );
        run_script(&url, &script, &format!("{what}: second run"));
        assert_eq!(state_of(&url, &BTreeSet::new()), first, "{what}: the second run changed something");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} scripts run twice");
}

#[test]
fn a_script_stopped_after_any_statement_and_run_again_ends_as_an_uninterrupted_run() {
    let mut cuts = 0;
    for (what, before, after, plan) in plans() {
        let skip = volatile_columns(&after);
        let script = statements(&render_sql(&plan));
        let reference = prepared(&before, &plan, &what);
        run_script(&reference, &script, &format!("{what}: uninterrupted"));
        let expected = state_of(&reference, &skip);
        for cut in 1..script.len() {
            let url = prepared(&before, &plan, &what);
            run_script(&url, &script[..cut], &format!("{what}: up to statement {cut}"));
            run_script(&url, &script, &format!("{what}: again after stopping at statement {cut}"));
            assert_eq!(state_of(&url, &skip), expected, "{what}: stopped after statement {cut} of {}", script.len());
            cuts += 1;
        }
    }
    assert!(cuts >= 200, "only {cuts} cut points");
}

/// The columns of the index a step creates, as the `after` schema declares it (a unique
/// constraint's or primary key's index has the constraint's name).
fn plan_index_columns(after: &Schema, table: &str, creates: &[planner::step::DbObject]) -> BTreeSet<String> {
    let Some(planner::step::DbObject::Index { name }) = creates.iter().find(|o| matches!(o, planner::step::DbObject::Index { .. })) else {
        return BTreeSet::new();
    };
    let t = after.tables.values().find(|t| t.name.sql() == table).expect("the table exists after");
    let index = t.indexes.iter().find(|i| i.name == name.name).map(|i| {
        i.keys
            .iter()
            .flat_map(|k| match k {
                planner::model::IndexKey::Column(c) => vec![c.clone()],
                planner::model::IndexKey::Expression(e) => e.columns.iter().cloned().collect(),
            })
            .collect::<Vec<_>>()
    });
    let constraint = t.uniques.iter().find(|u| u.name == name.name).map(|u| u.columns.clone());
    let primary = t.primary_key.iter().find(|p| p.name == name.name).map(|p| p.columns.clone());
    index.or(constraint).or(primary).unwrap_or_default().into_iter().collect()
}

#[test]
fn an_invalid_index_left_by_a_failed_unique_build_is_dropped_and_built_again() {
    let mut simulated = 0;
    for (what, before, after, plan) in plans() {
        let script = statements(&render_sql(&plan));
        let builds: Vec<usize> = (0..script.len())
            .filter(|&i| script[i].starts_with("CREATE UNIQUE INDEX CONCURRENTLY"))
            .collect();
        if builds.is_empty() {
            continue;
        }
        let skip = volatile_columns(&after);
        let reference = prepared(&before, &plan, &what);
        run_script(&reference, &script, &format!("{what}: uninterrupted"));
        let expected = state_of(&reference, &skip);
        for build in builds {
            let step = plan
                .steps()
                .find(|s| s.kind == StepKind::CreateIndexConcurrently && s.sql.iter().any(|q| script[build].starts_with(q.as_str())))
                .expect("the build's step");
            let table = step.locks[0].relation.clone();
            let url = prepared(&before, &plan, &what);
            block_on(|| async {
                let mut connection = connect(&url).await;
                run_all(&mut connection, &script[..build], &format!("{what}: up to the build")).await;
                // A row of the old application version that duplicates a key, written after
                // the preconditions were checked: the build fails and leaves its index INVALID.
                let table = table.sql();
                // The row copies the first row's key; other integer columns get fresh
                // values, so that only this index sees a duplicate.
                let key = &step.creates;
                let index_columns: BTreeSet<String> = plan_index_columns(&after, &table, key);
                let columns: Vec<&planner::model::Column> = before
                    .tables
                    .values()
                    .find(|t| t.name.sql() == table)
                    .expect("the table exists before")
                    .columns
                    .iter()
                    .filter(|c| c.identity.is_none())
                    .collect();
                let names: Vec<String> = columns.iter().map(|c| planner::model::quote_ident(&c.name)).collect();
                let values: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let n = planner::model::quote_ident(&c.name);
                        let integer = matches!(c.ty.builtin_name(), Some("int2" | "int4" | "int8"));
                        if integer && !index_columns.contains(&c.name) {
                            format!("(SELECT max({n}) + 1000 FROM {table})")
                        } else {
                            n
                        }
                    })
                    .collect();
                let duplicate: String = sqlx::query_scalar(&format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM {table} WHERE ctid = (SELECT min(ctid) FROM {table}) RETURNING ctid::text",
                    names.join(", "),
                    values.join(", ")
                ))
                .fetch_one(&mut connection)
                .await
                .unwrap_or_else(|e| panic!("{what}: cannot insert a duplicate: {e}"));
                let failed = run(&mut connection, &script[build..=build]).await;
                assert!(failed.is_err(), "{what}: the build succeeded over a duplicate");
                let invalid: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
                    .fetch_one(&mut connection)
                    .await
                    .expect("counts invalid indexes");
                assert_eq!(invalid, 1, "{what}: the failed build left no INVALID index");
                sqlx::raw_sql(&format!("DELETE FROM {table} WHERE ctid = '{duplicate}'"))
                    .execute(&mut connection)
                    .await
                    .expect("deletes the duplicate");
                run_all(&mut connection, &script, &format!("{what}: again after the failed build")).await;
                let _ = connection.close().await;
            });
            assert_eq!(state_of(&url, &skip), expected, "{what}: after a failed build of {}", step.id);
            simulated += 1;
        }
    }
    assert!(simulated >= 3, "only {simulated} failed builds simulated");
}
