//! A backfill's batches find their rows through the key's index and update them through it: no batch reads the whole
//! table, even for a column just added, which PostgreSQL has no statistics for (it then guesses that few rows are
//! still NULL, and hashing the whole table once per batch made a 1,000,000-row backfill ten times slower than one
//! `UPDATE`; `cargo bench --bench backfill`), and even when the rows lie in no particular key order on disk (an index
//! range then looks dear to PostgreSQL's estimates); and no batch reads the index past its own key range.

mod support;

use std::time::{Duration, Instant};

use planner::step::Backfill;
use planner::{load_schema, make_plan, PlanOptions};
use sqlx::{Connection, PgConnection, Row};
use support::blocking::block_on;

const ROWS: i64 = 20_000;

/// `seq_scan`, `n_tup_upd` and the index entries read (`idx_tup_read` of its indexes) of table `items`, once the
/// updates of `at_least` rows have been reported (a backend sends its statistics when it ends, a moment after its
/// client has gone).
async fn scans_and_updates(url: &str, at_least: i64) -> (i64, i64, i64) {
    let mut connection = PgConnection::connect(url).await.expect("connects");
    let started = Instant::now();
    loop {
        sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut connection).await.expect("clears");
        let (scans, updates, entries): (i64, i64, i64) = sqlx::query_as(
            "SELECT seq_scan, n_tup_upd, (SELECT coalesce(sum(idx_tup_read), 0)::bigint FROM pg_stat_user_indexes i WHERE i.relid = t.relid) \
             FROM pg_stat_user_tables t WHERE relname = 'items'",
        )
        .fetch_one(&mut connection)
        .await
        .expect("reads the table's statistics");
        if updates >= at_least || started.elapsed() > Duration::from_secs(10) {
            let _ = connection.close().await;
            return (scans, updates, entries);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn a_backfill_of_a_column_without_statistics_reads_no_batch_by_scanning_the_table() {
    let owner = support::owner::owned_database();
    block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        sqlx::raw_sql(&format!(
            "CREATE TABLE items (id bigint PRIMARY KEY, a integer NOT NULL, b integer NOT NULL);
             INSERT INTO items SELECT g, g % 1000, g % 7 FROM generate_series(1, {ROWS}) AS g ORDER BY random();
             ANALYZE items;"
        ))
        .execute(&mut connection)
        .await
        .expect("seeds the table");
        let _ = connection.close().await;
    });
    let dir = std::env::temp_dir().join(format!("bellows-backfill-batches-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates a temporary directory");
    let after = dir.join("after.toml");
    std::fs::write(
        &after,
        r#"[tables.items]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "a", type = "integer", nullable = false },
  { name = "b", type = "integer", nullable = false },
  { name = "total", type = "bigint", nullable = false, backfill = "a::bigint * 10 + b" },
]
"#,
    )
    .expect("writes after.toml");
    let to = after.to_str().expect("a UTF-8 path");

    let expand = support::bellows::run(&["apply", "--to", to, "--phase", "expand"], &owner.url);
    assert_eq!(expand.code, 0, "{expand:?}");
    let (scans_before, _, entries_before) = block_on(|| scans_and_updates(&owner.superuser_url, 0));
    let backfill = support::bellows::run(&["apply", "--to", to, "--phase", "backfill", "--batch-size", "500"], &owner.url);
    assert_eq!(backfill.code, 0, "{backfill:?}");
    let batches = backfill.events().iter().filter(|e| e["event"] == "batch").count();
    let (scans_after, updates, entries_after) = block_on(|| scans_and_updates(&owner.superuser_url, ROWS));
    let _ = std::fs::remove_dir_all(&dir);

    assert!(updates >= ROWS, "the backfill's {ROWS} updates were not reported in time ({updates} seen)");
    assert!(batches > 1, "the backfill ran in one batch, which proves nothing: {backfill:?}");
    assert_eq!(
        scans_after - scans_before,
        0,
        "the backfill's {batches} batches read public.items by scanning it whole {} times",
        scans_after - scans_before
    );
    // Each batch finds its last row along the index and updates its range through it: about two index entries per
    // row. A batch that read the index from its cursor to the end of the table (a plan that scans the rest of the key
    // once and joins it to the batch's end) reads about ROWS * batches / 2.
    let entries = entries_after - entries_before;
    assert!(
        entries <= 3 * ROWS,
        "the backfill's {batches} batches read {entries} index entries for {ROWS} rows: some batch read past its own range"
    );
    let filled: i64 = block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        sqlx::query_scalar("SELECT count(*) FROM items WHERE total = a::bigint * 10 + b")
            .fetch_one(&mut connection)
            .await
            .expect("counts the filled rows")
    });
    assert_eq!(filled, ROWS, "every row is filled");
}

