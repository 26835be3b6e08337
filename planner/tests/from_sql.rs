//! `bellows plan --sql`: the statements of a migration become the safe phased steps,
//! statements without a recipe run as written in their place, and a statement that
//! does not parse is refused with its position.

mod support;

use planner::from_sql::plan_sql;
use planner::{load_schema, Phase, Plan, PlanError, PlanOptions, Schema, StepKind};
use support::{ids, position};

fn plan(current: &Schema, sql: &str) -> Plan {
    let known = (current != &Schema::default()).then_some(current);
    plan_sql(known, "migration.sql", sql, PlanOptions::default()).unwrap_or_else(|e| panic!("{e}\n{sql}"))
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
    let blind = plan_sql(None, "m.sql", "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);", PlanOptions::default()).expect("plans");
    assert_eq!(blind.steps().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["statement:line-1"]);
}

#[test]
fn a_statement_that_does_not_parse_is_refused_where_it_is() {
    let error = plan_sql(None, "m.sql", "SELECT 1;\nALTER TABLE users ADD COLUM x int;", PlanOptions::default()).expect_err("refused");
    let PlanError::Invalid { errors } = &error else { panic!("{error:?}") };
    assert_eq!((errors[0].line, errors[0].column), (2, 31));
    assert!(errors[0].message.contains("syntax error at or near \"int\""), "{}", errors[0].message);
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

fn step<'p>(plan: &'p Plan, id: &str) -> &'p planner::Step {
    plan.steps().find(|s| s.id == id).unwrap_or_else(|| panic!("no step {id} in {:?}", ids(plan)))
}

/// Issue 8, defect 1: an UPDATE of a column being renamed ran in expand, before the
/// copy, and set every row. It waits for the column's backfill, whatever the change
/// (rename, type change, fill) and whichever name the statement uses.
#[test]
fn a_statement_on_a_column_in_flux_waits_until_the_column_is_complete() {
    let renamed = plan(
        &users(),
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nUPDATE users SET full_name = 'anon' WHERE full_name IS NULL;",
    );
    let update = step(&renamed, "statement:line-2");
    assert_eq!(update.phase, Phase::Backfill, "{}", update.description);
    assert!(position(&renamed, "statement:line-2") > position(&renamed, "backfill:public.users.full_name"));
    assert!(
        update.depends_on.iter().any(|d| d == "backfill:public.users.full_name"),
        "{:?}",
        update.depends_on
    );
    assert!(
        update.description.contains("after the backfill of public.users.full_name"),
        "{}",
        update.description
    );
    // The old name counts too, and so does a statement that reads the column only.
    let plan2 = plan_sql(
        Some(&users()),
        "m.sql",
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nINSERT INTO audit (note) SELECT name FROM users;",
        PlanOptions::default(),
    )
    .expect("plans");
    assert_eq!(step(&plan2, "statement:line-2").phase, Phase::Backfill);
    // A type change that rewrites: the name means the old column until the swap.
    let retyped = plan(
        &users(),
        "ALTER TABLE users ALTER COLUMN name TYPE integer USING name::integer;\nUPDATE users SET name = 0 WHERE id = 1;",
    );
    assert_eq!(step(&retyped, "statement:line-2").phase, Phase::Contract);
    assert!(position(&retyped, "statement:line-2") > position(&retyped, "swap-column:public.users.name"));
    // A statement on other columns keeps its place in expand.
    let other = plan(
        &users(),
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nUPDATE users SET email = 'x' WHERE id = 1;",
    );
    assert_eq!(step(&other, "statement:line-2").phase, Phase::Expand);
}

/// A change that must follow a statement now in backfill, but whose recipe starts in
/// expand, is refused with the reason rather than a dependency cycle.
#[test]
fn a_change_that_cannot_follow_a_deferred_statement_is_refused_with_the_reason() {
    let error = plan_sql(
        Some(&users()),
        "m.sql",
        "ALTER TABLE users RENAME COLUMN name TO full_name;\nUPDATE users SET full_name = 'anon' WHERE full_name IS NULL;\nALTER TABLE users ADD COLUMN nickname text;",
        PlanOptions::default(),
    )
    .expect_err("refused");
    let message = error.to_string();
    assert!(
        message.contains("add column public.users.nickname") && message.contains("statement:line-2"),
        "{message}"
    );
    assert!(error.help().is_some_and(|h| h.contains("migration of its own")), "{error:?}");
}

