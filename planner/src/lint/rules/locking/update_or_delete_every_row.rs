//! BW118 `update-or-delete-every-row`: `UPDATE` or `DELETE` without `WHERE` on a table
//! from before the file: a row lock on every row until commit, in one transaction as
//! large as the table.

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::locks_every_row;

pub struct UpdateOrDeleteEveryRow;

static META: RuleMeta = RuleMeta {
    code: "BW118",
    name: "update-or-delete-every-row",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an UPDATE or DELETE of every row of an existing table, in one statement",
    why: "The table lock is only ROW EXCLUSIVE, but the statement takes a row lock on every row it changes and holds them all until the migration commits: every UPDATE, DELETE and SELECT ... FOR UPDATE of any of those rows waits for the whole statement and the rest of the transaction, and so do inserts whose foreign keys point at them. It is also one transaction as large as the table: a dead copy of every row, as much WAL, replication lag, and nothing done if it is cancelled. Done in batches of a few thousand rows, each in its own short transaction, the same change holds each row lock for milliseconds.",
    alternative: "-- repeat, each time in its own transaction, until it changes no row:\nUPDATE users SET active = true\nWHERE id IN (SELECT id FROM users WHERE active IS DISTINCT FROM true ORDER BY id LIMIT 5000);",
};

impl Rule for UpdateOrDeleteEveryRow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for action in cx.actions.iter().filter(|a| locks_every_row(a.op) && cx.existing(&a.table)) {
            let Some(lock) = cx.facts.locks.iter().find(|l| l.relation == action.table) else {
                continue;
            };
            let (verb, word) = match cx.node {
                pg_query::NodeEnum::DeleteStmt(_) => ("DELETE", "delete"),
                _ => ("UPDATE", "update"),
            };
            out.push(Finding::new(
                cx.span_of(verb),
                format!(
                    "holds a row lock on every row of {} until the migration commits ({} on the table): writes to any of its rows wait for the whole {verb}, which is one transaction as large as the table",
                    action.table, lock.mode
                ),
                format!("{word} the rows in batches of a few thousand by primary key, each batch in its own transaction (`WHERE id IN (SELECT id FROM {} WHERE <not done yet> ORDER BY id LIMIT 5000)`, repeated until no row is left)", action.table),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_every_row_of_an_existing_table() {
        insta::assert_snapshot!(render("SET lock_timeout = '2s';\nUPDATE users SET active = true;\nDELETE FROM sessions;"));
        assert_fires("BW118", "UPDATE billing.invoices AS i SET total = 0 FROM orgs;");
    }

    #[test]
    fn quiet_with_a_where_clause_or_on_a_new_table() {
        assert_clean("BW118", "UPDATE users SET active = true WHERE id BETWEEN 1 AND 5000;");
        assert_clean(
            "BW118",
            "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nUPDATE t SET a = 2;\nDELETE FROM t;",
        );
        assert_clean("BW118", "INSERT INTO users (id) VALUES (1);");
    }
}
