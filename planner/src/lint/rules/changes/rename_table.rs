//! BW155 `rename-table`: `ALTER TABLE ... RENAME TO` on an existing table.

use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use crate::lint::ast;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct RenameTable;

static META: RuleMeta = RuleMeta {
    code: "BW155",
    name: "rename-table",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an existing table renamed",
    why: "The rename is instant (ACCESS EXCLUSIVE, catalog only), but the application version still running uses the old name: every query naming it fails from the moment the migration commits until every instance runs the new version.",
    alternative: "-- bellows: allow rename-table a view keeps the old name working until the contract phase\nALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;\n-- after every instance runs the new version: DROP VIEW users;",
};

impl Rule for RenameTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::RenameStmt(rename) = cx.node else { return };
        if rename.rename_type != ObjectType::ObjectTable as i32 {
            return;
        }
        let Some(table) = rename.relation.as_ref().map(ast::relation).filter(|t| cx.existing(t)) else {
            return;
        };
        out.push(Finding::new(
            cx.span_of("rename"),
            format!("breaks the application version still running, which uses {table} under its old name"),
            format!(
                "create a view `{}` over the renamed table in the same transaction, and drop it after the deploy (bellows' rename-table recipe: `renamed_from` in schema.toml)",
                table.name
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("ALTER TABLE users RENAME TO accounts;"));
        assert_fires("BW155", "ALTER TABLE IF EXISTS billing.invoices RENAME TO bills;");
    }

    #[test]
    fn quiet_on_tables_of_this_file() {
        assert_clean("BW155", "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;");
        assert_clean("BW155", "ALTER TABLE users RENAME COLUMN a TO b;");
    }
}
