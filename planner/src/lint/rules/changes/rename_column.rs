//! BW154 `rename-column`: `ALTER TABLE ... RENAME COLUMN` on an existing table.

use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::migration::ast;

pub struct RenameColumn;

static META: RuleMeta = RuleMeta {
    code: "BW154",
    name: "rename-column",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a column of an existing table renamed",
    why: "The rename is instant (ACCESS EXCLUSIVE, catalog only), but the application version still running uses the old name: every query naming it fails from the moment the migration commits until every instance runs the new version.",
    alternative: "-- declare the rename in schema.toml and let `bellows plan` expand it:\n--   { name = \"full_name\", type = \"text\", renamed_from = \"name\" }\n-- a new column, triggers keeping both in sync, a batched copy; the old column is dropped in the contract phase\nALTER TABLE users ADD COLUMN full_name text;",
};

impl Rule for RenameColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::RenameStmt(rename) = cx.node else { return };
        if rename.rename_type != ObjectType::ObjectColumn as i32 {
            return;
        }
        let Some(table) = rename.relation.as_ref().map(ast::relation).filter(|t| cx.existing(t)) else {
            return;
        };
        // A column this file added is known to no running application version.
        if cx.state.is_new_column(&table, &rename.subname) {
            return;
        }
        out.push(Finding::new(
            cx.span_of("rename"),
            format!(
                "breaks the application version still running, which uses {table}.{} under its old name",
                rename.subname
            ),
            format!(
                "declare `renamed_from = \"{}\"` on `{}` in schema.toml; `bellows plan` adds the new column, keeps both in sync with triggers, copies in batches, and drops the old one after the deploy",
                rename.subname, rename.newname
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_column() {
        insta::assert_snapshot!(render("ALTER TABLE users RENAME COLUMN name TO full_name;"));
        assert_fires("BW154", "ALTER TABLE billing.invoices RENAME number TO invoice_number;");
    }

    #[test]
    fn quiet_on_tables_and_columns_of_this_file() {
        assert_clean("BW154", "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;");
        assert_clean("BW154", "ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users RENAME COLUMN tmp TO score;");
    }
}
