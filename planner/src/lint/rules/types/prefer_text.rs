//! BW904 `prefer-text` (off by default): a varchar(n) column.

use crate::lint::rule::type_design::TypeDesign;
use crate::lint::rule::{RuleMeta, Severity};

pub static PREFER_TEXT: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW904",
    name: "prefer-text",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a varchar(n) column",
    why: "varchar(n) stores the same way as text and is no faster; its length limit is a business rule hidden in the type. Raising it is catalog-only, but lowering it or moving to a CHECK later rewrites or scans the table under ACCESS EXCLUSIVE. text with a CHECK (char_length(col) <= n) can be changed with NOT VALID and VALIDATE.",
    alternative: "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL CHECK (char_length(email) <= 320));",
    },
    flags: |c| c.base == "varchar" && c.typmods > 0,
    problem: "is varchar(n): the length limit is fixed in the type, and changing it later may rewrite the table",
    help: "use text, with a CHECK (char_length(col) <= n) if the limit matters",
};

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{lint, lint_enabled, render_enabled};

    #[test]
    fn prefer_text_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW904", "CREATE TABLE users (email varchar(255));"));
        assert_eq!(lint_enabled("BW904", "ALTER TABLE users ADD COLUMN name character varying(100);").len(), 1);
    }

    #[test]
    fn prefer_text_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW904", "CREATE TABLE users (email text, name varchar);").is_empty());
        assert!(lint_enabled("BW904", "ALTER TABLE users ALTER COLUMN email TYPE text;").is_empty());
        assert!(lint("CREATE TABLE users (email varchar(255));").iter().all(|d| d.rule != "BW904"));
    }
}
