//! Small readers over pg_query's syntax tree: names, relations, column definitions
//! and constraints, turned into the schema model's terms.

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableStmt, AlterTableType, ColumnDef, ConstrType, Constraint, Node, RangeVar};

use pg_query::NodeEnum;

use crate::model::{Column, QualifiedName};
use crate::sql::{expr_from_node, string_value, type_from_ast};

/// `schema.name` of a relation; an unqualified name is taken to be in `public`
/// (the default search_path).
pub fn relation(range: &RangeVar) -> QualifiedName {
    let schema = if range.schemaname.is_empty() { "public" } else { &range.schemaname };
    QualifiedName::new(schema, range.relname.clone())
}

/// The subcommands of an `ALTER TABLE`.
pub fn commands(alter: &AlterTableStmt) -> impl Iterator<Item = &AlterTableCmd> {
    alter.cmds.iter().filter_map(|c| match &c.node {
        Some(N::AlterTableCmd(cmd)) => Some(cmd.as_ref()),
        _ => None,
    })
}

/// The subcommands of one kind (`DROP COLUMN`, `VALIDATE CONSTRAINT`, ...).
pub fn commands_of(alter: &AlterTableStmt, kind: AlterTableType) -> impl Iterator<Item = &AlterTableCmd> {
    commands(alter).filter(move |cmd| cmd.subtype == kind as i32)
}

/// What a subcommand adds or changes to: a column definition, a constraint, ...
pub fn definition(cmd: &AlterTableCmd) -> Option<&N> {
    cmd.def.as_deref().and_then(|d| d.node.as_ref())
}

/// A qualified name from a list of `String` nodes (`DROP INDEX a.b`).
pub fn dotted(names: &[Node]) -> Option<QualifiedName> {
    let parts: Vec<String> = names.iter().filter_map(string_value).collect();
    match parts.as_slice() {
        [name] => Some(QualifiedName::new("public", name.clone())),
        [.., schema, name] => Some(QualifiedName::new(schema.clone(), name.clone())),
        [] => None,
    }
}

/// The column names of a list of `String` nodes (`(a, b)` in a constraint).
pub fn names(list: &[Node]) -> Vec<String> {
    list.iter().filter_map(string_value).collect()
}

pub fn constraints(list: &[Node]) -> impl Iterator<Item = &Constraint> {
    list.iter().filter_map(|n| match &n.node {
        Some(N::Constraint(c)) => Some(c.as_ref()),
        _ => None,
    })
}

pub fn constr_type(c: &Constraint) -> ConstrType {
    ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined)
}

/// A column definition as the model's `Column` (type unknown types are kept as user
/// types; an unparseable default is dropped).
pub fn column(def: &ColumnDef) -> Option<Column> {
    column_with(def, true)
}

/// [`column`] without its default and generation expressions: its name, type,
/// nullability and identity, which is what the linter's state keeps of a column the
/// file declares. Rendering an expression means deparsing it, the costliest part, and
/// rules read expressions from the statement itself.
pub fn column_shape(def: &ColumnDef) -> Option<Column> {
    column_with(def, false)
}

fn column_with(def: &ColumnDef, expressions: bool) -> Option<Column> {
    let ty = type_from_ast(def.type_name.as_ref()?).ok()?;
    let mut column = Column::new(def.colname.clone(), ty);
    column.nullable = !def.is_not_null;
    let render = |expr: Option<&Node>| expr.filter(|_| expressions).and_then(expr_from_node);
    column.default = render(def.raw_default.as_deref());
    for c in constraints(&def.constraints) {
        match constr_type(c) {
            ConstrType::ConstrNotnull | ConstrType::ConstrPrimary => column.nullable = false,
            ConstrType::ConstrDefault => column.default = render(c.raw_expr.as_deref()),
            ConstrType::ConstrIdentity => {
                column.identity = Some(crate::model::Identity::ByDefault);
                column.nullable = false;
            }
            ConstrType::ConstrGenerated => column.generated = render(c.raw_expr.as_deref()),
            _ => {}
        }
    }
    if !def.identity.is_empty() {
        column.identity = Some(crate::model::Identity::ByDefault);
        column.nullable = false;
    }
    // `serial` is `integer NOT NULL DEFAULT nextval(...)`; the linter's state keeps that.
    if !expressions && is_serial(def) {
        column.nullable = false;
    }
    Some(column)
}

/// The leading plain-column keys of an index, up to its first expression key: the
/// columns a lookup by equality can use it for.
pub fn index_key_columns(params: &[Node]) -> Vec<String> {
    params
        .iter()
        .map_while(|p| match &p.node {
            Some(N::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
            _ => None,
        })
        .collect()
}

/// The serial pseudo-types, which add a sequence and a `nextval()` default.
pub fn is_serial(def: &ColumnDef) -> bool {
    def.type_name.as_ref().is_some_and(|t| {
        let names = names(&t.names);
        names.len() == 1 && crate::model::SERIAL_NAMES.contains(&names[0].as_str())
    })
}

/// `CHECK (col IS NOT NULL)`: the column a check proves NOT NULL, if that is all it says.
pub fn not_null_check_column(c: &Constraint) -> Option<String> {
    match c.raw_expr.as_deref().and_then(|e| e.node.as_ref()) {
        Some(N::NullTest(test)) if test.nulltesttype == pg_query::protobuf::NullTestType::IsNotNull as i32 => {
            match test.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(N::ColumnRef(column)) => names(&column.fields).pop(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Every relation a statement names anywhere (targets, `FROM`, joins, subqueries),
/// each once, in the order they appear, without the names of its CTEs.
pub fn named_relations(node: &NodeEnum) -> Vec<QualifiedName> {
    let nodes = node.nodes();
    let ctes: Vec<&str> = nodes
        .iter()
        .filter_map(|(node, ..)| match node {
            pg_query::NodeRef::CommonTableExpr(cte) => Some(cte.ctename.as_str()),
            _ => None,
        })
        .collect();
    let mut out: Vec<QualifiedName> = Vec::new();
    for (node, ..) in &nodes {
        if let pg_query::NodeRef::RangeVar(r) = node {
            let name = relation(r);
            let cte = r.schemaname.is_empty() && ctes.contains(&r.relname.as_str());
            if !cte && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}
