//! BW110 `add-foreign-key-validated`: `ALTER TABLE ... ADD FOREIGN KEY` (or `ADD COLUMN
//! ... REFERENCES`) on an existing table without `NOT VALID`.

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{ConstraintKind, Op};

pub struct AddForeignKeyValidated;

static META: RuleMeta = RuleMeta {
    code: "BW110",
    name: "add-foreign-key-validated",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a foreign key added to an existing table without NOT VALID",
    why: "ADD FOREIGN KEY takes a SHARE ROW EXCLUSIVE lock on the table and on the table it references, and holds both while it checks every existing row: INSERT, UPDATE and DELETE on both tables wait for the whole scan, minutes on a big table. With NOT VALID the constraint is added at once (it is enforced for new rows from then on); VALIDATE CONSTRAINT, in a later transaction, checks the old rows under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
    alternative: "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- commit, then in a separate transaction:\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;",
};

impl Rule for AddForeignKeyValidated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for added in added_to_existing(cx) {
            let Op::AddConstraint {
                kind: ConstraintKind::ForeignKey,
                validated: true,
                ..
            } = added.action.op
            else {
                continue;
            };
            let span = keyword_span(cx, if added.column.is_some() { "references" } else { "foreign key" });
            out.push(Finding::new(
                span,
                format!(
                    "{}, to check every row of {} for the foreign key {}",
                    wording::blocks_all(&added.locks(cx)),
                    added.table(),
                    added.name()
                ),
                added.validate_later(cx, "the foreign key"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_table() {
        insta::assert_snapshot!(render(
            "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);"
        ));
        assert_fires("BW110", "ALTER TABLE billing.\"Invoices\" ADD FOREIGN KEY (org_id) REFERENCES orgs;");
        // A new column with a default holds a value in every row, which the foreign key checks.
        assert_fires("BW110", "ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT 1 REFERENCES users (id);");
        // The referenced table is new, the scanned one is not.
        assert_fires(
            "BW110",
            "CREATE TABLE users (id bigint PRIMARY KEY);\nALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users;",
        );
    }

    #[test]
    fn quiet_when_not_valid_or_on_a_new_table() {
        assert_clean(
            "BW110",
            "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
        );
        assert_clean("BW110", "CREATE TABLE t (a int);\nALTER TABLE t ADD FOREIGN KEY (a) REFERENCES users (id);");
        assert_clean("BW110", "CREATE TABLE t (a int REFERENCES users (id));");
        assert_clean("BW110", "ALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0);");
    }

    #[test]
    fn quiet_on_a_new_column_without_a_default() {
        // Every row holds NULL in the new column: PostgreSQL marks the foreign key valid without checking.
        for sql in [
            "ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users (id);",
            "ALTER TABLE orders ADD COLUMN user_id bigint DEFAULT NULL REFERENCES users (id);",
            "ALTER TABLE orders ADD COLUMN user_id bigint CONSTRAINT orders_user_fk REFERENCES users ON DELETE CASCADE;",
        ] {
            assert_clean("BW110", sql);
            // The referenced table is still locked, briefly.
            let report = crate::lint::lint_file("m.sql", sql, None, &crate::lint::LintOptions::default());
            let users = report.statements[0]
                .locks
                .iter()
                .find(|l| l.relation == "public.users")
                .expect("users is locked");
            assert_eq!(users.mode, crate::locks::LockMode::ShareRowExclusiveLock);
            assert!(!report.statements[0].scan, "{sql}");
        }
    }
}
