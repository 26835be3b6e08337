//! BW153 `drop-not-null`: `ALTER COLUMN ... DROP NOT NULL` on a column the file did not add.

use pg_query::protobuf::AlterTableType as At;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct DropNotNull;

static META: RuleMeta = RuleMeta {
    code: "BW153",
    name: "drop-not-null",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "NOT NULL dropped from a column of an existing table",
    why: "The change is instant (ACCESS EXCLUSIVE, catalog only), but once the new application version writes NULLs into the column, the version still running, which was written for a NOT NULL column, reads them and may fail or misbehave.",
    alternative: "-- make every running application version accept NULL in users.nickname, deploy, then:\nSET lock_timeout = '2s';\n-- bellows: allow drop-not-null every deployed version handles NULL nicknames\nALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;",
};

impl Rule for DropNotNull {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for (table, cmd) in cx.alters_of_existing_columns(At::AtDropNotNull) {
            out.push(Finding::new(
                cx.span_of("drop not null"),
                format!(
                    "the application version still running may read NULLs from {table}.{} once the new version writes them",
                    cmd.name
                ),
                "make every deployed version handle NULL in the column first, then drop NOT NULL and suppress this with the reason",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_column() {
        insta::assert_snapshot!(render("ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;"));
        assert_fires("BW153", "ALTER TABLE billing.invoices ALTER number DROP NOT NULL;");
    }

    #[test]
    fn quiet_on_columns_of_this_file() {
        assert_clean("BW153", "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;");
        assert_clean(
            "BW153",
            "ALTER TABLE users ADD COLUMN a int NOT NULL DEFAULT 0;\nALTER TABLE users ALTER COLUMN a DROP NOT NULL;",
        );
    }
}
