//! BW133 `attach-partition-without-check`: `ATTACH PARTITION` of an existing table on
//! which the file has validated no CHECK constraint that could prove the bound.

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{ConstraintKind, Cost, Op};
use crate::migration::state::State;
use crate::model::QualifiedName;

pub struct AttachPartitionWithoutCheck;

static META: RuleMeta = RuleMeta {
    code: "BW133",
    name: "attach-partition-without-check",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an existing table attached as a partition without a validated CHECK that proves its bound",
    why: "ATTACH PARTITION takes ACCESS EXCLUSIVE on the table being attached and, holding it, reads every row to check that it fits the partition bound: every query on that table waits for the whole scan. The parent is locked meanwhile too: SHARE UPDATE EXCLUSIVE from PostgreSQL 12 (other schema changes wait), ACCESS EXCLUSIVE before. The scan is skipped when a valid CHECK constraint on the table implies the bound (ALTER TABLE docs, ATTACH PARTITION); such a check can be added NOT VALID and validated under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on. A DEFAULT partition of the parent is scanned too, unless its own checks exclude the new bound. bellows cannot prove that a check implies the bound: it warns when the file has validated no CHECK on the table at all. A table the file created is invisible to others until commit and is not reported.",
    alternative: "ALTER TABLE measurements_2024 ADD CONSTRAINT measurements_2024_bound CHECK (at IS NOT NULL AND at >= DATE '2024-01-01' AND at < DATE '2025-01-01') NOT VALID;\n-- commit; then, while reads and writes go on:\nALTER TABLE measurements_2024 VALIDATE CONSTRAINT measurements_2024_bound;\nALTER TABLE measurements ATTACH PARTITION measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE measurements_2024 DROP CONSTRAINT measurements_2024_bound;",
};

impl Rule for AttachPartitionWithoutCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for action in cx.actions.iter().filter(|a| matches!(a.op, Op::AttachPartition { .. })) {
            let partition = &action.table;
            if !cx.existing(partition) || has_validated_check(cx.state, partition) {
                continue;
            }
            let Some(lock) = cx.facts.locks.iter().find(|l| &l.relation == partition && l.cost == Cost::Scan) else {
                continue;
            };
            let mut message = format!(
                "blocks {} of {partition} until every row has been checked against the partition bound ({}); no validated CHECK on it is known that could prove the bound",
                lock.mode.blocks(),
                lock.mode
            );
            let parent = action.referenced.as_ref().filter(|p| cx.existing(p));
            if let Some(held) = parent.and_then(|p| cx.facts.locks.iter().find(|l| &l.relation == p)) {
                message.push_str(&format!("; {} on {} blocks its {} meanwhile", held.mode, held.relation, held.mode.blocks()));
            }
            out.push(Finding::new(
                cx.span_of("attach"),
                message,
                format!("first add a CHECK matching the bound to {partition} NOT VALID and VALIDATE it (reads and writes go on); ATTACH then skips the scan, and the check can be dropped after it"),
            ));
        }
    }
}

/// Any validated CHECK on the table: bellows cannot tell whether it implies the bound.
fn has_validated_check(state: &State, table: &QualifiedName) -> bool {
    state
        .constraints
        .iter()
        .any(|((t, _), c)| t == table && c.kind == ConstraintKind::Check && c.validated)
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render, render_diagnostics};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    const ATTACH: &str = "ALTER TABLE measurements ATTACH PARTITION measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";

    #[test]
    fn fires_without_a_validated_check() {
        insta::assert_snapshot!(render(ATTACH));
        let options = LintOptions {
            pg: PgVersion(11),
            ..LintOptions::default()
        };
        insta::assert_snapshot!("before_12", render_diagnostics(ATTACH, &lint_file("m.sql", ATTACH, None, &options).diagnostics));
        assert_fires(
            "BW133",
            "ALTER TABLE \"Stats\".\"Events\" ATTACH PARTITION \"Stats\".\"Events_1\" FOR VALUES IN (1);",
        );
        // A check that is not validated proves nothing; one on the parent neither.
        assert_fires(
            "BW133",
            &format!("ALTER TABLE measurements_2024 ADD CONSTRAINT b CHECK (at >= '2024-01-01') NOT VALID;\n{ATTACH}"),
        );
        assert_fires(
            "BW133",
            &format!("ALTER TABLE measurements ADD CONSTRAINT b CHECK (at >= '2024-01-01');\n{ATTACH}"),
        );
        // A new parent does not make an existing, busy table safe.
        assert_fires("BW133", &format!("CREATE TABLE measurements (at date) PARTITION BY RANGE (at);\n{ATTACH}"));
    }

    #[test]
    fn quiet_after_a_validated_check_or_on_a_new_table() {
        assert_clean(
            "BW133",
            &format!("ALTER TABLE measurements_2024 ADD CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2025-01-01') NOT VALID;\nALTER TABLE measurements_2024 VALIDATE CONSTRAINT b;\n{ATTACH}"),
        );
        assert_clean(
            "BW133",
            &format!("CREATE TABLE measurements_2024 (at date);\nINSERT INTO measurements_2024 SELECT at FROM staging;\n{ATTACH}"),
        );
        assert_clean("BW133", "ALTER TABLE measurements DETACH PARTITION measurements_2023;");
    }
}
