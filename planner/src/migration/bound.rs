//! Whether a table's validated checks prove a partition bound, so that `ATTACH
//! PARTITION` can skip its scan of the partition.
//!
//! PostgreSQL proves the partition constraint from the partition's valid CHECK
//! constraints and NOT NULL columns (`PartConstraintImpliedByRelConstraint`, with
//! `predicate_implied_by`). This is the part of that proof a migration needs: a
//! single-column key, checks that are conjunctions of comparisons of that column with
//! constants, and constants compared as numbers or for equality. Anything else is
//! unproven, and the attach is reported as the scan it may be.

use pg_query::protobuf::{a_const::Val, node::Node as N, AExprKind, BoolExprType, Node, NullTestType, PartitionBoundSpec};

use super::ast;

/// A constant of a check or a bound, as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
}

impl Eq for Value {}

/// What one conjunct of a check says about one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    NotNull(String),
    /// `column op value`, `op` one of `<`, `<=`, `=`, `>=`, `>`.
    Compare(String, &'static str, Value),
    /// `column IN (values)`.
    In(String, Vec<Value>),
}

impl Comparison {
    fn column(&self) -> &str {
        match self {
            Comparison::NotNull(c) | Comparison::Compare(c, ..) | Comparison::In(c, _) => c,
        }
    }
}

/// The comparisons a check expression is the conjunction of; those conjuncts that are
/// something else are left out (they prove nothing here).
pub fn comparisons(expr: &Node) -> Vec<Comparison> {
    let mut out = Vec::new();
    conjuncts(expr, &mut out);
    out
}

