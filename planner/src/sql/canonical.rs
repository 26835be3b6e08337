//! The canonical form two SQL expressions are compared in.
//!
//! PostgreSQL stores a default, a check or an index expression as a parsed tree and
//! prints it back (`pg_get_expr`) in its own words: `email LIKE '%@%'` comes back as
//! `(email ~~ '%@%'::text)`, `st IN ('a', 'b')` as `(st = ANY (ARRAY['a'::text,
//! 'b'::text]))`, `n BETWEEN 1 AND 9` as `((n >= 1) AND (n <= 9))`, `-1` as
//! `'-1'::integer`, and `lower(handle)` on a varchar column as `lower((handle)::text)`.
//! The canonical form undoes those rewrites on the parse tree before pg_query deparses
//! it, so an expression declared in schema.toml and the same expression read from a
//! live database compare equal:
//!
//! - a cast of a literal is dropped (the literal is typed by where it stands), and a
//!   literal that spells a number in canonical form is that number;
//! - a cast without modifiers of a column reference to `text`, `numeric`, `bigint`,
//!   `double precision` or `timestamp[tz]` is dropped (the implicit coercions
//!   PostgreSQL prints);
//! - every other cast names its type in `format_type()` form (`int8` = `bigint`);
//! - `LIKE`/`ILIKE` are their operators (`~~`, `~~*`, `!~~`, `!~~*`), `IN (...)` is
//!   `= ANY (ARRAY[...])`, `NOT IN` is `<> ALL`, `BETWEEN` is two comparisons, and
//!   nested `AND`s and `OR`s are flattened;
//! - `pg_catalog.` and `public.` before a function name are dropped;
//! - a literal that is an ISO date or timestamp is written without a zero time or a UTC
//!   offset (`'2024-01-01'` = `'2024-01-01 00:00:00+00'`), and one that is JSON is
//!   written compactly with sorted keys.
//!
//! So a few different expressions compare equal: `n::text = '1'` and `n = '1'` (for an
//! integer `n`), `'2024-01-01 00:00'` and `'2024-01-01'` as text. Expressions inside a
//! subquery are compared as written.

use std::cell::RefCell;
use std::collections::HashMap;

use pg_query::protobuf::{node::Node as N, AArrayExpr, AExpr, AExprKind, BoolExpr, BoolExprType, Node, TypeName};

use super::fragment::{string_value, type_from_ast};
use super::literal::normalise_constant;
use crate::model::SqlType;

/// Types PostgreSQL coerces a column to implicitly, and prints the cast for.
const IMPLICIT_TARGETS: &[&str] = &["text", "numeric", "int8", "float8", "timestamptz", "timestamp"];

/// The canonical form of an expression node, deparsed.
pub fn canonical_form(node: &Node) -> Option<String> {
    deparse_expression(&normalise(node.clone()))
}

/// An expression node as SQL text (pg_query's deparse of `SELECT <node>`).
pub fn deparse_expression(node: &Node) -> Option<String> {
    use pg_query::protobuf::{LimitOption, ParseResult, RawStmt, ResTarget, SelectStmt, SetOperation};
    let target = Node {
        node: Some(N::ResTarget(Box::new(ResTarget {
            val: Some(Box::new(node.clone())),
            ..Default::default()
        }))),
    };
    let select = Node {
        // Every protobuf enum must hold a real value: libpg_query asserts on `Undefined` (0).
        node: Some(N::SelectStmt(Box::new(SelectStmt {
            target_list: vec![target],
            op: SetOperation::SetopNone as i32,
            limit_option: LimitOption::Default as i32,
            ..Default::default()
        }))),
    };
    let tree = ParseResult {
        version: 0,
        stmts: vec![RawStmt {
            stmt: Some(Box::new(select)),
            stmt_location: 0,
            stmt_len: 0,
        }],
    };
    let deparsed = pg_query::deparse(&tree, Default::default()).ok()?;
    Some(deparsed.strip_prefix("SELECT ").unwrap_or(&deparsed).to_string())
}

