//! BW115 `add-exclusion-constraint`: `ALTER TABLE ... ADD EXCLUDE` on an existing table.

use crate::lint::rule::added_constraints::{added_to_existing, keyword_span};
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::ConstraintKind;

pub struct AddExclusionConstraint;

static META: RuleMeta = RuleMeta {
    code: "BW115",
    name: "add-exclusion-constraint",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an exclusion constraint added to an existing table",
    why: "ADD EXCLUDE builds the constraint's index, and checks every row against it, while it holds an ACCESS EXCLUSIVE lock on the table: every query, reads too, waits for the whole build. Unlike UNIQUE, there is no CONCURRENTLY form and no USING INDEX for exclusion constraints (up to PostgreSQL 18), so there is no online way to add one to a big, busy table.",
    alternative: "-- declare it when the table is created (it is empty then):\nCREATE TABLE room_bookings (room_id bigint NOT NULL, during tstzrange NOT NULL, EXCLUDE USING gist (during WITH &&));\n-- on an existing table: a maintenance window, or enforce the rule in the application first",
};

impl Rule for AddExclusionConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for added in added_to_existing(cx).into_iter().filter(|a| a.kind() == ConstraintKind::Exclusion) {
            out.push(Finding::new(
                keyword_span(cx, "exclude"),
                format!("{}, to build the index of {} and check every row against it", wording::blocks_all(&added.locks(cx)), added.name()),
                "there is no concurrent way to add an exclusion constraint: run it in a maintenance window with a short lock_timeout, or declare it when the table is created (bellows plan has no recipe for it)",
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
            "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&);"
        ));
        assert_fires(
            "BW115",
            "ALTER TABLE billing.\"Bookings\" ADD EXCLUDE USING gist (room_id WITH =, during WITH &&);",
        );
    }

    #[test]
    fn quiet_on_a_new_table() {
        assert_clean("BW115", "CREATE TABLE t (during tstzrange, EXCLUDE USING gist (during WITH &&));");
        assert_clean(
            "BW115",
            "CREATE TABLE t (during tstzrange);\nALTER TABLE t ADD EXCLUDE USING gist (during WITH &&);",
        );
        assert_clean("BW115", "ALTER TABLE bookings ADD CONSTRAINT u UNIQUE USING INDEX u;");
    }
}
