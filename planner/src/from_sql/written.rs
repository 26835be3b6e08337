//! Statements bellows has no recipe for, run as written: their step (locks from the
//! one table of lock facts, transactionality from the one answer the linter shares),
//! where they go when they would break the running application version (a drop waits
//! for contract; a rename says plainly that it breaks the old version), a `DROP INDEX`
//! made concurrent, and a type change whose old type is unknown labelled as such.

use std::collections::BTreeSet;

use pg_query::protobuf::{node::Node as N, AlterTableType as At, DropBehavior, ObjectType};
use pg_query::NodeEnum;

use crate::locks::{Cost, PgVersion};
use crate::migration::transaction::outside_transaction;
use crate::migration::{ast, classify};
use crate::model::{QualifiedName, Schema};
use crate::step::{Draft, Obj, Phase, Step, StepKind};

/// A statement run as written: its text, where it is, and what it is.
pub(super) struct Written<'a> {
    pub node: &'a NodeEnum,
    pub sql: &'a str,
    pub id: String,
    pub line: usize,
}

pub(super) fn raw_step(w: &Written<'_>, schema: &Schema, assumed: &BTreeSet<QualifiedName>, pg: PgVersion) -> Draft {
    let mut step = Step::new(
        w.id.clone(),
        StepKind::Sql,
        Phase::Expand,
        format!("statement at line {}, run as written (bellows has no recipe for it)", w.line),
    );
    locked(&mut step, w.node, w.sql, schema, pg);
    if let Some(column) = unknown_old_type(w.node, schema, assumed) {
        step.description = format!(
            "statement at line {}, run as written: the current type of {column} is unknown (give --from), so it may rewrite the table (the cost shown is the worst case) or change only the catalog",
            w.line
        );
    }
    match breaks(w.node) {
        Some(Breaks::Drop(what)) => {
            step.phase = Phase::Contract;
            step.description = format!(
                "statement at line {}, run as written in contract: it drops {what}, which the old application version may still use",
                w.line
            );
        }
        Some(Breaks::Rename(what)) => {
            step.description = format!(
                "statement at line {}, run as written. BREAKS THE OLD VERSION: it renames {what}, and the running application's queries that use the old name fail from this step on (bellows has no recipe that keeps both names)",
                w.line
            );
        }
        None => {}
    }
    let mut draft = Draft::from(step);
    // The statement runs after whatever creates the tables it names.
    for table in ast::named_relations(w.node) {
        draft.needs(Obj::Table(table));
    }
    draft
}

fn locked(step: &mut Step, node: &NodeEnum, sql: &str, schema: &Schema, pg: PgVersion) {
    let mut state = crate::migration::state::State::default();
    state.schema = schema.clone();
    let facts = classify::facts_of(&classify::actions(node, &state, pg), pg);
    step.sql = vec![without_trailing_comments(sql).to_string()];
    step.transactional = outside_transaction(node, pg).is_none();
    step.cost = facts.locks.iter().map(|l| l.cost).max().unwrap_or(Cost::Instant);
    step.locks = facts.locks;
}

/// `DROP INDEX` of indexes bellows does not know (no `--from`): each dropped
/// `CONCURRENTLY` in contract, on its own (the concurrent form takes one index).
/// `None` when the statement cannot be made concurrent (CASCADE) or is not one.
pub(super) fn drop_index_concurrently(w: &Written<'_>, schema: &Schema, pg: PgVersion) -> Option<Vec<Draft>> {
    let NodeEnum::DropStmt(drop) = w.node else { return None };
    if drop.remove_type != ObjectType::ObjectIndex as i32 || drop.concurrent || drop.behavior == DropBehavior::DropCascade as i32 {
        return None;
    }
    let mut out = Vec::new();
    for (i, object) in drop.objects.iter().enumerate() {
        let Some(N::List(list)) = &object.node else { return None };
        let name = ast::dotted(&list.items)?;
        let sql = format!("DROP INDEX CONCURRENTLY {}{}", if drop.missing_ok { "IF EXISTS " } else { "" }, name.sql());
        let parsed = pg_query::parse(&sql, 0).ok()?;
        let node = parsed.protobuf.stmts.first()?.stmt.as_ref()?.node.clone()?;
        let id = if drop.objects.len() == 1 {
            w.id.clone()
        } else {
            format!("{}-{}", w.id, i + 1)
        };
        let mut step = Step::new(
            id,
            StepKind::DropIndexConcurrently,
            Phase::Contract,
            format!(
                "drop index {name} concurrently (statement at line {}; the index may still serve the old version's queries)",
                w.line
            ),
        );
        locked(&mut step, &node, &sql, schema, pg);
        step.drops.push(crate::step::DbObject::Index { name });
        out.push(Draft::from(step));
    }
    Some(out)
}

