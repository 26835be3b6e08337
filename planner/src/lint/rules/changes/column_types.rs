//! The column types a statement declares (`CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN
//! TYPE`), for the type-design rules (BW901-BW905), which look at new tables too.

use std::ops::Range;

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ColumnDef, ConstrType, TypeName};
use pg_query::NodeEnum;

use crate::lint::ast;
use crate::lint::rule::StatementContext;

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
        NodeEnum::AlterTableStmt(alter) => alter
            .cmds
            .iter()
            .filter_map(|c| match &c.node {
                Some(N::AlterTableCmd(cmd)) => Some(cmd),
                _ => None,
            })
            .filter_map(|cmd| {
                match (
                    At::try_from(cmd.subtype).unwrap_or(At::Undefined),
                    cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                ) {
                    (At::AtAddColumn, Some(N::ColumnDef(def))) => column(def, &def.colname, false),
                    (At::AtAlterColumnType, Some(N::ColumnDef(def))) => column(def, &cmd.name, false),
                    _ => None,
                }
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

/// Where a finding about `column` points: the column's name as a whole word after the
/// statement's first parenthesis or `COLUMN`, or the whole statement.
pub fn column_span(cx: &StatementContext<'_>, column: &str) -> Range<usize> {
    let lower = cx.sql.to_ascii_lowercase();
    let needle = column.to_ascii_lowercase();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '"';
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle).map(|at| from + at) {
        let end = found + needle.len();
        let before = lower[..found].chars().next_back().is_some_and(is_ident);
        let after = lower[end..].chars().next().is_some_and(is_ident);
        if !before && !after && (lower[..found].contains('(') || lower[..found].contains("column")) {
            return cx.span.start + found..cx.span.start + end;
        }
        from = end;
    }
    cx.span.clone()
}

#[cfg(test)]
pub mod testing {
    use crate::lint::rules::testing::render_diagnostics;
    use crate::lint::{lint_file, Diagnostic, LintOptions, RuleSelection};

    /// Lints `sql` with the off-by-default rule `code` enabled; only its findings.
    pub fn lint_enabled(code: &'static str, sql: &str) -> Vec<Diagnostic> {
        let options = LintOptions {
            rules: RuleSelection {
                enabled: [code].into(),
                ..RuleSelection::default()
            },
            ..LintOptions::default()
        };
        lint_file("migration.sql", sql, None, &options)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == code)
            .collect()
    }

    pub fn render_enabled(code: &'static str, sql: &str) -> String {
        render_diagnostics(sql, &lint_enabled(code, sql))
    }
}