fn normalise(node: Node) -> Node {
    let Some(inner) = node.node else { return node };
    let inner = match inner {
        N::TypeCast(mut cast) => {
            let arg = cast.arg.take().map(|a| normalise(*a));
            let implicit = cast.type_name.as_ref().and_then(sql_type).is_some_and(|t| is_implicit_target(&t));
            match arg {
                Some(arg @ Node { node: Some(N::AConst(_)) }) => return arg,
                Some(arg @ Node { node: Some(N::ColumnRef(_)) }) if implicit => return arg,
                arg => {
                    cast.arg = arg.map(Box::new);
                    cast.type_name = cast.type_name.map(canonical_type_name);
                    N::TypeCast(cast)
                }
            }
        }
        N::AConst(mut constant) => {
            normalise_constant(&mut constant);
            N::AConst(constant)
        }
        N::AExpr(expr) => return normalise_a_expr(*expr),
        N::BoolExpr(mut expr) => {
            let kind = expr.boolop;
            let mut args = Vec::new();
            for arg in std::mem::take(&mut expr.args).into_iter().map(normalise) {
                match arg.node {
                    // `a AND (b AND c)` is `a AND b AND c`, as PostgreSQL prints it.
                    Some(N::BoolExpr(inner)) if inner.boolop == kind && kind != BoolExprType::NotExpr as i32 => args.extend(inner.args),
                    node => args.push(Node { node }),
                }
            }
            expr.args = args;
            N::BoolExpr(expr)
        }
        N::FuncCall(mut call) => {
            if call.funcname.len() == 2 && matches!(string_value(&call.funcname[0]).as_deref(), Some("pg_catalog" | "public")) {
                call.funcname.remove(0);
            }
            call.args = normalise_all(std::mem::take(&mut call.args));
            call.agg_filter = call.agg_filter.map(|f| Box::new(normalise(*f)));
            N::FuncCall(call)
        }
        N::NullTest(mut test) => {
            test.arg = test.arg.map(|a| Box::new(normalise(*a)));
            N::NullTest(test)
        }
        N::BooleanTest(mut test) => {
            test.arg = test.arg.map(|a| Box::new(normalise(*a)));
            N::BooleanTest(test)
        }
        N::CoalesceExpr(mut expr) => {
            expr.args = normalise_all(std::mem::take(&mut expr.args));
            N::CoalesceExpr(expr)
        }
        N::MinMaxExpr(mut expr) => {
            expr.args = normalise_all(std::mem::take(&mut expr.args));
            N::MinMaxExpr(expr)
        }
        N::CaseExpr(mut expr) => {
            expr.arg = expr.arg.map(|a| Box::new(normalise(*a)));
            expr.args = normalise_all(std::mem::take(&mut expr.args));
            expr.defresult = expr.defresult.map(|a| Box::new(normalise(*a)));
            N::CaseExpr(expr)
        }
        N::CaseWhen(mut when) => {
            when.expr = when.expr.map(|a| Box::new(normalise(*a)));
            when.result = when.result.map(|a| Box::new(normalise(*a)));
            N::CaseWhen(when)
        }
        N::AArrayExpr(mut array) => {
            array.elements = normalise_all(std::mem::take(&mut array.elements));
            N::AArrayExpr(array)
        }
        N::RowExpr(mut row) => {
            row.args = normalise_all(std::mem::take(&mut row.args));
            N::RowExpr(row)
        }
        N::AIndirection(mut indirection) => {
            indirection.arg = indirection.arg.map(|a| Box::new(normalise(*a)));
            N::AIndirection(indirection)
        }
        N::CollateClause(mut collate) => {
            collate.arg = collate.arg.map(|a| Box::new(normalise(*a)));
            N::CollateClause(collate)
        }
        N::SubLink(mut link) => {
            link.testexpr = link.testexpr.map(|a| Box::new(normalise(*a)));
            N::SubLink(link)
        }
        N::List(mut list) => {
            list.items = normalise_all(std::mem::take(&mut list.items));
            N::List(list)
        }
        other => other,
    };
    Node { node: Some(inner) }
}

