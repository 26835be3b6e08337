//! BW113 `add-unique-constraint-builds-index`: `ADD UNIQUE` or `ADD PRIMARY KEY` on an
//! existing table without `USING INDEX`, which builds the index under the table's lock.

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span, primary_key_not_null_scans};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{ConstraintKind, Op};

pub struct AddUniqueConstraintBuildsIndex;

static META: RuleMeta = RuleMeta {
    code: "BW113",
    name: "add-unique-constraint-builds-index",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a unique constraint or primary key added to an existing table without USING INDEX",
    why: "ADD UNIQUE and ADD PRIMARY KEY build their index while they hold an ACCESS EXCLUSIVE lock on the table: every query, reads too, waits until every row has been read and sorted, minutes on a big table. CREATE UNIQUE INDEX CONCURRENTLY builds the same index under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on; ADD CONSTRAINT ... USING INDEX then turns it into the constraint with a brief lock (PostgreSQL 9.1+; for a primary key, its columns must already be NOT NULL, see primary-key-nullable-columns).",
    alternative: "-- outside a transaction block:\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- then, with a short lock_timeout:\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
};

impl Rule for AddUniqueConstraintBuildsIndex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for added in added_to_existing(cx) {
            let (keyword, form) = match added.action.op {
                Op::AddConstraint {
                    kind: ConstraintKind::Unique,
                    using_index: false,
                    ..
                } => ("unique", "UNIQUE"),
                Op::AddConstraint {
                    kind: ConstraintKind::PrimaryKey,
                    using_index: false,
                    ..
                } => ("primary key", "PRIMARY KEY"),
                _ => continue,
            };
            let name = added.name();
            let table = added.table();
            let columns = added.columns().join(", ");
            // A primary key first makes its columns NOT NULL, checking every row under the same lock.
            let scans = primary_key_not_null_scans(cx, &added);
            let (also, first) = if scans.is_empty() {
                (String::new(), String::new())
            } else {
                let verb = if scans.nullable.len() + scans.unknown.len() == 1 && scans.unknown_index.is_none() {
                    "holds"
                } else {
                    "hold"
                };
                (
                    format!(" and to check that {} {verb} no NULL", scans.describe()),
                    format!(
                        "make {} NOT NULL without a scan (CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL), then ",
                        scans.columns()
                    ),
                )
            };
            out.push(Finding::new(
                keyword_span(cx, keyword),
                format!("{}, to build the index of {name}{also}", wording::blocks_all(&added.locks(cx))),
                format!(
                    "{first}build the index with `CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns})` outside a transaction block, then `ALTER TABLE {table} ADD CONSTRAINT {name} {form} USING INDEX {name}`, which only needs a brief lock; `bellows plan --sql FILE` prints the phased plan"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"));
        // A primary key also checks that its columns hold no NULL, under the same lock: one finding says both.
        insta::assert_snapshot!(
            "primary_key",
            render("SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN account_id bigint, ADD CONSTRAINT users_pkey PRIMARY KEY (account_id, id);")
        );
        assert_fires("BW113", "ALTER TABLE billing.\"Invoices\" ADD PRIMARY KEY (id);");
        assert_fires("BW113", "ALTER TABLE users ADD COLUMN handle text UNIQUE;");
        assert_fires("BW113", "ALTER TABLE users ADD UNIQUE (org_id, email);");
    }

    #[test]
    fn quiet_with_using_index_or_on_a_new_table() {
        assert_clean(
            "BW113",
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
        );
        assert_clean("BW113", "ALTER TABLE users ADD PRIMARY KEY USING INDEX users_pkey;");
        assert_clean("BW113", "CREATE TABLE t (a int);\nALTER TABLE t ADD UNIQUE (a);");
        assert_clean("BW113", "CREATE TABLE t (a int UNIQUE, b int PRIMARY KEY);");
    }
}
