//! One-line database access for tests that drive `bellows` as a process: a statement
//! run, or one value read, each on a connection of its own, panicking with the SQL on
//! failure.

use super::blocking::block_on;
use super::live::connect;

/// Runs `statement` (one or more statements, as a simple query).
pub fn execute(url: &str, statement: &str) {
    block_on(|| async {
        sqlx::raw_sql(statement)
            .execute(&mut connect(url).await)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    });
}

/// The one `text` value `query` returns.
pub fn text(url: &str, query: &str) -> String {
    block_on(|| async {
        sqlx::query_scalar::<_, String>(query)
            .fetch_one(&mut connect(url).await)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    })
}

/// The one `bigint` value `query` returns (a `count(*)`).
pub fn count(url: &str, query: &str) -> i64 {
    block_on(|| async {
        sqlx::query_scalar::<_, i64>(query)
            .fetch_one(&mut connect(url).await)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    })
}
