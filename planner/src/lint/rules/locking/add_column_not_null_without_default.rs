//! BW120 `add-column-not-null-without-default`: `ADD COLUMN ... NOT NULL` without a
//! `DEFAULT` on an existing table.

use crate::lint::rule::commands;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{DefaultKind, Op};

pub struct AddColumnNotNullWithoutDefault;

static META: RuleMeta = RuleMeta {
    code: "BW120",
    name: "add-column-not-null-without-default",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a NOT NULL column without a DEFAULT added to an existing table",
    why: "Existing rows get NULL in a new column without a default, which NOT NULL forbids: PostgreSQL checks the table under ACCESS EXCLUSIVE and the migration fails with `column ... contains null values` as soon as the table has a row, on every version. It works on an empty development database and fails in production. A PRIMARY KEY column is NOT NULL too. With a constant or stable DEFAULT (PostgreSQL 11+ stores it in the catalog without a rewrite) the column is filled and this rule does not apply.",
    alternative: "ALTER TABLE users ADD COLUMN email_domain text;\n-- fill existing rows in batches:\nUPDATE users SET email_domain = split_part(email, '@', 2) WHERE id BETWEEN 1 AND 10000 AND email_domain IS NULL;\nALTER TABLE users ADD CONSTRAINT users_email_domain_not_null CHECK (email_domain IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_domain_not_null;\nALTER TABLE users ALTER COLUMN email_domain SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_domain_not_null;",
};

impl Rule for AddColumnNotNullWithoutDefault {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for (def, action) in commands::added_columns(cx) {
            let Op::AddColumn(add) = action.op else { continue };
            // Identity and generated columns compute a value for every row.
            if !cx.existing(&action.table) || !add.not_null || add.identity || add.generated_stored || add.default != DefaultKind::None {
                continue;
            }
            out.push(Finding::new(
                cx.span_of_column(&def.colname),
                format!(
                    "fails as soon as {} has a row: existing rows would hold NULL in the new NOT NULL column {}, which has no DEFAULT",
                    action.table, def.colname
                ),
                "add the column nullable, fill existing rows in batches, then SET NOT NULL after a validated CHECK (col IS NOT NULL); or give it a constant DEFAULT. With the value for existing rows as `backfill` in schema.toml, `bellows plan` prints these steps (`bellows plan --sql FILE` for a migration)",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("ALTER TABLE users ADD COLUMN email_domain text NOT NULL;"));
        assert_fires("BW120", "ALTER TABLE billing.\"Invoices\" ADD \"Number\" bigint NOT NULL;");
        assert_fires("BW120", "ALTER TABLE users ADD COLUMN id2 bigint PRIMARY KEY;");
        assert_fires("BW120", "ALTER TABLE users ADD COLUMN a int NOT NULL DEFAULT NULL;");
        let two = "ALTER TABLE users ADD COLUMN a int NOT NULL, ADD COLUMN b int, ADD COLUMN c text NOT NULL;";
        assert_eq!(fired(&lint(two), "BW120"), 2);
    }

    #[test]
    fn quiet_with_a_default_or_on_a_new_table() {
        assert_clean("BW120", "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;");
        assert_clean("BW120", "ALTER TABLE users ADD COLUMN nickname text;");
        assert_clean("BW120", "ALTER TABLE users ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY;");
        assert_clean("BW120", "ALTER TABLE users ADD COLUMN n bigserial NOT NULL;");
        assert_clean("BW120", "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;");
    }
}
