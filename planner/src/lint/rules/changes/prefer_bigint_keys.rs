//! BW903 `prefer-bigint-keys`: an integer or smallint primary key or identity column (type-design advice, off by default).

use super::column_types::{column_span, declared};
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct PreferBigintKeys;

static META: RuleMeta = RuleMeta {
    code: "BW903",
    name: "prefer-bigint-keys",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "an integer or smallint primary key or identity column",
    why: "integer keys run out at 2,147,483,647 (smallint at 32,767): inserts then fail until the key column is changed to bigint, which rewrites the table and every index on it, and every referencing column, under ACCESS EXCLUSIVE. bigint costs four more bytes per row.",
    alternative: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
};

impl Rule for PreferBigintKeys {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for column in declared(cx.node)
            .into_iter()
            .filter(|c| c.key && matches!(c.base.as_str(), "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2"))
        {
            out.push(Finding::new(
                column_span(cx, column.column),
                format!(
                    "{column} is a 32-bit or smaller key: inserts fail once it reaches its maximum, and widening it rewrites the table",
                    column = column.column
                ),
                "use bigint (bigint GENERATED ALWAYS AS IDENTITY, or bigserial)",
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
        insta::assert_snapshot!(render_enabled("BW903", "CREATE TABLE orders (id integer PRIMARY KEY, n int);"));
        assert_eq!(lint_enabled("BW903", "CREATE TABLE orders (id serial, PRIMARY KEY (id));").len(), 1);
    }

    #[test]
    fn quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW903", "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n integer);").is_empty());
        assert!(lint_enabled("BW903", "ALTER TABLE orders ADD COLUMN n smallint;").is_empty());
        assert!(lint("CREATE TABLE orders (id integer PRIMARY KEY, n int);").iter().all(|d| d.rule != "BW903"));
    }
}
