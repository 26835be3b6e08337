//! BW903 `prefer-bigint-keys` (off by default): an integer or smallint primary key or identity column.

use crate::lint::rule::type_design::TypeDesign;
use crate::lint::rule::{RuleMeta, Severity};

pub static PREFER_BIGINT_KEYS: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW903",
    name: "prefer-bigint-keys",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "an integer or smallint primary key or identity column",
    why: "integer keys run out at 2,147,483,647 (smallint at 32,767): inserts then fail until the key column is changed to bigint, which rewrites the table and every index on it, and every referencing column, under ACCESS EXCLUSIVE. bigint costs four more bytes per row.",
    alternative: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    },
    flags: |c| c.key && matches!(c.base.as_str(), "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2"),
    problem: "is a 32-bit or smaller key: inserts fail once it reaches its maximum, and widening it rewrites the table",
    help: "use bigint (bigint GENERATED ALWAYS AS IDENTITY, or bigserial)",
};

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{lint, lint_enabled, render_enabled};

    #[test]
    fn prefer_bigint_keys_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW903", "CREATE TABLE orders (id integer PRIMARY KEY, n int);"));
        assert_eq!(lint_enabled("BW903", "CREATE TABLE orders (id serial, PRIMARY KEY (id));").len(), 1);
    }

    #[test]
    fn prefer_bigint_keys_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW903", "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n integer);").is_empty());
        assert!(lint_enabled("BW903", "ALTER TABLE orders ADD COLUMN n smallint;").is_empty());
        assert!(lint("CREATE TABLE orders (id integer PRIMARY KEY, n int);").iter().all(|d| d.rule != "BW903"));
    }
}
