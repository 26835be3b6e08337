//! Who holds the locks a step waits for: read from a second connection while the step's
//! own connection waits.

use sqlx::PgConnection;

use crate::events::Blocker;

/// pid, application, state, query, transaction age.
type Row = (i32, String, String, String, Option<f64>);

/// The sessions blocking backend `pid`, empty when it is not waiting.
pub async fn of(monitor: &mut PgConnection, pid: i32) -> Vec<Blocker> {
    let rows: Result<Vec<Row>, sqlx::Error> = sqlx::query_as(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 200),
                extract(epoch FROM now() - a.xact_start)::float8
         FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1)) ORDER BY a.xact_start",
    )
    .bind(pid)
    .fetch_all(monitor)
    .await;
    // Reporting is best effort: a failed look must not fail the step.
    rows.unwrap_or_default()
        .into_iter()
        .map(|(pid, application, state, query, transaction_seconds)| Blocker {
            pid,
            application,
            state,
            query,
            transaction_seconds,
        })
        .collect()
}

/// Blockers as one line for an error message.
pub fn summary(blockers: &[Blocker]) -> String {
    if blockers.is_empty() {
        return String::new();
    }
    let list: Vec<String> = blockers.iter().map(|b| b.to_string()).collect();
    format!("; blocked by {}", list.join("; "))
}
