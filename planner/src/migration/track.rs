//! Keeping `State` up to date as statements run: tables, columns and constraints
//! created, changed or dropped; indexes; transactions; lock timeouts; enum values.

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ConstrType, Constraint, ObjectType, TransactionStmtKind as Tx, VariableSetKind};
use pg_query::NodeEnum;

use super::ast;
use super::classify::{constraint_kind, query_relations};
use super::state::{KnownConstraint, State};
use crate::locks::ConstraintKind;
use crate::model::{QualifiedName, Table};

/// Applies the effect of one statement to what is known.
pub fn apply(node: &NodeEnum, state: &mut State) {
    match node {
        NodeEnum::TransactionStmt(tx) => match Tx::try_from(tx.kind).unwrap_or(Tx::Undefined) {
            Tx::TransStmtBegin | Tx::TransStmtStart => state.begin(true),
            Tx::TransStmtCommit | Tx::TransStmtRollback | Tx::TransStmtPrepare => state.end(),
            _ => {}
        },
        NodeEnum::VariableSetStmt(set) if set.name == "lock_timeout" => {
            let kind = VariableSetKind::try_from(set.kind).unwrap_or(VariableSetKind::Undefined);
            let zero = set.args.iter().any(|a| matches!(&a.node, Some(N::AConst(c)) if matches!(&c.val, Some(pg_query::protobuf::a_const::Val::Ival(i)) if i.ival == 0) || matches!(&c.val, Some(pg_query::protobuf::a_const::Val::Sval(s)) if s.sval.trim_start_matches('0').is_empty() || s.sval == "0")));
            let on = kind == VariableSetKind::VarSetValue && !zero;
            state.set_lock_timeout(on, set.is_local);
        }
        NodeEnum::VariableSetStmt(set) if set.kind == VariableSetKind::VarResetAll as i32 => state.set_lock_timeout(false, false),
        NodeEnum::CreateStmt(create) => create_table(create, state),
        NodeEnum::CreateTableAsStmt(create) => {
            if let Some(r) = create.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let name = ast::relation(r);
                state.view_sources.insert(name.clone(), query_relations(create.query.as_deref()));
                state.created.insert(name);
            }
        }
        NodeEnum::ViewStmt(view) => {
            if let Some(r) = view.view.as_ref() {
                let name = ast::relation(r);
                state.view_sources.insert(name.clone(), query_relations(view.query.as_deref()));
                state.created.insert(name);
            }
        }
        NodeEnum::IndexStmt(index) => {
            if let (Some(table), false) = (index.relation.as_ref().map(ast::relation), index.idxname.is_empty()) {
                let name = table.sibling(index.idxname.clone());
                state.indexes.insert(name.clone(), table);
                state.index_columns.insert(name.clone(), ast::index_key_columns(&index.index_params));
                state.created.insert(name);
            }
        }
        NodeEnum::AlterTableStmt(alter) => {
            let Some(table) = alter.relation.as_ref().map(ast::relation) else { return };
            for cmd in ast::commands(alter) {
                alter_command(cmd, &table, state);
            }
        }
        NodeEnum::RenameStmt(rename) => rename_stmt(rename, state),
        NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectTable as i32 => {
            for name in drop.objects.iter().filter_map(|o| match &o.node {
                Some(N::List(list)) => ast::dotted(&list.items),
                _ => None,
            }) {
                state.schema.tables.remove(&name);
                state.constraints.retain(|(t, _), _| t != &name);
            }
        }
        NodeEnum::AlterEnumStmt(alter) if !alter.new_val.is_empty() => {
            if let Some(name) = ast::dotted(&alter.type_name) {
                state.enum_values_added.insert((name, alter.new_val.clone()));
            }
        }
        _ => {}
    }
}

fn create_table(create: &pg_query::protobuf::CreateStmt, state: &mut State) {
    let Some(name) = create.relation.as_ref().map(ast::relation) else { return };
    let mut table = Table::new(name.clone());
    for element in &create.table_elts {
        match &element.node {
            Some(N::ColumnDef(def)) => {
                if let Some(column) = ast::column_shape(def) {
                    table.columns.push(column);
                }
                for c in ast::constraints(&def.constraints) {
                    remember_constraint(state, &name, c, Some(&def.colname), false);
                }
            }
            Some(N::Constraint(c)) => remember_constraint(state, &name, c, None, false),
            _ => {}
        }
    }
    state.created.insert(name.clone());
    state.schema.tables.insert(name, table);
}

fn alter_command(cmd: &pg_query::protobuf::AlterTableCmd, table: &QualifiedName, state: &mut State) {
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = ast::definition(cmd);
    let known = state.schema.tables.entry(table.clone()).or_insert_with(|| Table::new(table.clone()));
    match (subtype, def) {
        (At::AtAddColumn, Some(N::ColumnDef(def))) => {
            if let Some(column) = ast::column_shape(def) {
                known.columns.retain(|c| c.name != column.name);
                state.not_null_set.remove(&(table.clone(), column.name.clone()));
                known.columns.push(column);
            }
            for c in ast::constraints(&def.constraints) {
                remember_constraint(state, table, c, Some(&def.colname), true);
            }
        }
        (At::AtDropColumn, _) => {
            known.columns.retain(|c| c.name != cmd.name);
            state.not_null_set.remove(&(table.clone(), cmd.name.clone()));
        }
        (At::AtAlterColumnType, Some(N::ColumnDef(def))) => {
            let ty = def.type_name.as_ref().and_then(|t| crate::sql::type_from_ast(t).ok());
            if let (Some(column), Some(ty)) = (known.columns.iter_mut().find(|c| c.name == cmd.name), ty) {
                column.ty = ty;
            }
        }
        (At::AtSetNotNull | At::AtDropNotNull, _) => {
            let not_null = subtype == At::AtSetNotNull;
            known.columns.iter_mut().filter(|c| c.name == cmd.name).for_each(|c| c.nullable = !not_null);
            state.not_null_set.insert((table.clone(), cmd.name.clone()), not_null);
        }
        (At::AtAddConstraint, Some(N::Constraint(c))) => remember_constraint(state, table, c, None, true),
        (At::AtValidateConstraint, _) => {
            if let Some(known) = state.constraints.get_mut(&(table.clone(), cmd.name.clone())) {
                known.validated = true;
            }
        }
        (At::AtDropConstraint, _) => {
            state.constraints.remove(&(table.clone(), cmd.name.clone()));
        }
        _ => {}
    }
}

