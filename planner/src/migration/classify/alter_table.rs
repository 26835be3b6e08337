//! The subcommands of `ALTER TABLE` as operations: each has its own lock, and what is
//! known before the statement decides whether it scans or rewrites (column types,
//! constraints, storage), which partitions it recurses into, and which tables at the
//! other end of a foreign key it locks too (`foreign_keys`, `partition`).

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableStmt, AlterTableType as At, ConstrType, Constraint, ObjectType, RenameStmt};

use super::Action;
use crate::locks::{type_change_rewrites_in_session, AddColumn, ConstraintKind, DefaultKind, Op, PgVersion};
use crate::migration::ast;
use crate::migration::state::State;
use crate::model::{QualifiedName, TypeBase};

mod foreign_keys;
mod partition;

pub(super) fn alter_table(alter: &AlterTableStmt, state: &State, pg: PgVersion) -> Vec<Action> {
    let Some(table) = alter.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    // `ALTER INDEX` locks the index itself, not its table: the index is the target.
    // Without ONLY, most subcommands on a partitioned table (or an inheritance parent)
    // recurse into every partition and child, with the same lock.
    let descendants = match alter.relation.as_ref() {
        Some(r) if r.inh && alter.objtype == ObjectType::ObjectTable as i32 => state.descendants(&table),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for cmd in ast::commands(alter) {
        let actions = alter_command(cmd, &table, state, pg);
        if recurses(cmd) {
            for child in &descendants {
                out.extend(actions.iter().filter(|a| a.table == table).map(|a| Action {
                    table: child.clone(),
                    ..a.clone()
                }));
            }
        }
        out.extend(actions);
    }
    out
}

/// The subcommands PostgreSQL applies to every partition and inheritance child too.
fn recurses(cmd: &AlterTableCmd) -> bool {
    matches!(
        At::try_from(cmd.subtype).unwrap_or(At::Undefined),
        At::AtAddColumn
            | At::AtDropColumn
            | At::AtAlterColumnType
            | At::AtSetNotNull
            | At::AtDropNotNull
            | At::AtColumnDefault
            | At::AtAddConstraint
            | At::AtValidateConstraint
            | At::AtDropConstraint
            | At::AtSetStatistics
            | At::AtSetOptions
            | At::AtResetOptions
            | At::AtSetStorage
            | At::AtSetCompression
    )
}

fn alter_command(cmd: &AlterTableCmd, table: &QualifiedName, state: &State, pg: PgVersion) -> Vec<Action> {
    let act = |op: Op| Action::new(op, table.clone());
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = ast::definition(cmd);
    match subtype {
        At::AtAddColumn | At::AtAddColumnToView => match def {
            // IF NOT EXISTS of a column that is there: a notice, and the lock.
            Some(N::ColumnDef(column)) if cmd.missing_ok && state.column(table, &column.colname).is_some() => {
                vec![act(Op::AddColumn(AddColumn::default()))]
            }
            Some(N::ColumnDef(column)) => add_column(column, table, state),
            _ => vec![act(Op::AddColumn(AddColumn::default()))],
        },
        At::AtColumnDefault => vec![act(if cmd.def.is_some() { Op::SetDefault } else { Op::DropDefault })],
        At::AtDropNotNull => vec![act(Op::DropNotNull)],
        At::AtSetNotNull => vec![act(Op::SetNotNull {
            proven: proven_not_null(state, table, &cmd.name),
        })],
        At::AtDropColumn => {
            let mut out = vec![act(Op::DropColumn)];
            out.extend(foreign_keys::dropped_with_column(state, table, &cmd.name, cmd.behavior));
            out
        }
        At::AtAddConstraint => match def {
            Some(N::Constraint(c)) => {
                let mut out = vec![add_constraint(c, table)];
                // PRIMARY KEY USING INDEX makes the key columns NOT NULL, which scans for NULLs where a column is
                // known to be nullable (as ALTER COLUMN SET NOT NULL does).
                if constraint_kind(c) == ConstraintKind::PrimaryKey && !c.indexname.is_empty() {
                    let columns = state.index_columns.get(&table.sibling(c.indexname.clone())).cloned().unwrap_or_default();
                    for column in columns {
                        if state.not_null(table, &column) == Some(false) {
                            out.push(act(Op::SetNotNull {
                                proven: proven_not_null(state, table, &column),
                            }));
                        }
                    }
                }
                out
            }
            _ => Vec::new(),
        },
        At::AtValidateConstraint | At::AtDropConstraint => {
            let known = state.constraints.get(&(table.clone(), cmd.name.clone()));
            let kind = known.map_or(ConstraintKind::Check, |k| k.kind);
            let op = if subtype == At::AtValidateConstraint {
                Op::ValidateConstraint { kind }
            } else {
                Op::DropConstraint { kind }
            };
            vec![Action {
                op,
                table: table.clone(),
                referenced: known.and_then(|k| k.references.clone()),
            }]
        }
        At::AtAlterColumnType => {
            let new_type = match def {
                Some(N::ColumnDef(column)) => column
                    .type_name
                    .as_ref()
                    .and_then(|t| crate::sql::type_from_ast(t).ok())
                    .map(|t| (t, column.raw_default.is_some())),
                _ => None,
            };
            let old_type = state.column(table, &cmd.name).map(|c| c.ty.clone());
            let rewrite = match (old_type, new_type) {
                (Some(old), Some((new, false))) => type_change_rewrites_in_session(&old, &new, pg, state.time_zone_utc),
                _ => true,
            };
            let mut out = vec![act(Op::AlterColumnType { rewrite })];
            out.extend(foreign_keys::rebuilt_with_type(state, table, &cmd.name, rewrite));
            out
        }
        // SET EXPRESSION (PostgreSQL 17+) recomputes every row, like a rewriting type change.
        At::AtSetExpression => vec![act(Op::AlterColumnType { rewrite: true })],
        At::AtSetTableSpace => {
            let current = state.storage.get(table).map(|s| s.tablespace.as_deref().unwrap_or("pg_default"));
            vec![act(Op::SetTablespace {
                rewrite: current != Some(cmd.name.as_str()),
            })]
        }
        At::AtSetLogged | At::AtSetUnLogged => vec![act(Op::SetLogged)],
        At::AtSetAccessMethod => {
            let current = state.storage.get(table).map(|s| s.access_method.as_deref().unwrap_or("heap"));
            let wanted = if cmd.name.is_empty() { "heap" } else { cmd.name.as_str() };
            vec![act(Op::SetAccessMethod {
                rewrite: current != Some(wanted),
            })]
        }
        At::AtAttachPartition | At::AtDetachPartition | At::AtDetachPartitionFinalize => partition::partition_command(subtype, def, table, state),
        At::AtAddInherit | At::AtDropInherit => match def {
            Some(N::RangeVar(parent)) => vec![Action {
                op: if subtype == At::AtAddInherit { Op::AddInherit } else { Op::DropInherit },
                table: table.clone(),
                referenced: Some(ast::relation(parent)),
            }],
            _ => vec![act(Op::ChangeCatalog)],
        },
        // SET GENERATED / SET sequence options take ACCESS EXCLUSIVE like ADD IDENTITY (AlterTableGetLockLevel).
        At::AtAddIdentity | At::AtSetIdentity => vec![act(Op::AddIdentity)],
        At::AtDropIdentity => vec![act(Op::DropIdentity)],
        At::AtSetStatistics | At::AtSetOptions | At::AtResetOptions | At::AtClusterOn | At::AtDropCluster | At::AtSetRelOptions | At::AtResetRelOptions => {
            vec![act(Op::ChangeSetting)]
        }
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => {
            vec![act(Op::EnableTrigger)]
        }
        _ => vec![act(Op::ChangeCatalog)],
    }
}

fn add_column(column: &pg_query::protobuf::ColumnDef, table: &QualifiedName, state: &State) -> Vec<Action> {
    let model = ast::column(column);
    let default = match model.as_ref().and_then(|c| c.default.as_ref()) {
        _ if ast::is_serial(column) => DefaultKind::Volatile,
        Some(d) if d.volatile => DefaultKind::Volatile,
        // `DEFAULT NULL` fills nothing: no default at all.
        Some(d) if d.canonical.eq_ignore_ascii_case("null") => DefaultKind::None,
        Some(_) => DefaultKind::NonVolatile,
        None => DefaultKind::None,
    };
    let identity = model.as_ref().is_some_and(|c| c.identity.is_some());
    let generated_stored = ast::constraints(&column.constraints).any(|c| ast::constr_type(c) == ConstrType::ConstrGenerated && c.generated_kind != "v");
    let not_null = model.as_ref().is_some_and(|c| !c.nullable);
    let constrained_domain = model.as_ref().is_some_and(|c| match &c.ty.base {
        TypeBase::User(name) => state.domains.get(name).copied().unwrap_or(false),
        TypeBase::Builtin(_) => false,
    });
    let mut out = vec![Action::new(
        Op::AddColumn(AddColumn {
            default,
            not_null,
            identity,
            generated_stored,
            constrained_domain,
        }),
        table.clone(),
    )];
    for c in ast::constraints(&column.constraints) {
        if matches!(
            ast::constr_type(c),
            ConstrType::ConstrForeign | ConstrType::ConstrCheck | ConstrType::ConstrUnique | ConstrType::ConstrPrimary
        ) {
            out.push(add_column_constraint(c, column, table));
        }
    }
    out
}

/// The action of a constraint declared on a column that `ADD COLUMN` adds. A new column
/// without a default is NULL in every row, so PostgreSQL marks its foreign key valid
/// without checking (transformFKConstraints: "adding a column with NULL default, we can
/// safely skip validation").
pub fn add_column_constraint(c: &Constraint, column: &pg_query::protobuf::ColumnDef, table: &QualifiedName) -> Action {
    let mut action = add_constraint(c, table);
    let filled = ast::constraints(&column.constraints).any(|k| {
        matches!(
            ast::constr_type(k),
            ConstrType::ConstrDefault | ConstrType::ConstrIdentity | ConstrType::ConstrGenerated
        ) && !(ast::constr_type(k) == ConstrType::ConstrDefault && k.raw_expr.as_deref().is_some_and(is_null))
    }) || column.raw_default.is_some()
        || ast::is_serial(column);
    if let (ConstrType::ConstrForeign, false, Op::AddConstraint { validated, .. }) = (ast::constr_type(c), filled, &mut action.op) {
        *validated = false;
    }
    action
}

/// `NULL`, as a default that fills nothing.
fn is_null(node: &pg_query::protobuf::Node) -> bool {
    matches!(&node.node, Some(N::AConst(c)) if c.isnull)
}

/// `RENAME`: of an index, only the index is locked (SHARE UPDATE EXCLUSIVE since
/// PostgreSQL 12), not its table; a column's rename recurses into partitions and children.
pub(super) fn rename(rename: &RenameStmt, state: &State) -> Vec<Action> {
    let Some(relation) = rename.relation.as_ref() else { return Vec::new() };
    let r = ast::relation(relation);
    if rename.rename_type == ObjectType::ObjectIndex as i32 {
        return vec![Action::new(Op::RenameIndex, r)];
    }
    let children = if rename.rename_type == ObjectType::ObjectColumn as i32 && relation.inh {
        state.descendants(&r)
    } else {
        Vec::new()
    };
    std::iter::once(r).chain(children).map(|t| Action::new(Op::Rename, t)).collect()
}

/// The action of adding constraint `c` to `table` (table or column form).
pub fn add_constraint(c: &Constraint, table: &QualifiedName) -> Action {
    let kind = constraint_kind(c);
    let referenced = (kind == ConstraintKind::ForeignKey).then(|| c.pktable.as_ref().map(ast::relation)).flatten();
    let op = Op::AddConstraint {
        kind,
        validated: !c.skip_validation,
        using_index: !c.indexname.is_empty(),
    };
    Action {
        op,
        table: table.clone(),
        referenced,
    }
}

pub fn constraint_kind(c: &Constraint) -> ConstraintKind {
    match ast::constr_type(c) {
        ConstrType::ConstrForeign => ConstraintKind::ForeignKey,
        ConstrType::ConstrPrimary => ConstraintKind::PrimaryKey,
        ConstrType::ConstrUnique => ConstraintKind::Unique,
        ConstrType::ConstrExclusion => ConstraintKind::Exclusion,
        ConstrType::ConstrNotnull => ConstraintKind::NotNull,
        _ => ConstraintKind::Check,
    }
}

/// A validated `CHECK (col IS NOT NULL)` lets PostgreSQL 12+ skip SET NOT NULL's scan.
pub fn proven_not_null(state: &State, table: &QualifiedName, column: &str) -> bool {
    state
        .constraints
        .iter()
        .any(|((t, _), c)| t == table && c.validated && c.not_null_of.as_deref() == Some(column))
}
