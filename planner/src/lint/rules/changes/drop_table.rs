//! BW151 `drop-table`: `DROP TABLE` of a table the file did not create.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::Op;

pub struct DropTable;

static META: RuleMeta = RuleMeta {
    code: "BW151",
    name: "drop-table",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an existing table dropped",
    why: "The DROP is instant, but it takes ACCESS EXCLUSIVE on the table and on every table its foreign keys reference, and the application version still running fails on every query that uses the table from the moment the migration commits. The rows are gone unless backed up.",
    alternative: "-- release 1: stop using public.sessions, and deploy it\n-- release 2 (bellows' contract phase), after a backup if needed:\nSELECT 1;",
};

impl Rule for DropTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if !matches!(cx.node, NodeEnum::DropStmt(_)) {
            return;
        }
        for action in cx
            .actions
            .iter()
            .filter(|a| a.op == Op::DropTable && a.referenced.is_none() && cx.existing(&a.table))
        {
            let others: Vec<String> = cx
                .facts
                .locks
                .iter()
                .filter(|l| l.relation != action.table && cx.existing(&l.relation) && l.mode.blocks_reads())
                .map(|l| format!("{} ({})", l.relation, l.mode))
                .collect();
            let also = if others.is_empty() {
                String::new()
            } else {
                format!("; it also locks {}, which its foreign keys reference", others.join(", "))
            };
            out.push(Finding::new(
                cx.span_of(&action.table.name),
                format!(
                    "breaks the application version still running, which uses {}, and deletes its rows{also}",
                    action.table
                ),
                "stop using the table in the application, deploy, then drop it in a later migration (bellows' contract phase), after a backup if needed",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("DROP TABLE sessions;"));
        assert_fires("BW151", "DROP TABLE IF EXISTS a, billing.b;");
    }

    #[test]
    fn quiet_on_tables_of_this_file() {
        assert_clean("BW151", "CREATE TABLE t (a int);\nDROP TABLE t;");
        assert_clean("BW151", "DROP VIEW v;");
    }
}
