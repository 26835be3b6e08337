//! `bellows plan --sql` against a known schema and the file's own intent: every
//! problem of the migration located at once (unknown tables, columns, indexes and
//! constraints, a column added twice, a foreign key to columns that are not a unique
//! key), and the file's `BEGIN ... COMMIT` and `SET`s kept or accounted for.

use planner::from_sql::plan_sql;
use planner::{load_schema, Plan, PlanError, PlanOptions, Schema, SourceError};

fn schema() -> Schema {
    let toml = r#"
[tables.users]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "email", type = "text", nullable = false },
  { name = "name", type = "text" },
  { name = "org_id", type = "bigint" },
]
indexes = [ { name = "users_email_idx", columns = ["email"] } ]
checks = [ { name = "users_email_not_blank", expression = "email <> ''" } ]

[tables.orgs]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "slug", type = "text" },
]
"#;
    load_schema("before.toml", toml).expect("loads")
}

fn errors(sql: &str) -> Vec<SourceError> {
    match plan_sql(Some(&schema()), "m.sql", sql, PlanOptions::default()) {
        Err(PlanError::Invalid { errors }) => errors,
        other => panic!("expected located errors for {sql}, got {other:?}"),
    }
}

fn plan(sql: &str) -> Plan {
    plan_sql(Some(&schema()), "m.sql", sql, PlanOptions::default()).unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

/// Issue 8, defect 4: with --from, what PostgreSQL would reject is an error at its
/// place, with a suggestion, and every problem of the file comes in one run.
#[test]
fn a_migration_is_checked_against_the_known_schema_all_at_once() {
    let sql = "ALTER TABLE ghosts ADD COLUMN x int;
ALTER TABLE users ALTER COLUMN nmae TYPE varchar(10);
ALTER TABLE users ADD COLUMN email text;
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (slug);
DROP INDEX users_emial_idx;
ALTER TABLE users DROP CONSTRAINT users_email_not_blnk;
ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN nickname text;
ALTER TABLE usrs ADD COLUMN y int;";
    let found: Vec<(usize, usize, String, Option<String>)> = errors(sql).into_iter().map(|e| (e.line, e.column, e.message, e.help)).collect();
    let expected: Vec<(usize, usize, &str, Option<&str>)> = vec![
        (
            1,
            13,
            "table public.ghosts does not exist",
            Some("create it first, or check the schema given with --from"),
        ),
        (2, 32, "column public.users.nmae does not exist", Some("did you mean `name`?")),
        (
            3,
            30,
            "column public.users.email already exists: it is added twice",
            Some("write ADD COLUMN IF NOT EXISTS, or remove one of them"),
        ),
        (
            4,
            85,
            "the foreign key references public.orgs (slug), which is not its primary key or a unique key",
            Some("reference the primary key (id), or add a unique constraint on (slug) first"),
        ),
        (5, 12, "index public.users_emial_idx does not exist", Some("did you mean `users_email_idx`?")),
        (
            6,
            35,
            "constraint users_email_not_blnk on public.users does not exist",
            Some("did you mean `users_email_not_blank`?"),
        ),
        (
            7,
            56,
            "column public.users.nickname already exists: it is added twice",
            Some("write ADD COLUMN IF NOT EXISTS, or remove one of them"),
        ),
        (8, 13, "table public.usrs does not exist", Some("did you mean `users`?")),
    ];
    let found: Vec<(usize, usize, &str, Option<&str>)> = found.iter().map(|(l, c, m, h)| (*l, *c, m.as_str(), h.as_deref())).collect();
    assert_eq!(found, expected);
}

#[test]
fn what_the_file_itself_creates_or_guards_is_not_an_error() {
    let plan = plan(
        "CREATE TABLE teams (id bigint PRIMARY KEY, slug text UNIQUE);
ALTER TABLE users ADD COLUMN team_slug text REFERENCES teams (slug);
ALTER TABLE IF EXISTS ghosts ADD COLUMN x int;
ALTER TABLE users DROP COLUMN IF EXISTS nope, ADD COLUMN IF NOT EXISTS email text;
DROP INDEX IF EXISTS nothing_idx;
CREATE TABLE parts (id int) PARTITION BY RANGE (id);
ALTER TABLE parts ADD COLUMN note text;
ALTER TABLE users ADD CONSTRAINT users_slug_ex EXCLUDE USING gist (name WITH =);
ALTER TABLE users DROP CONSTRAINT users_slug_ex;",
    );
    assert!(!plan.is_empty());
}

/// Without a known schema, tables are assumed as before.
#[test]
fn without_a_known_schema_tables_are_assumed() {
    plan_sql(
        None,
        "m.sql",
        "ALTER TABLE ghosts ADD COLUMN x int;\nALTER TABLE ghosts ALTER COLUMN y SET NOT NULL;",
        PlanOptions::default(),
    )
    .expect("plans");
}

/// Issue 8, defect 5: statements run as written in one BEGIN block stay in one step;
/// a block the plan splits is named, with the reason, in every rendering.
#[test]
fn the_files_transactions_are_kept_or_their_split_is_explained() {
    let kept = plan("BEGIN;\nINSERT INTO orgs (id) VALUES (1);\nUPDATE users SET org_id = 1 WHERE id = 5;\nCOMMIT;");
    let steps: Vec<&planner::Step> = kept.steps().collect();
    assert_eq!(steps.len(), 1, "{:?}", steps.iter().map(|s| &s.id).collect::<Vec<_>>());
    assert!(steps[0].transactional);
    assert_eq!(steps[0].sql.len(), 2);
    assert!(
        steps[0].description.contains("lines 2, 3, run as written in one transaction"),
        "{}",
        steps[0].description
    );
    assert!(kept.notes.is_empty(), "{:?}", kept.notes);

    let split = plan("BEGIN;\nINSERT INTO orgs (id) VALUES (1);\nCREATE INDEX users_name_idx ON users (name);\nUPDATE users SET name = 'x';\nCOMMIT;");
    assert_eq!(split.notes.len(), 1, "{:?}", split.notes);
    let note = &split.notes[0];
    assert!(
        note.starts_with("the transaction of lines 1-5 (BEGIN ... COMMIT) is split: line 3 becomes phased steps; line 4 runs in batches"),
        "{note}"
    );
    for rendering in [
        planner::render::render_text(&split, false),
        planner::render::render_markdown(&split),
        planner::render::render_sql(&split),
    ] {
        assert!(rendering.contains("is split: line 3 becomes phased steps"), "{rendering}");
    }
}

/// Issue 8, defect 5: the file's lock_timeout is the plan's; one that turns the
/// timeout off is not honoured, and says so; a statement_timeout applies to the
/// statements run as written after it.
#[test]
fn the_files_timeouts_are_honoured_or_the_plan_says_why_not() {
    let honoured = plan("SET lock_timeout = '3s';\nALTER TABLE users ADD COLUMN bio text;");
    assert_eq!(honoured.options.lock_timeout_ms, 3000);
    assert!(planner::render::render_sql(&honoured).contains("SET lock_timeout = '3s';"));
    assert!(
        honoured.notes[0].contains("lock_timeout (3000 ms, line 1) is the plan's"),
        "{:?}",
        honoured.notes
    );

    let off = plan("SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN bio text;");
    assert_eq!(off.options.lock_timeout_ms, 1000);
    assert!(off.notes[0].contains("is not honoured: 0 turns the timeout off"), "{:?}", off.notes);

    let statement = plan("SET statement_timeout = '5s';\nUPDATE users SET name = 'x' WHERE id = 1;");
    let step = statement.steps().next().expect("a step");
    assert_eq!(step.sql[0], "SET LOCAL statement_timeout = '5s'");
    assert!(
        statement.notes[0].contains("applies to the statements run as written after it"),
        "{:?}",
        statement.notes
    );

    let rolled_back = plan("BEGIN;\nUPDATE users SET name = 'x' WHERE id = 1;\nROLLBACK;");
    assert!(
        rolled_back.notes[0].contains("ROLLBACK at line 3 would undo what it ran since line 1"),
        "{:?}",
        rolled_back.notes
    );

    let other = plan("SET search_path = billing;\nALTER TABLE users ADD COLUMN bio text;");
    assert!(other.notes[0].contains("is not carried into the plan"), "{:?}", other.notes);
}
