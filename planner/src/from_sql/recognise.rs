//! The statements of a migration that bellows has a recipe for, read as `Change`s:
//! tables, columns, indexes, constraints, NOT NULL, type changes, renames, drops and
//! enum values. Anything else is run as written.

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableType as At, ConstrType, Constraint as Ast, ObjectType};
use pg_query::NodeEnum;

use crate::change::{add_constraint, Change, Constraint, EnumPosition};
use crate::migration::{ast, track};
use crate::model::{Check, Column, Enum, ForeignKey, Index, PrimaryKey, QualifiedName, Schema, Table, Unique};
use crate::sql::{expr_from_node, string_value};

/// The changes a statement makes, or `None` when bellows has no recipe for it.
pub(super) fn recognise(node: &NodeEnum, schema: &Schema) -> Option<Vec<Change>> {
    match node {
        NodeEnum::CreateStmt(create) if create.partbound.is_none() && create.inh_relations.is_empty() => {
            let name = ast::relation(create.relation.as_ref()?);
            let mut table = Table::new(name.clone());
            let mut constraints = Vec::new();
            let key = super::check::primary_key_of(create);
            let on = On {
                table: &name,
                schema,
                creating: Some(&key),
            };
            for element in &create.table_elts {
                match &element.node {
                    Some(N::ColumnDef(def)) => {
                        table.columns.push(ast::column(def)?);
                        for c in ast::constraints(&def.constraints) {
                            // A column constraint bellows has no recipe for is left out only
                            // when it is not a key (NOT NULL, DEFAULT, ... are in the column).
                            match constraint(&on, c, Some(&def.colname)) {
                                Some(c) => constraints.push(c),
                                None if ast::constr_type(c) == ConstrType::ConstrForeign => return None,
                                None => {}
                            }
                        }
                    }
                    Some(N::Constraint(c)) => constraints.push(constraint(&on, c, None)?),
                    _ => return None,
                }
            }
            let mut change = Change::CreateTable { table };
            let mut with_constraints = Schema::default();
            with_constraints.apply(&change);
            for c in constraints {
                with_constraints.apply(&add_constraint(&name, c));
            }
            if let Some(table) = with_constraints.tables.remove(&name) {
                change = Change::CreateTable { table };
            }
            Some(vec![change])
        }
        NodeEnum::AlterTableStmt(alter) if alter.objtype == ObjectType::ObjectTable as i32 => {
            let table = ast::relation(alter.relation.as_ref()?);
            let mut out = Vec::new();
            for cmd in &alter.cmds {
                let Some(N::AlterTableCmd(cmd)) = &cmd.node else { return None };
                out.extend(alter_command(&table, cmd, schema)?);
            }
            Some(out)
        }
        NodeEnum::IndexStmt(index) if !index.idxname.is_empty() => {
            let table = ast::relation(index.relation.as_ref()?);
            let mut keys = Vec::new();
            let mut options = Vec::new();
            for param in &index.index_params {
                let Some(N::IndexElem(elem)) = &param.node else { return None };
                let (key, option) = crate::sql::index_key(elem)?;
                keys.push(key);
                options.push(option);
            }
            let include = index.index_including_params.iter().filter_map(|p| match &p.node {
                Some(N::IndexElem(e)) => Some(e.name.clone()),
                _ => None,
            });
            let method = Some(index.access_method.clone()).filter(|m| !m.is_empty() && m != "btree");
            let predicate = match &index.where_clause {
                Some(w) => Some(expr_from_node(w)?),
                None => None,
            };
            let index = Index {
                name: index.idxname.clone(),
                keys,
                unique: index.unique,
                predicate,
                method,
                include: include.collect(),
                options,
            }
            .with_normal_options();
            Some(vec![Change::AddIndex { table, index }])
        }
        NodeEnum::DropStmt(drop) => drop_statement(drop, schema),
        NodeEnum::RenameStmt(rename) => {
            let from = ast::relation(rename.relation.as_ref()?);
            match ObjectType::try_from(rename.rename_type).ok()? {
                ObjectType::ObjectTable => Some(vec![Change::RenameTable {
                    to: from.sibling(rename.newname.clone()),
                    from,
                }]),
                ObjectType::ObjectColumn => {
                    let old = schema.tables.get(&from)?.column(&rename.subname)?.clone();
                    let column = Column {
                        name: rename.newname.clone(),
                        ..old.clone()
                    };
                    Some(vec![Change::RenameColumn { table: from, old, column }])
                }
                _ => None,
            }
        }
        NodeEnum::CreateEnumStmt(e) => {
            let name = ast::dotted(&e.type_name)?;
            let values = e.vals.iter().filter_map(string_value).collect();
            Some(vec![Change::CreateEnum {
                enum_type: Enum { name, values },
            }])
        }
        NodeEnum::AlterEnumStmt(e) if !e.new_val.is_empty() => {
            let name = ast::dotted(&e.type_name)?;
            let position = match (e.new_val_neighbor.is_empty(), e.new_val_is_after) {
                (true, _) => EnumPosition::Last,
                (false, true) => EnumPosition::After(e.new_val_neighbor.clone()),
                (false, false) => EnumPosition::Before(e.new_val_neighbor.clone()),
            };
            Some(vec![Change::AddEnumValue {
                name,
                value: e.new_val.clone(),
                position,
            }])
        }
        _ => None,
    }
}

