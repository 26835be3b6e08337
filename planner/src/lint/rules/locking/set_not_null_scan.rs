//! BW116 `set-not-null-scan`: `ALTER COLUMN ... SET NOT NULL` on an existing table that
//! PostgreSQL must scan, because no validated `CHECK (col IS NOT NULL)` proves it.

use crate::lint::rule::commands;
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::Cost;

pub struct SetNotNullScan;

static META: RuleMeta = RuleMeta {
    code: "BW116",
    name: "set-not-null-scan",
    severity: Severity::Error,
    default_enabled: true,
    summary: "SET NOT NULL on an existing column that PostgreSQL must scan the table to check",
    why: "ALTER COLUMN ... SET NOT NULL takes ACCESS EXCLUSIVE on the table and, holding it, reads every row to check that none is NULL: every SELECT, INSERT, UPDATE and DELETE on the table waits for the whole scan, minutes on a big table. From PostgreSQL 12 the scan is skipped when a valid CHECK constraint proves that no NULL can exist (ALTER TABLE docs, SET/DROP NOT NULL): add CHECK (col IS NOT NULL) NOT VALID (instant), VALIDATE it (SHARE UPDATE EXCLUSIVE, so reads and writes go on), then SET NOT NULL only takes its lock briefly. Before PostgreSQL 12 SET NOT NULL always scans. bellows knows only the checks the file itself adds and validates.",
    alternative: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n-- commit; then, while reads and writes go on:\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n-- PostgreSQL 12+ skips the scan:\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
};

impl Rule for SetNotNullScan {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for (column, action) in commands::set_not_nulls(cx) {
            if !cx.existing(&action.table) {
                continue;
            }
            // The facts say Scan unless a validated check proves the column on PostgreSQL 12+.
            let Some(lock) = wording::lock_at(action, cx.pg, Cost::Scan) else {
                continue;
            };
            let message = format!("{}, to check that {}.{column} holds no NULL", wording::blocks(&lock), action.table);
            out.push(Finding::new(cx.span_of_column(column), message, help(cx, &action.table, column)));
        }
    }
}

fn help(cx: &StatementContext<'_>, table: &crate::model::QualifiedName, column: &str) -> String {
    let check = cx
        .state
        .constraints
        .iter()
        .find(|((t, _), c)| t == table && c.not_null_of.as_deref() == Some(column));
    match check {
        Some(((_, name), c)) if c.validated => format!(
            "PostgreSQL {} scans even with the validated check {name}; SET NOT NULL skips the scan from PostgreSQL 12",
            cx.pg
        ),
        Some(((_, name), _)) => format!(
            "VALIDATE CONSTRAINT {name} first, in its own transaction (reads and writes go on); SET NOT NULL then skips the scan; `bellows plan --sql FILE` prints these steps"
        ),
        None => format!(
            "add CHECK ({column} IS NOT NULL) NOT VALID, commit, VALIDATE CONSTRAINT it (reads and writes go on), then SET NOT NULL skips the scan and the check can be dropped; `bellows plan --sql FILE` prints these steps"
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, render, render_diagnostics};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    fn lint_on(pg: u32, sql: &str) -> Vec<crate::lint::Diagnostic> {
        let options = LintOptions {
            pg: PgVersion(pg),
            ..LintOptions::default()
        };
        lint_file("m.sql", sql, None, &options).diagnostics
    }

    #[test]
    fn fires_on_an_existing_column() {
        insta::assert_snapshot!(render("ALTER TABLE users ALTER COLUMN email SET NOT NULL;"));
        assert_fires("BW116", "ALTER TABLE billing.\"Invoices\" ALTER \"Number\" SET NOT NULL;");
        let two = "ALTER TABLE users ALTER COLUMN email SET NOT NULL, ALTER COLUMN name SET NOT NULL;";
        insta::assert_snapshot!("two_columns", render(two));
    }

    #[test]
    fn an_unvalidated_check_does_not_help() {
        let sql =
            "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        insta::assert_snapshot!(render(sql));
        // A check on another column or another table proves nothing about this one.
        assert_fires(
            "BW116",
            "ALTER TABLE users ADD CONSTRAINT c CHECK (name IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        assert_fires(
            "BW116",
            "ALTER TABLE orgs ADD CONSTRAINT c CHECK (email IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
    }

    #[test]
    fn quiet_after_a_validated_check_or_on_a_new_table() {
        let validated = "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        assert_clean("BW116", validated);
        for pg in 13..=18 {
            assert_eq!(fired(&lint_on(pg, validated), "BW116"), 0, "PostgreSQL {pg}");
        }
        assert_clean("BW116", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;");
        assert_clean("BW116", "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;");
    }

    #[test]
    fn scans_despite_the_check_before_12() {
        let validated = "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;";
        let found = lint_on(11, validated);
        assert_eq!(fired(&found, "BW116"), 1, "{found:#?}");
        insta::assert_snapshot!("before_12", render_diagnostics(validated, &found));
    }
}
