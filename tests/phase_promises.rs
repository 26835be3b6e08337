//! The promises of the phases hold on a real PostgreSQL (issue 8, defect 2): during
//! expand and backfill the old application version's reads and writes (written against
//! the `before` schema, NULLs included where it allows them) keep working, and the new
//! version's writes work from backfill on; a constraint the old version can violate is
//! never put in front of it. And a plan whose preconditions count rows that would make
//! a step fail refuses to start, with the count, before anything changes.

mod support;

use std::collections::BTreeSet;

use planner::model::{quote_ident, Schema, Table};
use planner::render::render_sql;
use planner::{make_plan, Plan, PlanOptions};
use sqlx::Connection as _;
use sqlx::PgConnection;
use support::blocking::block_on;
use support::live::{connect, fill, literal, run_all, state, statements};

/// The script's statements by section: the preamble and preconditions, then each phase.
struct Sections {
    start: Vec<String>,
    expand: Vec<String>,
    backfill: Vec<String>,
    contract: Vec<String>,
}

fn sections(plan: &Plan) -> Sections {
    let script = render_sql(plan);
    let mut sections = Sections {
        start: Vec::new(),
        expand: Vec::new(),
        backfill: Vec::new(),
        contract: Vec::new(),
    };
    for (i, part) in script.split("\n-- ===== ").enumerate() {
        let target = match part.split(':').next() {
            _ if i == 0 => &mut sections.start,
            Some("expand") => &mut sections.expand,
            Some("backfill") => &mut sections.backfill,
            Some("contract") => &mut sections.contract,
            _ => &mut sections.start,
        };
        // The header line of a section is a comment: it splits away.
        target.extend(statements(&format!("-- {part}")));
    }
    sections
}

/// Row `i` of `table` as an application writes it, valid under the constraints of
/// `rules` (the table as either version declares it: the old version writes only what
/// the new schema accepts, since the user declared that): every column but identity and
/// generated ones; a foreign key column references row 1; NULL in every nullable column
/// when `nulls`.
fn insert(table: &Table, schema: &Schema, rules: &[&Table], i: usize, nulls: bool) -> Option<String> {
    let key_columns: BTreeSet<&String> = rules.iter().flat_map(|t| &t.foreign_keys).flat_map(|fk| &fk.columns).collect();
    let mut names = Vec::new();
    let mut values = Vec::new();
    for column in table.columns.iter().filter(|c| c.identity.is_none() && c.generated.is_none()) {
        let value = if nulls && column.nullable {
            "NULL".to_string()
        } else if key_columns.contains(&column.name) {
            "1".to_string()
        } else {
            literal(column, i, schema, false)?
        };
        names.push(quote_ident(&column.name));
        values.push(value);
    }
    Some(format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name.sql(),
        names.join(", "),
        values.join(", ")
    ))
}

/// The old application version at work on `before`'s tables: it reads, updates a row,
/// inserts a row (kept), and inserts a row with NULL wherever it may (rolled back, so
/// that it does not stop contract, which the new version runs: the test is that the
/// write is accepted).
async fn old_application(connection: &mut PgConnection, before: &Schema, after: &Schema, i: usize, what: &str) {
    for table in before.tables.values() {
        let rules: Vec<&Table> = [Some(table), after.tables.get(&table.name)].into_iter().flatten().collect();
        let t = table.name.sql();
        let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let assignments: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.identity.is_none() && c.generated.is_none())
            .map(|c| format!("{0} = {0}", quote_ident(&c.name)))
            .collect();
        let mut work = vec![format!("SELECT {} FROM {t} LIMIT 5", columns.join(", "))];
        if !assignments.is_empty() {
            // A table renamed in expand is a view by its old name: no ctid, so the row is
            // found by its key.
            let row = match &table.primary_key {
                Some(pk) => {
                    let key = pk.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
                    format!("({key}) IN (SELECT {key} FROM {t} ORDER BY {key} LIMIT 1)")
                }
                None => format!("ctid = (SELECT min(ctid) FROM {t})"),
            };
            work.push(format!("UPDATE {t} SET {} WHERE {row}", assignments.join(", ")));
        }
        work.extend(insert(table, before, &rules, i, false));
        if let Some(with_nulls) = insert(table, before, &rules, i + 1, true) {
            work.push("BEGIN".into());
            work.push(with_nulls);
            work.push("ROLLBACK".into());
        }
        for statement in work {
            sqlx::raw_sql(&statement)
                .execute(&mut *connection)
                .await
                .unwrap_or_else(|e| panic!("{what}: the old application version's statement failed: {e}\n{statement}"));
        }
    }
}

/// The new application version writes a row into each of `after`'s tables (valid under
/// the old constraints too, which hold until contract drops them).
async fn new_application(connection: &mut PgConnection, before: &Schema, after: &Schema, i: usize, what: &str) {
    for table in after.tables.values() {
        let rules: Vec<&Table> = [Some(table), before.tables.get(&table.name)].into_iter().flatten().collect();
        if let Some(statement) = insert(table, after, &rules, i, false) {
            sqlx::raw_sql(&statement)
                .execute(&mut *connection)
                .await
                .unwrap_or_else(|e| panic!("{what}: the new application version's INSERT failed: {e}\n{statement}"));
        }
    }
}

fn state_of(url: &str) -> support::live::State {
    let nothing = BTreeSet::new();
    block_on(|| state(url, &nothing))
}

