//! `bellows lint` and `bellows rules` as CI runs them: the built binary on migrations
//! written to a temporary directory, checked for exit codes, the JSON contract of
//! DESIGN.md, the GitHub, Markdown and SARIF renderings (SARIF validated against the
//! OASIS 2.1.0 schema), migration-tool layouts and suppression comments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use planner::lint::RULES;
use serde_json::Value;

/// A temporary directory of migrations, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("bellows-cli-lint-{}-{}-{name}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).expect("create the temporary directory");
        // These fixtures are about outputs and layouts; without this, BW141
        // (missing-lock-timeout) would add a warning to nearly every file.
        std::fs::write(path.join("bellows.toml"), "[lint]\ndisable = [\"missing-lock-timeout\"]\n").expect("write bellows.toml");
        Dir(path)
    }

    /// Writes `contents` at `relative`, creating parent directories.
    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Dir {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create parent directories");
        std::fs::write(&path, contents).expect("write the file");
        self
    }

    /// Runs `bellows ARGS` with this directory as the working directory.
    fn run(&self, args: &[&str]) -> Run {
        self.run_in(".", args)
    }

    fn run_in(&self, sub: &str, args: &[&str]) -> Run {
        bellows(&self.0.join(sub), args)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

fn bellows(dir: &Path, args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run bellows");
    Run {
        code: status.code().expect("bellows exits with a code"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

const RISKY: &str = "CREATE INDEX users_email_idx ON users (email);\n";
const SAFE: &str = "CREATE TABLE t (id bigint PRIMARY KEY, a int);\nCREATE INDEX t_a_idx ON t (a);\n";

/// The diagnostics of every file, as (path, rule code) pairs.
fn findings(json: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in json["files"].as_array().expect("files is a list") {
        for d in file["diagnostics"].as_array().expect("diagnostics is a list") {
            out.push((file["path"].as_str().expect("path").to_string(), d["rule"].as_str().expect("rule").to_string()));
        }
    }
    out
}

fn rules_of(json: &Value) -> Vec<&str> {
    let files = json["files"].as_array().expect("files");
    files
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().expect("diagnostics"))
        .map(|d| d["rule"].as_str().expect("rule"))
        .collect()
}

#[test]
fn exits_0_when_no_finding_is_an_error() {
    let dir = Dir::new("exit0");
    dir.write("0001_safe.sql", format!("{SAFE}-- bellows: allow BW999 stale\nSELECT 1;\n"));
    let run = dir.run(&["lint", "0001_safe.sql"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.ends_with("1 file, 3 statements: 0 errors, 1 warning\n"), "{run:?}");
}

#[test]
fn a_path_with_no_sql_file_is_a_usage_error() {
    let dir = Dir::new("nothing");
    dir.write("notes/README.md", "no migrations here\n");
    let run = dir.run(&["lint", "notes"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.starts_with("error: nothing to lint: no .sql file in notes"), "{run:?}");
}

#[test]
fn dash_reads_the_migration_from_standard_input() {
    use std::io::Write as _;
    let dir = Dir::new("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(["lint", "--format", "json", "-"])
        .current_dir(&dir.0)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run bellows");
    child.stdin.take().expect("stdin").write_all(RISKY.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("bellows ends");
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(findings(&json), [("<stdin>".to_string(), "BW101".to_string())]);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_line_and_column() {
    let dir = Dir::new("latin1");
    dir.write("0001_latin1.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n");
    let run = dir.run(&["lint", "0001_latin1.sql"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("0001_latin1.sql:2:12"), "{run:?}");
    assert!(run.stdout.contains("the byte 0xe9 cannot be read as UTF-8"), "{run:?}");
    assert!(!run.stdout.contains("offset"), "{run:?}");
    let json = dir.run(&["lint", "--format", "json", "0001_latin1.sql"]).json();
    let d = &json["files"][0]["diagnostics"][0];
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(12)), "{d}");
}

#[test]
fn exits_1_on_an_error_finding() {
    let dir = Dir::new("exit1");
    dir.write("0001_risky.sql", RISKY);
    let run = dir.run(&["lint", "0001_risky.sql"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("BW101 create-index-non-concurrently"), "{run:?}");
    assert!(run.stdout.contains("0001_risky.sql:1:1"), "{run:?}");
}

#[test]
fn exits_5_on_a_missing_path() {
    let dir = Dir::new("missing");
    dir.write("0001_safe.sql", SAFE);
    let run = dir.run(&["lint", "0001_safe.sql", "no/such.sql"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains("no/such.sql"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn exits_5_on_a_bad_pg_version() {
    let dir = Dir::new("pgversion");
    dir.write("0001_safe.sql", SAFE);
    // The help's range is the accepted one: 13 to 18.
    let help = dir.run(&["lint", "--help"]);
    assert!(help.stdout.contains("13 to 18"), "{help:?}");
    for bad in ["9", "12", "99", "fifteen"] {
        let run = dir.run(&["lint", "--pg-version", bad, "0001_safe.sql"]);
        assert_eq!(run.code, 5, "--pg-version {bad}: {run:?}");
        assert!(run.stderr.contains("--pg-version") && run.stderr.contains("13 to 18"), "{run:?}");
    }
    for good in ["13", "16", "18"] {
        assert_eq!(dir.run(&["lint", "--pg-version", good, "0001_safe.sql"]).code, 0, "--pg-version {good}");
    }
}

#[test]
fn bellows_toml_is_found_by_walking_up_from_the_working_directory() {
    let dir = Dir::new("config");
    dir.write("db/migrations/0001_risky.sql", RISKY);
    dir.write("bellows.toml", "[lint]\ndisable = [\"create-index-non-concurrently\"]\n");
    let run = dir.run_in("db", &["lint", "migrations"]);
    assert_eq!(run.code, 0, "the rule disabled in ../bellows.toml still fired: {run:?}");

    dir.write("bellows.toml", "[lint]\ndisable = [\"create-index-non-concurrentl\"]\n");
    let run = dir.run_in("db", &["lint", "migrations"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stderr.contains("bellows.toml") && run.stderr.contains("create-index-non-concurrently"),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");

    dir.write("bellows.toml", "[lint]\npg-version = 7\n");
    assert_eq!(dir.run_in("db", &["lint", "migrations"]).code, 5);
    dir.write("bellows.toml", "[lint\n");
    assert_eq!(dir.run_in("db", &["lint", "migrations"]).code, 5);
    dir.write("bellows.toml", "[lint]\nno-such-key = true\n");
    assert_eq!(dir.run_in("db", &["lint", "migrations"]).code, 5);
}

#[test]
fn an_explicit_config_that_does_not_exist_is_a_usage_error() {
    let dir = Dir::new("noconfig");
    dir.write("0001_safe.sql", SAFE);
    let run = dir.run(&["lint", "--config", "missing.toml", "0001_safe.sql"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("missing.toml"), "{run:?}");
}

#[test]
fn json_follows_the_design_contract() {
    let dir = Dir::new("json");
    dir.write("0001_safe.sql", SAFE);
    dir.write("0002_risky.sql", RISKY);
    let run = dir.run(&["lint", "--format", "json", "0001_safe.sql", "0002_risky.sql"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    let files = json["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], "0001_safe.sql");
    assert_eq!(files[1]["path"], "0002_risky.sql");

    // Statements are reported whether or not a rule fires.
    let safe = &files[0];
    assert_eq!(safe["diagnostics"], serde_json::json!([]));
    let statements = safe["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), 2);
    for (statement, line) in statements.iter().zip([1, 2]) {
        assert_eq!(statement["line"], line);
        assert_eq!(statement["column"], 1);
        assert!(statement["sql"].is_string() && statement["transactional"].is_boolean(), "{statement}");
        assert!(statement["rewrite"].is_boolean() && statement["scan"].is_boolean(), "{statement}");
        assert!(statement["locks"].is_array(), "{statement}");
        assert_eq!(statement["locks_known"], true, "{statement}");
    }
    assert_eq!(statements[1]["sql"], "CREATE INDEX t_a_idx ON t (a)");
    // A versioned (sqlx) file runs in one transaction.
    assert_eq!(statements[1]["transactional"], true);

    let risky = &files[1];
    let statement = &risky["statements"][0];
    assert_eq!(statement["locks"], serde_json::json!([{ "relation": "public.users", "mode": "ShareLock" }]));
    assert_eq!((statement["rewrite"].as_bool(), statement["scan"].as_bool()), (Some(false), Some(true)));
    let diagnostics = risky["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(1), Some(1)));
    assert_eq!(d["rule"], "BW101");
    assert_eq!(d["name"], "create-index-non-concurrently");
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().is_some_and(|m| m.contains("public.users")), "{d}");
    assert!(d["help"].as_str().is_some_and(|h| h.contains("CONCURRENTLY")), "{d}");
}

#[test]
fn github_annotations_use_the_path_as_given() {
    let dir = Dir::new("github");
    dir.write("db/migrations/0002_risky.sql", format!("SELECT 1;\n  {RISKY}"));
    let run = dir.run(&["lint", "--format", "github", "db/migrations/0002_risky.sql"]);
    assert_eq!(run.code, 1, "{run:?}");
    let line = run.stdout.lines().next().expect("one annotation");
    assert!(line.starts_with("::error file=db/migrations/0002_risky.sql,line=2,col=3,"), "{line}");
    assert!(line.contains("title=BW101 create-index-non-concurrently::"), "{line}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert!(!line.split("::").nth(2).unwrap_or("").contains('\n'), "message data is escaped: {line}");
}

#[test]
fn markdown_has_a_summary_table_per_file() {
    let dir = Dir::new("markdown");
    dir.write("0001_safe.sql", SAFE);
    dir.write("0002_risky.sql", RISKY);
    let run = dir.run(&["lint", "--format", "markdown", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    let md = &run.stdout;
    assert!(
        md.contains("| file | statements | errors | warnings | rewrites | scans | locks unknown |"),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(rows[0].contains("0001_safe.sql`") && rows[0].ends_with("| 2 | 0 | 0 | 0 | 1 | 0 |"), "{md}");
    assert!(rows[1].contains("0002_risky.sql`") && rows[1].ends_with("| 1 | 1 | 0 | 0 | 1 | 0 |"), "{md}");
    assert!(md.contains("`BW101` create-index-non-concurrently (line 1, column 1)"), "{md}");
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let dir = Dir::new("sarif");
    dir.write("db/0001 first run.sql", format!("SELECT 1;\n{RISKY}-- bellows: allow BW999 stale\nSELECT 2;\n"));
    dir.write("db/0002_bad.sql", b"SELECT '\xff';\n");
    dir.write("db/0003_syntax.sql", "ALTER TABLE users ADD COLUM x int;\n");
    let run = dir.run(&["lint", "--format", "sarif", "db"]);
    assert_eq!(run.code, 1, "{run:?}");
    let log = run.json();

    let errors = schema_errors(&log);
    assert!(
        errors.is_empty(),
        "SARIF output does not match the 2.1.0 schema:\n{}\n{}",
        errors.join("\n"),
        run.stdout
    );

    let run0 = &log["runs"][0];
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "bellows");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), RULES.len());
    for (descriptor, rule) in rules.iter().zip(RULES.iter()) {
        let m = rule.meta();
        assert_eq!(descriptor["id"], m.code);
        assert_eq!(descriptor["name"], m.name);
        assert_eq!(descriptor["shortDescription"]["text"], m.summary);
        assert_eq!(descriptor["fullDescription"]["text"], m.why);
        let markdown = descriptor["help"]["markdown"].as_str().expect("help.markdown");
        assert!(markdown.contains(&format!("```sql\n{}\n```", m.alternative)), "{markdown}");
        assert!(descriptor["help"]["text"].as_str().is_some_and(|t| t.contains(m.alternative)));
        assert_eq!(descriptor["defaultConfiguration"]["level"], m.severity.name());
        assert!(descriptor["properties"]["tags"].as_array().is_some_and(|t| !t.is_empty()));
    }

    let results = run0["results"].as_array().expect("results");
    let seen: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the rule: {r}");
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri");
            (uri, r["ruleId"].as_str().expect("ruleId"), r["level"].as_str().expect("level"))
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("db/0001%20first%20run.sql", "BW101", "error"),
            ("db/0001%20first%20run.sql", "BW004", "warning"),
            ("db/0002_bad.sql", "BW002", "error"),
            ("db/0003_syntax.sql", "BW001", "error"),
        ]
    );
    let first = &results[0];
    let region = &first["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region, &serde_json::json!({ "startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 7 }));
    let message = first["message"]["text"].as_str().expect("message.text");
    assert!(
        message.contains("public.users") && message.contains("CONCURRENTLY"),
        "message and help: {message}"
    );
}

#[test]
fn sarif_locations_of_absolute_paths_are_file_uris() {
    let dir = Dir::new("sarif-absolute");
    dir.write("a b.sql", RISKY);
    let path = dir.0.join("a b.sql");
    let run = dir.run(&["lint", "--format", "sarif", path.to_str().expect("a UTF-8 temporary path")]);
    let log = run.json();
    assert!(schema_errors(&log).is_empty(), "{}", run.stdout);
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("uri");
    assert!(uri.starts_with("file:///") && uri.ends_with("/a%20b.sql") && !uri.contains('\\'), "{uri}");
}

#[test]
fn the_sarif_schema_check_rejects_invalid_logs() {
    let dir = Dir::new("sarif-invalid");
    dir.write("0001_risky.sql", RISKY);
    let log = dir.run(&["lint", "--format", "sarif", "0001_risky.sql"]).json();
    assert!(schema_errors(&log).is_empty());
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema_errors(&bad_level).is_empty(), "a level outside the schema's enum passed");
    let mut bad_region = log.clone();
    bad_region["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(!schema_errors(&bad_region).is_empty(), "a 0-based line passed");
    let mut bad_uri = log.clone();
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "db/a b%zz.sql".into();
    assert!(!schema_errors(&bad_uri).is_empty(), "a URI with a space and a bad escape passed");
    let mut no_version = log;
    no_version.as_object_mut().expect("an object").remove("version");
    assert!(!schema_errors(&no_version).is_empty(), "a log without a version passed");
}

/// The violations of the SARIF 2.1.0 schema in `log`.
fn schema_errors(log: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read the SARIF schema")).expect("the schema is JSON");
    // The schema's `language` patterns have a stray `]`, which the draft-07 meta-schema
    // check rejects as a `regex`; use the pattern they mean (bellows writes no language).
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", "the vendored schema changed");
        *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    validator.iter_errors(log).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn a_file_that_is_not_utf8_is_reported_and_the_run_goes_on() {
    let dir = Dir::new("utf8");
    dir.write("migrations/0001_latin1.sql", b"INSERT INTO t VALUES ('caf\xe9');\n");
    dir.write("migrations/0002_risky.sql", RISKY);
    dir.write("migrations/0003_safe.sql", SAFE);
    let run = dir.run(&["lint", "--format", "json", "migrations"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    assert_eq!(
        findings(&json),
        [
            ("migrations/0001_latin1.sql".to_string(), "BW002".to_string()),
            ("migrations/0002_risky.sql".to_string(), "BW101".to_string()),
        ]
    );
    assert_eq!(json["files"][2]["statements"].as_array().map(Vec::len), Some(2));
}

#[test]
fn directories_are_walked_recursively_for_sql_files() {
    let dir = Dir::new("walk");
    dir.write("migrations/0002_b.sql", SAFE);
    dir.write("migrations/0001_a.sql", SAFE);
    dir.write("migrations/nested/deeper/0003_c.sql", RISKY);
    dir.write("migrations/README.md", RISKY);
    dir.write("migrations/nested/0004_d.sql.bak", RISKY);
    let run = dir.run(&["lint", "--format", "json", "migrations"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    let paths: Vec<&str> = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["migrations/0001_a.sql", "migrations/0002_b.sql", "migrations/nested/deeper/0003_c.sql"]);
}

#[test]
fn diesel_metadata_decides_whether_the_migration_runs_in_a_transaction() {
    let dir = Dir::new("diesel");
    let up = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n";
    dir.write("migrations/2024-01-01-000000_outside/up.sql", up);
    dir.write("migrations/2024-01-01-000000_outside/down.sql", "DROP INDEX CONCURRENTLY users_email_idx;\n");
    dir.write("migrations/2024-01-01-000000_outside/metadata.toml", "run_in_transaction = false\n");
    dir.write("migrations/2024-01-02-000000_inside/up.sql", up);

    let run = dir.run(&["lint", "--format", "json", "migrations/2024-01-01-000000_outside"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(rules_of(&json), Vec::<&str>::new());
    for file in json["files"].as_array().expect("files") {
        assert_eq!(file["statements"][0]["transactional"], false, "{file}");
    }

    let run = dir.run(&["lint", "--format", "json", "migrations/2024-01-02-000000_inside/up.sql"]);
    let json = run.json();
    assert_eq!(json["files"][0]["statements"][0]["transactional"], true, "{run:?}");
    assert_eq!(rules_of(&json), ["BW104"], "CONCURRENTLY cannot run in diesel's transaction: {run:?}");
}

#[test]
fn goose_up_and_down_sections_are_linted_as_separate_migrations() {
    let dir = Dir::new("goose");
    let text = "-- +goose Up\n-- +goose StatementBegin\nCREATE INDEX users_email_idx ON users (email);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP INDEX users_email_idx;\n";
    dir.write("db/20240101120000_email_index.sql", text);
    let run = dir.run(&["lint", "--format", "json", "db"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    let file = &json["files"][0];
    assert_eq!(file["layout"], "goose");
    let statements = file["statements"].as_array().expect("statements");
    let lines: Vec<u64> = statements.iter().map(|s| s["line"].as_u64().expect("line")).collect();
    assert_eq!(lines, [3, 7]);
    assert!(statements.iter().all(|s| s["transactional"] == true), "goose wraps each section: {file}");
    let diagnostics = file["diagnostics"].as_array().expect("diagnostics");
    let found: Vec<(Option<&str>, Option<u64>)> = diagnostics.iter().map(|d| (d["rule"].as_str(), d["line"].as_u64())).collect();
    // The Down section runs after Up was applied: its DROP INDEX is on an index that exists.
    assert_eq!(found, [(Some("BW101"), Some(3)), (Some("BW102"), Some(7))], "{file}");
}

#[test]
fn suppression_comments_silence_a_statement_or_a_file() {
    let dir = Dir::new("suppress");
    dir.write(
        "0001_by_name.sql",
        format!("-- bellows: allow create-index-non-concurrently users is tiny\n{RISKY}CREATE INDEX users_name_idx ON users (name);\n"),
    );
    dir.write("0002_by_code.sql", format!("-- bellows: allow BW101 users is tiny\n{RISKY}"));
    dir.write(
        "0003_file.sql",
        format!("-- bellows: allow-file BW101 a maintenance window\n{RISKY}CREATE INDEX users_name_idx ON users (name);\n"),
    );
    dir.write(
        "0004_unused.sql",
        format!("{SAFE}-- bellows: allow create-index-non-concurrently stale\nSELECT 1;\n"),
    );
    let run = dir.run(&["lint", "--format", "json", "."]);
    let json = run.json();
    let found: Vec<(String, String)> = findings(&json)
        .into_iter()
        .map(|(path, rule)| (path.trim_start_matches("./").to_string(), rule))
        .collect();
    let expected = [("0001_by_name.sql", "BW101"), ("0004_unused.sql", "BW004")].map(|(p, r)| (p.to_string(), r.to_string()));
    assert_eq!(found, expected, "{run:?}");
    let line = json["files"][0]["diagnostics"][0]["line"].as_u64();
    assert_eq!(line, Some(3), "only the statement after the comment is silenced");
    assert_eq!(run.code, 1);
}

#[test]
fn rules_lists_every_rule() {
    let run = bellows(&std::env::temp_dir(), &["rules"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!RULES.is_empty());
    for rule in RULES.iter() {
        let m = rule.meta();
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(m.code))
            .unwrap_or_else(|| panic!("{} is not listed:\n{}", m.code, run.stdout));
        assert!(line.contains(m.name) && line.contains(m.summary) && line.contains(m.severity.name()), "{line}");
        assert_eq!(line.contains("off by default"), !m.default_enabled, "{line}");
    }
}

#[test]
fn rules_name_prints_the_documentation() {
    for rule in RULES.iter() {
        let m = rule.meta();
        for key in [m.code, m.name] {
            let run = bellows(&std::env::temp_dir(), &["rules", key]);
            assert_eq!(run.code, 0, "{run:?}");
            let doc = &run.stdout;
            assert!(doc.starts_with(&format!("{} {}\n", m.code, m.name)), "{doc}");
            for section in [m.summary, m.why] {
                assert!(doc.contains(section), "`bellows rules {key}` lacks {section:?}:\n{doc}");
            }
            for line in m.alternative.lines() {
                assert!(doc.contains(line), "`bellows rules {key}` lacks the alternative line {line:?}:\n{doc}");
            }
            assert!(doc.contains(&format!("-- bellows: allow {}", m.name)), "{doc}");
        }
    }
}

#[test]
fn rules_with_an_unknown_name_exits_5_with_a_suggestion() {
    let run = bellows(&std::env::temp_dir(), &["rules", "nope"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("unknown rule `nope`") && run.stderr.contains("`bellows rules`"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");

    let run = bellows(&std::env::temp_dir(), &["rules", "create-index-non-concurrent"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("did you mean `create-index-non-concurrently`?"), "{run:?}");
}

/// A sqlx folder whose last migration changes what the first one made.
fn history_folder(name: &str) -> Dir {
    let dir = Dir::new(name);
    dir.write(
        "migrations/0001_init.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, handle varchar(20) NOT NULL, bio varchar(100));\nCREATE INDEX users_handle ON users (handle);\n",
    );
    dir.write(
        "migrations/0002_orgs.sql",
        "CREATE TABLE orgs (id bigint PRIMARY KEY);\nCREATE INDEX orgs_id ON orgs (id);\n",
    );
    dir.write(
        "migrations/0003_widen.sql",
        "ALTER TABLE users ALTER COLUMN handle TYPE varchar(50), ALTER COLUMN bio TYPE text;\nDROP INDEX users_handle;\nCREATE INDEX orgs_id2 ON orgs (id);\n",
    );
    dir.write("migrations/0003_widen.down.sql", "ALTER TABLE users ALTER COLUMN handle TYPE varchar(20);\n");
    dir
}

/// (rule, message) of every finding of `path` in a lint run's JSON.
fn messages(json: &Value, path: &str) -> Vec<(String, String)> {
    let file = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .expect("the file is reported");
    file["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule").to_string(),
                d["message"].as_str().expect("message").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_file_in_a_migration_folder_is_linted_after_the_files_before_it() {
    let dir = history_folder("history");
    let run = dir.run(&["lint", "--format", "json", "migrations/0003_widen.sql"]);
    let found = messages(&run.json(), "migrations/0003_widen.sql");
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    // varchar(20) -> varchar(50) and varchar -> text are catalog-only once the old types are known; orgs is an
    // existing table from an earlier file; DROP INDEX names the table the history says the index is on.
    assert_eq!(rules, ["BW102", "BW101", "BW140"], "{run:?}");
    assert!(found[0].1.contains("public.users") && !found[0].1.contains("the table of"), "{found:?}");
    assert!(found[1].1.contains("public.orgs"), "{found:?}");

    let alone = dir.run(&["lint", "--format", "json", "--no-history", "migrations/0003_widen.sql"]);
    let found = messages(&alone.json(), "migrations/0003_widen.sql");
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(rules, ["BW122", "BW122", "BW102", "BW140", "BW101", "BW140"], "{alone:?}");
    assert!(found[2].1.contains("the table of public.users_handle"), "{found:?}");
}

#[test]
fn a_folder_lints_each_file_as_its_history_replayed_would() {
    let dir = history_folder("history-folder");
    let run = dir.run(&["lint", "--format", "json", "migrations"]);
    let folder = run.json();
    for path in ["migrations/0002_orgs.sql", "migrations/0003_widen.sql", "migrations/0003_widen.down.sql"] {
        let one = dir.run(&["lint", "--format", "json", path]).json();
        assert_eq!(messages(&folder, path), messages(&one, path), "{path}");
    }
    // Within a file, what it creates is new; the rollback runs after its migration.
    assert_eq!(messages(&folder, "migrations/0002_orgs.sql"), Vec::<(String, String)>::new());
    let down = messages(&folder, "migrations/0003_widen.down.sql");
    assert!(
        down.iter().any(|(rule, m)| rule == "BW122" && m.contains("from character varying(50)")),
        "{down:?}"
    );
}

#[test]
fn from_seeds_the_history_with_a_schema_file() {
    let dir = history_folder("history-from");
    dir.write(
        "schema.toml",
        "[tables.users]\nprimary_key = [\"id\"]\ncolumns = [\n  { name = \"id\", type = \"bigint\", nullable = false },\n  { name = \"handle\", type = \"varchar(20)\", nullable = false },\n  { name = \"bio\", type = \"varchar(100)\" },\n]\nindexes = [{ name = \"users_handle\", columns = [\"handle\"] }]\n",
    );
    let run = dir.run(&["lint", "--format", "json", "--from", "schema.toml", "migrations/0003_widen.sql"]);
    let found = messages(&run.json(), "migrations/0003_widen.sql");
    let rules: Vec<&str> = found.iter().map(|(rule, _)| rule.as_str()).collect();
    assert_eq!(rules, ["BW102", "BW101", "BW140"], "{run:?}");
    let bad = dir.run(&["lint", "--from", "missing.toml", "migrations/0003_widen.sql"]);
    assert_eq!(bad.code, 5, "{bad:?}");
}

#[test]
fn statements_whose_locks_are_unknown_are_never_shown_as_lock_free() {
    let dir = Dir::new("unknown-locks");
    dir.write(
        "0001_mixed.sql",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nDO $$ BEGIN PERFORM 1; END $$;\nCREATE TYPE mood AS ENUM ('sad', 'ok');\nUPDATE users SET active = true;\n",
    );
    let json = dir.run(&["lint", "--format", "json", "0001_mixed.sql"]).json();
    let statements = json["files"][0]["statements"].as_array().expect("statements");
    let known: Vec<bool> = statements.iter().map(|s| s["locks_known"].as_bool().expect("locks_known")).collect();
    assert_eq!(known, [false, false, true, true]);
    // A write to every row holds a row lock on each until commit.
    assert_eq!(
        statements[3]["locks"],
        serde_json::json!([{ "relation": "public.users", "mode": "RowExclusiveLock", "every_row": true }])
    );
    let text = dir.run(&["lint", "0001_mixed.sql"]);
    assert!(
        text.stdout.contains(
            "note: 0001_mixed.sql: bellows does not know what 2 statement(s) lock, so they may block anything: line 1 (CREATE EXTENSION), line 2 (DO $$)"
        ),
        "{text:?}"
    );
}
