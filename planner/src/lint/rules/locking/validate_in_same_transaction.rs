//! BW112 `validate-in-same-transaction`: `VALIDATE CONSTRAINT` of a constraint added
//! `NOT VALID` earlier in the same transaction.

use pg_query::protobuf::AlterTableType as At;
use pg_query::NodeEnum;

use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{Cost, RelationLock};
use crate::migration::ast;

pub struct ValidateInSameTransaction;

static META: RuleMeta = RuleMeta {
    code: "BW112",
    name: "validate-in-same-transaction",
    severity: Severity::Error,
    default_enabled: true,
    summary: "VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID",
    why: "ADD CONSTRAINT ... NOT VALID is instant, but its lock (ACCESS EXCLUSIVE for a check, SHARE ROW EXCLUSIVE on both tables for a foreign key) is held until the transaction ends. A VALIDATE CONSTRAINT in the same transaction scans every row while that lock is still held, so reads (for a check) and writes wait for the whole scan, exactly as if NOT VALID had not been written. VALIDATE only lets reads and writes go on when it starts a transaction of its own.",
    alternative: "BEGIN;\nALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE users VALIDATE CONSTRAINT users_age_check;\nCOMMIT;",
};

impl Rule for ValidateInSameTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::AlterTableStmt(alter) = cx.node else { return };
        let Some(table) = alter.relation.as_ref().map(ast::relation) else { return };
        // A table created in this transaction is empty and invisible to others.
        if !cx.in_transaction || !cx.existing(&table) {
            return;
        }
        for cmd in ast::commands_of(alter, At::AtValidateConstraint) {
            let known = cx.state.constraints.get(&(table.clone(), cmd.name.clone()));
            let Some(known) = known.filter(|k| k.added_in_transaction && !k.validated) else {
                continue;
            };
            // The locks held since the ADD, now held for the scan.
            let held: Vec<RelationLock> = std::iter::once(&table)
                .chain(known.references.as_ref())
                .filter_map(|r| {
                    cx.state.held_on(r).map(|(mode, _)| RelationLock {
                        relation: r.clone(),
                        mode,
                        cost: Cost::Scan,
                    })
                })
                .filter(|l| l.mode.blocks_writes())
                .collect();
            if held.is_empty() {
                continue;
            }
            out.push(Finding::new(
                cx.span_of(&cmd.name),
                format!(
                    "{}: the lock taken earlier in this transaction to add {} NOT VALID is still held while VALIDATE scans, so NOT VALID gained nothing",
                    wording::blocks_all(&held),
                    cmd.name
                ),
                "commit after ADD CONSTRAINT ... NOT VALID and run VALIDATE CONSTRAINT in a transaction of its own (a separate migration file when the tool wraps each file in one); `bellows plan --sql FILE` prints the phased plan",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint, lint_in_transaction, render_diagnostics};

    const CHECK: &str = "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_age_check;";

    #[test]
    fn fires_in_the_transaction_of_the_add() {
        insta::assert_snapshot!(render_diagnostics(CHECK, &lint_in_transaction(CHECK)));
        assert_fires(
            "BW112",
            "BEGIN;\nALTER TABLE billing.\"Orders\" ADD CONSTRAINT \"Orders_user_fk\" FOREIGN KEY (user_id) REFERENCES users NOT VALID;\nALTER TABLE billing.\"Orders\" VALIDATE CONSTRAINT \"Orders_user_fk\";\nCOMMIT;",
        );
    }

    #[test]
    fn quiet_in_a_transaction_of_its_own() {
        assert_eq!(fired(&lint(CHECK), "BW112"), 0);
        assert_clean("BW112", &format!("BEGIN;\n{}\nCOMMIT;", CHECK.replace(";\nALTER", ";\nCOMMIT;\nBEGIN;\nALTER")));
        // A constraint from before the file, and a table of this transaction.
        assert_eq!(
            fired(&lint_in_transaction("ALTER TABLE users VALIDATE CONSTRAINT users_age_check;"), "BW112"),
            0
        );
        let new_table = "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;";
        assert_eq!(fired(&lint_in_transaction(new_table), "BW112"), 0);
    }
}
