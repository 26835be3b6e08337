//! What `CREATE TABLE`, `ALTER TABLE`, renames and drops change in what is known:
//! columns and their types, partitions and inheritance children, storage, and the
//! names of tables and indexes that other facts point at.

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableType as At, CreateStmt, DropStmt, ObjectType, RenameStmt};

use super::constraint::remember_constraint;
use crate::migration::ast;
use crate::migration::state::{ChildKind, State, Storage};
use crate::model::{QualifiedName, Table};

pub(super) fn create_table(create: &CreateStmt, state: &mut State) {
    let Some(name) = create.relation.as_ref().map(ast::relation) else { return };
    if create.if_not_exists && (state.schema.tables.contains_key(&name) || state.storage.contains_key(&name)) {
        return;
    }
    let mut table = Table::new(name.clone());
    table.columns = create
        .table_elts
        .iter()
        .filter_map(|e| match &e.node {
            Some(N::ColumnDef(def)) => ast::column_shape(def),
            _ => None,
        })
        .collect();
    state.schema.tables.insert(name.clone(), table);
    for element in &create.table_elts {
        match &element.node {
            Some(N::ColumnDef(def)) => {
                for c in ast::constraints(&def.constraints) {
                    remember_constraint(state, &name, c, Some(&def.colname), false);
                }
            }
            Some(N::Constraint(c)) => remember_constraint(state, &name, c, None, false),
            _ => {}
        }
    }
    for parent in create.inh_relations.iter().filter_map(|r| match &r.node {
        Some(N::RangeVar(r)) => Some(ast::relation(r)),
        _ => None,
    }) {
        let kind = match &create.partbound {
            Some(bound) if bound.is_default => ChildKind::DefaultPartition,
            Some(_) => ChildKind::Partition,
            None => ChildKind::Inherits,
        };
        state.children.entry(parent).or_default().push((name.clone(), kind));
    }
    if let Some(spec) = &create.partspec {
        let keys: Option<Vec<String>> = spec
            .part_params
            .iter()
            .map(|p| match &p.node {
                Some(N::PartitionElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                _ => None,
            })
            .collect();
        if let Some(keys) = keys {
            state.partition_keys.insert(name.clone(), keys);
        }
    }
    let storage = Storage {
        access_method: (!create.access_method.is_empty()).then(|| create.access_method.clone()),
        tablespace: (!create.tablespacename.is_empty()).then(|| create.tablespacename.clone()),
    };
    state.storage.insert(name.clone(), storage);
    state.created.insert(name);
}

pub(super) fn alter_command(cmd: &AlterTableCmd, table: &QualifiedName, state: &mut State) {
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = ast::definition(cmd);
    let created = state.created.contains(table);
    let known = state.schema.tables.entry(table.clone()).or_insert_with(|| Table::new(table.clone()));
    match (subtype, def) {
        (At::AtAddColumn, Some(N::ColumnDef(def))) => {
            if cmd.missing_ok && known.column(&def.colname).is_some() {
                return;
            }
            if let Some(column) = ast::column_shape(def) {
                known.columns.retain(|c| c.name != column.name);
                state.not_null_set.remove(&(table.clone(), column.name.clone()));
                if !created {
                    state.new_columns.insert((table.clone(), column.name.clone()));
                }
                known.columns.push(column);
            }
            for c in ast::constraints(&def.constraints) {
                remember_constraint(state, table, c, Some(&def.colname), true);
            }
        }
        (At::AtDropColumn, _) => {
            known.columns.retain(|c| c.name != cmd.name);
            let key = (table.clone(), cmd.name.clone());
            state.not_null_set.remove(&key);
            state.new_columns.remove(&key);
            // PostgreSQL drops the constraints on the column with it.
            state.constraints.retain(|(t, _), c| t != table || !c.columns.contains(&cmd.name));
        }
        (At::AtAlterColumnType, Some(N::ColumnDef(def))) => {
            let ty = def.type_name.as_ref().and_then(|t| crate::sql::type_from_ast(t).ok());
            if let (Some(column), Some(ty)) = (known.columns.iter_mut().find(|c| c.name == cmd.name), ty) {
                column.ty = ty;
            }
        }
        (At::AtSetNotNull | At::AtDropNotNull, _) => {
            let not_null = subtype == At::AtSetNotNull;
            let key = (table.clone(), cmd.name.clone());
            match known.columns.iter_mut().find(|c| c.name == cmd.name) {
                Some(column) => {
                    column.nullable = !not_null;
                    state.not_null_set.remove(&key);
                }
                None => {
                    state.not_null_set.insert(key, not_null);
                }
            }
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
        (At::AtAttachPartition, Some(N::PartitionCmd(partition))) => {
            if let Some(child) = partition.name.as_ref().map(ast::relation) {
                let kind = if partition.bound.as_ref().is_some_and(|b| b.is_default) {
                    ChildKind::DefaultPartition
                } else {
                    ChildKind::Partition
                };
                state.children.entry(table.clone()).or_default().push((child, kind));
            }
        }
        (At::AtDetachPartition | At::AtDetachPartitionFinalize, Some(N::PartitionCmd(partition))) => {
            if let Some(child) = partition.name.as_ref().map(ast::relation) {
                forget_child(state, table, &child);
            }
        }
        (At::AtAddInherit, Some(N::RangeVar(parent))) => {
            state
                .children
                .entry(ast::relation(parent))
                .or_default()
                .push((table.clone(), ChildKind::Inherits));
        }
        (At::AtDropInherit, Some(N::RangeVar(parent))) => forget_child(state, &ast::relation(parent), table),
        (At::AtSetAccessMethod, _) => {
            let method = (!cmd.name.is_empty()).then(|| cmd.name.clone());
            state.storage.entry(table.clone()).or_default().access_method = method;
        }
        (At::AtSetTableSpace, _) => {
            state.storage.entry(table.clone()).or_default().tablespace = Some(cmd.name.clone());
        }
        _ => {}
    }
}

fn forget_child(state: &mut State, parent: &QualifiedName, child: &QualifiedName) {
    if let Some(children) = state.children.get_mut(parent) {
        children.retain(|(c, _)| c != child);
    }
}

pub(super) fn rename_stmt(rename: &RenameStmt, state: &mut State) {
    let Some(from) = rename.relation.as_ref().map(ast::relation) else { return };
    let kind = ObjectType::try_from(rename.rename_type).unwrap_or(ObjectType::Undefined);
    match kind {
        ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview | ObjectType::ObjectForeignTable => {
            rename_table(state, &from, &from.sibling(rename.newname.clone()));
        }
        ObjectType::ObjectIndex => {
            let to = from.sibling(rename.newname.clone());
            if let Some(table) = state.indexes.remove(&from) {
                state.indexes.insert(to.clone(), table);
            }
            if let Some(columns) = state.index_columns.remove(&from) {
                state.index_columns.insert(to.clone(), columns);
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
            let old = (from.clone(), rename.subname.clone());
            if let Some(set) = state.not_null_set.remove(&old) {
                state.not_null_set.insert((from.clone(), rename.newname.clone()), set);
            }
            if state.new_columns.remove(&old) {
                state.new_columns.insert((from.clone(), rename.newname.clone()));
            }
            for (_, c) in state.constraints.iter_mut().filter(|((t, _), _)| t == &from) {
                c.columns
                    .iter_mut()
                    .filter(|n| **n == rename.subname)
                    .for_each(|n| n.clone_from(&rename.newname));
            }
        }
        ObjectType::ObjectTabconstraint => {
            if let Some(known) = state.constraints.remove(&(from.clone(), rename.subname.clone())) {
                state.constraints.insert((from, rename.newname.clone()), known);
            }
        }
        _ => {}
    }
}

/// A table renamed or moved to another schema: every fact that names it follows.
pub(super) fn rename_table(state: &mut State, from: &QualifiedName, to: &QualifiedName) {
    if let Some(mut table) = state.schema.tables.remove(from) {
        table.name = to.clone();
        state.schema.tables.insert(to.clone(), table);
    }
    if state.created.remove(from) {
        state.created.insert(to.clone());
    }
    let constraints = std::mem::take(&mut state.constraints);
    state.constraints = constraints
        .into_iter()
        .map(|((t, name), mut c)| {
            if c.references.as_ref() == Some(from) {
                c.references = Some(to.clone());
            }
            (if &t == from { (to.clone(), name) } else { (t, name) }, c)
        })
        .collect();
    for table in state.indexes.values_mut().filter(|t| *t == from) {
        *table = to.clone();
    }
    if let Some(children) = state.children.remove(from) {
        state.children.insert(to.clone(), children);
    }
    for (child, _) in state.children.values_mut().flatten().filter(|(c, _)| c == from) {
        *child = to.clone();
    }
    for map in [&mut state.not_null_set] {
        let moved: Vec<_> = map.keys().filter(|(t, _)| t == from).cloned().collect();
        for key in moved {
            if let Some(v) = map.remove(&key) {
                map.insert((to.clone(), key.1), v);
            }
        }
    }
    let moved: Vec<_> = state.new_columns.iter().filter(|(t, _)| t == from).cloned().collect();
    for key in moved {
        state.new_columns.remove(&key);
        state.new_columns.insert((to.clone(), key.1));
    }
    if let Some(storage) = state.storage.remove(from) {
        state.storage.insert(to.clone(), storage);
    }
    if let Some(keys) = state.partition_keys.remove(from) {
        state.partition_keys.insert(to.clone(), keys);
    }
    if let Some(sources) = state.view_sources.remove(from) {
        state.view_sources.insert(to.clone(), sources);
    }
}

pub(super) fn drop_stmt(drop: &DropStmt, state: &mut State) {
    let kind = ObjectType::try_from(drop.remove_type).unwrap_or(ObjectType::Undefined);
    let names = drop.objects.iter().filter_map(|o| match &o.node {
        Some(N::List(list)) => ast::dotted(&list.items),
        Some(N::String(s)) => Some(QualifiedName::new("public", s.sval.clone())),
        Some(N::TypeName(t)) => ast::dotted(&t.names),
        Some(N::ObjectWithArgs(f)) => ast::dotted(&f.objname),
        _ => None,
    });
    for name in names.collect::<Vec<_>>() {
        match kind {
            ObjectType::ObjectTable | ObjectType::ObjectForeignTable => {
                state.schema.tables.remove(&name);
                state.constraints.retain(|(t, _), _| t != &name);
                state.indexes.retain(|_, t| t != &name);
                state.children.remove(&name);
                for children in state.children.values_mut() {
                    children.retain(|(c, _)| c != &name);
                }
                state.storage.remove(&name);
                state.partition_keys.remove(&name);
                state.created.remove(&name);
            }
            ObjectType::ObjectIndex => {
                state.indexes.remove(&name);
                state.index_columns.remove(&name);
                state.created.remove(&name);
            }
            ObjectType::ObjectView | ObjectType::ObjectMatview => {
                state.view_sources.remove(&name);
                state.created.remove(&name);
            }
            ObjectType::ObjectDomain => {
                state.domains.remove(&name);
            }
            ObjectType::ObjectFunction | ObjectType::ObjectProcedure | ObjectType::ObjectRoutine => {
                state.functions.remove(&name);
                state.created_functions.remove(&name);
            }
            _ => {}
        }
    }
}