/// Issue 8, defect 3: a whole-table UPDATE or DELETE runs in keyset batches over the
/// primary key, with a pending predicate that makes a batch run twice harmless; a
/// lookup by key runs as written, and a shape that cannot be batched says why.
#[test]
fn whole_table_updates_and_deletes_run_in_batches_where_their_shape_allows() {
    let plan = plan(
        &users(),
        "UPDATE users SET name = lower(email) WHERE name IS NULL;\nDELETE FROM users WHERE email LIKE '%@test';\nUPDATE users SET name = 'x' WHERE id = 7;",
    );
    let update = step(&plan, "statement:line-1");
    assert_eq!(update.kind, StepKind::Backfill);
    let backfill = update.backfill.as_ref().expect("batches");
    assert_eq!(backfill.pending, "(name IS NULL) AND (t.name IS DISTINCT FROM (lower(email)))");
    assert_eq!(backfill.key[0].ty, "bigint");
    pg_query::parse(&backfill.batch_sql, 0).expect("the batch parses");
    let delete = step(&plan, "statement:line-2").backfill.as_ref().expect("batches");
    assert!(delete.batch_sql.contains("DELETE FROM public.users AS t USING edge"), "{}", delete.batch_sql);
    pg_query::parse(&delete.batch_sql, 0).expect("the batch parses");
    assert_eq!(step(&plan, "statement:line-3").kind, StepKind::Sql, "a lookup by key");
    assert!(plan.changes.iter().any(|c| c.starts_with("UPDATE at line 1 in batches")), "{:?}", plan.changes);
    for (sql, why) in [
        ("UPDATE users SET name = name || 'x';", "reads name, which it writes"),
        ("UPDATE users SET name = random()::text;", "may be volatile"),
        ("UPDATE users SET id = id + 1;", "changes the key that batches"),
        ("UPDATE users u SET name = 'x' WHERE u.email = '';", "names columns with their table"),
        ("DELETE FROM users WHERE id IN (SELECT id FROM users LIMIT 5);", "has a subquery"),
    ] {
        let kept = plan_sql(Some(&users()), "m.sql", sql, PlanOptions::default()).expect("plans");
        let s = step(&kept, "statement:line-1");
        assert_eq!(s.kind, StepKind::Sql, "{sql}");
        assert!(s.description.contains(why), "{sql}: {}", s.description);
    }
    let blind = plan_sql(None, "m.sql", "UPDATE users SET name = 'x';", PlanOptions::default()).expect("plans");
    assert!(step(&blind, "statement:line-1").description.contains("no key of public.users is known"));
}

/// Issue 10: `REFERENCES t` without a column list references t's primary key (from
/// --from or the file's CREATE TABLE), never `REFERENCES t ()`.
#[test]
fn a_foreign_key_without_a_column_list_references_the_primary_key() {
    let plan = plan(
        &users(),
        "CREATE TABLE orgs (org_key bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN org_id bigint REFERENCES orgs;\nALTER TABLE users ADD CONSTRAINT users_self_fk FOREIGN KEY (id) REFERENCES users;",
    );
    let sql: Vec<&str> = plan.steps().flat_map(|s| s.statements()).collect();
    assert!(sql.iter().any(|s| s.contains("REFERENCES public.orgs (org_key)")), "{sql:#?}");
    assert!(sql.iter().any(|s| s.contains("REFERENCES public.users (id)")), "{sql:#?}");
    assert!(sql.iter().all(|s| !s.contains("()")), "{sql:#?}");
    let created = plan_sql(
        None,
        "m.sql",
        "CREATE TABLE nodes (id bigint PRIMARY KEY, parent bigint REFERENCES nodes);",
        PlanOptions::default(),
    )
    .expect("plans");
    assert!(created.steps().flat_map(|s| s.statements()).any(|s| s.contains("REFERENCES public.nodes (id)")));
    let unknown = plan_sql(
        None,
        "m.sql",
        "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs;",
        PlanOptions::default(),
    )
    .expect_err("refused");
    let PlanError::Invalid { errors } = &unknown else { panic!("{unknown:?}") };
    assert_eq!((errors[0].line, errors[0].column), (1, 69));
    assert!(errors[0].message.contains("primary key of public.orgs is unknown"), "{}", errors[0]);
}