fn conjuncts(expr: &Node, out: &mut Vec<Comparison>) {
    match &expr.node {
        Some(N::BoolExpr(b)) if b.boolop == BoolExprType::AndExpr as i32 => b.args.iter().for_each(|a| conjuncts(a, out)),
        Some(N::NullTest(t)) if t.nulltesttype == NullTestType::IsNotNull as i32 => {
            if let Some(column) = t.arg.as_deref().and_then(column_name) {
                out.push(Comparison::NotNull(column));
            }
        }
        Some(N::AExpr(e)) => {
            let (Some(left), Some(right)) = (e.lexpr.as_deref(), e.rexpr.as_deref()) else {
                return;
            };
            let op = ast::names(&e.name).pop().unwrap_or_default();
            match AExprKind::try_from(e.kind).unwrap_or(AExprKind::Undefined) {
                AExprKind::AexprOp => {
                    if let (Some(column), Some(value)) = (column_name(left), constant(right)) {
                        out.extend(operator(&op, false).map(|op| Comparison::Compare(column, op, value)));
                    } else if let (Some(value), Some(column)) = (constant(left), column_name(right)) {
                        out.extend(operator(&op, true).map(|op| Comparison::Compare(column, op, value)));
                    }
                }
                AExprKind::AexprIn if op == "=" => {
                    let values: Option<Vec<Value>> = match &right.node {
                        Some(N::List(list)) => list.items.iter().map(constant).collect(),
                        _ => None,
                    };
                    if let (Some(column), Some(values)) = (column_name(left), values) {
                        out.push(Comparison::In(column, values));
                    }
                }
                AExprKind::AexprBetween => {
                    let bounds: Option<Vec<Value>> = match &right.node {
                        Some(N::List(list)) if list.items.len() == 2 => list.items.iter().map(constant).collect(),
                        _ => None,
                    };
                    if let (Some(column), Some([low, high])) = (column_name(left), bounds.as_deref()) {
                        out.push(Comparison::Compare(column.clone(), ">=", low.clone()));
                        out.push(Comparison::Compare(column, "<=", high.clone()));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// The operator as `column op value`; `flipped` when written `value op column`.
fn operator(op: &str, flipped: bool) -> Option<&'static str> {
    let op = match op {
        "<" => "<",
        "<=" => "<=",
        "=" => "=",
        ">=" => ">=",
        ">" => ">",
        _ => return None,
    };
    Some(if flipped {
        match op {
            "<" => ">",
            "<=" => ">=",
            ">=" => "<=",
            ">" => "<",
            same => same,
        }
    } else {
        op
    })
}

fn column_name(node: &Node) -> Option<String> {
    match &node.node {
        Some(N::ColumnRef(c)) => ast::names(&c.fields).pop(),
        _ => None,
    }
}

fn constant(node: &Node) -> Option<Value> {
    match &node.node {
        Some(N::AConst(c)) => match c.val.as_ref()? {
            Val::Ival(i) => Some(Value::Number(f64::from(i.ival))),
            Val::Fval(f) => f.fval.parse().ok().map(Value::Number),
            Val::Sval(s) => Some(s.sval.parse().map_or_else(|_| Value::Text(s.sval.clone()), Value::Number)),
            Val::Boolval(b) => Some(Value::Text(b.boolval.to_string())),
            Val::Bsval(_) => None,
        },
        Some(N::TypeCast(cast)) => cast.arg.as_deref().and_then(constant),
        _ => None,
    }
}

/// True when `facts` (the partition's validated checks, and `IS NOT NULL` for its NOT
/// NULL columns) imply the partition constraint of `bound` on partition key `key`.
pub fn proves(facts: &[Comparison], key: &str, bound: &PartitionBoundSpec) -> bool {
    let facts: Vec<&Comparison> = facts.iter().filter(|c| c.column() == key).collect();
    // `IS NOT NULL`, and every comparison (the operators are strict), proves the key NOT NULL.
    let not_null = !facts.is_empty();
    match bound.strategy.as_str() {
        "r" => {
            let ([lower], [upper]) = (bound.lowerdatums.as_slice(), bound.upperdatums.as_slice()) else {
                return false;
            };
            let lower_holds = match range_value(lower) {
                RangeDatum::Min => true,
                RangeDatum::Value(low) => facts.iter().any(|c| matches!(c, Comparison::Compare(_, op, v) if implies_lower(op, v, &low))),
                RangeDatum::Max | RangeDatum::Unknown => false,
            };
            let upper_holds = match range_value(upper) {
                RangeDatum::Max => true,
                RangeDatum::Value(high) => facts.iter().any(|c| matches!(c, Comparison::Compare(_, op, v) if implies_upper(op, v, &high))),
                RangeDatum::Min | RangeDatum::Unknown => false,
            };
            not_null && lower_holds && upper_holds
        }
        "l" => {
            let Some(allowed) = bound.listdatums.iter().map(constant).collect::<Option<Vec<Value>>>() else {
                return false;
            };
            facts.iter().any(|c| match c {
                Comparison::In(_, values) => values.iter().all(|v| allowed.contains(v)),
                Comparison::Compare(_, "=", v) => allowed.contains(v),
                _ => false,
            })
        }
        _ => false,
    }
}

enum RangeDatum {
    Min,
    Max,
    Value(Value),
    Unknown,
}

fn range_value(node: &Node) -> RangeDatum {
    match &node.node {
        Some(N::PartitionRangeDatum(d)) => match d.kind {
            1 => RangeDatum::Min,
            3 => RangeDatum::Max,
            _ => d.value.as_deref().and_then(constant).map_or(RangeDatum::Unknown, RangeDatum::Value),
        },
        // The raw parse tree leaves MINVALUE and MAXVALUE as column references, values
        // as constants.
        _ => match column_name(node).as_deref() {
            Some("minvalue") => RangeDatum::Min,
            Some("maxvalue") => RangeDatum::Max,
            _ => constant(node).map_or(RangeDatum::Unknown, RangeDatum::Value),
        },
    }
}

/// `key op v` implies `key >= low`.
fn implies_lower(op: &str, v: &Value, low: &Value) -> bool {
    match (op, v, low) {
        (">=" | "=", a, b) if a == b => true,
        (">" | ">=" | "=", Value::Number(a), Value::Number(b)) => a >= b,
        _ => false,
    }
}

/// `key op v` implies `key < high`.
fn implies_upper(op: &str, v: &Value, high: &Value) -> bool {
    match (op, v, high) {
        ("<", a, b) if a == b => true,
        ("<", Value::Number(a), Value::Number(b)) => a <= b,
        ("<=" | "=", Value::Number(a), Value::Number(b)) => a < b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expr: &str) -> Vec<Comparison> {
        let tree = pg_query::parse(&format!("ALTER TABLE t ADD CHECK ({expr})"), 0).expect("parses");
        let Some(N::AlterTableStmt(alter)) = tree.protobuf.stmts[0].stmt.as_ref().and_then(|s| s.node.as_ref()) else {
            panic!("an ALTER TABLE")
        };
        let found = match ast::commands(alter).next().and_then(ast::definition) {
            Some(N::Constraint(c)) => comparisons(c.raw_expr.as_deref().expect("an expression")),
            _ => panic!("a check"),
        };
        found
    }

    fn bound(sql: &str) -> PartitionBoundSpec {
        let tree = pg_query::parse(&format!("ALTER TABLE m ATTACH PARTITION p {sql}"), 0).expect("parses");
        let Some(N::AlterTableStmt(alter)) = tree.protobuf.stmts[0].stmt.as_ref().and_then(|s| s.node.as_ref()) else {
            panic!("an ALTER TABLE")
        };
        let cmd = ast::commands(alter).next().expect("a command");
        match ast::definition(cmd) {
            Some(N::PartitionCmd(p)) => p.bound.clone().expect("a bound"),
            _ => panic!("a partition command"),
        }
    }

    #[test]
    fn checks_prove_bounds_they_imply() {
        let range = bound("FOR VALUES FROM (100) TO (200)");
        for proving in [
            "k IS NOT NULL AND k >= 100 AND k < 200",
            "k >= 100 AND k < 200",
            "k > 120 AND 150 > k",
            "k BETWEEN 100 AND 199",
        ] {
            assert!(proves(&check(proving), "k", &range), "{proving}");
        }
        for not in [
            "k >= 100",
            "k >= 90 AND k < 200",
            "k >= 100 AND k <= 200",
            "a >= 100 AND a < 200",
            "k >= 100 OR k < 200",
        ] {
            assert!(!proves(&check(not), "k", &range), "{not}");
        }
        assert!(proves(&check("k < 10"), "k", &bound("FOR VALUES FROM (MINVALUE) TO (10)")));
        let list = bound("FOR VALUES IN ('a', 'b')");
        assert!(proves(&check("k IN ('a', 'b')"), "k", &list));
        assert!(proves(&check("k = 'a'"), "k", &list));
        assert!(!proves(&check("k IN ('a', 'c')"), "k", &list));
        assert!(!proves(&check("k >= 0"), "k", &bound("FOR VALUES WITH (MODULUS 2, REMAINDER 0)")));
    }
}
