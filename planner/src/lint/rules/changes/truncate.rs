//! BW156 `truncate`: `TRUNCATE` of a table the file did not create.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct Truncate;

static META: RuleMeta = RuleMeta {
    code: "BW156",
    name: "truncate",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an existing table truncated",
    why: "TRUNCATE deletes every row at once and takes ACCESS EXCLUSIVE on the table: it waits for every running query on it, blocks all reads and writes until the migration commits, and the application version still running loses its data.",
    alternative: "-- delete what must go, in short batches that leave reads and writes running:\nDELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < now() LIMIT 1000);",
};

impl Rule for Truncate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if !matches!(cx.node, NodeEnum::TruncateStmt(_)) {
            return;
        }
        for lock in cx.facts.locks.iter().filter(|l| cx.existing(&l.relation)) {
            out.push(Finding::new(
                cx.span_of(&lock.relation.name),
                format!(
                    "deletes every row of {} and blocks {} of it until the migration commits ({})",
                    lock.relation,
                    lock.mode.blocks(),
                    lock.mode
                ),
                "delete the rows that must go in short batches, or drop the table in the contract phase once no deployed version uses it",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("TRUNCATE sessions;"));
        assert_fires("BW156", "TRUNCATE TABLE a, billing.b RESTART IDENTITY;");
    }

    #[test]
    fn quiet_on_tables_of_this_file() {
        assert_clean("BW156", "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nTRUNCATE t;");
    }
}
