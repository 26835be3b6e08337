//! BW902 `prefer-timestamptz` (off by default): a timestamp without time zone column.

use crate::lint::rule::type_design::TypeDesign;
use crate::lint::rule::{RuleMeta, Severity};

pub static PREFER_TIMESTAMPTZ: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW902",
    name: "prefer-timestamptz",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a timestamp without time zone column",
    why: "timestamp without time zone stores a wall-clock reading with no zone: the same instant written by sessions with different TimeZone settings compares unequal, and arithmetic across daylight-saving changes is wrong. timestamptz stores an instant and converts on input and output. Changing the type later rewrites the table unless the session TimeZone is UTC (PostgreSQL 12+).",
    alternative: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());",
    },
    flags: |c| c.base == "timestamp",
    problem: "is timestamp without time zone: the same instant written from different time zones compares unequal",
    help: "use timestamptz (timestamp with time zone)",
};

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{lint, lint_enabled, render_enabled};

    #[test]
    fn prefer_timestamptz_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW902", "CREATE TABLE events (id bigint, created_at timestamp NOT NULL);"));
        assert_eq!(
            lint_enabled("BW902", "ALTER TABLE events ADD COLUMN seen_at timestamp(3) without time zone;").len(),
            1
        );
    }

    #[test]
    fn prefer_timestamptz_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW902", "CREATE TABLE events (created_at timestamptz, d date, t time);").is_empty());
        assert!(lint_enabled("BW902", "ALTER TABLE events ALTER COLUMN created_at TYPE timestamp with time zone;").is_empty());
        assert!(lint("CREATE TABLE events (id bigint, created_at timestamp NOT NULL);")
            .iter()
            .all(|d| d.rule != "BW902"));
    }
}
