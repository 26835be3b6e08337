//! BW101 `create-index-non-concurrently`: `CREATE INDEX` on an existing table without
//! `CONCURRENTLY`.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct CreateIndexNonConcurrently;

static META: RuleMeta = RuleMeta {
    code: "BW101",
    name: "create-index-non-concurrently",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an index built on an existing table without CONCURRENTLY",
    why: "CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until every row has been read and sorted, minutes on a big table.",
    alternative: "-- outside a transaction block:\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
};

impl Rule for CreateIndexNonConcurrently {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::IndexStmt(index) = cx.node else { return };
        if index.concurrent {
            return;
        }
        for lock in cx.facts.locks.iter().filter(|l| cx.existing(&l.relation) && l.mode.blocks_writes()) {
            out.push(Finding::new(
                cx.span_of("create"),
                format!(
                    "blocks writes to {} for the whole index build ({} until every row is read)",
                    lock.relation, lock.mode
                ),
                "build it with CREATE INDEX CONCURRENTLY, in its own migration outside a transaction; `bellows plan --sql` shows the safe steps",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("CREATE INDEX users_email_idx ON users (email);"));
        assert_fires("BW101", "CREATE UNIQUE INDEX i ON billing.invoices (number);");
    }

    #[test]
    fn quiet_when_concurrent_or_on_a_new_table() {
        assert_clean("BW101", "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);");
        assert_clean("BW101", "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);");
    }
}
