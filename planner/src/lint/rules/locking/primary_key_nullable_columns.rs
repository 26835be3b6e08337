//! BW114 `primary-key-nullable-columns`: `ADD PRIMARY KEY ... USING INDEX` on an existing
//! table over columns not known to be NOT NULL. Without `USING INDEX`, BW113 reports the
//! statement, its NOT NULL checks included, once.
//!
//! The ALTER TABLE docs (`ADD table_constraint_using_index`): "If PRIMARY KEY is
//! specified, and the index's columns are not already marked NOT NULL, then this
//! command will attempt to do ALTER COLUMN SET NOT NULL against each such column. That
//! requires a full table scan". The same holds without USING INDEX: since PostgreSQL 12
//! the parser adds those SET NOT NULL subcommands to the ALTER TABLE
//! (`transformIndexConstraint`), and they run as any SET NOT NULL does, so on 12+ a
//! validated `CHECK (col IS NOT NULL)` spares the scan here too (`ATExecSetNotNull`,
//! `NotNullImpliedByRelConstraints`; `set_attnotnull` on 18). The rule asks the
//! lock-facts table about `SET NOT NULL`, which knows that version rule.

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span, primary_key_not_null_scans};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{facts, relation_locks, Cost, Op};

pub struct PrimaryKeyNullableColumns;

static META: RuleMeta = RuleMeta {
    code: "BW114",
    name: "primary-key-nullable-columns",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a primary key added USING INDEX to an existing table over columns that are not yet NOT NULL",
    why: "A primary key's columns must be NOT NULL. Where they are not, ADD PRIMARY KEY ... USING INDEX first runs SET NOT NULL on them, which scans every row under the ACCESS EXCLUSIVE lock: every query on the table, reads too, waits for the scan. From PostgreSQL 12 on, a validated CHECK (col IS NOT NULL) lets SET NOT NULL skip the scan, so the columns can be made NOT NULL first without a long lock. Columns known to be NOT NULL (declared so in this file or an earlier migration of the folder, or proven by a validated check) are not reported. Without USING INDEX, the statement also builds the index under that lock, and add-unique-constraint-builds-index reports both in one finding.",
    alternative: "-- outside a transaction block:\nCREATE UNIQUE INDEX CONCURRENTLY users_pkey ON users (id);\nALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL) NOT VALID;\n-- commit, then in a separate transaction:\nALTER TABLE users VALIDATE CONSTRAINT users_id_not_null;\n-- commit, then (PostgreSQL 12+ skips the scan):\nALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey;",
};

impl Rule for PrimaryKeyNullableColumns {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        // Without USING INDEX, add-unique-constraint-builds-index reports the statement, NOT NULL checks included.
        for added in added_to_existing(cx).into_iter().filter(|a| a.using_index().is_some()) {
            let scans = primary_key_not_null_scans(cx, &added);
            if scans.is_empty() {
                continue;
            }
            let table = added.table();
            let lock = relation_locks(Op::SetNotNull { proven: false }, cx.pg, table, None);
            out.push(Finding::new(
                keyword_span(cx, "primary key"),
                format!(
                    "{}: the primary key {} sets {} NOT NULL first, which checks every row for NULLs",
                    wording::blocks_all(&lock),
                    added.name(),
                    scans.describe()
                ),
                help(cx, table, &scans.columns()),
            ));
        }
    }
}

pub(crate) fn help(cx: &StatementContext<'_>, table: &crate::model::QualifiedName, columns: &str) -> String {
    if facts(Op::SetNotNull { proven: true }, cx.pg).iter().all(|f| f.cost == Cost::Instant) {
        format!("first make {columns} NOT NULL on {table}: add `CHECK (col IS NOT NULL) NOT VALID` per column, VALIDATE it in a separate transaction, then SET NOT NULL, which then skips the scan; `bellows plan --sql FILE` prints the phased plan")
    } else {
        format!("on PostgreSQL {} SET NOT NULL always scans the table: make {columns} NOT NULL on {table} in a maintenance window, with a short lock_timeout, before adding the primary key", cx.pg)
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, render};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    #[test]
    fn fires_on_columns_not_known_not_null() {
        insta::assert_snapshot!(render(
            "ALTER TABLE users ADD COLUMN account_id bigint;\nCREATE UNIQUE INDEX CONCURRENTLY users_pkey ON users (account_id, id);\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey;"
        ));
        assert_fires(
            "BW114",
            "CREATE UNIQUE INDEX CONCURRENTLY k ON users (id);\nALTER TABLE users ADD PRIMARY KEY USING INDEX k;",
        );
        assert_fires("BW114", "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_key;");
    }

    #[test]
    fn quiet_when_the_columns_are_known_not_null() {
        assert_clean(
            "BW114",
            "ALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ADD PRIMARY KEY (id);",
        );
        assert_clean(
            "BW114",
            "CREATE UNIQUE INDEX CONCURRENTLY k ON users (id);\nALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ADD PRIMARY KEY USING INDEX k;",
        );
        assert_clean(
            "BW114",
            "ALTER TABLE users ADD COLUMN key bigint NOT NULL DEFAULT 0;\nALTER TABLE users ADD PRIMARY KEY (key);",
        );
        assert_clean("BW114", "ALTER TABLE users ADD COLUMN key bigint PRIMARY KEY;");
        assert_clean("BW114", "CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);");
    }

    #[test]
    fn the_statement_that_builds_the_index_is_reported_once_by_bw113() {
        let found = crate::lint::rules::testing::lint("ALTER TABLE users ADD PRIMARY KEY (id);");
        assert_eq!((fired(&found, "BW113"), fired(&found, "BW114")), (1, 0), "{found:#?}");
        let bw113 = found.iter().find(|d| d.rule == "BW113").expect("BW113");
        assert!(
            bw113.message.contains("and to check that id (unless it is already NOT NULL) holds no NULL"),
            "{}",
            bw113.message
        );
    }

    #[test]
    fn a_validated_not_null_check_spares_the_scan_from_12_on() {
        let sql = "ALTER TABLE users ADD CONSTRAINT c CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nCREATE UNIQUE INDEX CONCURRENTLY k ON users (id);\nALTER TABLE users ADD PRIMARY KEY USING INDEX k;";
        let on = |pg| {
            let options = LintOptions {
                pg: PgVersion(pg),
                ..LintOptions::default()
            };
            fired(&lint_file("m.sql", sql, None, &options).diagnostics, "BW114")
        };
        assert_eq!((on(11), on(12)), (1, 0));
        assert_fires("BW114", &sql.replace("ALTER TABLE users VALIDATE CONSTRAINT c;\n", ""));
        // Known from an earlier statement or file: NOT NULL, so no check.
        assert_clean(
            "BW114",
            "ALTER TABLE users ALTER COLUMN id SET NOT NULL;\nCREATE UNIQUE INDEX CONCURRENTLY k ON users (id);\nALTER TABLE users ADD PRIMARY KEY USING INDEX k;",
        );
    }
}