fn remember_constraint(state: &mut State, table: &QualifiedName, c: &Constraint, column: Option<&str>, in_transaction: bool) {
    let kind = constraint_kind(c);
    if matches!(
        ast::constr_type(c),
        ConstrType::ConstrNotnull | ConstrType::ConstrNull | ConstrType::ConstrDefault | ConstrType::ConstrIdentity | ConstrType::ConstrGenerated
    ) {
        return;
    }
    let name = if c.conname.is_empty() {
        default_name(table, c, column)
    } else {
        c.conname.clone()
    };
    let references = (kind == ConstraintKind::ForeignKey).then(|| c.pktable.as_ref().map(ast::relation)).flatten();
    let not_null_of = (kind == ConstraintKind::Check).then(|| ast::not_null_check_column(c)).flatten();
    let known = KnownConstraint {
        kind,
        validated: !c.skip_validation,
        references,
        not_null_of,
        added_in_transaction: in_transaction && state.in_transaction,
    };
    // A primary key or unique constraint makes an index of the same name on the table.
    if matches!(kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion) {
        let index = if c.indexname.is_empty() { name.clone() } else { c.indexname.clone() };
        state.indexes.insert(table.sibling(index), table.clone());
    }
    state.constraints.insert((table.clone(), name), known);
}

/// PostgreSQL's default constraint names: `<table>_<column>_fkey`, `_key`, `_check`, `_pkey`.
pub(crate) fn default_name(table: &QualifiedName, c: &Constraint, column: Option<&str>) -> String {
    let columns = if c.fk_attrs.is_empty() {
        ast::names(&c.keys)
    } else {
        ast::names(&c.fk_attrs)
    };
    let first = column.map(str::to_string).or_else(|| columns.first().cloned()).unwrap_or_default();
    let suffix = match constraint_kind(c) {
        ConstraintKind::ForeignKey => "fkey",
        ConstraintKind::PrimaryKey => return format!("{}_pkey", table.name),
        ConstraintKind::Unique => "key",
        ConstraintKind::Exclusion => "excl",
        _ => "check",
    };
    format!("{}_{first}_{suffix}", table.name)
}

fn rename_stmt(rename: &pg_query::protobuf::RenameStmt, state: &mut State) {
    let Some(from) = rename.relation.as_ref().map(ast::relation) else { return };
    let kind = ObjectType::try_from(rename.rename_type).unwrap_or(ObjectType::Undefined);
    match kind {
        ObjectType::ObjectTable => {
            let to = from.sibling(rename.newname.clone());
            if let Some(mut table) = state.schema.tables.remove(&from) {
                table.name = to.clone();
                state.schema.tables.insert(to.clone(), table);
            }
            if state.created.remove(&from) {
                state.created.insert(to);
            }
        }
        ObjectType::ObjectColumn => {
            if let Some(column) = state
                .schema
                .tables
                .get_mut(&from)
                .and_then(|t| t.columns.iter_mut().find(|c| c.name == rename.subname))
            {
                column.name = rename.newname.clone();
            }
            if let Some(set) = state.not_null_set.remove(&(from.clone(), rename.subname.clone())) {
                state.not_null_set.insert((from, rename.newname.clone()), set);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_after(sql: &str) -> State {
        let mut state = State::default();
        for raw in pg_query::parse(sql, 0).expect("parses").protobuf.stmts {
            apply(&raw.stmt.and_then(|s| s.node).expect("a statement"), &mut state);
        }
        state
    }

    #[test]
    fn nullability_of_columns_from_before_the_file_is_known_once_the_file_sets_it() {
        let users = QualifiedName::new("public", "users");
        let state =
            state_after("ALTER TABLE users ALTER COLUMN id SET NOT NULL, ALTER COLUMN a SET NOT NULL;\nALTER TABLE users ALTER COLUMN a DROP NOT NULL;");
        assert_eq!(state.not_null(&users, "id"), Some(true));
        assert_eq!(state.not_null(&users, "a"), Some(false));
        assert_eq!(state.not_null(&users, "b"), None);
        let state = state_after("ALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users RENAME COLUMN id TO key;");
        assert_eq!((state.not_null(&users, "id"), state.not_null(&users, "key")), (None, Some(true)));
    }

    #[test]
    fn nullability_of_columns_the_file_declares() {
        let t = QualifiedName::new("public", "t");
        let state = state_after("CREATE TABLE t (a int NOT NULL, b int, c int PRIMARY KEY);\nALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0;");
        let nullability: Vec<_> = ["a", "b", "c", "d"].iter().map(|c| state.not_null(&t, c)).collect();
        assert_eq!(nullability, [Some(true), Some(false), Some(true), Some(true)]);
    }
}
