//! The subcommands of `ALTER TABLE` as operations: each has its own lock, and the column
//! types and constraints known before the statement decide whether it scans or rewrites.

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableStmt, AlterTableType as At, ConstrType, Constraint};

use super::Action;
use crate::locks::{type_change_rewrites, AddColumn, ConstraintKind, DefaultKind, Op, PgVersion};
use crate::migration::ast;
use crate::migration::state::State;
use crate::model::QualifiedName;

pub(super) fn alter_table(alter: &AlterTableStmt, state: &State, pg: PgVersion) -> Vec<Action> {
    let Some(table) = alter.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    // `ALTER INDEX` locks the index itself, not its table: the index is the target.
    let mut out = Vec::new();
    for cmd in ast::commands(alter) {
        out.extend(alter_command(cmd, &table, state, pg));
    }
    out
}

fn alter_command(cmd: &AlterTableCmd, table: &QualifiedName, state: &State, pg: PgVersion) -> Vec<Action> {
    let act = |op: Op| Action {
        op,
        table: table.clone(),
        referenced: None,
    };
    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = ast::definition(cmd);
    match subtype {
        At::AtAddColumn | At::AtAddColumnToView => match def {
            Some(N::ColumnDef(column)) => add_column(column, table),
            _ => vec![act(Op::AddColumn(AddColumn::default()))],
        },
        At::AtColumnDefault => vec![act(if cmd.def.is_some() { Op::SetDefault } else { Op::DropDefault })],
        At::AtDropNotNull => vec![act(Op::DropNotNull)],
        At::AtSetNotNull => vec![act(Op::SetNotNull {
            proven: proven_not_null(state, table, &cmd.name),
        })],
        At::AtDropColumn => vec![act(Op::DropColumn)],
        At::AtAddConstraint => match def {
            Some(N::Constraint(c)) => {
                let mut out = vec![add_constraint(c, table)];
                // PRIMARY KEY USING INDEX makes the key columns NOT NULL, which scans for NULLs where a column is
                // known to be nullable (as ALTER COLUMN SET NOT NULL does).
                if constraint_kind(c) == ConstraintKind::PrimaryKey && !c.indexname.is_empty() {
                    let columns = state.index_columns.get(&table.sibling(c.indexname.clone())).cloned().unwrap_or_default();
                    for column in columns {
                        if state.declared_column(table, &column).is_some_and(|col| col.nullable) {
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
        At::AtValidateConstraint => {
            let known = state.constraints.get(&(table.clone(), cmd.name.clone()));
            let kind = known.map_or(ConstraintKind::Check, |k| k.kind);
            vec![Action {
                op: Op::ValidateConstraint { kind },
                table: table.clone(),
                referenced: known.and_then(|k| k.references.clone()),
            }]
        }
        At::AtDropConstraint => {
            let known = state.constraints.get(&(table.clone(), cmd.name.clone()));
            let kind = known.map_or(ConstraintKind::Check, |k| k.kind);
            vec![Action {
                op: Op::DropConstraint { kind },
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
            let old_type = state.declared_column(table, &cmd.name).map(|c| c.ty.clone());
            let rewrite = match (old_type, new_type) {
                (Some(old), Some((new, false))) => type_change_rewrites(&old, &new, pg),
                _ => true,
            };
            vec![act(Op::AlterColumnType { rewrite })]
        }
        // SET EXPRESSION (PostgreSQL 17+) recomputes every row, like a rewriting type change.
        At::AtSetExpression => vec![act(Op::AlterColumnType { rewrite: true })],
        At::AtSetTableSpace => vec![act(Op::SetTablespace)],
        At::AtSetLogged | At::AtSetUnLogged => vec![act(Op::SetLogged)],
        At::AtSetAccessMethod => vec![act(Op::SetAccessMethod)],
        At::AtAttachPartition | At::AtDetachPartition | At::AtDetachPartitionFinalize => {
            let Some(N::PartitionCmd(partition)) = def else { return Vec::new() };
            let Some(child) = partition.name.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let op = match subtype {
                At::AtAttachPartition => Op::AttachPartition { proven: false },
                At::AtDetachPartition => Op::DetachPartition {
                    concurrently: partition.concurrent,
                },
                _ => Op::DetachPartition { concurrently: true },
            };
            vec![Action {
                op,
                table: child,
                referenced: Some(table.clone()),
            }]
        }
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

fn add_column(column: &pg_query::protobuf::ColumnDef, table: &QualifiedName) -> Vec<Action> {
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
    let mut out = vec![Action {
        op: Op::AddColumn(AddColumn {
            default,
            not_null,
            identity,
            generated_stored,
        }),
        table: table.clone(),
        referenced: None,
    }];
    for c in ast::constraints(&column.constraints) {
        match ast::constr_type(c) {
            // A new column without a default is NULL in every row, so PostgreSQL marks its foreign key valid without
            // checking (transformFKConstraints: "adding a column with NULL default, we can safely skip validation").
            ConstrType::ConstrForeign if default == DefaultKind::None && !identity && !generated_stored => {
                let mut action = add_constraint(c, table);
                if let Op::AddConstraint { validated, .. } = &mut action.op {
                    *validated = false;
                }
                out.push(action);
            }
            ConstrType::ConstrForeign | ConstrType::ConstrCheck | ConstrType::ConstrUnique | ConstrType::ConstrPrimary => out.push(add_constraint(c, table)),
            _ => {}
        }
    }
    out
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
