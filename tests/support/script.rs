//! SQL scripts run as psql would run them: split with PostgreSQL's own parser and sent one statement at a time, so
//! that statements that must run outside a transaction (CREATE INDEX CONCURRENTLY) can.

use planner::model::Schema;
use planner::render::render_sql;
use planner::{make_plan, PlanOptions};
use sqlx::{Connection, PgConnection};

/// Runs every statement of `script`, panicking with `what` and the statement on the first failure.
pub async fn run_script(connection: &mut PgConnection, script: &str, what: &str) {
    for statement in pg_query::split_with_parser(script).unwrap_or_else(|e| panic!("{what}: the script does not split: {e}")) {
        let statement = statement.trim();
        if statement.is_empty() {
            continue;
        }
        sqlx::raw_sql(statement)
            .execute(&mut *connection)
            .await
            .unwrap_or_else(|e| panic!("{what}: statement failed: {e}\n{statement}"));
    }
}

/// Creates `schema` on the empty database at `url` by running, as SQL, the plan that creates it from nothing.
pub async fn create_schema(url: &str, schema: &Schema, what: &str) {
    let plan = make_plan(&Schema::default(), schema, PlanOptions::default()).unwrap_or_else(|e| panic!("{what}: does not plan from empty: {e}"));
    let mut connection = PgConnection::connect(url).await.unwrap_or_else(|e| panic!("{what}: cannot connect: {e}"));
    run_script(&mut connection, &render_sql(&plan), what).await;
    let _ = connection.close().await;
}
