//! The mechanism of the type-design rules (BW901-BW905, off by default): column types
//! that work today and are costly to change once the table is big. Each rule says which
//! declared columns it flags; this finds the types a statement declares (`CREATE
//! TABLE`, `ADD COLUMN`, `ALTER COLUMN TYPE`), on new tables too.

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ColumnDef, ConstrType, TypeName};
use pg_query::NodeEnum;

use super::{Finding, Rule, RuleMeta, StatementContext};
use crate::migration::ast;

/// A type-design rule: which declared columns it flags, what is wrong with them, and
/// what to use instead.
pub struct TypeDesign {
    pub meta: &'static RuleMeta,
    pub flags: fn(&Declared<'_>) -> bool,
    /// Follows the column's name: `payload is json: ...`.
    pub problem: &'static str,
    pub help: &'static str,
}

impl Rule for TypeDesign {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for column in declared(cx.node).into_iter().filter(|c| (self.flags)(c)) {
            out.push(Finding::new(
                cx.span_of_column(column.column),
                format!("{} {}", column.column, self.problem),
                self.help,
            ));
        }
    }
}

/// One declared column type.
pub struct Declared<'a> {
    pub column: &'a str,
    /// The type's last name part as written or resolved by the grammar: `int4`,
    /// `serial`, `varchar`, `json`, `timestamp`.
    pub base: String,
    pub typmods: usize,
    /// A primary key column or an identity.
    pub key: bool,
}

/// The column types `node` declares.
pub fn declared(node: &NodeEnum) -> Vec<Declared<'_>> {
    match node {
        NodeEnum::CreateStmt(create) => {
            let table_keys: Vec<String> = create
                .table_elts
                .iter()
                .filter_map(|e| match &e.node {
                    Some(N::Constraint(c)) if ast::constr_type(c) == ConstrType::ConstrPrimary => Some(ast::names(&c.keys)),
                    _ => None,
                })
                .flatten()
                .collect();
            create
                .table_elts
                .iter()
                .filter_map(|e| match &e.node {
                    Some(N::ColumnDef(def)) => column(def, &def.colname, table_keys.contains(&def.colname)),
                    _ => None,
                })
                .collect()
        }
        NodeEnum::AlterTableStmt(alter) => ast::commands(alter)
            .filter_map(|cmd| match (At::try_from(cmd.subtype).unwrap_or(At::Undefined), ast::definition(cmd)) {
                (At::AtAddColumn, Some(N::ColumnDef(def))) => column(def, &def.colname, false),
                (At::AtAlterColumnType, Some(N::ColumnDef(def))) => column(def, &cmd.name, false),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn column<'a>(def: &'a ColumnDef, name: &'a str, table_key: bool) -> Option<Declared<'a>> {
    let ty: &TypeName = def.type_name.as_ref()?;
    let base = ast::names(&ty.names).pop()?.to_ascii_lowercase();
    let kinds: Vec<ConstrType> = ast::constraints(&def.constraints).map(ast::constr_type).collect();
    let identity = !def.identity.is_empty() || kinds.contains(&ConstrType::ConstrIdentity);
    Some(Declared {
        column: name,
        base,
        typmods: ty.typmods.len(),
        key: table_key || identity || kinds.contains(&ConstrType::ConstrPrimary),
    })
}