fn prepare(before: &Schema, rows: &[String], what: &str) -> String {
    let url = support::postgres::fresh_database();
    block_on(|| async {
        let mut connection = connect(&url).await;
        let setup = make_plan(&Schema::default(), before, PlanOptions::default()).expect("the before schema plans from empty");
        run_all(&mut connection, &statements(&render_sql(&setup)), &format!("{what}: before")).await;
        run_all(&mut connection, rows, &format!("{what}: rows")).await;
        let _ = connection.close().await;
    });
    url
}

#[test]
fn both_application_versions_keep_working_in_every_phase_they_are_promised() {
    let mut checked = 0;
    for dir in support::examples::scenarios() {
        let (before, after) = support::examples::before_and_after(&dir);
        let Ok(plan) = make_plan(&before, &after, PlanOptions::default()) else {
            continue;
        };
        let what = dir.file_name().expect("a folder").to_string_lossy().into_owned();
        let url = prepare(&before, &fill(&before, 30, false), &what);
        let parts = sections(&plan);
        block_on(|| async {
            let mut connection = connect(&url).await;
            run_all(&mut connection, &parts.start, &format!("{what}: preconditions")).await;
            run_all(&mut connection, &parts.expand, &format!("{what}: expand")).await;
            old_application(&mut connection, &before, &after, 1000, &format!("{what}, after expand")).await;
            run_all(&mut connection, &parts.backfill, &format!("{what}: backfill")).await;
            old_application(&mut connection, &before, &after, 1100, &format!("{what}, after backfill")).await;
            new_application(&mut connection, &before, &after, 1200, &format!("{what}, after backfill")).await;
            run_all(&mut connection, &parts.contract, &format!("{what}: contract")).await;
            new_application(&mut connection, &before, &after, 1300, &format!("{what}, after contract")).await;
            let _ = connection.close().await;
        });
        let live = state_of(&url);
        let rest = make_plan(&live.schema, &after, PlanOptions::default()).expect("plans");
        assert!(rest.is_empty(), "{what}: the plan did not reach the after schema: {:?}", rest.changes);
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} examples checked");
}

fn example_06() -> (Schema, Schema, Plan) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/06-add-not-null-column");
    let (before, after) = support::examples::before_and_after(&dir);
    let plan = make_plan(&before, &after, PlanOptions::default()).expect("example 06 plans");
    (before, after, plan)
}

/// Users with addresses, and one without (`email` NULL): `split_part(email, '@', 2)`
/// gives it no domain.
const USERS_WITH_A_NULL_EMAIL: &[&str] = &[
    "INSERT INTO public.orgs (name) VALUES ('acme')",
    "INSERT INTO public.users (org_id, email) VALUES (1, 'ann@acme.test'), (1, NULL), (1, 'bob@example.org')",
];

#[test]
fn a_fill_that_yields_null_for_existing_rows_refuses_the_plan_before_anything_changes() {
    let (before, _, plan) = example_06();
    let rows: Vec<String> = USERS_WITH_A_NULL_EMAIL.iter().map(|s| s.to_string()).collect();
    let url = prepare(&before, &rows, "06");
    let untouched = state_of(&url);
    let error = block_on(|| async {
        let mut connection = connect(&url).await;
        let result = support::live::run(&mut connection, &statements(&render_sql(&plan))).await;
        let _ = connection.close().await;
        result.expect_err("the script refuses to start")
    });
    assert!(
        error
            .1
            .contains("rows of public.users for which split_part(email, '@', 2) is NULL (found 1); nothing was changed"),
        "{error:?}"
    );
    assert_eq!(state_of(&url), untouched, "the refused script changed something");
}

#[test]
fn the_old_version_may_insert_a_row_the_fill_leaves_null_until_contract() {
    let (before, _, plan) = example_06();
    let rows = vec![
        USERS_WITH_A_NULL_EMAIL[0].to_string(),
        "INSERT INTO public.users (org_id, email) VALUES (1, 'ann@acme.test'), (1, 'bob@example.org')".to_string(),
    ];
    let url = prepare(&before, &rows, "06");
    let parts = sections(&plan);
    let old_insert = "INSERT INTO public.users (org_id, email) VALUES (1, NULL)";
    block_on(|| async {
        let mut connection = connect(&url).await;
        run_all(&mut connection, &parts.start, "06: preconditions").await;
        for (phase, statements) in [("expand", &parts.expand), ("backfill", &parts.backfill)] {
            run_all(&mut connection, statements, phase).await;
            sqlx::raw_sql(old_insert)
                .execute(&mut connection)
                .await
                .unwrap_or_else(|e| panic!("after {phase}, the old version's insert was rejected: {e}"));
        }
        // Contract meets the rows the old version wrote without a domain: validation
        // stops there (only the new version runs by then), and goes on once they are
        // corrected.
        let stopped = support::live::run(&mut connection, &parts.contract).await.expect_err("validation fails");
        assert!(stopped.1.contains("violated by some row"), "{stopped:?}");
        sqlx::raw_sql("ROLLBACK").execute(&mut connection).await.expect("ends the failed transaction");
        sqlx::raw_sql("UPDATE public.users SET email_domain = 'unknown' WHERE email_domain IS NULL")
            .execute(&mut connection)
            .await
            .expect("corrects the rows");
        run_all(&mut connection, &statements(&render_sql(&plan)), "06: the script again").await;
        let domains: Vec<Option<String>> = sqlx::query_scalar("SELECT email_domain FROM public.users ORDER BY id")
            .fetch_all(&mut connection)
            .await
            .expect("reads the domains");
        let expected = ["acme.test", "example.org", "unknown", "unknown"];
        assert_eq!(domains, expected.map(|d| Some(d.to_string())));
        let _ = connection.close().await;
    });
}
