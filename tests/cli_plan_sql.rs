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
