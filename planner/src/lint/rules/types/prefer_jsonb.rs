//! BW901 `prefer-jsonb` (off by default): a json column, where jsonb is almost always better.

use crate::lint::rule::type_design::TypeDesign;
use crate::lint::rule::{RuleMeta, Severity};

pub static PREFER_JSONB: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW901",
    name: "prefer-jsonb",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a json column, where jsonb is almost always better",
    why: "json stores the text as written and re-parses it on every access; it cannot be indexed with GIN and has no equality operator, so DISTINCT, GROUP BY and UNION on it fail. jsonb (PostgreSQL 9.4+) is parsed once, indexable and comparable. Changing the type later rewrites the table under ACCESS EXCLUSIVE.",
    alternative: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL);",
    },
    flags: |c| c.base == "json",
    problem: "is json: re-parsed on every access, not indexable, not comparable",
    help: "use jsonb, unless the exact text (key order, duplicate keys, whitespace) must be kept",
};

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{lint, lint_enabled, render_enabled};

    #[test]
    fn prefer_jsonb_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW901", "CREATE TABLE events (id bigint, payload json);"));
        assert_eq!(lint_enabled("BW901", "ALTER TABLE events ADD COLUMN meta json[];").len(), 1);
    }

    #[test]
    fn prefer_jsonb_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW901", "CREATE TABLE events (payload jsonb);").is_empty());
        assert!(lint_enabled("BW901", "ALTER TABLE events ALTER COLUMN payload TYPE jsonb;").is_empty());
        assert!(lint("CREATE TABLE events (id bigint, payload json);").iter().all(|d| d.rule != "BW901"));
    }
}
