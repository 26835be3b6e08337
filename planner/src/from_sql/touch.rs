//! What a statement run as written reads or writes: the relations it names and the
//! column names it mentions, read from its syntax tree. Aliases are not resolved, so a
//! name counts for every table the statement names: it errs towards waiting.

use pg_query::protobuf::node::Node as N;
use pg_query::{NodeEnum, NodeRef};

use crate::migration::ast;
use crate::plan::Touches;

pub(super) fn touches(node: &NodeEnum) -> Touches {
    let mut out = Touches {
        tables: ast::named_relations(node),
        ..Touches::default()
    };
    // Code whose statements are not in the tree: a DO block, a procedure.
    out.opaque = matches!(node, NodeEnum::DoStmt(_) | NodeEnum::CallStmt(_));
    if let NodeEnum::InsertStmt(insert) = node {
        out.all_columns |= insert.cols.is_empty();
    }
    for (node, ..) in node.nodes() {
        match node {
            NodeRef::ColumnRef(c) => match c.fields.last().and_then(|f| f.node.as_ref()) {
                Some(N::AStar(_)) => out.all_columns = true,
                Some(N::String(s)) => {
                    out.columns.insert(s.sval.clone());
                }
                _ => {}
            },
            // `SET col = ...` and an INSERT's column list.
            NodeRef::ResTarget(target) if !target.name.is_empty() => {
                out.columns.insert(target.name.clone());
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(sql: &str) -> Touches {
        let tree = pg_query::parse(sql, 0).expect("parses");
        let node = tree.protobuf.stmts[0].stmt.as_ref().and_then(|s| s.node.clone()).expect("a statement");
        touches(&node)
    }

    #[test]
    fn columns_named_anywhere_count() {
        let t = of("UPDATE users SET full_name = 'anon' WHERE lower(email) LIKE '%x' AND u.name IS NULL");
        let users = crate::model::QualifiedName::new("public", "users");
        assert!(t.column(&users, "full_name") && t.column(&users, "email") && t.column(&users, "name"));
        assert!(!t.column(&users, "id"));
        assert!(!t.column(&crate::model::QualifiedName::new("public", "orgs"), "full_name"));
    }

    #[test]
    fn stars_inserts_without_columns_and_code_touch_everything() {
        let users = crate::model::QualifiedName::new("public", "users");
        assert!(of("INSERT INTO users SELECT * FROM old_users").column(&users, "any"));
        assert!(of("INSERT INTO archive SELECT * FROM users").column(&users, "any"));
        assert!(of("DO $$ BEGIN UPDATE users SET a = 1; END $$").column(&users, "a"));
        assert!(!of("INSERT INTO users (id) VALUES (1)").column(&users, "name"));
    }
}
