//! The batched backfill as an operator meets it: a composite unique key (no primary key)
//! in a schema and table whose names need quoting; Ctrl-C stops it after the current
//! batch and `apply` goes on from the cursor; it ends while the application inserts as
//! fast as it can; a table with no key at all is refused before anything changes.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::bellows::{is, run, schema_files, start, status_json, status_step, Running};
use support::blocking::block_on;
use support::db::{count, execute};
use support::live::connect;
use support::owner::owned_database;

/// `"Sales Ops"."Line Items"`: no primary key; `(tenant, "Seq No")` is unique and NOT NULL.
const BEFORE: &str = r#"
[tables."Sales Ops.Line Items"]
columns = [
  { name = "tenant", type = "integer", nullable = false },
  { name = "Seq No", type = "bigint", nullable = false },
  { name = "Note", type = "text" },
]
uniques = [ { name = "line_items_key", columns = ["tenant", "Seq No"] } ]
"#;

/// A NOT NULL column filled from other columns (NULL `Note`s included) in batches.
const AFTER: &str = r#"
[tables."Sales Ops.Line Items"]
columns = [
  { name = "tenant", type = "integer", nullable = false },
  { name = "Seq No", type = "bigint", nullable = false },
  { name = "Note", type = "text" },
  { name = "Label", type = "text", nullable = false, backfill = "tenant || '/' || \"Seq No\" || ':' || coalesce(\"Note\", '-')" },
]
uniques = [ { name = "line_items_key", columns = ["tenant", "Seq No"] } ]
"#;

const TABLE: &str = r#""Sales Ops"."Line Items""#;

/// The old schema, made by bellows, with `rows` rows: 40 tenants, every seventh `Note`
/// NULL, some empty, a tenant at the edges of `integer`.
fn prepared(before: &str, rows: i64) -> String {
    let owner = owned_database();
    let created = run(&["apply", "--to", before], &owner.url);
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(run(&["complete"], &owner.url).code, 0);
    execute(
        &owner.url,
        &format!(
            "INSERT INTO {TABLE} SELECT CASE WHEN g % 997 = 0 THEN -2147483648 ELSE g % 40 END, g,
                 CASE WHEN g % 7 = 0 THEN NULL WHEN g % 11 = 0 THEN '' ELSE 'n' || g END
             FROM generate_series(1, {rows}) g"
        ),
    );
    owner.url
}

/// Rows whose `Label` is not what the backfill expression says it is.
fn wrong_labels(url: &str) -> i64 {
    count(
        url,
        &format!("SELECT count(*) FROM {TABLE} WHERE \"Label\" IS DISTINCT FROM tenant || '/' || \"Seq No\" || ':' || coalesce(\"Note\", '-')"),
    )
}

fn interrupt(running: &Running) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &running.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "SIGINT sent");
}

#[test]
fn ctrl_c_stops_after_the_batch_and_apply_goes_on_from_the_cursor_over_a_composite_unique_key() {
    const ROWS: i64 = 30_000;
    let (before, after) = schema_files("backfill-ctrl-c", BEFORE, AFTER);
    let url = prepared(&before, ROWS);
    let mut running = start(
        &["apply", "--to", &after, "--batch-size", "300", "--batch-target", "5ms", "--batch-pause", "20ms"],
        &url,
    );
    running.wait_for(Duration::from_secs(60), |e| {
        is(e, "batch", "backfill:") && e["rows_done"].as_i64().is_some_and(|r| r >= 1_500)
    });
    interrupt(&running);
    let code = running.wait();
    assert_eq!(code, 2, "an interrupted apply exits 2: {:#?}", running.seen);
    let done_at_stop = running
        .seen
        .iter()
        .filter(|e| is(e, "batch", "backfill:"))
        .filter_map(|e| e["rows_done"].as_i64())
        .max()
        .expect("batches ran");
    assert!(done_at_stop < ROWS, "it stopped before the end ({done_at_stop} rows done)");

    // The batches that ran are saved: the rows they did are right, the others wait.
    let status = status_json(&url);
    let backfill = status_step(&status, "backfill:").clone();
    assert_eq!(backfill["backfill"]["rows_done"], done_at_stop, "{backfill:#}");
    let cursor = backfill["backfill"]["cursor"].as_array().expect("a cursor").clone();
    assert_eq!(cursor.len(), 2, "the cursor is the composite key: {backfill:#}");
    let filled = count(&url, &format!("SELECT count(*) FROM {TABLE} WHERE \"Label\" IS NOT NULL"));
    assert_eq!(filled, done_at_stop, "every row a finished batch looked at is filled, no other");

    let resumed = run(&["apply", "--to", &after], &url);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let first = resumed
        .events()
        .into_iter()
        .find(|e| is(e, "batch", "backfill:"))
        .expect("the backfill went on");
    assert!(
        first["rows_done"].as_i64().unwrap_or(0) > done_at_stop,
        "it went on from the cursor ({done_at_stop} rows), not from the start: {first}"
    );
    assert_eq!(wrong_labels(&url), 0, "every row's Label is the expression's value");
    let completed = run(&["complete"], &url);
    assert_eq!(completed.code, 0, "{completed:?}");
    let again = run(&["apply", "--to", &after, "--dry-run"], &url);
    assert!(again.stdout.contains("nothing to do"), "a fresh plan is not empty: {again:?}");
    assert_eq!(count(&url, &format!("SELECT count(*) FROM {TABLE}")), ROWS);
    assert_eq!(wrong_labels(&url), 0);
}

