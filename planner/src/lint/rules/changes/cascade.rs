//! BW157 `cascade`: `DROP ... CASCADE`, `ALTER TABLE ... DROP ... CASCADE` and
//! `TRUNCATE ... CASCADE`, which reach objects the statement does not name.

use pg_query::protobuf::{node::Node as N, DropBehavior, ObjectType};
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::migration::ast;

pub struct Cascade;

static META: RuleMeta = RuleMeta {
    code: "BW157",
    name: "cascade",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "DROP or TRUNCATE with CASCADE",
    why: "CASCADE also drops (views, foreign keys, columns' defaults, dependent functions) or truncates (every table whose foreign keys reference the table) objects the statement does not name, each under ACCESS EXCLUSIVE. What it reaches depends on the database it runs on, so the reviewed migration is not what runs.",
    alternative: "-- drop the dependent objects by name first, then the object itself without CASCADE:\nDROP VIEW active_users;\nDROP TABLE legacy_users;",
};

impl Rule for Cascade {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let cascade = DropBehavior::DropCascade as i32;
        let reaches = match cx.node {
            NodeEnum::TruncateStmt(t) if t.behavior == cascade => "truncates every table whose foreign keys reference",
            NodeEnum::DropStmt(d) if d.behavior == cascade => "drops every object that depends on",
            NodeEnum::AlterTableStmt(a) if ast::commands(a).any(|cmd| cmd.behavior == cascade) => "drops every object that depends on what it drops from",
            _ => return,
        };
        let targets = targets(cx);
        if targets.is_empty() {
            return;
        }
        out.push(Finding::new(
            cx.span_of("cascade"),
            format!("also {reaches} {}, none of which the statement names", targets.join(", ")),
            "find the dependent objects (pg_depend, or \\d+ in psql), drop them by name in reviewed statements, then drop without CASCADE",
        ));
    }
}

/// The named objects that may have dependents outside this file; objects of kinds the
/// linter does not track (types, functions, schemas) always may.
fn targets(cx: &StatementContext<'_>) -> Vec<String> {
    let relations = |names: Vec<crate::model::QualifiedName>| names.into_iter().filter(|r| cx.existing(r)).map(|r| r.to_string()).collect();
    match cx.node {
        NodeEnum::TruncateStmt(t) => relations(t.relations.iter().filter_map(range_var).collect()),
        NodeEnum::AlterTableStmt(a) => relations(a.relation.as_ref().map(ast::relation).into_iter().collect()),
        NodeEnum::DropStmt(d) => {
            let names: Vec<_> = d
                .objects
                .iter()
                .filter_map(|o| match &o.node {
                    Some(N::List(list)) => ast::dotted(&list.items),
                    Some(N::String(s)) => Some(crate::model::QualifiedName::new("public", s.sval.clone())),
                    _ => None,
                })
                .collect();
            let relation_kinds = [
                ObjectType::ObjectTable,
                ObjectType::ObjectView,
                ObjectType::ObjectMatview,
                ObjectType::ObjectIndex,
            ];
            if relation_kinds.iter().any(|k| *k as i32 == d.remove_type) {
                relations(names)
            } else if names.is_empty() {
                vec!["the objects it drops".to_string()]
            } else {
                names
                    .iter()
                    .map(|n| if n.schema == "public" { n.name.clone() } else { n.to_string() })
                    .collect()
            }
        }
        _ => Vec::new(),
    }
}

fn range_var(node: &pg_query::protobuf::Node) -> Option<crate::model::QualifiedName> {
    match &node.node {
        Some(N::RangeVar(r)) => Some(ast::relation(r)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_cascade() {
        insta::assert_snapshot!(render("DROP TABLE legacy_users CASCADE;"));
        assert_fires("BW157", "TRUNCATE orgs CASCADE;");
        assert_fires("BW157", "ALTER TABLE users DROP COLUMN a CASCADE;");
        assert_fires("BW157", "DROP TYPE mood CASCADE;");
    }

    #[test]
    fn quiet_without_cascade_or_on_new_tables() {
        assert_clean("BW157", "DROP TABLE legacy_users;");
        assert_clean("BW157", "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT a FROM t;\nDROP TABLE t CASCADE;");
    }
}
