//! Checks before a migration starts, against the live database: that it is the schema
//! the plan starts from (drift), that no row would make a step fail halfway (the plan's
//! preconditions: NULLs a NOT NULL fill leaves, duplicates for a new unique key, dangling
//! references for a new foreign key, rows a new check rejects), and what may slow the run
//! down (long transactions, locks held on the plan's tables, INVALID indexes). Problems refuse the
//! run before anything changes; the rest are warnings.

use std::collections::BTreeSet;

use planner::model::QualifiedName;
use planner::Plan;
use sqlx::PgConnection;

use crate::error::ExecError;
use crate::introspect::Introspection;

/// What preflight found.
#[derive(Debug, Default)]
pub struct Findings {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Transactions open longer than this are reported: they hold locks and snapshots a
/// concurrent index build must wait for.
const LONG_TRANSACTION_SECONDS: f64 = 60.0;

pub async fn check(connection: &mut PgConnection, plan: &Plan, live: &Introspection) -> Result<Findings, ExecError> {
    let mut findings = Findings::default();
    let schemas: BTreeSet<String> = plan.schema_checksums.schemas.iter().cloned().collect();
    let checksum = live.schema.checksum_of(&schemas);
    if checksum != plan.schema_checksums.from {
        findings.problems.push(format!(
            "the database is not the schema the plan starts from (its checksum is {}, the plan's is {}): it changed since the plan was made; make the plan again",
            &checksum[..12],
            &plan.schema_checksums.from[..12.min(plan.schema_checksums.from.len())]
        ));
    }
    let tables: BTreeSet<&QualifiedName> = plan.steps().flat_map(|s| s.locks.iter().map(|l| &l.relation)).collect();
    for index in &live.invalid_indexes {
        if tables.contains(&index.table) {
            findings.warnings.push(format!(
                "index {} on {} is INVALID (a failed concurrent build): it slows writes and helps no query; drop it with DROP INDEX CONCURRENTLY",
                index.table.sibling(index.name.clone()),
                index.table
            ));
        }
    }
    let long: Vec<(i32, String, f64, String)> = sqlx::query_as(
        "SELECT pid, coalesce(nullif(application_name, ''), 'no application name'), extract(epoch FROM now() - xact_start)::float8,
                left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 120)
         FROM pg_stat_activity WHERE xact_start < now() - make_interval(secs => $1) AND pid <> pg_backend_pid() AND datname = current_database()
         ORDER BY xact_start",
    )
    .bind(LONG_TRANSACTION_SECONDS)
    .fetch_all(&mut *connection)
    .await
    .map_err(ExecError::database("looking for long transactions"))?;
    for (pid, application, seconds, query) in long {
        findings.warnings.push(format!(
            "transaction of pid {pid} ({application}) has been open {seconds:.0} s: concurrent index builds wait for it to end; {query}"
        ));
    }
    for step in plan.steps() {
        for precondition in &step.preconditions {
            match sqlx::query_scalar::<_, i64>(&precondition.sql).fetch_one(&mut *connection).await {
                Ok(0) => {}
                Ok(found) => findings.problems.push(format!(
                    "{} (found {found}): step {} would fail on them; correct them, then apply again",
                    precondition.description, step.id
                )),
                Err(error) => findings.problems.push(format!(
                    "cannot check {} for step {}: {}",
                    precondition.description,
                    step.id,
                    crate::error::describe(&error)
                )),
            }
        }
    }
    let names: Vec<String> = tables.iter().map(|t| t.sql()).collect();
    let held: Vec<(String, String, i32, String)> = sqlx::query_as(
        "SELECT l.relation::regclass::text, l.mode, l.pid, coalesce(nullif(a.application_name, ''), 'no application name')
         FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
           AND l.relation = ANY (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
           AND l.mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')",
    )
    .bind(&names)
    .fetch_all(&mut *connection)
    .await
    .map_err(ExecError::database("looking for locks on the plan's tables"))?;
    for (relation, mode, pid, application) in held {
        findings.warnings.push(format!(
            "{relation} is locked {mode} by pid {pid} ({application}): steps on it will wait and retry"
        ));
    }
    Ok(findings)
}
