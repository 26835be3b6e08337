//! BW104 `concurrently-in-transaction`: a `CONCURRENTLY` command inside a transaction
//! block, which PostgreSQL refuses to run.

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::migration::transaction::outside_transaction;

pub struct ConcurrentlyInTransaction;

static META: RuleMeta = RuleMeta {
    code: "BW104",
    name: "concurrently-in-transaction",
    severity: Severity::Error,
    default_enabled: true,
    summary: "CREATE INDEX, DROP INDEX, REINDEX or DETACH PARTITION CONCURRENTLY inside a transaction block",
    why: "The concurrent commands work in several transactions of their own, waiting between them for older transactions to finish, so PostgreSQL refuses them inside a transaction block (\"cannot run inside a transaction block\"): the migration fails at this statement, on every PostgreSQL version, whether the table is new or not. Migration tools open that block themselves (sqlx, diesel and goose wrap each migration unless told not to), and a multi-statement query string is one implicit transaction too, so the statement belongs alone in a migration that runs without a transaction.",
    alternative: "-- no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
};

impl Rule for ConcurrentlyInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if !cx.in_transaction {
            return;
        }
        let Some(command) = outside_transaction(cx.node, cx.pg).filter(|o| o.concurrent).map(|o| o.command) else {
            return;
        };
        let help = if cx.state.explicit_transaction {
            "move it out of the BEGIN ... COMMIT block, into a migration of its own"
        } else {
            "run it alone in a migration without a transaction: sqlx: `-- no-transaction` as the file's first line; diesel: `run_in_transaction = false` in metadata.toml; goose: `-- +goose NO TRANSACTION`; plain files: no BEGIN around it"
        };
        out.push(Finding::new(
            cx.span_of("concurrently"),
            format!("the migration fails here: PostgreSQL refuses {command} inside a transaction block"),
            help,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, fired, lint, lint_in_transaction, render};
    use crate::lint::{lint_file, LintOptions};

    #[test]
    fn fires_inside_a_transaction_even_on_a_new_table() {
        insta::assert_snapshot!(render("BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;"));
        for sql in [
            "DROP INDEX CONCURRENTLY users_email_idx;",
            "REINDEX INDEX CONCURRENTLY users_email_idx;",
            "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;",
            "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);",
        ] {
            assert_eq!(fired(&lint_in_transaction(sql), "BW104"), 1, "{sql}");
        }
        let sqlx = lint_file(
            "20240101000000_idx.sql",
            "CREATE INDEX CONCURRENTLY i ON users (email);",
            None,
            &LintOptions::default(),
        );
        assert!(sqlx.diagnostics.iter().any(|d| d.rule == "BW104" && d.help.contains("-- no-transaction")));
    }

    #[test]
    fn quiet_outside_a_transaction() {
        assert_clean("BW104", "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);");
        assert_clean("BW104", "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);");
        let sqlx = lint_file(
            "20240101000000_idx.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON users (email);",
            None,
            &LintOptions::default(),
        );
        assert_eq!(fired(&sqlx.diagnostics, "BW104"), 0);
        assert_eq!(fired(&lint("ALTER TABLE m DETACH PARTITION m_2020;"), "BW104"), 0);
    }
}