/// Issue 10: index keys with options are built concurrently like any other, and a
/// DROP INDEX is concurrent, in contract, even when bellows does not know the index.
#[test]
fn indexes_with_key_options_are_built_and_dropped_concurrently() {
    let plan = plan(
        &Schema::default(),
        "CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);\nCREATE INDEX users_recent ON users (created_at DESC NULLS LAST, code COLLATE \"C\" text_pattern_ops) INCLUDE (email);\nDROP INDEX users_old_idx, users_older_idx;",
    );
    let sql: Vec<(&str, bool, Phase)> = plan
        .steps()
        .flat_map(|s| s.sql.iter().map(move |q| (q.as_str(), s.transactional, s.phase)))
        .collect();
    assert!(
        sql.contains(&(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_trgm ON public.users USING gin (name gin_trgm_ops)",
            false,
            Phase::Expand
        )),
        "{sql:#?}"
    );
    assert!(
        sql.contains(&(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_recent ON public.users (created_at DESC NULLS LAST, code COLLATE \"C\" text_pattern_ops) INCLUDE (email)",
            false,
            Phase::Expand
        )),
        "{sql:#?}"
    );
    assert!(
        sql.contains(&("DROP INDEX CONCURRENTLY public.users_old_idx", false, Phase::Contract)),
        "{sql:#?}"
    );
    assert!(
        sql.contains(&("DROP INDEX CONCURRENTLY public.users_older_idx", false, Phase::Contract)),
        "{sql:#?}"
    );
    assert!(
        ids(&plan)
            .iter()
            .all(|id| !id.starts_with("statement:line-1") && !id.starts_with("statement:line-2")),
        "{:?}",
        ids(&plan)
    );
}

/// Issue 10: a statement run as written that would break the running version is not
/// in expand under its promise: a drop waits for contract, a rename says so plainly,
/// and a type change of an unknown column is not presented as a certain rewrite.
#[test]
fn statements_that_break_the_old_version_are_deferred_or_labelled() {
    let plan = plan(
        &Schema::default(),
        "DROP VIEW active_users;\nALTER VIEW user_names RENAME TO people;\nALTER TABLE users ALTER COLUMN age TYPE bigint;\nUPDATE users SET age = 1 WHERE id = 2;",
    );
    let drop = step(&plan, "statement:line-1");
    assert_eq!(drop.phase, Phase::Contract, "{}", drop.description);
    assert!(drop.description.contains("old application version may still use"));
    let rename = step(&plan, "statement:line-2");
    assert!(rename.description.contains("BREAKS THE OLD VERSION"), "{}", rename.description);
    let text = planner::render::render_text(&plan, false);
    assert!(text.contains("BREAKS THE OLD VERSION"), "{text}");
    assert!(planner::render::render_markdown(&plan).contains("BREAKS THE OLD VERSION"));
    let retype = step(&plan, "statement:line-3");
    assert!(
        retype.description.contains("current type of public.users.age is unknown"),
        "{}",
        retype.description
    );
    // The statements after a deferred drop keep their place.
    assert_eq!(step(&plan, "statement:line-4").phase, Phase::Expand);
}

/// A drop that the statements after it need done (to re-create what it dropped) is
/// not deferred past them: it stays in place and says it breaks the old version.
#[test]
fn a_drop_the_file_needs_done_stays_in_place_and_says_so() {
    let plan = plan(
        &Schema::default(),
        "DROP VIEW recent;\nCREATE VIEW recent AS SELECT 1 AS one;\nDROP INDEX users_a_idx;\nCREATE INDEX users_a_idx ON users (a);",
    );
    let drop = step(&plan, "statement:line-1");
    assert_eq!(drop.phase, Phase::Expand);
    assert!(
        drop.description.contains("BREAKS THE OLD VERSION") && drop.description.contains("line 2 needs it done"),
        "{}",
        drop.description
    );
    let index = step(&plan, "statement:line-3");
    assert_eq!((index.phase, index.kind), (Phase::Expand, StepKind::DropIndexConcurrently));
    assert!(position(&plan, "statement:line-3") < position(&plan, "create-index:public.users.users_a_idx"));
}
