//! BW114 `primary-key-nullable-columns`: `ADD PRIMARY KEY` (with or without `USING
//! INDEX`) on an existing table over columns not known to be NOT NULL.
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

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{facts, relation_locks, ConstraintKind, Cost, Op};
use crate::migration::classify::proven_not_null;

pub struct PrimaryKeyNullableColumns;

static META: RuleMeta = RuleMeta {
    code: "BW114",
    name: "primary-key-nullable-columns",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a primary key added to an existing table over columns that are not yet NOT NULL",
    why: "A primary key's columns must be NOT NULL. Where they are not, ADD PRIMARY KEY (also with USING INDEX) first runs SET NOT NULL on them, which scans every row under the ACCESS EXCLUSIVE lock: every query on the table, reads too, waits for the scan. From PostgreSQL 12 on, a validated CHECK (col IS NOT NULL) lets SET NOT NULL skip the scan, so the columns can be made NOT NULL first without a long lock.",
    alternative: "-- outside a transaction block:\nCREATE UNIQUE INDEX CONCURRENTLY users_pkey ON users (id);\nALTER TABLE users ADD CONSTRAINT users_id_not_null CHECK (id IS NOT NULL) NOT VALID;\n-- commit, then in a separate transaction:\nALTER TABLE users VALIDATE CONSTRAINT users_id_not_null;\n-- commit, then (PostgreSQL 12+ skips the scan):\nALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey;",
};

impl Rule for PrimaryKeyNullableColumns {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        // `ADD COLUMN ... PRIMARY KEY` adds a NOT NULL column: no SET NOT NULL of old rows.
        for added in added_to_existing(cx)
            .into_iter()
            .filter(|a| a.kind() == ConstraintKind::PrimaryKey && a.column.is_none())
        {
            let table = added.table();
            let scan = |column: &str| {
                let proven = proven_not_null(cx.state, table, column);
                facts(Op::SetNotNull { proven }, cx.pg).iter().any(|f| f.cost != Cost::Instant)
            };
            let columns = match added.using_index() {
                Some(index) => cx.state.index_columns.get(&index).cloned().ok_or(index),
                None => Ok(added.columns()),
            };
            let (nullable, unknown): (Vec<String>, Vec<String>) = match &columns {
                Ok(columns) => columns
                    .iter()
                    .filter(|c| cx.state.not_null(table, c) != Some(true) && scan(c))
                    .cloned()
                    .partition(|c| cx.state.not_null(table, c) == Some(false)),
                Err(_) => (Vec::new(), Vec::new()),
            };
            let lock = relation_locks(Op::SetNotNull { proven: false }, cx.pg, table, None);
            let blocked = wording::blocks_all(&lock);
            let name = added.name();
            let mut report = |message: String, columns: &str| out.push(Finding::new(keyword_span(cx, "primary key"), message, help(cx, table, columns)));
            if !nullable.is_empty() {
                let columns = nullable.join(", ");
                report(
                    format!("{blocked}: the primary key {name} sets {columns} NOT NULL first, which checks every row for NULLs"),
                    &columns,
                );
            }
            if !unknown.is_empty() {
                let (them, be) = if unknown.len() == 1 { ("it", "is") } else { ("them", "are") };
                let columns = unknown.join(", ");
                report(
                    format!("unless {columns} {be} already NOT NULL, {blocked}: the primary key {name} sets {them} NOT NULL first, which checks every row for NULLs"),
                    &columns,
                );
            }
            if let Err(index) = columns {
                report(
                    format!("unless the columns of {index} are already NOT NULL, {blocked}: the primary key {name} sets them NOT NULL first, which checks every row for NULLs"),
                    &format!("the columns of {index}"),
                );
            }
        }
    }
}

fn help(cx: &StatementContext<'_>, table: &crate::model::QualifiedName, columns: &str) -> String {
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
            "ALTER TABLE users ADD COLUMN account_id bigint;\nALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (account_id, id);"
        ));
        assert_fires("BW114", "ALTER TABLE billing.\"Invoices\" ADD PRIMARY KEY (\"Id\");");
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
    fn a_validated_not_null_check_spares_the_scan_from_12_on() {
        let sql = "ALTER TABLE users ADD CONSTRAINT c CHECK (id IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE users ADD PRIMARY KEY (id);";
        let on = |pg| {
            let options = LintOptions {
                pg: PgVersion(pg),
                ..LintOptions::default()
            };
            fired(&lint_file("m.sql", sql, None, &options).diagnostics, "BW114")
        };
        assert_eq!((on(11), on(12)), (1, 0));
        assert_fires("BW114", &sql.replace("ALTER TABLE users VALIDATE CONSTRAINT c;\n", ""));
    }
}
