//! A backfill's batches find their rows through the key's index and update them through it: no batch reads the whole
//! table, even for a column just added, which PostgreSQL has no statistics for (it then guesses that few rows are
//! still NULL, and hashing the whole table once per batch made a 1,000,000-row backfill ten times slower than one
//! `UPDATE`; `cargo bench --bench backfill`), and even when the rows lie in no particular key order on disk (an index
//! range then looks dear to PostgreSQL's estimates).

mod support;

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use support::blocking::block_on;

const ROWS: i64 = 20_000;

/// `seq_scan` and `n_tup_upd` of table `items`, once the updates of `at_least` rows have been reported (a backend
/// sends its statistics when it ends, a moment after its client has gone).
async fn scans_and_updates(url: &str, at_least: i64) -> (i64, i64) {
    let mut connection = PgConnection::connect(url).await.expect("connects");
    let started = Instant::now();
    loop {
        sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&mut connection).await.expect("clears");
        let (scans, updates): (i64, i64) = sqlx::query_as("SELECT seq_scan, n_tup_upd FROM pg_stat_user_tables WHERE relname = 'items'")
            .fetch_one(&mut connection)
            .await
            .expect("reads the table's statistics");
        if updates >= at_least || started.elapsed() > Duration::from_secs(10) {
            let _ = connection.close().await;
            return (scans, updates);
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
    let (scans_before, _) = block_on(|| scans_and_updates(&owner.superuser_url, 0));
    let backfill = support::bellows::run(&["apply", "--to", to, "--phase", "backfill", "--batch-size", "500"], &owner.url);
    assert_eq!(backfill.code, 0, "{backfill:?}");
    let batches = backfill.events().iter().filter(|e| e["event"] == "batch").count();
    let (scans_after, updates) = block_on(|| scans_and_updates(&owner.superuser_url, ROWS));
    let _ = std::fs::remove_dir_all(&dir);

    assert!(updates >= ROWS, "the backfill's {ROWS} updates were not reported in time ({updates} seen)");
    assert!(batches > 1, "the backfill ran in one batch, which proves nothing: {backfill:?}");
    assert_eq!(
        scans_after - scans_before,
        0,
        "the backfill's {batches} batches read public.items by scanning it whole {} times",
        scans_after - scans_before
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
