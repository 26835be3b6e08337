//! BW155 `rename-table`: `ALTER TABLE ... RENAME TO` on an existing table, unless the
//! same transaction creates a view under the old name (bellows' own rename recipe).

use std::ops::Range;

use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
use crate::migration::ast;
use crate::model::QualifiedName;

pub struct RenameTable;

static META: RuleMeta = RuleMeta {
    code: "BW155",
    name: "rename-table",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an existing table renamed without a view that keeps the old name working",
    why: "The rename is instant (ACCESS EXCLUSIVE, catalog only), but the application version still running uses the old name: every query naming it fails from the moment the migration commits until every instance runs the new version. A simple view under the old name, created in the same transaction, is updatable and keeps the old version working until the contract phase drops it.",
    alternative: "BEGIN;\nALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;\nCOMMIT;\n-- after every instance runs the new version: DROP VIEW users;",
};

impl Rule for RenameTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        Some(Box::<Renames>::default())
    }
}

/// Renames of existing tables inside the current transaction, waiting for a view under
/// the old name before the transaction ends: the old name and where the rename is.
#[derive(Default)]
struct Renames(Vec<(QualifiedName, Range<usize>)>);

impl UnitCheck for Renames {
    fn statement(&mut self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if cx.in_transaction && !cx.ends_transaction() {
            if let NodeEnum::ViewStmt(view) = cx.node {
                let name = view.view.as_ref().map(ast::relation);
                self.0.retain(|(old, _)| Some(old) != name.as_ref());
            }
        } else {
            // The transaction ended (or there was none) without a view under the old name.
            for (table, span) in self.0.drain(..) {
                out.push(finding(&table, span));
            }
        }
        let NodeEnum::RenameStmt(rename) = cx.node else { return };
        if rename.rename_type != ObjectType::ObjectTable as i32 {
            return;
        }
        let Some(table) = rename.relation.as_ref().map(ast::relation).filter(|t| cx.acts_on_existing(t)) else {
            return;
        };
        let span = cx.span_of("rename");
        if cx.in_transaction {
            self.0.push((table, span));
        } else {
            out.push(finding(&table, span));
        }
    }

    fn finish(self: Box<Self>, out: &mut Vec<Finding>) {
        for (table, span) in self.0 {
            out.push(finding(&table, span));
        }
    }
}

fn finding(table: &QualifiedName, span: Range<usize>) -> Finding {
    Finding::new(
        span,
        format!("breaks the application version still running, which uses {table} under its old name"),
        format!(
            "create a view `{}` over the renamed table in the same transaction, and drop it after the deploy (bellows' rename-table recipe: `renamed_from` in schema.toml)",
            table.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint_in_transaction, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("ALTER TABLE users RENAME TO accounts;"));
        assert_fires("BW155", "ALTER TABLE IF EXISTS billing.invoices RENAME TO bills;");
        // The view comes too late: a separate transaction leaves a moment without the old name.
        assert_fires("BW155", "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;");
        assert_fires(
            "BW155",
            "BEGIN;\nALTER TABLE users RENAME TO accounts;\nCOMMIT;\nCREATE VIEW users AS SELECT * FROM accounts;",
        );
        // A view of another name, or in another schema, does not keep the old name working.
        assert_fires(
            "BW155",
            "BEGIN;\nALTER TABLE users RENAME TO accounts;\nCREATE VIEW billing.users AS SELECT * FROM accounts;\nCOMMIT;",
        );
    }

    #[test]
    fn quiet_on_tables_of_this_file_and_with_a_view_under_the_old_name() {
        assert_clean("BW155", "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;");
        assert_clean("BW155", "ALTER TABLE users RENAME COLUMN a TO b;");
        assert_clean(
            "BW155",
            "BEGIN;\nALTER TABLE public.users RENAME TO accounts;\nCREATE VIEW public.users AS SELECT * FROM public.accounts;\nCOMMIT;",
        );
        let wrapped = "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;";
        assert_eq!(fired(&lint_in_transaction(wrapped), "BW155"), 0);
    }
}
