//! BW134 `create-trigger-on-existing-table`: `CREATE TRIGGER` on a table the file did not
//! create.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct CreateTriggerOnExistingTable;

static META: RuleMeta = RuleMeta {
    code: "BW134",
    name: "create-trigger-on-existing-table",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a trigger created on an existing table",
    why: "CREATE TRIGGER takes SHARE ROW EXCLUSIVE on the table: it waits for every running write and blocks new INSERT, UPDATE and DELETE until it commits. From then on the trigger runs on every write, including those of the application version already running, which was not written with it in mind.",
    alternative: "SET lock_timeout = '2s';\n-- bellows: allow create-trigger-on-existing-table the function only fills users.email_lower and accepts rows written by the running version\nCREATE TRIGGER users_email_lower BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_email_lower();",
};

impl Rule for CreateTriggerOnExistingTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::CreateTrigStmt(trigger) = cx.node else { return };
        for lock in cx.facts.locks.iter().filter(|l| cx.existing(&l.relation) && l.mode.blocks_writes()) {
            out.push(Finding::new(
                cx.span_of("trigger"),
                format!(
                    "waits for running writes and blocks new ones to {} ({}); then `{}` runs on every write, also from the application version already running",
                    lock.relation, lock.mode, trigger.trigname
                ),
                "make the trigger function correct for rows the running version writes, set a short lock_timeout, and suppress this with the reason",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("CREATE TRIGGER audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();"));
        assert_fires(
            "BW134",
            "CREATE OR REPLACE TRIGGER t BEFORE INSERT ON billing.invoices FOR EACH ROW EXECUTE FUNCTION f();",
        );
    }

    #[test]
    fn quiet_on_a_new_table() {
        assert_clean(
            "BW134",
            "CREATE TABLE t (a int);\nCREATE TRIGGER audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit();",
        );
    }
}
