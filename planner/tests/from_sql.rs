//! `bellows plan --sql`: the statements of a migration become the safe phased steps,
//! statements without a recipe run as written in their place, and a statement that
//! does not parse is refused with its position.

mod support;

use planner::from_sql::plan_sql;
use planner::{load_schema, Plan, PlanError, PlanOptions, Schema};
use support::{ids, position};

fn plan(current: &Schema, sql: &str) -> Plan {
    plan_sql(current, "migration.sql", sql, PlanOptions::default()).unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

fn users() -> Schema {
    let toml = r#"
[tables.users]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "email", type = "text", nullable = false },
  { name = "name", type = "varchar(50)" },
]
"#;
    load_schema("before.toml", toml).expect("loads")
}

#[test]
fn risky_ddl_becomes_the_safe_recipe() {
    let plan = plan(
        &Schema::default(),
        "CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);\nALTER TABLE users ALTER COLUMN name SET NOT NULL;",
    );
    let index = plan
        .steps()
        .find(|s| s.id == "create-index:public.users.users_email_idx")
        .expect("an index step");
    assert!(!index.transactional && index.sql[0].contains("CREATE INDEX CONCURRENTLY"), "{:?}", index.sql);
    let fk = plan
        .steps()
        .find(|s| s.id == "add-foreign-key:public.users.users_org_fk")
        .expect("a foreign key step");
    assert!(fk.sql[0].ends_with("NOT VALID"), "{:?}", fk.sql);
    assert!(position(&plan, "validate-foreign-key:public.users.users_org_fk") > position(&plan, "add-foreign-key:public.users.users_org_fk"));
    assert!(position(&plan, "set-not-null:public.users.name") > position(&plan, "validate-not-null-check:public.users.name"));
    assert!(
        ids(&plan).iter().all(|id| !id.starts_with("statement:")),
        "everything has a recipe: {:?}",
        ids(&plan)
    );
}

#[test]
fn a_table_created_in_the_file_is_created_as_it_ends_up() {
    let plan = plan(
        &Schema::default(),
        "CREATE TABLE notes (id bigint PRIMARY KEY);\nALTER TABLE notes ADD COLUMN body text NOT NULL;\nCREATE INDEX notes_body_idx ON notes (body);",
    );
    assert_eq!(ids(&plan), ["create-table:public.notes"]);
    let sql = plan.steps().next().expect("one step").sql.join("\n");
    assert!(
        sql.contains("body text NOT NULL") && sql.contains("CREATE INDEX IF NOT EXISTS notes_body_idx"),
        "{sql}"
    );
    assert!(!sql.contains("CONCURRENTLY"), "a new table is empty and invisible: {sql}");
}

#[test]
fn statements_without_a_recipe_keep_their_place_in_the_file() {
    let sql = "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = name;\nVACUUM FULL users;\nUPDATE orgs SET x = 1;\nALTER TABLE orgs ADD COLUMN y int;";
    let plan = plan(&Schema::default(), sql);
    // The UPDATE fills a column added before it, and VACUUM follows the UPDATE.
    assert!(position(&plan, "statement:line-2") > position(&plan, "add-column:public.users.nickname"));
    assert!(position(&plan, "statement:line-3") > position(&plan, "statement:line-2"));
    // A change after a statement run as written on the same table waits for it.
    assert!(position(&plan, "add-column:public.orgs.y") > position(&plan, "statement:line-4"));
    let vacuum = plan.steps().find(|s| s.id == "statement:line-3").expect("the VACUUM");
    assert!(!vacuum.transactional, "VACUUM cannot run in a transaction block");
    assert_eq!(vacuum.locks[0].mode.to_string(), "AccessExclusiveLock");
}

#[test]
fn with_the_current_schema_type_changes_and_renames_get_their_recipes() {
    let plan = plan(
        &users(),
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\nALTER TABLE users RENAME COLUMN email TO email_address;",
    );
    let ids = ids(&plan);
    assert!(ids.contains(&"alter-type:public.users.name"), "{ids:?}");
    assert!(
        ids.contains(&"add-sync-trigger:public.users.email_address") && ids.contains(&"drop-column:public.users.email"),
        "{ids:?}"
    );
    // Without it, the old types are unknown: the statements run as written.
    let blind = plan_sql(
        &Schema::default(),
        "m.sql",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);",
        PlanOptions::default(),
    )
    .expect("plans");
    assert_eq!(blind.steps().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["statement:line-1"]);
}

#[test]
fn a_statement_that_does_not_parse_is_refused_where_it_is() {
    let error = plan_sql(
        &Schema::default(),
        "m.sql",
        "SELECT 1;\nALTER TABLE users ADD COLUM x int;",
        PlanOptions::default(),
    )
    .expect_err("refused");
    let PlanError::Refused { object, reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(object, "m.sql:2:31");
    assert!(reason.contains("syntax error at or near \"int\""), "{reason}");
}

#[test]
fn statements_postgresql_refuses_in_a_transaction_run_outside_one() {
    let plan = plan(
        &Schema::default(),
        "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;\nALTER TABLE measurements DETACH PARTITION measurements_2021;\nVACUUM measurements;",
    );
    let transactional: Vec<(String, bool)> = plan.steps().map(|s| (s.sql[0].clone(), s.transactional)).collect();
    assert_eq!(
        transactional,
        [
            ("ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY".to_string(), false),
            ("ALTER TABLE measurements DETACH PARTITION measurements_2021".to_string(), true),
            ("VACUUM measurements".to_string(), false),
        ]
    );
}

#[test]
fn statements_on_one_line_get_their_own_steps() {
    let plan = plan(&Schema::default(), "VACUUM a; VACUUM b;\nANALYZE c;");
    assert_eq!(ids(&plan), ["statement:line-1", "statement:line-1-2", "statement:line-2"]);
}
