//! `bellows plan --sql` as a process: a migration checked against `--from` exits 5
//! with every problem located and a suggestion; a good one plans with its notes shown.

use std::process::Command;

/// A directory of this test's own, emptied first.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bellows-cli-plan-sql-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes");
    path.display().to_string()
}

fn bellows(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("bellows runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const USERS: &str = "[tables.users]\nprimary_key = [\"id\"]\ncolumns = [\n  { name = \"id\", type = \"bigint\", nullable = false },\n  { name = \"name\", type = \"text\" },\n]\n";

#[test]
fn a_migration_wrong_for_the_known_schema_exits_5_with_every_problem_located() {
    let dir = scratch("wrong");
    let from = write(&dir, "users.toml", USERS);
    let sql = write(
        &dir,
        "m.sql",
        "ALTER TABLE ghosts ADD COLUMN x int;\nALTER TABLE users ALTER COLUMN nmae TYPE bigint;\n",
    );
    let (code, stdout, stderr) = bellows(&["plan", "--from", &from, "--sql", &sql]);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains(&format!("{sql}:1:13: table public.ghosts does not exist")), "{stderr}");
    assert!(stderr.contains(&format!("{sql}:2:32: column public.users.nmae does not exist")), "{stderr}");
    assert!(stderr.contains("help: did you mean `name`?"), "{stderr}");
    assert!(stderr.contains("2 problems against the schema it runs on"), "{stderr}");
    // Without --from the tables are assumed.
    let (code, _, stderr) = bellows(&["plan", "--sql", &sql]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn the_plan_says_where_it_departs_from_the_file() {
    let dir = scratch("notes");
    let from = write(&dir, "users.toml", USERS);
    let sql = write(
        &dir,
        "m.sql",
        "SET lock_timeout = '3s';\nBEGIN;\nCREATE INDEX users_name_idx ON users (name);\nUPDATE users SET name = 'x' WHERE id = 1;\nCOMMIT;\n",
    );
    let (code, stdout, stderr) = bellows(&["plan", "--from", &from, "--sql", &sql, "--format", "markdown"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("### Notes"), "{stdout}");
    assert!(
        stdout.contains("the transaction of lines 2-5 (BEGIN ... COMMIT) is split: line 3 becomes phased steps"),
        "{stdout}"
    );
    let (_, text, _) = bellows(&["plan", "--from", &from, "--sql", &sql]);
    assert!(text.contains("lock_timeout (3000 ms, line 1) is the plan's"), "{text}");
}

/// Issue 10: a file in a migration folder is planned after the files before it, so a
/// type change and a rename get their recipes without `--from`.
#[test]
fn a_folder_s_earlier_migrations_tell_the_schema_a_file_starts_from() {
    let dir = scratch("history");
    write(
        &dir,
        "20240101000000_create.sql",
        "CREATE TABLE events (id bigint PRIMARY KEY, counter integer NOT NULL, label varchar(20), note text);\nCREATE INDEX events_counter_idx ON events (counter);\n",
    );
    write(&dir, "20240101000000_create.down.sql", "DROP TABLE events;\n");
    write(&dir, "20240102000000_rename.sql", "ALTER TABLE events RENAME COLUMN note TO remark;\n");
    let change = write(
        &dir,
        "20240103000000_types.sql",
        "ALTER TABLE events ALTER COLUMN counter TYPE bigint;\nALTER TABLE events ALTER COLUMN label TYPE text;\nALTER TABLE events RENAME COLUMN remark TO comment;\n",
    );
    let (code, plan, stderr) = bellows(&["plan", "--sql", &change, "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&plan).expect("JSON");
    let ids: Vec<&str> = plan["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .flat_map(|p| p["steps"].as_array().expect("steps"))
        .filter_map(|s| s["id"].as_str())
        .collect();
    // integer -> bigint rewrites: a new column kept in sync, copied, its index rebuilt, swapped.
    assert!(ids.iter().any(|id| id.starts_with("backfill:public.events.counter")), "{ids:?}");
    assert!(
        ids.iter().any(|id| id.contains("events_counter_idx")),
        "the index follows the new column: {ids:?}"
    );
    // varchar(20) -> text is catalog-only: one instant step, no copy.
    assert!(!ids.iter().any(|id| id.starts_with("backfill:public.events.label")), "{ids:?}");
    // The rename of a column the history renamed before: both names kept working.
    assert!(ids.iter().any(|id| id.starts_with("add-sync-trigger:public.events.comment")), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("statement:")), "nothing runs as written: {ids:?}");
    let notes = plan["notes"].to_string();
    assert!(notes.contains("the 2 migrations before it in its folder"), "{notes}");

    // --no-history: the types are unknown, so both run as written and say so.
    let (code, text, stderr) = bellows(&["plan", "--sql", &change, "--no-history"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(text.contains("BREAKS THE OLD VERSION"), "{text}");
    assert!(text.contains("the current type of public.events.counter is unknown (give --from)"), "{text}");
}
