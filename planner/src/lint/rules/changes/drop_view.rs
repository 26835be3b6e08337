//! BW158 `drop-view`: `DROP VIEW` or `DROP MATERIALIZED VIEW` of a view the file did not
//! create, unless the same transaction creates it again.

use pg_query::NodeEnum;

use crate::lint::rule::recreated::Pending;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
use crate::locks::Op;
use crate::migration::ast;
use crate::model::QualifiedName;

pub struct DropView;

static META: RuleMeta = RuleMeta {
    code: "BW158",
    name: "drop-view",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an existing view or materialized view dropped",
    why: "The DROP is instant, but it takes ACCESS EXCLUSIVE on the view, and the application version still running fails on every query that uses the view from the moment the migration commits. Dropping and creating the view again in one transaction (to change its columns) is not reported: no other session sees it missing.",
    alternative: "-- release 1: stop using the view, and deploy it\n-- release 2 (bellows' contract phase), or to change its query in place:\nCREATE OR REPLACE VIEW active_users AS SELECT id, email FROM users WHERE active;",
};

impl Rule for DropView {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        Some(Box::<Drops>::default())
    }
}

#[derive(Default)]
struct Drops(Pending);

impl UnitCheck for Drops {
    fn statement(&mut self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let created: Vec<QualifiedName> = match cx.node {
            NodeEnum::ViewStmt(view) => view.view.as_ref().map(ast::relation).into_iter().collect(),
            NodeEnum::CreateTableAsStmt(create) => create.into.as_ref().and_then(|i| i.rel.as_ref()).map(ast::relation).into_iter().collect(),
            _ => Vec::new(),
        };
        let dropped = cx
            .actions
            .iter()
            .filter(|a| a.op == Op::DropView && cx.existing(&a.table))
            .map(|a| {
                let lock = cx.facts.locks.iter().find(|l| l.relation == a.table).map(|l| l.mode.to_string()).unwrap_or_default();
                let finding = Finding::new(
                    cx.span_of(&a.table.name),
                    format!(
                        "breaks the application version still running if it queries {}: the view is gone from the moment the migration commits (the DROP takes {lock} on it)",
                        a.table
                    ),
                    "stop using the view in the application, deploy, then drop it in a later migration (bellows' contract phase); to change its query, CREATE OR REPLACE VIEW keeps it in place",
                );
                (a.table.clone(), finding)
            })
            .collect();
        self.0.statement(cx, &created, dropped, out);
    }

    fn finish(self: Box<Self>, out: &mut Vec<Finding>) {
        self.0.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint_in_transaction, render};

    #[test]
    fn fires_on_an_existing_view() {
        insta::assert_snapshot!(render("DROP VIEW active_users;"));
        assert_fires("BW158", "DROP MATERIALIZED VIEW IF EXISTS billing.totals;");
        // Outside a transaction, the view is missing between the two statements.
        assert_fires("BW158", "DROP VIEW v;\nCREATE VIEW v AS SELECT 1 AS a;");
    }

    #[test]
    fn quiet_on_views_of_this_file_or_created_again_in_the_same_transaction() {
        assert_clean("BW158", "CREATE VIEW v AS SELECT 1 AS a;\nDROP VIEW v;");
        assert_clean("BW158", "BEGIN;\nDROP VIEW v;\nCREATE VIEW v AS SELECT 1 AS a, 2 AS b;\nCOMMIT;");
        assert_eq!(
            fired(
                &lint_in_transaction("DROP MATERIALIZED VIEW m;\nCREATE MATERIALIZED VIEW m AS SELECT 1 AS a;"),
                "BW158"
            ),
            0
        );
        assert_clean("BW158", "DROP TABLE t;");
    }
}
