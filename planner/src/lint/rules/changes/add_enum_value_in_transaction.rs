//! BW142 `add-enum-value-in-transaction`: `ALTER TYPE ... ADD VALUE` in a transaction
//! block before PostgreSQL 12, or a use of the new value later in the same transaction.

use pg_query::protobuf::Node;
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::sql::walk::walk;

pub struct AddEnumValueInTransaction;

static META: RuleMeta = RuleMeta {
    code: "BW142",
    name: "add-enum-value-in-transaction",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an enum value added inside a transaction block (before PostgreSQL 12), or used in the transaction that added it",
    why: "Before PostgreSQL 12, ALTER TYPE ... ADD VALUE fails inside a transaction block (\"cannot run inside a transaction block\"). From PostgreSQL 12 it may run there, but the new value cannot be used until the transaction commits: a later statement of the same transaction that uses it fails with \"unsafe use of new value\", and the whole migration rolls back.",
    alternative: "-- its own migration, committed before the value is used:\nALTER TYPE mood ADD VALUE IF NOT EXISTS 'curious';",
};

impl Rule for AddEnumValueInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if !cx.in_transaction {
            return;
        }
        if let NodeEnum::AlterEnumStmt(alter) = cx.node {
            if !alter.new_val.is_empty() && !cx.pg.at_least(12) {
                out.push(Finding::new(
                    cx.span_of("add value"),
                    format!("fails on PostgreSQL {}: ADD VALUE cannot run inside a transaction block", cx.pg),
                    "put the ALTER TYPE in its own migration that runs outside a transaction (`-- no-transaction` for sqlx)",
                ));
            }
            return;
        }
        if cx.state.enum_values_added.is_empty() {
            return;
        }
        let used = string_constants(cx.node);
        for (enum_type, value) in cx.state.enum_values_added.iter().filter(|(_, v)| used.contains(v)) {
            out.push(Finding::new(
                cx.span_of(&format!("'{value}'")),
                format!("fails with \"unsafe use of new value\": '{value}' was added to {enum_type} in this transaction, which has not committed"),
                "add the enum value in its own migration (or commit first), then use it in a later one",
            ));
        }
    }
}

/// Every string constant in the statement.
fn string_constants(node: &NodeEnum) -> Vec<String> {
    let node = Node { node: Some(node.clone()) };
    let mut out = Vec::new();
    walk(&node, &mut |kind, fields| {
        if let Some(text) = fields.get("sval").and_then(|v| v.as_str()).filter(|_| kind == "Sval") {
            out.push(text.to_string());
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{fired, lint, lint_in_transaction, render_diagnostics};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    #[test]
    fn fires_on_a_use_in_the_same_transaction() {
        let sql = "ALTER TYPE mood ADD VALUE 'curious';\nUPDATE people SET mood = 'curious' WHERE id = 1;";
        let found: Vec<_> = lint_in_transaction(sql).into_iter().filter(|d| d.rule == "BW142").collect();
        insta::assert_snapshot!(render_diagnostics(sql, &found));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn fires_on_the_add_itself_before_12() {
        let options = LintOptions {
            pg: PgVersion(11),
            assume_in_transaction: Some(true),
            ..LintOptions::default()
        };
        let sql = "ALTER TYPE mood ADD VALUE 'curious';";
        let found: Vec<_> = lint_file("m.sql", sql, None, &options).diagnostics;
        insta::assert_snapshot!(render_diagnostics(sql, &found));
        assert_eq!(fired(&found, "BW142"), 1);
    }

    #[test]
    fn quiet_after_commit_or_outside_a_transaction() {
        let sql = "BEGIN;\nALTER TYPE mood ADD VALUE 'curious';\nCOMMIT;\nUPDATE people SET mood = 'curious';";
        assert_eq!(fired(&lint(sql), "BW142"), 0);
        assert_eq!(
            fired(
                &lint_in_transaction("ALTER TYPE mood ADD VALUE 'curious';\nUPDATE people SET mood = 'happy';"),
                "BW142"
            ),
            0
        );
        assert_eq!(
            fired(&lint("ALTER TYPE mood ADD VALUE 'curious';\nUPDATE people SET mood = 'curious';"), "BW142"),
            0
        );
    }
}