#[test]
fn a_backfill_ends_while_the_application_inserts_as_fast_as_it_can() {
    const ROWS: i64 = 20_000;
    let (before, after) = schema_files("backfill-inserts", BEFORE, AFTER);
    let url = prepared(&before, ROWS);
    let expand = run(&["apply", "--to", &after, "--phase", "expand"], &url);
    assert_eq!(expand.code, 0, "{expand:?}");

    // The old application version inserts without the new column, rows ahead of the
    // backfill's upper bound and behind it (tenant 41 sorts after every tenant).
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (url, stop) = (url.clone(), stop.clone());
        std::thread::spawn(move || {
            block_on(|| async move {
                let mut connection = connect(&url).await;
                let mut inserted = 0_i64;
                while !stop.load(Ordering::SeqCst) {
                    let statement = format!(
                        "INSERT INTO {TABLE} (tenant, \"Seq No\", \"Note\") SELECT 41, {n} + g, CASE WHEN g = 1 THEN NULL ELSE 'late' END FROM generate_series(1, 50) g",
                        n = 1_000_000 + inserted
                    );
                    sqlx::raw_sql(&statement)
                        .execute(&mut connection)
                        .await
                        .expect("the old version's insert succeeds");
                    inserted += 50;
                }
                inserted
            })
        })
    };
    let started = Instant::now();
    let backfill = run(
        &["apply", "--to", &after, "--phase", "backfill", "--batch-size", "500", "--batch-target", "10ms"],
        &url,
    );
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let inserted = writer.join().expect("the writer ends");
    assert_eq!(backfill.code, 0, "{backfill:?}");
    assert!(inserted > 1_000, "the application inserted only {inserted} rows meanwhile");
    let updated: i64 = backfill
        .events()
        .iter()
        .filter(|e| is(e, "batch", "backfill:"))
        .filter_map(|e| e["rows_updated"].as_i64())
        .max()
        .unwrap_or(0);
    assert_eq!(
        updated, ROWS,
        "the backfill wrote each old row once, and none of the {inserted} rows the triggers filled meanwhile"
    );
    assert_eq!(wrong_labels(&url), 0, "every row, old or inserted meanwhile, has its Label");
    let completed = run(&["complete"], &url);
    assert_eq!(completed.code, 0, "{completed:?}");
    eprintln!("backfill of {ROWS} rows took {took:?} while the application inserted {inserted}");
}

#[test]
fn a_table_with_no_key_is_refused_before_anything_changes() {
    let no_key = |text: &str| text.replace(r#"uniques = [ { name = "line_items_key", columns = ["tenant", "Seq No"] } ]"#, "");
    let (before, after) = schema_files("backfill-no-key", &no_key(BEFORE), &no_key(AFTER));
    let url = prepared(&before, 1_000);
    let migrations = "SELECT count(*) FROM bellows.migrations";
    let recorded = count(&url, migrations);
    let refused = run(&["apply", "--to", &after], &url);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("has no primary key and no unique key of NOT NULL columns")
            && refused.stderr.contains("add a primary key (or a unique constraint on NOT NULL columns)"),
        "{refused:?}"
    );
    assert_eq!(count(&url, migrations), recorded, "nothing was recorded");
    let columns = "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'Sales Ops' AND column_name = 'Label'";
    assert_eq!(count(&url, columns), 0, "nothing was changed");
}
