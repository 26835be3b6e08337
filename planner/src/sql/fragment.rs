//! SQL fragments from schema.toml (expressions, predicates, types), checked with
//! pg_query: each is wrapped in a minimal statement, parsed, and the wrapper is
//! verified to be the only thing there, so `1; DROP TABLE users` is rejected.

use pg_query::protobuf::{a_const, node::Node as N, Node, SelectStmt};

use super::canonical::canonical_form;
use super::expr::{classify, has_subquery, is_constant};
use crate::libpg_query::{parse_tree, ParseFailure, TreeError};
use crate::model::{Expr, SqlType, TypeBase, SERIAL_NAMES};

/// Why a fragment was rejected, and the byte offset inside the fragment it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragmentError {
    pub message: String,
    pub offset: Option<usize>,
    pub help: Option<String>,
}

impl FragmentError {
    fn new(message: impl Into<String>) -> Self {
        FragmentError {
            message: message.into(),
            offset: None,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Parses an expression (`default`, `backfill`, `using`, a check or generated expression).
pub fn parse_expression(text: &str) -> Result<Expr, FragmentError> {
    let prefix = "SELECT ";
    let select = parse_select(prefix, text)?;
    let plain = select.target_list.len() == 1 && is_bare_select(&select, false);
    let target = select.target_list.first().and_then(|t| match &t.node {
        Some(N::ResTarget(res)) if res.name.is_empty() => res.val.as_deref(),
        _ => None,
    });
    let Some(target) = target.filter(|_| plain) else {
        return Err(FragmentError::new("expected a single SQL expression").help("write only the expression, without SELECT, FROM or a trailing semicolon"));
    };
    expr_from(text, target)
}

/// Parses a predicate (an index's `where`).
pub fn parse_predicate(text: &str) -> Result<Expr, FragmentError> {
    let prefix = "SELECT 1 WHERE ";
    let select = parse_select(prefix, text)?;
    match select.where_clause.as_deref() {
        Some(predicate) if select.target_list.len() == 1 && is_bare_select(&select, true) => expr_from(text, predicate),
        _ => Err(FragmentError::new("expected a single boolean condition").help("write only the condition, as after WHERE")),
    }
}

/// Parses a column type and normalises it.
pub fn parse_type(text: &str) -> Result<SqlType, FragmentError> {
    let trimmed = text.trim();
    if SERIAL_NAMES.contains(&trimmed.to_ascii_lowercase().as_str()) {
        let base = if trimmed.to_ascii_lowercase().contains("big") || trimmed.ends_with('8') {
            "bigint"
        } else {
            "integer"
        };
        return Err(
            FragmentError::new(format!("`{trimmed}` is not a type but a shorthand for a sequence and a default"))
                .help(format!("declare type = \"{base}\" with identity = \"by default\" (or \"always\")")),
        );
    }
    let prefix = "SELECT NULL::";
    let select = parse_select(prefix, text)?;
    let cast = match select.target_list.as_slice() {
        [target] if is_bare_select(&select, false) => match &target.node {
            Some(N::ResTarget(res)) if res.name.is_empty() => match res.val.as_deref().and_then(|v| v.node.as_ref()) {
                Some(N::TypeCast(cast)) if is_null_const(cast.arg.as_deref()) => cast.type_name.clone(),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let Some(type_name) = cast.filter(|t| !t.setof && !t.pct_type) else {
        return Err(FragmentError::new(format!("`{trimmed}` is not a column type")));
    };
    type_from_ast(&type_name).map_err(FragmentError::new)
}

/// The normalised type of a parsed `TypeName` (a column definition, a cast).
pub fn type_from_ast(type_name: &pg_query::protobuf::TypeName) -> Result<SqlType, String> {
    let names: Vec<String> = type_name.names.iter().filter_map(string_value).collect();
    let mut typmods = Vec::new();
    for typmod in &type_name.typmods {
        match integer_value(typmod) {
            Some(value) => typmods.push(value),
            None => return Err("type modifiers must be integers".into()),
        }
    }
    let base = SqlType::resolve_base(&names);
    if let TypeBase::Builtin(name) = &base {
        let most = match name.as_str() {
            "numeric" => 2,
            "varchar" | "bpchar" | "bit" | "varbit" | "timestamp" | "timestamptz" | "time" | "timetz" | "interval" => 1,
            _ => 0,
        };
        if typmods.len() > most {
            let modifiers = if most == 1 { "type modifier" } else { "type modifiers" };
            return Err(format!("{name} takes at most {most} {modifiers}, not {}", typmods.len()));
        }
        if name == "interval" && !typmods.is_empty() {
            return Err("interval field restrictions are not supported; declare plain `interval`".into());
        }
    }
    Ok(SqlType {
        base,
        typmods,
        array_dims: type_name.array_bounds.len(),
    })
}

fn parse_select(prefix: &str, text: &str) -> Result<SelectStmt, FragmentError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(FragmentError::new("the SQL fragment is empty"));
    }
    let sql = format!("{prefix}{trimmed}");
    let tree = parse_tree(&sql).map_err(|error| {
        let failure = match error {
            TreeError::Syntax(failure) => failure,
            TreeError::TooDeep => ParseFailure {
                message: "the expression is nested too deeply".into(),
                offset: None,
            },
        };
        let leading = text.len() - text.trim_start().len();
        FragmentError {
            message: failure.message,
            offset: failure.offset.map(|o| o.saturating_sub(prefix.len()) + leading),
            help: None,
        }
    })?;
    let mut stmts = tree.stmts.into_iter();
    match (stmts.next().and_then(|s| s.stmt).and_then(|s| s.node), stmts.next()) {
        (Some(N::SelectStmt(select)), None) => Ok(*select),
        _ => Err(FragmentError::new("expected a single SQL fragment, found more than one statement").help("remove the `;` and what follows it")),
    }
}

/// True when the SELECT has nothing but its target list (and a WHERE, if allowed).
fn is_bare_select(select: &SelectStmt, allow_where: bool) -> bool {
    select.from_clause.is_empty()
        && (allow_where || select.where_clause.is_none())
        && select.distinct_clause.is_empty()
        && select.into_clause.is_none()
        && select.group_clause.is_empty()
        && select.having_clause.is_none()
        && select.window_clause.is_empty()
        && select.values_lists.is_empty()
        && select.sort_clause.is_empty()
        && select.limit_count.is_none()
        && select.limit_offset.is_none()
        && select.locking_clause.is_empty()
        && select.with_clause.is_none()
        && select.larg.is_none()
}

fn expr_from(text: &str, node: &Node) -> Result<Expr, FragmentError> {
    // The canonical form is the deparse of the tree with PostgreSQL's own rewrites
    // undone (see `canonical`): the same for `now()` and `NOW( )`, for redundant
    // parentheses, and for an expression and the catalog's rendering of it.
    let canonical = canonical_form(node).ok_or_else(|| FragmentError::new("cannot normalise the expression"))?;
    let (volatile, columns) = classify(node);
    Ok(Expr {
        text: text.trim().to_string(),
        canonical,
        volatile,
        constant: is_constant(node),
        subquery: has_subquery(node),
        columns,
    })
}

fn is_null_const(node: Option<&Node>) -> bool {
    matches!(node.and_then(|n| n.node.as_ref()), Some(N::AConst(c)) if c.isnull)
}

pub fn string_value(node: &Node) -> Option<String> {
    match &node.node {
        Some(N::String(s)) => Some(s.sval.clone()),
        _ => None,
    }
}

fn integer_value(node: &Node) -> Option<i64> {
    match &node.node {
        Some(N::AConst(c)) => match &c.val {
            Some(a_const::Val::Ival(i)) => Some(i64::from(i.ival)),
            _ => None,
        },
        Some(N::Integer(i)) => Some(i64::from(i.ival)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> String {
        parse_type(text).unwrap_or_else(|e| panic!("{text}: {e:?}")).sql()
    }

    #[test]
    fn type_aliases_normalise_to_one_form() {
        let groups: &[(&[&str], &str)] = &[
            (&["int", "int4", "integer", "INTEGER", "pg_catalog.int4"], "integer"),
            (&["int8", "bigint"], "bigint"),
            (&["int2", "smallint"], "smallint"),
            (&["varchar(20)", "character varying(20)", "VARCHAR (20)"], "character varying(20)"),
            (&["varchar", "character varying"], "character varying"),
            (&["timestamptz", "timestamp with time zone"], "timestamp with time zone"),
            (&["timestamp", "timestamp without time zone"], "timestamp without time zone"),
            (&["timestamptz(3)", "timestamp(3) with time zone"], "timestamp(3) with time zone"),
            (&["bool", "boolean"], "boolean"),
            (&["numeric(10,2)", "decimal(10, 2)", "NUMERIC(10,2)"], "numeric(10,2)"),
            (&["float8", "double precision", "float"], "double precision"),
            (&["float4", "real"], "real"),
            (&["int[]", "integer[]", "int4[]", "integer array", "int[3]"], "integer[]"),
            (&["text[][]"], "text[][]"),
            (&["char(3)", "character(3)", "bpchar(3)"], "character(3)"),
            (&["mood", "public.mood"], "mood"),
            (&["billing.status"], "billing.status"),
            (&["\"Mood\""], "\"Mood\""),
        ];
        for (aliases, expected) in groups {
            for alias in *aliases {
                assert_eq!(ty(alias), *expected, "type {alias}");
            }
        }
    }

    #[test]
    fn rejects_what_is_not_a_type() {
        assert!(parse_type("int; drop table users").is_err());
        assert!(parse_type("").is_err());
        assert!(parse_type("int int").is_err());
        let serial = parse_type("bigserial").expect_err("serial is refused");
        assert!(serial.help.expect("help").contains("identity"));
    }

    #[test]
    fn expressions_are_checked_and_classified() {
        let now = parse_expression("now()").expect("valid");
        assert!(!now.volatile && !now.constant);
        assert_eq!(now, parse_expression(" NOW( ) ").expect("valid"));
        let random = parse_expression("gen_random_uuid()").expect("valid");
        assert!(random.volatile);
        let constant = parse_expression("'active'::text").expect("valid");
        assert!(constant.constant && !constant.volatile);
        assert!(parse_expression("-1").expect("valid").constant);
        let backfill = parse_expression("lower(legacy_email)").expect("valid");
        assert_eq!(backfill.columns.iter().collect::<Vec<_>>(), ["legacy_email"]);
    }

    #[test]
    fn rejects_statements_smuggled_into_fragments() {
        for bad in ["1; DROP TABLE users", "1 FROM users", "(SELECT 1", "a,b", ""] {
            assert!(parse_expression(bad).is_err(), "{bad}");
        }
        let err = parse_expression("lower(email").expect_err("unbalanced");
        assert_eq!(err.offset, Some(11));
        assert!(parse_predicate("created_at > now()").is_ok());
        assert!(parse_predicate("x > 1 ORDER BY 1").is_err());
    }
}