fn alter_command(table: &QualifiedName, cmd: &AlterTableCmd, schema: &Schema) -> Option<Vec<Change>> {
    let known = schema.tables.get(table);
    let column = || known.and_then(|t| t.column(&cmd.name)).cloned();
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    let t = table.clone();
    let c = cmd.name.clone();
    let on = On { table, schema, creating: None };
    let change = match (At::try_from(cmd.subtype).ok()?, def) {
        (At::AtAddColumn, Some(N::ColumnDef(def))) => {
            let mut out = vec![Change::AddColumn {
                table: t,
                column: ast::column(def)?,
            }];
            for con in ast::constraints(&def.constraints) {
                if !matches!(
                    ast::constr_type(con),
                    ConstrType::ConstrNotnull | ConstrType::ConstrNull | ConstrType::ConstrDefault
                ) {
                    out.push(add_constraint(table, constraint(&on, con, Some(&def.colname))?));
                }
            }
            return Some(out);
        }
        (At::AtDropColumn, _) => Change::DropColumn { table: t, column: column()? },
        (At::AtAlterColumnType, Some(N::ColumnDef(def))) => {
            let old = column()?;
            let ty = crate::sql::type_from_ast(def.type_name.as_ref()?).ok()?;
            let using = match &def.raw_default {
                Some(u) => Some(expr_from_node(u)?),
                None => None,
            };
            Change::AlterColumnType {
                table: t,
                from: old.ty.clone(),
                column: Column { ty, using, ..old },
            }
        }
        (At::AtSetNotNull, _) => Change::SetNotNull { table: t, column: column()? },
        (At::AtDropNotNull, _) => Change::DropNotNull { table: t, column: c },
        (At::AtColumnDefault, Some(node)) => Change::SetDefault {
            table: t,
            column: c,
            default: expr_from_node(&pg_query::protobuf::Node { node: Some(node.clone()) })?,
        },
        (At::AtColumnDefault, None) => Change::DropDefault { table: t, column: c },
        (At::AtAddConstraint, Some(N::Constraint(con))) => add_constraint(table, constraint(&on, con, None)?),
        (At::AtDropConstraint, _) => {
            let existing = known.and_then(|k| crate::change::constraint_named(k, &cmd.name))?;
            Change::DropConstraint {
                table: t,
                constraint: existing,
            }
        }
        // The recipes validate what they add; a VALIDATE in the file adds nothing.
        (At::AtValidateConstraint, _) => return Some(Vec::new()),
        _ => return None,
    };
    Some(vec![change])
}

/// Where a constraint is declared: its table, the schema so far, and for a table being
/// created, its primary key (which a foreign key to the table itself references).
struct On<'a> {
    table: &'a QualifiedName,
    schema: &'a Schema,
    creating: Option<&'a [String]>,
}

