//! BW150 `drop-column`: `ALTER TABLE ... DROP COLUMN` of a column the file did not add.

use pg_query::protobuf::AlterTableType as At;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct DropColumn;

static META: RuleMeta = RuleMeta {
    code: "BW150",
    name: "drop-column",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a column dropped from an existing table",
    why: "The DROP itself is instant (ACCESS EXCLUSIVE, catalog only), but the application version still running reads and writes the column: its queries fail from the moment the migration commits until every instance runs the new version. Drop a column only after no deployed version uses it.",
    alternative: "-- release 1: stop reading and writing users.legacy_name, and deploy it\n-- release 2 (bellows' contract phase):\nSELECT 1;",
};

impl Rule for DropColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for (table, cmd) in cx.alters_of_existing_columns(At::AtDropColumn) {
            let lock = cx
                .facts
                .locks
                .iter()
                .find(|l| l.relation == table)
                .map(|l| format!(" (the drop itself: {}, {})", l.mode, l.cost));
            out.push(Finding::new(
                cx.span_of(&cmd.name),
                format!(
                    "breaks the application version still running, which reads {table}.{}{}",
                    cmd.name,
                    lock.unwrap_or_default()
                ),
                "stop using the column in the application, deploy, then drop it in a later migration (bellows' contract phase)",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_column() {
        insta::assert_snapshot!(render("ALTER TABLE users DROP COLUMN legacy_name;"));
        assert_fires("BW150", "ALTER TABLE users DROP COLUMN IF EXISTS a, DROP COLUMN b;");
    }

    #[test]
    fn quiet_on_columns_and_tables_of_this_file() {
        assert_clean("BW150", "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;");
        assert_clean("BW150", "ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;");
    }
}