/// What a statement run as written does to the running application version.
enum Breaks {
    /// It drops something the old version may use: it waits for contract.
    Drop(String),
    /// It renames something the old version uses by name.
    Rename(String),
}

fn breaks(node: &NodeEnum) -> Option<Breaks> {
    let kind = |t: i32| ObjectType::try_from(t).unwrap_or(ObjectType::Undefined);
    let object = |t: ObjectType| match t {
        ObjectType::ObjectTable | ObjectType::ObjectForeignTable => Some("table"),
        ObjectType::ObjectView => Some("view"),
        ObjectType::ObjectMatview => Some("materialized view"),
        ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine => Some("function"),
        ObjectType::ObjectSequence => Some("sequence"),
        ObjectType::ObjectType | ObjectType::ObjectDomain => Some("type"),
        ObjectType::ObjectSchema => Some("schema"),
        ObjectType::ObjectColumn | ObjectType::ObjectAttribute => Some("column"),
        _ => None,
    };
    match node {
        NodeEnum::DropStmt(drop) => object(kind(drop.remove_type)).map(|o| Breaks::Drop(format!("a {o}"))),
        NodeEnum::AlterTableStmt(alter) => {
            let table = ast::relation(alter.relation.as_ref()?);
            let dropped: Vec<&str> = ast::commands_of(alter, At::AtDropColumn).map(|c| c.name.as_str()).collect();
            (!dropped.is_empty()).then(|| Breaks::Drop(format!("column {} of {table}", dropped.join(", "))))
        }
        NodeEnum::RenameStmt(rename) => {
            let o = object(kind(rename.rename_type))?;
            let what = match &rename.relation {
                Some(r) if o == "column" => format!("column {}.{}", ast::relation(r), rename.subname),
                Some(r) => format!("{o} {}", ast::relation(r)),
                None => format!("a {o}"),
            };
            Some(Breaks::Rename(format!("{what} to {}", rename.newname)))
        }
        NodeEnum::AlterObjectSchemaStmt(moved) => {
            let o = object(kind(moved.object_type))?;
            Some(Breaks::Rename(format!("a {o} into schema {}", moved.newschema)))
        }
        _ => None,
    }
}

/// What a statement drops (the objects of a `DROP`, the table of a `DROP COLUMN`).
pub(super) fn dropped(node: &NodeEnum) -> Vec<QualifiedName> {
    match node {
        NodeEnum::DropStmt(drop) => drop
            .objects
            .iter()
            .filter_map(|o| match &o.node {
                Some(N::List(list)) => ast::dotted(&list.items),
                _ => None,
            })
            .collect(),
        _ => ast::named_relations(node),
    }
}

/// The objects a statement names: its relations, the index it creates, what it drops.
pub(super) fn mentions(node: &NodeEnum) -> Vec<QualifiedName> {
    let mut out = ast::named_relations(node);
    match node {
        NodeEnum::IndexStmt(index) => out.extend(index.relation.as_ref().map(|r| ast::relation(r).sibling(index.idxname.clone()))),
        NodeEnum::DropStmt(_) => out.extend(dropped(node)),
        _ => {}
    }
    out
}

/// `ALTER COLUMN ... TYPE` of a column whose current type bellows does not know.
fn unknown_old_type(node: &NodeEnum, schema: &Schema, assumed: &BTreeSet<QualifiedName>) -> Option<String> {
    let NodeEnum::AlterTableStmt(alter) = node else { return None };
    let table = ast::relation(alter.relation.as_ref()?);
    let known = schema.tables.get(&table).filter(|_| !assumed.contains(&table));
    ast::commands_of(alter, At::AtAlterColumnType)
        .find(|cmd| known.and_then(|t| t.column(&cmd.name)).is_none())
        .map(|cmd| format!("{table}.{}", crate::model::quote_ident(&cmd.name)))
}

/// The statement without the comments after its last token: its text runs to the next
/// `;`, and a `;` put after a `--` comment would be commented out.
fn without_trailing_comments(sql: &str) -> &str {
    use pg_query::protobuf::Token;
    let Some(tokens) = crate::libpg_query::scan_tokens(sql) else { return sql };
    let end = tokens
        .iter()
        .filter(|t| !matches!(Token::try_from(t.token), Ok(Token::SqlComment | Token::CComment)))
        .filter_map(|t| usize::try_from(t.end).ok())
        .max();
    end.filter(|&e| e <= sql.len() && sql.is_char_boundary(e)).map_or(sql, |e| &sql[..e])
}

#[cfg(test)]
mod tests {
    #[test]
    fn trailing_comments_are_not_part_of_the_statement() {
        let sql = "comment on column t.c is 'x'\n\n-- later:\n-- update t set c = 1;";
        assert_eq!(super::without_trailing_comments(sql), "comment on column t.c is 'x'");
        assert_eq!(super::without_trailing_comments("select 1 /* c */"), "select 1");
    }
}