/// The columns a foreign key references: its list, or without one the primary key
/// of the referenced table (`None` when that is unknown).
pub(super) fn referenced_key(c: &Ast, schema: &Schema, table: &QualifiedName, creating: Option<&[String]>) -> Option<Vec<String>> {
    let listed = ast::names(&c.pk_attrs);
    if !listed.is_empty() {
        return Some(listed);
    }
    let references = ast::relation(c.pktable.as_ref()?);
    if let Some(key) = creating.filter(|k| !k.is_empty() && references == *table) {
        return Some(key.to_vec());
    }
    Some(schema.tables.get(&references)?.primary_key.as_ref()?.columns.clone()).filter(|k| !k.is_empty())
}

/// A table or column constraint as the model's constraint (`None` for kinds bellows
/// has no recipe for, such as exclusion constraints or USING INDEX, and for a foreign
/// key whose referenced columns are unknown).
fn constraint(on: &On<'_>, c: &Ast, column: Option<&str>) -> Option<Constraint> {
    let table = on.table;
    let name = if c.conname.is_empty() {
        track::default_name(table, c, column)
    } else {
        c.conname.clone()
    };
    let keys = |list: &[pg_query::protobuf::Node]| {
        let names = ast::names(list);
        if names.is_empty() {
            column.map(|c| vec![c.to_string()]).unwrap_or_default()
        } else {
            names
        }
    };
    if !c.indexname.is_empty() {
        return None;
    }
    Some(match ast::constr_type(c) {
        ConstrType::ConstrPrimary => Constraint::PrimaryKey(PrimaryKey { name, columns: keys(&c.keys) }),
        ConstrType::ConstrUnique => Constraint::Unique(Unique { name, columns: keys(&c.keys) }),
        ConstrType::ConstrCheck => Constraint::Check(Check {
            name,
            expression: expr_from_node(c.raw_expr.as_deref()?)?,
        }),
        ConstrType::ConstrForeign => Constraint::ForeignKey(ForeignKey {
            name,
            columns: keys(&c.fk_attrs),
            references: ast::relation(c.pktable.as_ref()?),
            referenced_columns: referenced_key(c, on.schema, table, on.creating)?,
            on_delete: action(&c.fk_del_action),
            on_update: action(&c.fk_upd_action),
            deferrable: match (c.deferrable, c.initdeferred) {
                (_, true) => crate::model::Deferrable::InitiallyDeferred,
                (true, false) => crate::model::Deferrable::InitiallyImmediate,
                _ => crate::model::Deferrable::NotDeferrable,
            },
        }),
        _ => return None,
    })
}

/// pg_query's one-letter referential actions.
fn action(code: &str) -> crate::model::ReferentialAction {
    use crate::model::ReferentialAction as A;
    match code {
        "r" => A::Restrict,
        "c" => A::Cascade,
        "n" => A::SetNull,
        "d" => A::SetDefault,
        _ => A::NoAction,
    }
}

fn drop_statement(drop: &pg_query::protobuf::DropStmt, schema: &Schema) -> Option<Vec<Change>> {
    let names: Vec<QualifiedName> = drop
        .objects
        .iter()
        .map(|o| match &o.node {
            Some(N::List(list)) => ast::dotted(&list.items),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let kind = ObjectType::try_from(drop.remove_type).ok()?;
    names
        .into_iter()
        .map(|name| match kind {
            ObjectType::ObjectTable => Some(Change::DropTable {
                table: schema.tables.get(&name).cloned().unwrap_or_else(|| Table::new(name)),
            }),
            ObjectType::ObjectIndex => {
                let (table, index) = schema.tables.values().find_map(|t| {
                    t.indexes
                        .iter()
                        .find(|i| t.name.sibling(i.name.clone()) == name)
                        .map(|i| (t.name.clone(), i.clone()))
                })?;
                Some(Change::DropIndex { table, index })
            }
            _ => None,
        })
        .collect()
}
