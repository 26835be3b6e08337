//! BW111 `add-check-validated`: `ALTER TABLE ... ADD CHECK` (or `ADD COLUMN ... CHECK`)
//! on an existing table without `NOT VALID`.

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{ConstraintKind, Op};

pub struct AddCheckValidated;

static META: RuleMeta = RuleMeta {
    code: "BW111",
    name: "add-check-validated",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a CHECK constraint added to an existing table without NOT VALID",
    why: "ADD CHECK takes an ACCESS EXCLUSIVE lock on the table and holds it while it checks every existing row: every query on the table, reads too, waits for the whole scan. With NOT VALID the constraint is added at once (it is enforced for new rows from then on); VALIDATE CONSTRAINT, in a later transaction, checks the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
    alternative: "ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0) NOT VALID;\n-- commit, then in a separate transaction:\nALTER TABLE users VALIDATE CONSTRAINT users_age_check;",
};

impl Rule for AddCheckValidated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for added in added_to_existing(cx) {
            let Op::AddConstraint {
                kind: ConstraintKind::Check,
                validated: true,
                ..
            } = added.action.op
            else {
                continue;
            };
            out.push(Finding::new(
                keyword_span(cx, "check"),
                format!(
                    "{}, to check every row of {} against {}",
                    wording::blocks_all(&added.locks(cx)),
                    added.table(),
                    added.name()
                ),
                added.validate_later(cx, "the check"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render("ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0);"));
        assert_fires("BW111", "ALTER TABLE billing.\"Invoices\" ADD CHECK (total >= 0);");
        assert_fires("BW111", "ALTER TABLE users ADD COLUMN score int CHECK (score > 0);");
    }

    #[test]
    fn quiet_when_not_valid_or_on_a_new_table() {
        assert_clean("BW111", "ALTER TABLE users ADD CONSTRAINT c CHECK (age >= 0) NOT VALID;");
        assert_clean("BW111", "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);");
        assert_clean("BW111", "ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0;");
        assert_clean("BW111", "ALTER TABLE users ADD CONSTRAINT k UNIQUE (email);");
    }
}
