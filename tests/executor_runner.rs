//! The runner's promises to an operator, through the `bellows` command against a real
//! PostgreSQL, as the role that owns the tables: a busy table is waited out without
//! queueing the application behind bellows, and the blocker is named; a second runner
//! leaves at once; `--dry-run` changes nothing; `status` tells each step's state; exit
//! codes are the documented ones; and the password is never printed.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::{Connection, PgConnection};
use support::bellows::{is, run, schema_files, start, status_json, status_step, Run};
use support::blocking::block_on;
use support::db::{execute, text};
use support::live::connect;
use support::owner::{owned_database, Owner};

const BEFORE: &str = r#"
[tables.events]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "counter", type = "integer", nullable = false },
  { name = "label", type = "text" },
]
"#;

/// A column added (ACCESS EXCLUSIVE, briefly), filled in batches, then made NOT NULL; and
/// an index built concurrently.
const AFTER: &str = r#"
[tables.events]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "counter", type = "integer", nullable = false },
  { name = "label", type = "text" },
  { name = "kind", type = "text", nullable = false, backfill = "'plain'" },
]
indexes = [ { name = "events_label_idx", columns = ["label"] } ]
"#;

const ROWS: i64 = 5_000;

struct Files {
    before: String,
    after: String,
}

fn files(test: &str) -> Files {
    let (before, after) = schema_files(&format!("runner-{test}"), BEFORE, AFTER);
    Files { before, after }
}

/// The old schema, created by plain SQL (bellows has not run here), and its rows.
fn old_schema_by_hand(owner: &Owner) {
    execute(
        &owner.url,
        &format!(
            "CREATE TABLE events (id bigint PRIMARY KEY, counter integer NOT NULL, label text);
             INSERT INTO events SELECT g, g % 100, CASE WHEN g % 10 = 0 THEN NULL ELSE 'e' || g END FROM generate_series(1, {ROWS}) g"
        ),
    );
}

/// The old schema, created by bellows, and its rows.
fn old_schema_by_bellows(owner: &Owner, files: &Files) {
    let created = run(&["apply", "--to", &files.before], &owner.url);
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(run(&["complete"], &owner.url).code, 0);
    execute(
        &owner.url,
        &format!("INSERT INTO events SELECT g, g % 100, CASE WHEN g % 10 = 0 THEN NULL ELSE 'e' || g END FROM generate_series(1, {ROWS}) g"),
    );
}

/// Everything a person could read of a run.
fn printed(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

/// A session of the application's that has read `events` and keeps its transaction
/// open (ACCESS SHARE, as any SELECT in a long transaction); its pid.
fn long_reader(url: &str) -> (PgConnection, i32) {
    block_on(|| async {
        let mut connection = connect(url).await;
        sqlx::raw_sql("SET application_name = 'long-report'; BEGIN; SELECT count(*) FROM events")
            .execute(&mut connection)
            .await
            .expect("the reader reads");
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut connection).await.expect("its pid");
        (connection, pid)
    })
}