fn normalise_all(nodes: Vec<Node>) -> Vec<Node> {
    nodes.into_iter().map(normalise).collect()
}

fn normalise_a_expr(mut expr: AExpr) -> Node {
    expr.lexpr = expr.lexpr.map(|e| Box::new(normalise(*e)));
    expr.rexpr = expr.rexpr.map(|e| Box::new(normalise(*e)));
    let kind = AExprKind::try_from(expr.kind).unwrap_or(AExprKind::Undefined);
    match kind {
        // The grammar already names the operator (`~~`, `!~~`, `~~*`, `!~~*`).
        AExprKind::AexprLike | AExprKind::AexprIlike => expr.kind = AExprKind::AexprOp as i32,
        AExprKind::AexprIn => {
            let operator = expr.name.first().and_then(string_value).unwrap_or_default();
            expr.kind = if operator == "=" { AExprKind::AexprOpAny } else { AExprKind::AexprOpAll } as i32;
            let elements = match expr.rexpr.take().and_then(|r| r.node) {
                Some(N::List(list)) => list.items,
                Some(other) => vec![Node { node: Some(other) }],
                None => Vec::new(),
            };
            let array = AArrayExpr {
                elements,
                ..Default::default()
            };
            expr.rexpr = Some(Box::new(Node {
                node: Some(N::AArrayExpr(array)),
            }));
        }
        AExprKind::AexprBetween | AExprKind::AexprNotBetween => {
            let bounds = match expr.rexpr.as_deref().and_then(|r| r.node.as_ref()) {
                Some(N::List(list)) if list.items.len() == 2 => list.items.clone(),
                _ => {
                    return Node {
                        node: Some(N::AExpr(Box::new(expr))),
                    }
                }
            };
            let value = expr.lexpr.take().map(|v| *v).unwrap_or_default();
            let (low, high, joined) = if kind == AExprKind::AexprBetween {
                (">=", "<=", BoolExprType::AndExpr)
            } else {
                ("<", ">", BoolExprType::OrExpr)
            };
            let args = vec![comparison(low, &value, &bounds[0]), comparison(high, &value, &bounds[1])];
            return Node {
                node: Some(N::BoolExpr(Box::new(BoolExpr {
                    boolop: joined as i32,
                    args,
                    ..Default::default()
                }))),
            };
        }
        _ => {}
    }
    Node {
        node: Some(N::AExpr(Box::new(expr))),
    }
}

fn comparison(operator: &str, left: &Node, right: &Node) -> Node {
    let name = Node {
        node: Some(N::String(pg_query::protobuf::String { sval: operator.to_string() })),
    };
    Node {
        node: Some(N::AExpr(Box::new(AExpr {
            kind: AExprKind::AexprOp as i32,
            name: vec![name],
            lexpr: Some(Box::new(left.clone())),
            rexpr: Some(Box::new(right.clone())),
            ..Default::default()
        }))),
    }
}

fn sql_type(type_name: &TypeName) -> Option<SqlType> {
    type_from_ast(type_name).ok()
}

fn is_implicit_target(ty: &SqlType) -> bool {
    ty.typmods.is_empty() && !ty.is_array() && ty.builtin_name().is_some_and(|name| IMPLICIT_TARGETS.contains(&name))
}

/// The type as the grammar reads `format_type()`'s name for it, so that `int8`,
/// `bigint` and `pg_catalog.int8` are one type name.
fn canonical_type_name(type_name: TypeName) -> TypeName {
    thread_local! {
        static NAMES: RefCell<HashMap<String, Option<TypeName>>> = RefCell::default();
    }
    let Some(text) = sql_type(&type_name).map(|t| t.sql()) else {
        return type_name;
    };
    let known = NAMES.with(|names| names.borrow().get(&text).cloned());
    let canonical = known.unwrap_or_else(|| {
        let parsed = cast_type_name(&text);
        NAMES.with(|names| names.borrow_mut().insert(text, parsed.clone()));
        parsed
    });
    canonical.unwrap_or(type_name)
}

