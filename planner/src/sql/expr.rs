//! What an expression is, read from its syntax tree: whether it may be volatile (which
//! decides whether `ADD COLUMN ... DEFAULT` rewrites the table), whether it is a
//! constant or holds a subquery, and which columns it names.

use std::collections::BTreeSet;

use pg_query::protobuf::{node::Node as N, Node};

use super::canonical::{canonical_form, deparse_expression};
use super::walk::{strings, walk};
use crate::model::Expr;

/// Functions known not to be volatile (immutable or stable). A default calling only
/// these is evaluated once by `ADD COLUMN` on PostgreSQL 11+ (no table rewrite).
const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "abs",
    "age",
    "array_length",
    "array_to_string",
    "btrim",
    "ceil",
    "char_length",
    "concat",
    "concat_ws",
    "current_database",
    "current_schema",
    "current_setting",
    "date",
    "date_part",
    "date_trunc",
    "extract",
    "floor",
    "format",
    "initcap",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "left",
    "length",
    "localtimestamp",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "octet_length",
    "regexp_replace",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "rpad",
    "rtrim",
    "sha256",
    "split_part",
    "statement_timestamp",
    "strpos",
    "substr",
    "substring",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_timestamp",
    "transaction_timestamp",
    "translate",
    "trim",
    "trunc",
    "upper",
];

/// An expression node from a parsed statement (a default, a check, a USING), as an
/// `Expr`: its text is pg_query's deparse.
pub fn expr_from_node(node: &Node) -> Option<Expr> {
    let text = deparse_expression(node)?;
    let (volatile, columns) = classify(node);
    Some(Expr {
        canonical: canonical_form(node).unwrap_or_else(|| text.clone()),
        text,
        volatile,
        constant: is_constant(node),
        subquery: has_subquery(node),
        columns,
    })
}

/// Whether an expression may be volatile, and the columns it names.
pub(super) fn classify(node: &Node) -> (bool, BTreeSet<String>) {
    let mut volatile = false;
    let mut columns = BTreeSet::new();
    walk(node, &mut |kind, fields| match kind {
        "FuncCall" => {
            let name = strings(&fields["funcname"]).pop().unwrap_or_default();
            volatile |= !NON_VOLATILE_FUNCTIONS.contains(&name.as_str());
        }
        "SubLink" => volatile = true,
        "ColumnRef" => {
            if let Some(name) = strings(&fields["fields"]).pop() {
                columns.insert(name);
            }
        }
        _ => {}
    });
    (volatile, columns)
}

pub(super) fn has_subquery(node: &Node) -> bool {
    let mut found = false;
    walk(node, &mut |kind, _| found |= kind == "SubLink");
    found
}

pub(super) fn is_constant(node: &Node) -> bool {
    match &node.node {
        Some(N::AConst(_)) => true,
        Some(N::TypeCast(cast)) => cast.arg.as_deref().is_some_and(is_constant),
        Some(N::AExpr(expr)) => {
            // A negative number is the unary minus operator applied to a constant.
            expr.lexpr.is_none() && expr.rexpr.as_deref().is_some_and(is_constant)
        }
        _ => false,
    }
}
