//! BW901 `prefer-jsonb`: a json column, where jsonb is almost always better (type-design advice, off by default).

use super::column_types::{column_span, declared};
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct PreferJsonb;

static META: RuleMeta = RuleMeta {
    code: "BW901",
    name: "prefer-jsonb",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a json column, where jsonb is almost always better",
    why: "json stores the text as written and re-parses it on every access; it cannot be indexed with GIN and has no equality operator, so DISTINCT, GROUP BY and UNION on it fail. jsonb (PostgreSQL 9.4+) is parsed once, indexable and comparable. Changing the type later rewrites the table under ACCESS EXCLUSIVE.",
    alternative: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL);",
};

impl Rule for PreferJsonb {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for column in declared(cx.node).into_iter().filter(|c| c.base == "json") {
            out.push(Finding::new(
                column_span(cx, column.column),
                format!(
                    "{column} is json: re-parsed on every access, not indexable, not comparable",
                    column = column.column
                ),
                "use jsonb, unless the exact text (key order, duplicate keys, whitespace) must be kept",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::column_types::testing::{lint_enabled, render_enabled};
    use crate::lint::rules::testing::lint;

    #[test]
    fn fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW901", "CREATE TABLE events (id bigint, payload json);"));
        assert_eq!(lint_enabled("BW901", "ALTER TABLE events ADD COLUMN meta json[];").len(), 1);
    }

    #[test]
    fn quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW901", "CREATE TABLE events (payload jsonb);").is_empty());
        assert!(lint_enabled("BW901", "ALTER TABLE events ALTER COLUMN payload TYPE jsonb;").is_empty());
        assert!(lint("CREATE TABLE events (id bigint, payload json);").iter().all(|d| d.rule != "BW901"));
    }
}
