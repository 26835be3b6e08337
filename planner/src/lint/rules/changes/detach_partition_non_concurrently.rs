//! BW132 `detach-partition-non-concurrently`: `DETACH PARTITION` without `CONCURRENTLY`
//! on an existing partitioned table.

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::Op;

pub struct DetachPartitionNonConcurrently;

static META: RuleMeta = RuleMeta {
    code: "BW132",
    name: "detach-partition-non-concurrently",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a partition detached without CONCURRENTLY",
    why: "DETACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table: it waits for every running query on any partition, and every query on the table queues behind it. PostgreSQL 14+ has DETACH PARTITION ... CONCURRENTLY, which takes SHARE UPDATE EXCLUSIVE on the parent and waits for running queries without blocking new ones; older versions have no concurrent form.",
    alternative: "-- PostgreSQL 14+, outside a transaction block:\nALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;",
};

impl Rule for DetachPartitionNonConcurrently {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for action in cx.actions.iter().filter(|a| a.op == (Op::DetachPartition { concurrently: false })) {
            let Some(parent) = action.referenced.as_ref().filter(|p| cx.existing(p)) else {
                continue;
            };
            let Some(lock) = cx.facts.locks.iter().find(|l| &l.relation == parent && l.mode.blocks_reads()) else {
                continue;
            };
            let (message, help) = if cx.pg.at_least(14) {
                (
                    format!(
                        "blocks {} of every partition of {} while it detaches {} ({} on the parent)",
                        lock.mode.blocks(),
                        parent,
                        action.table,
                        lock.mode
                    ),
                    "use DETACH PARTITION ... CONCURRENTLY, in its own migration outside a transaction block".to_string(),
                )
            } else {
                (
                    format!(
                        "blocks {} of every partition of {} while it detaches {} ({} on the parent); PostgreSQL {} has no concurrent form",
                        lock.mode.blocks(),
                        parent,
                        action.table,
                        lock.mode,
                        cx.pg
                    ),
                    "set a short lock_timeout and retry, at a quiet time; DETACH PARTITION ... CONCURRENTLY needs PostgreSQL 14+".to_string(),
                )
            };
            out.push(Finding::new(cx.span_of("detach"), message, help));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render, render_diagnostics};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    const DETACH: &str = "ALTER TABLE measurements DETACH PARTITION measurements_2023;";

    #[test]
    fn fires_without_concurrently() {
        insta::assert_snapshot!(render(DETACH));
        let options = LintOptions {
            pg: PgVersion(13),
            ..LintOptions::default()
        };
        insta::assert_snapshot!("before_14", render_diagnostics(DETACH, &lint_file("m.sql", DETACH, None, &options).diagnostics));
    }

    #[test]
    fn quiet_when_concurrent_or_new() {
        assert_clean("BW132", "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;");
        assert_clean("BW132", "ALTER TABLE measurements DETACH PARTITION measurements_2023 FINALIZE;");
        assert_clean(
            "BW132",
            "CREATE TABLE m (at date) PARTITION BY RANGE (at);\nCREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\nALTER TABLE m DETACH PARTITION m1;",
        );
        assert_fires("BW132", "ALTER TABLE m DETACH PARTITION m1;");
    }
}