/// The application's queries, one after another until `stop`: the longest one.
fn probe(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(Duration, usize)> {
    std::thread::spawn(move || {
        block_on(|| async {
            let mut connection = connect(&url).await;
            let (mut longest, mut count) = (Duration::ZERO, 0);
            while !stop.load(Ordering::SeqCst) {
                let query = if count % 2 == 0 {
                    "SELECT label FROM events WHERE id = 42"
                } else {
                    "UPDATE events SET counter = counter + 1 WHERE id = 43"
                };
                let started = Instant::now();
                sqlx::raw_sql(query).execute(&mut connection).await.expect("the application's query succeeds");
                longest = longest.max(started.elapsed());
                count += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (longest, count)
        })
    })
}

#[test]
fn a_busy_table_is_waited_out_without_queueing_the_application_and_the_blocker_is_named() {
    let files = files("busy");
    let owner = owned_database();
    old_schema_by_bellows(&owner, &files);
    let (reader, reader_pid) = long_reader(&owner.url);
    let stop = Arc::new(AtomicBool::new(false));
    let probe = probe(owner.url.clone(), stop.clone());
    let mut apply = start(&["apply", "--to", &files.after, "--lock-timeout", "200ms"], &owner.url);
    let waiting = apply.wait_for(Duration::from_secs(60), |e| is(e, "waiting", ""));
    let blockers = waiting["blockers"].as_array().expect("blockers");
    assert!(
        blockers.iter().any(|b| b["pid"] == reader_pid && b["application"] == "long-report"),
        "the reader is named as the blocker: {waiting}"
    );
    let retrying = apply.wait_for(Duration::from_secs(60), |e| is(e, "retrying", ""));
    assert!(
        retrying["reason"].as_str().is_some_and(|r| r.contains(&format!("pid {reader_pid}"))),
        "{retrying}"
    );
    // The reader holds its lock for three seconds in all, bellows retrying meanwhile.
    std::thread::sleep(Duration::from_secs(3));
    block_on(|| async move {
        let _ = reader.close().await;
    });
    let code = apply.wait();
    let retries = apply.seen.iter().filter(|e| e["event"] == "retrying").count();
    stop.store(true, Ordering::SeqCst);
    let (longest, queries) = probe.join().expect("the probe ends");
    assert_eq!(code, 0, "apply ends once the reader has gone: {:#?}", apply.seen);
    assert!(retries >= 2, "bellows gave way and tried again ({retries} retries)");
    assert!(queries > 50, "the application ran only {queries} queries");
    // A query queued behind a waiting ALTER TABLE would wait as long as the reader: seconds.
    assert!(
        longest < Duration::from_millis(800),
        "an application query waited {longest:?} behind bellows (lock timeout 200 ms)"
    );
    eprintln!("application queries while bellows waited out the reader: {queries}, the longest {longest:?}; bellows retried {retries} times");
}

#[test]
fn a_second_runner_leaves_at_once_and_changes_nothing() {
    let files = files("second");
    let owner = owned_database();
    old_schema_by_bellows(&owner, &files);
    let (reader, _) = long_reader(&owner.url);
    let mut first = start(&["apply", "--to", &files.after], &owner.url);
    first.wait_for(Duration::from_secs(60), |e| is(e, "retrying", ""));
    let migrations = "SELECT count(*)::text FROM bellows.migrations";
    let recorded = text(&owner.url, migrations);
    for args in [vec!["apply", "--to", files.after.as_str()], vec!["complete"], vec!["abort"]] {
        let started = Instant::now();
        let second = run(&args, &owner.url);
        assert_eq!(second.code, 1, "{args:?}: {second:?}");
        assert!(second.stderr.contains("another bellows runner is working on this database"), "{second:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?} waited {:?}", started.elapsed());
    }
    assert_eq!(text(&owner.url, migrations), recorded, "the second runner recorded a migration");
    block_on(|| async move {
        let _ = reader.close().await;
    });
    assert_eq!(first.wait(), 0, "the first runner goes on: {:#?}", first.seen);
}

#[test]
fn a_dry_run_prints_the_steps_and_changes_nothing() {
    let files = files("dry");
    let owner = owned_database();
    old_schema_by_hand(&owner);
    let schema_before = run(&["introspect"], &owner.url);
    assert_eq!(schema_before.code, 0, "{schema_before:?}");
    let dry = run(&["apply", "--to", &files.after, "--dry-run"], &owner.url);
    assert_eq!(dry.code, 0, "{dry:?}");
    for expected in [
        "would start migration",
        "dry run: nothing was changed",
        "EXPAND",
        "BACKFILL",
        "CONTRACT",
        "in batches of",
        "(outside a transaction)",
        "at complete",
    ] {
        assert!(dry.stdout.contains(expected), "{expected:?} missing: {dry:?}");
    }
    let bellows_schema = text(&owner.url, "SELECT count(*)::text FROM pg_namespace WHERE nspname = 'bellows'");
    assert_eq!(bellows_schema, "0", "a dry run created bellows's state");
    assert_eq!(run(&["introspect"], &owner.url).stdout, schema_before.stdout, "a dry run changed the schema");
    let status = run(&["status"], &owner.url);
    assert!(status.stdout.contains("no migration recorded"), "{status:?}");
}

#[test]
fn status_tells_each_step_in_text_and_json_and_commands_out_of_turn_exit_1() {
    let files = files("status");
    let owner = owned_database();
    old_schema_by_hand(&owner);
    assert_eq!(status_json(&owner.url), Value::Null);
    let early = run(&["complete"], &owner.url);
    assert_eq!(early.code, 1, "complete with nothing applied: {early:?}");
    let nothing = run(&["abort"], &owner.url);
    assert_eq!(nothing.code, 1, "abort with nothing in flight: {nothing:?}");
    assert!(nothing.stderr.contains("nothing to abort"), "{nothing:?}");

    let expand = run(&["apply", "--to", &files.after, "--phase", "expand"], &owner.url);
    assert_eq!(expand.code, 0, "{expand:?}");
    let status = status_json(&owner.url);
    assert_eq!(status_step(&status, "backfill:")["status"], "pending", "{status:#}");
    assert_eq!(status_step(&status, "create-index:")["status"], "done", "{status:#}");
    assert!(status["fingerprint"].as_str().is_some_and(|f| f.len() >= 12), "{status:#}");
    let dry = run(&["apply", "--to", &files.after, "--dry-run"], &owner.url);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.stdout.contains("would resume migration"), "{dry:?}");
    assert!(
        dry.stdout.contains("done already: build index"),
        "a dry run of a resumed migration says what is done: {dry:?}"
    );
    assert!(dry.stdout.contains("would run: fill"), "{dry:?}");

    let other = std::env::temp_dir().join(format!("bellows-runner-{}-other.toml", std::process::id()));
    std::fs::write(&other, AFTER.replace(r#"columns = ["label"]"#, r#"columns = ["counter"]"#)).expect("write other.toml");
    let mismatch = run(&["apply", "--to", other.to_str().expect("UTF-8")], &owner.url);
    assert_eq!(mismatch.code, 1, "another plan while one is in flight: {mismatch:?}");
    assert!(mismatch.stderr.contains("is in flight"), "{mismatch:?}");

    let backfill = run(&["apply", "--to", &files.after], &owner.url);
    assert_eq!(backfill.code, 0, "{backfill:?}");
    let status = status_json(&owner.url);
    let filled = &status_step(&status, "backfill:")["backfill"];
    assert_eq!(filled["rows_done"], ROWS, "{status:#}");
    assert_eq!(filled["rows_updated"], ROWS, "{status:#}");
    let text = run(&["status"], &owner.url);
    assert_eq!(text.code, 0);
    for expected in ["done", "pending", &format!("{ROWS} rows looked at, {ROWS} updated")] {
        assert!(text.stdout.contains(expected), "{expected:?} missing:\n{}", text.stdout);
    }
    let completed = run(&["complete"], &owner.url);
    assert_eq!(completed.code, 0, "{completed:?}");
    let status = status_json(&owner.url);
    assert!(status["steps"].as_array().expect("steps").iter().all(|s| s["status"] == "done"), "{status:#}");
    let again = run(&["complete"], &owner.url);
    assert_eq!(again.code, 1, "complete twice: {again:?}");
}

#[test]
fn the_password_is_never_printed() {
    let files = files("password");
    let owner = owned_database();
    old_schema_by_hand(&owner);
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut record = |what: &str, r: Run| runs.push((what.to_string(), r));
    record("dry run", run(&["apply", "--to", &files.after, "--dry-run"], &owner.url));
    record("apply", run(&["apply", "--to", &files.after, "--phase", "expand"], &owner.url));
    record("status", run(&["status"], &owner.url));
    record("status json", run(&["status", "--format", "json"], &owner.url));
    record("mismatch", run(&["apply", "--to", &files.before], &owner.url));
    record("introspect", run(&["introspect"], &owner.url));
    record("abort", run(&["abort"], &owner.url));
    record("plan", run(&["plan", "--database-url", &owner.url, "--to", &files.after], &owner.url));
    let wrong = owner.url_with_password(&owner.password.replace("never", "wrong"));
    record("wrong password", run(&["apply", "--to", &files.after], &wrong));
    let nowhere = format!("postgres://{}:{}@127.0.0.1:1/{}", owner.role, owner.password, owner.database);
    record("nothing listening", run(&["status", "--database-url", &nowhere], &owner.url));
    record(
        "bad URL",
        run(
            &["status", "--database-url", &format!("postgres://{}:{}@/", owner.role, owner.password)],
            &owner.url,
        ),
    );
    for (what, r) in &runs {
        let text = printed(r);
        assert!(!text.contains(&owner.password), "{what} printed the password: {r:?}");
        assert!(
            !text.contains(&owner.password.replace("never", "wrong")),
            "{what} printed the wrong password: {r:?}"
        );
    }
    let codes: Vec<(&str, i32)> = runs.iter().map(|(w, r)| (w.as_str(), r.code)).collect();
    assert_eq!(
        codes,
        [
            ("dry run", 0),
            ("apply", 0),
            ("status", 0),
            ("status json", 0),
            ("mismatch", 1),
            ("introspect", 0),
            ("abort", 0),
            ("plan", 0),
            ("wrong password", 5),
            ("nothing listening", 5),
            ("bad URL", 5),
        ]
    );
    let wrong_password = &runs[8].1;
    assert!(wrong_password.stderr.contains("password authentication failed"), "{wrong_password:?}");
}
