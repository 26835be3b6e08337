//! `bellows plan --sql` run for real: a `before` schema is created on a fresh
//! PostgreSQL database with rows in it, then the SQL rendering of the migration's plan
//! runs phase by phase, statement by statement, as psql would run it. The rows must
//! end as the migration run as written would leave them.

mod support;

use planner::from_sql::plan_sql;
use planner::render::render_sql;
use planner::{load_schema, PlanOptions, Schema};
use sqlx::{Connection, PgConnection, Row};
use support::script::{create_schema, run_script};

fn users() -> Schema {
    let toml = r#"
[tables.users]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "email", type = "text", nullable = false },
  { name = "name", type = "text" },
]
"#;
    load_schema("users.toml", toml).expect("loads")
}

async fn rows(connection: &mut PgConnection, sql: &str) -> Vec<(i64, Option<String>)> {
    sqlx::query(sql)
        .fetch_all(&mut *connection)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| (r.get::<i64, _>(0), r.get::<Option<String>, _>(1)))
        .collect()
}

/// Issue 8, defect 1: the UPDATE ran in expand before the copy of the renamed column,
/// so it saw every `full_name` NULL and set every row to 'anon'. Run as written, only
/// the rows whose name was NULL change.
#[test]
fn an_update_of_a_renamed_column_changes_only_the_rows_it_would_change_as_written() {
    let sql = "ALTER TABLE users RENAME COLUMN name TO full_name;\nUPDATE users SET full_name = 'anon' WHERE full_name IS NULL;";
    let plan = plan_sql(Some(&users()), "rename.sql", sql, PlanOptions::default()).expect("plans");
    let url = support::postgres::fresh_database();
    support::blocking::block_on(|| async {
        create_schema(&url, &users(), "rename").await;
        let mut connection = PgConnection::connect(&url).await.expect("connects");
        run_script(
            &mut connection,
            "INSERT INTO users (id, email, name) VALUES (1, 'a@example.com', 'Ada'), (2, 'b@example.com', NULL), (3, 'c@example.com', 'Cy'), (4, 'd@example.com', NULL);",
            "rows",
        )
        .await;
        let before = rows(&mut connection, "SELECT id, name FROM users ORDER BY id").await;
        run_script(&mut connection, &render_sql(&plan), "plan").await;
        let after = rows(&mut connection, "SELECT id, full_name FROM users ORDER BY id").await;
        // Shown with --nocapture: the plan, and the rows before and after it ran.
        eprintln!("{}", planner::render::render_text(&plan, false));
        eprintln!("rows before (id, name): {before:?}\nrows after (id, full_name): {after:?}");
        let name = |s: &str| Some(s.to_string());
        assert_eq!(before, [(1, name("Ada")), (2, None), (3, name("Cy")), (4, None)]);
        assert_eq!(after, [(1, name("Ada")), (2, name("anon")), (3, name("Cy")), (4, name("anon"))]);
    });
}

/// Issue 8, defect 3: a whole-table UPDATE and DELETE run in batches give the rows the
/// statements give as written, and a batch run again changes nothing.
#[test]
fn batched_updates_and_deletes_leave_the_rows_the_statements_would() {
    let sql = "UPDATE users SET name = split_part(email, '@', 1) WHERE name IS NULL;\nDELETE FROM users WHERE email LIKE '%@drop.example';";
    let options = PlanOptions {
        batch_size: 100,
        ..PlanOptions::default()
    };
    let plan = plan_sql(Some(&users()), "batch.sql", sql, options).expect("plans");
    let update = plan
        .steps()
        .find(|s| s.id == "statement:line-1")
        .and_then(|s| s.backfill.clone())
        .expect("a batched UPDATE");
    assert!(
        plan.steps().find(|s| s.id == "statement:line-2").is_some_and(|s| s.backfill.is_some()),
        "a batched DELETE"
    );
    let url = support::postgres::fresh_database();
    support::blocking::block_on(|| async {
        create_schema(&url, &users(), "batch").await;
        let mut connection = PgConnection::connect(&url).await.expect("connects");
        let inserts = "INSERT INTO users (id, email, name) SELECT i, 'u' || i || CASE WHEN i % 7 = 0 THEN '@drop.example' ELSE '@keep.example' END, CASE WHEN i % 2 = 0 THEN 'named' || i END FROM generate_series(1, 1050) AS i;";
        run_script(&mut connection, inserts, "rows").await;
        run_script(&mut connection, &render_sql(&plan), "plan").await;
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&mut connection)
            .await
            .expect("counts");
        assert_eq!(left, 1050 - 150, "every seventh row deleted");
        let wrong: i64 =
            sqlx::query_scalar("SELECT count(*) FROM users WHERE name IS DISTINCT FROM CASE WHEN id % 2 = 0 THEN 'named' || id ELSE 'u' || id END")
                .fetch_one(&mut connection)
                .await
                .expect("counts");
        assert_eq!(wrong, 0, "names filled only where they were NULL");
        // The first batch again, over the whole table: nothing is pending.
        let again: i64 = sqlx::query(&update.batch_sql)
            .bind(2000_i64)
            .bind(None::<i64>)
            .bind(1050_i64)
            .fetch_one(&mut connection)
            .await
            .expect("the batch runs")
            .get("updated_rows");
        assert_eq!(again, 0);
    });
}