fn cast_type_name(text: &str) -> Option<TypeName> {
    let tree = crate::libpg_query::parse_tree(&format!("SELECT NULL::{text}")).ok()?;
    let stmt = tree.stmts.into_iter().next()?.stmt?.node?;
    let N::SelectStmt(select) = stmt else { return None };
    let target = select.target_list.into_iter().next()?.node?;
    let N::ResTarget(res) = target else { return None };
    match res.val?.node? {
        N::TypeCast(cast) => cast.type_name.map(|mut t| {
            t.location = 0;
            t
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::{parse_expression, parse_predicate};

    /// Pairs of (declared, as PostgreSQL 15's pg_get_expr prints it).
    const SAME: &[(&str, &str)] = &[
        ("'active'", "'active'::text"),
        ("0", "(0)::numeric"),
        ("-1", "'-1'::integer"),
        ("-1.5", "'-1.5'::numeric"),
        ("'ok'", "'ok'::mood"),
        ("email LIKE '%@%'", "(email ~~ '%@%'::text)"),
        (
            "email ILIKE 'x%' AND email NOT LIKE 'y%'",
            "((email ~~* 'x%'::text) AND (email !~~ 'y%'::text))",
        ),
        ("st IN ('open', 'closed')", "(st = ANY (ARRAY['open'::text, 'closed'::text]))"),
        ("st NOT IN ('a')", "(st <> ALL (ARRAY['a'::text]))"),
        ("n BETWEEN 1 AND 10", "((n >= 1) AND (n <= 10))"),
        ("n BETWEEN 1 AND 10 AND m > 0", "((n >= 1) AND (n <= 10) AND (m > 0))"),
        ("handle <> ''", "((handle)::text <> ''::text)"),
        ("lower(handle)", "lower((handle)::text)"),
        ("(amount * 100)::bigint", "((amount * (100)::numeric))::bigint"),
        ("x::int8", "(x)::bigint"),
        ("created_at > '2024-01-01'", "(created_at > '2024-01-01 00:00:00+00'::timestamp with time zone)"),
        ("'{\"b\": 1, \"a\": [1, 2]}'", "'{\"a\": [1, 2], \"b\": 1}'::jsonb"),
        ("nextval('t_id_seq')", "nextval('t_id_seq'::regclass)"),
        ("pg_catalog.now()", "now()"),
        ("interval '1 day'", "'1 day'::interval"),
    ];

    #[test]
    fn declared_and_catalog_forms_compare_equal() {
        for (declared, catalog) in SAME {
            let a = parse_expression(declared).expect("declared parses");
            let b = parse_expression(catalog).expect("catalog form parses");
            assert_eq!(a.canonical, b.canonical, "{declared} vs {catalog}");
        }
        let a = parse_predicate("d > '2024-01-01' AND st = 'open'").expect("parses");
        let b = parse_predicate("((d > '2024-01-01'::date) AND (st = 'open'::text))").expect("parses");
        assert_eq!(a, b);
    }

    #[test]
    fn different_expressions_stay_different() {
        let pairs = [
            ("'a'", "'b'"),
            ("x::int", "x"),
            ("x::numeric(10,2)", "x"),
            ("n BETWEEN 1 AND 10", "n BETWEEN 1 AND 11"),
            ("'2024-01-01'", "'2024-01-01 00:00:00+02'"),
            ("'007'", "7"),
            ("email LIKE 'a%'", "email ILIKE 'a%'"),
            ("(a + b)::bigint", "a + b"),
        ];
        for (a, b) in pairs {
            let a_expr = parse_expression(a).expect("parses");
            let b_expr = parse_expression(b).expect("parses");
            assert_ne!(a_expr.canonical, b_expr.canonical, "{a} vs {b}");
        }
    }
}
