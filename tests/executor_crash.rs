//! Nothing is lost when `bellows apply` is killed (SIGKILL, no chance to clean up): in
//! the middle of a backfill, between two steps, and while a concurrent index build waits.
//! Each time `apply` is run again, then `complete`; the schema is then the planned one (a
//! fresh plan has no step) and every row equals that of a run nobody interrupted.

mod support;

use std::time::Duration;

use sqlx::Connection;
use support::bellows::{is, run, schema_files, start, status_json, status_step};
use support::blocking::block_on;
use support::db::{count, execute, text};
use support::live::connect;
use support::owner::owned_database;

const BEFORE: &str = r#"
[tables.events]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "counter", type = "integer", nullable = false },
  { name = "label", type = "text" },
]
indexes = [ { name = "events_counter_idx", columns = ["counter"] } ]
"#;

/// A rewriting type change (new column, sync triggers, a copy, an index rebuilt on the new
/// column, a swap), a NOT NULL column filled with a constant, and a new index.
const AFTER: &str = r#"
[tables.events]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "counter", type = "bigint", nullable = false },
  { name = "label", type = "text" },
  { name = "kind", type = "text", nullable = false, backfill = "'plain'" },
]
indexes = [
  { name = "events_counter_idx", columns = ["counter"] },
  { name = "events_label_idx", columns = ["label"] },
]
"#;

const ROWS: i64 = 40_000;

fn rows_checksum(url: &str) -> String {
    text(
        url,
        "SELECT md5(string_agg(format('%s|%s|%s|%s', id, counter, label, kind), ',' ORDER BY id)) FROM events",
    )
}

const INVALID_INDEXES: &str = "SELECT count(*) FROM pg_index WHERE NOT indisvalid";

/// A database with the old schema and its rows (labels NULL in every tenth).
fn prepared(before: &str) -> String {
    let owner = owned_database();
    let created = run(&["apply", "--to", before], &owner.url);
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(run(&["complete"], &owner.url).code, 0);
    execute(
        &owner.url,
        &format!("INSERT INTO events SELECT g, g % 1000 - 500, CASE WHEN g % 10 = 0 THEN NULL ELSE 'e' || g END FROM generate_series(1, {ROWS}) g"),
    );
    owner.url
}

/// Applies and completes to the end, checks the result, returns the rows' checksum.
fn finish(url: &str, after: &str) -> String {
    let resumed = run(&["apply", "--to", after], url);
    assert_eq!(resumed.code, 0, "apply after the kill: {resumed:?}");
    let completed = run(&["complete"], url);
    assert_eq!(completed.code, 0, "complete: {completed:?}");
    let again = run(&["apply", "--to", after, "--dry-run"], url);
    assert!(again.stdout.contains("nothing to do"), "a fresh plan is not empty: {again:?}");
    assert_eq!(count(url, INVALID_INDEXES), 0, "an INVALID index is left");
    rows_checksum(url)
}

/// The checksum of a run nobody interrupted.
fn reference(before: &str, after: &str) -> String {
    let url = prepared(before);
    finish(&url, after)
}

#[test]
fn killed_mid_backfill_it_resumes_from_the_cursor() {
    let (before, after) = schema_files("crash-mid-backfill", BEFORE, AFTER);
    let (before, after) = (before.as_str(), after.as_str());
    let expected = reference(before, after);
    let url = prepared(before);
    let mut running = start(
        &["apply", "--to", after, "--batch-size", "200", "--batch-target", "5ms", "--batch-pause", "20ms"],
        &url,
    );
    running.wait_for(Duration::from_secs(60), |e| {
        is(e, "batch", "backfill:") && e["rows_done"].as_i64().is_some_and(|r| r >= 1_000)
    });
    running.kill();
    let status = status_json(&url);
    let cursor = status_step(&status, "backfill:")["backfill"]["cursor"].as_array().cloned();
    assert!(cursor.is_some_and(|c| !c.is_empty()), "the backfill's cursor was saved: {status:#}");
    let resumed = run(&["apply", "--to", after], &url);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let first = resumed
        .events()
        .into_iter()
        .find(|e| is(e, "batch", "backfill:"))
        .expect("the backfill went on");
    assert!(
        first["rows_done"].as_i64().unwrap_or(0) > 1_000,
        "it resumed from the cursor, not the start: {first}"
    );
    assert_eq!(finish(&url, after), expected);
}

#[test]
fn killed_between_steps_it_skips_what_is_done() {
    let (before, after) = schema_files("crash-between-steps", BEFORE, AFTER);
    let (before, after) = (before.as_str(), after.as_str());
    let expected = reference(before, after);
    let url = prepared(before);
    let mut running = start(&["apply", "--to", after], &url);
    running.wait_for(Duration::from_secs(60), |e| e["event"] == "step_done");
    running.kill();
    let resumed = run(&["apply", "--to", after], &url);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed.events().iter().any(|e| e["event"] == "step_skipped"),
        "a done step ran again: {resumed:?}"
    );
    assert_eq!(finish(&url, after), expected);
}

#[test]
fn killed_during_a_concurrent_index_build_the_invalid_index_is_dropped_and_rebuilt() {
    let (before, after) = schema_files("crash-index-build", BEFORE, AFTER);
    let (before, after) = (before.as_str(), after.as_str());
    let expected = reference(before, after);
    let url = prepared(before);
    // A transaction open when the build starts (on no table of the plan's: the other steps
    // go by) makes the build wait for it, its index already there and INVALID.
    let holder = block_on(|| async {
        let mut connection = connect(&url).await;
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT txid_current()")
            .execute(&mut connection)
            .await
            .expect("holds a snapshot");
        connection
    });
    let mut running = start(&["apply", "--to", after, "--phase", "expand"], &url);
    running.wait_for(Duration::from_secs(60), |e| is(e, "waiting", "create-index:"));
    running.kill();
    assert_eq!(count(&url, INVALID_INDEXES), 1, "the killed build left its index INVALID");
    // The killed runner's build goes on in the server, waiting; the next run ends it,
    // drops its INVALID index and builds the index again (once the old transaction ends).
    let mut resumed = start(&["apply", "--to", after], &url);
    resumed.wait_for(Duration::from_secs(60), |e| {
        e["event"] == "cleaned_up" && e["object"].as_str().is_some_and(|o| o.starts_with("invalid index"))
    });
    block_on(|| async move {
        let _ = holder.close().await;
    });
    let code = resumed.wait();
    assert_eq!(code, 0, "the resumed apply failed: {:#?}", resumed.seen);
    assert_eq!(finish(&url, after), expected);
}
