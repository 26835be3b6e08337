//! `bellows introspect` and `bellows plan --database-url` run as processes against a real PostgreSQL, connected as
//! the role that owns the tables with its password: the printed schema plans to nothing against the same database,
//! a plan from the database is the plan from the file it was made from, bad URLs exit 5, and the password never
//! appears in any output.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use planner::load_schema;
use serde_json::Value;
use support::owner::{owned_database, Owner};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `bellows ARGS` with `DATABASE_URL` set to `env_url` (or unset).
fn bellows(args: &[&str], env_url: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bellows"));
    command.args(args).env("NO_COLOR", "1").env_remove("DATABASE_URL");
    if let Some(url) = env_url {
        command.env("DATABASE_URL", url);
    }
    let Output { status, stdout, stderr } = command.output().expect("run bellows");
    Run {
        code: status.code().expect("bellows exits with a code"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// A file in a fresh temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bellows-cli-introspect-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("write the file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().expect("a file has a parent"));
    }
}

fn example(name: &str, file: &str) -> PathBuf {
    let dir = support::examples::scenarios()
        .into_iter()
        .find(|d| d.ends_with(name))
        .expect("the example exists");
    dir.join(file)
}

/// A database owned by an ordinary role, holding the schema of `file`.
fn database_with(file: &std::path::Path) -> Owner {
    let owner = owned_database();
    let schema = support::examples::load(file);
    let what = file.display().to_string();
    support::blocking::block_on(|| support::script::create_schema(&owner.url, &schema, &what));
    owner
}

fn steps(plan_json: &str) -> Vec<String> {
    let plan: Value = serde_json::from_str(plan_json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{plan_json}"));
    let phases = plan["phases"].as_array().expect("phases");
    phases
        .iter()
        .flat_map(|p| p["steps"].as_array().expect("steps"))
        .map(|s| format!("{} {}", s["id"].as_str().expect("id"), s["sql"]))
        .collect()
}

fn assert_no_password(run: &Run, password: &str) {
    assert!(
        !run.stdout.contains(password) && !run.stderr.contains(password),
        "the password leaked:\n{run:?}"
    );
}

#[test]
fn introspect_prints_a_schema_that_plans_to_nothing_against_the_same_database() {
    let owner = database_with(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.toml"));
    let run = bellows(&["introspect", "--database-url", &owner.url], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let schema = load_schema("introspected.toml", &run.stdout).unwrap_or_else(|e| panic!("the output does not load:\n{e}\n{run:?}"));
    assert_eq!(schema.tables.len(), 3);
    let file = TempFile::new("schema.toml", &run.stdout);
    let plan = bellows(&["plan", "--database-url", &owner.url, "--to", file.path(), "--format", "json"], None);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(steps(&plan.stdout), Vec::<String>::new());
    let text = bellows(&["plan", "--database-url", &owner.url, "--to", file.path()], None);
    assert_eq!(text.stdout, "Nothing to do: the schemas are the same.\n", "{text:?}");
    // The same output every time.
    assert_eq!(bellows(&["introspect", "--database-url", &owner.url], None).stdout, run.stdout);
}

#[test]
fn a_plan_from_the_database_is_the_plan_from_the_file_it_was_made_from() {
    for name in [
        "06-add-not-null-column",
        "10-change-type-rewrite",
        "19-drop-and-change-constraints",
        "21-schemas-and-quoting",
    ] {
        let (before, after) = (example(name, "before.toml"), example(name, "after.toml"));
        let owner = database_with(&before);
        let (before, after) = (before.to_str().expect("UTF-8"), after.to_str().expect("UTF-8"));
        let from_file = bellows(&["plan", "--from", before, "--to", after, "--format", "json"], None);
        let from_database = bellows(&["plan", "--database-url", &owner.url, "--to", after, "--format", "json"], None);
        assert_eq!(from_database.code, 0, "{name}: {from_database:?}");
        assert_eq!(steps(&from_database.stdout), steps(&from_file.stdout), "{name}");
        // DATABASE_URL stands in for --database-url.
        let from_env = bellows(&["plan", "--to", after, "--format", "json"], Some(&owner.url));
        assert_eq!(steps(&from_env.stdout), steps(&from_file.stdout), "{name}: {from_env:?}");
    }
}

#[test]
fn from_wins_over_database_url_in_the_environment() {
    let (before, after) = (example("04-add-column", "before.toml"), example("04-add-column", "after.toml"));
    let args = ["plan", "--from", before.to_str().expect("UTF-8"), "--to", after.to_str().expect("UTF-8")];
    let run = bellows(&args, Some("postgres://nobody:secret@127.0.0.1:1/none"));
    assert_eq!(run.code, 0, "{run:?}");
    let both = bellows(&[&args[..], &["--database-url", "postgres://127.0.0.1:1/none"]].concat(), None);
    assert_eq!(both.code, 5, "{both:?}");
    assert!(both.stderr.contains("cannot be used with"), "{both:?}");
}

#[test]
fn the_password_never_appears_in_any_output() {
    let owner = database_with(&example("21-schemas-and-quoting", "after.toml"));
    let password = owner.password.as_str();
    let after = example("21-schemas-and-quoting", "after.toml");
    let after = after.to_str().expect("UTF-8");
    let port = support::postgres::server().port;

    // Success.
    let ok = bellows(&["introspect", "--database-url", &owner.url], None);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_no_password(&ok, password);

    // Failures, each naming the database with its password redacted.
    let failures = [
        (owner.url_with_password(&format!("{password}-wrong")), "password authentication failed"),
        (
            format!("postgres://{}:{password}@127.0.0.1:1/{}", owner.role, owner.database),
            "cannot connect to",
        ),
        (
            format!("postgres://{}:{password}@127.0.0.1:{port}/no_such_database", owner.role),
            "does not exist",
        ),
        (
            format!("postgres://{}:{password}@127.0.0.1:notaport/db", owner.role),
            "not a valid PostgreSQL URL",
        ),
        (
            format!("postgres://127.0.0.1:{port}/{}?user={}&password={password}", owner.database, owner.role),
            "",
        ),
    ];
    for (url, expected) in &failures {
        for args in [vec!["introspect", "--database-url", url], vec!["plan", "--database-url", url, "--to", after]] {
            let run = bellows(&args, None);
            assert_no_password(&run, password);
            if expected.is_empty() {
                // The password as a query parameter works too.
                assert_eq!(run.code, 0, "{run:?}");
                continue;
            }
            assert_eq!(run.code, 5, "{url}: {run:?}");
            assert!(run.stderr.contains(expected), "{run:?}");
            assert!(run.stderr.contains(":***@"), "the URL is shown redacted: {run:?}");
            assert_eq!(run.stderr.matches("error:").count(), 1, "one error, printed once: {run:?}");
        }
    }

    // From the environment, and in --help, which must not print the variable's value.
    let env_run = bellows(&["introspect"], Some(&owner.url_with_password("wrong-env-password")));
    assert_eq!(env_run.code, 5, "{env_run:?}");
    assert_no_password(&env_run, "wrong-env-password");
    for command in [&["introspect", "--help"][..], &["plan", "--help"][..]] {
        let help = bellows(command, Some(&owner.url));
        assert_eq!(help.code, 0, "{help:?}");
        assert_no_password(&help, password);
    }
}

#[test]
fn a_bad_or_missing_url_is_a_usage_error() {
    let cases = [
        (vec!["introspect", "--database-url", "not a url"], "not a valid PostgreSQL URL"),
        (vec!["introspect", "--database-url", "mysql://127.0.0.1/db"], "not a valid PostgreSQL URL"),
        (
            vec!["introspect", "--database-url", "postgres://127.0.0.1:1/db"],
            "cannot connect to postgres://127.0.0.1:1/db",
        ),
        (vec!["introspect"], "no database given: pass --database-url URL or set DATABASE_URL"),
    ];
    for (args, expected) in cases {
        let run = bellows(&args, None);
        assert_eq!(run.code, 5, "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: ") && run.stderr.contains(expected), "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{run:?}");
    }
}

#[test]
fn what_schema_toml_cannot_say_is_listed_at_the_top_of_the_output() {
    let owner = owned_database();
    support::blocking::block_on(|| async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&owner.url).await.expect("connects");
        let script = "CREATE TABLE t (id bigint PRIMARY KEY, name text); CREATE INDEX t_name_idx ON t (name DESC);
                      ALTER TABLE t ADD CONSTRAINT t_name_check CHECK (name <> '') NOT VALID;";
        support::script::run_script(&mut connection, script, "setup").await;
    });
    let run = bellows(&["introspect", "--database-url", &owner.url], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("# The live database holds more than this file can say:\n"), "{run:?}");
    assert!(run.stdout.contains("# - index public.t_name_idx has key options"), "{run:?}");
    assert!(run.stdout.contains("# - constraint t_name_check on public.t is NOT VALID"), "{run:?}");
    assert!(
        run.stderr.contains("warning: 2 things in the database cannot be said in schema.toml"),
        "{run:?}"
    );
    load_schema("introspected.toml", &run.stdout).unwrap_or_else(|e| panic!("the output does not load:\n{e}"));
    let file = TempFile::new("schema.toml", &run.stdout);
    let plan = bellows(&["plan", "--database-url", &owner.url, "--to", file.path()], None);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stderr.contains("warning: index public.t_name_idx has key options"), "{plan:?}");
}