const ITEMS: &str = r#"[tables.items]
primary_key = ["id"]
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "a", type = "integer", nullable = false },
  { name = "b", type = "integer", nullable = false },
"#;

/// The batch statement itself, run with a fixed size from the first row to the last as bellows runs it (its planner
/// settings included), over a table large enough, and a column new enough (no statistics: PostgreSQL guesses few rows
/// NULL), for PostgreSQL to consider reading the rest of the key once and joining the batch's end to it: 200 batches
/// would then read about 20,000,000 index entries.
#[test]
fn each_batch_reads_the_key_index_over_its_own_range_only() {
    const MANY: i64 = 200_000;
    const SIZE: i64 = 1_000;
    let before = load_schema("before.toml", &format!("{ITEMS}]\n")).expect("loads");
    let after = format!("{ITEMS}  {{ name = \"total\", type = \"bigint\", nullable = false, backfill = \"a::bigint * 10 + b\" }},\n]\n");
    let after = load_schema("after.toml", &after).expect("loads");
    let plan = make_plan(&before, &after, PlanOptions::default()).expect("plans");
    let backfill = plan.steps().find_map(|s| s.backfill.clone()).expect("a backfill step");
    let owner = support::owner::owned_database();
    let entries = block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        sqlx::raw_sql(&format!(
            "CREATE TABLE items (id bigint PRIMARY KEY, a integer NOT NULL, b integer NOT NULL);
             INSERT INTO items SELECT g, g % 1000, g % 7 FROM generate_series(1, {MANY}) AS g;
             ANALYZE items;
             ALTER TABLE items ADD COLUMN total bigint;"
        ))
        .execute(&mut connection)
        .await
        .expect("seeds the table");
        let (_, _, before) = scans_and_updates(&owner.superuser_url, 0).await;
        let bound: String = sqlx::query_scalar(&backfill.bound_sql)
            .fetch_one(&mut connection)
            .await
            .expect("reads the bound");
        let planner: String = Backfill::PLANNER_OFF.iter().map(|s| format!("; SET LOCAL {s} = off")).collect();
        let begin = format!("BEGIN{planner}");
        let mut cursor: Option<String> = None;
        let mut batches = 0;
        loop {
            sqlx::raw_sql(&begin).execute(&mut connection).await.expect("begins");
            // Unnamed, as bellows runs it: planned for its values every time (a prepared statement's generic plan
            // cannot use the cursor in the index condition; see docs/plan-json.md).
            let row = sqlx::query(&backfill.batch_sql)
                .persistent(false)
                .bind(SIZE)
                .bind(cursor.clone())
                .bind(bound.clone())
                .fetch_optional(&mut connection)
                .await
                .expect("the batch runs");
            sqlx::raw_sql("COMMIT").execute(&mut connection).await.expect("commits");
            let Some(row) = row else { break };
            assert_eq!(row.get::<i64, _>("batch_rows"), SIZE, "every batch is full: the rows divide evenly");
            cursor = Some(row.get("bellows_k1"));
            batches += 1;
        }
        assert_eq!(batches, MANY / SIZE);
        let _ = connection.close().await;
        let (_, updates, after) = scans_and_updates(&owner.superuser_url, MANY).await;
        assert_eq!(updates, MANY, "every row updated once");
        after - before
    });
    assert!(
        entries <= 3 * MANY,
        "{} batches read {entries} index entries for {MANY} rows: some batch read the index past its own range",
        MANY / SIZE
    );
}
