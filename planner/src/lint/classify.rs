//! Classification: what each statement does to which relations, as operations of the
//! lock-facts table. The lock modes and costs come from `locks::facts`; this module
//! only reads the statement (and what the file created before it).

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableStmt, AlterTableType as At, ConstrType, Constraint, ObjectType};
use pg_query::NodeEnum;

use super::ast;
use super::state::State;
use crate::locks::{facts, relation_locks, type_change_rewrites, AddColumn, ConstraintKind, Cost, DefaultKind, LockMode, Op, PgVersion, RelationLock};
use crate::model::QualifiedName;

/// One operation of a statement on a relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub op: Op,
    pub table: QualifiedName,
    /// The table a foreign key points at, or a partition's parent.
    pub referenced: Option<QualifiedName>,
}

/// What a statement costs: the locks it takes, and whether it scans or rewrites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub locks: Vec<RelationLock>,
    pub rewrite: bool,
    pub scan: bool,
}

/// The facts of a statement's actions on PostgreSQL `pg`: one lock per relation, the
/// strongest mode and the highest cost.
pub fn facts_of(actions: &[Action], pg: PgVersion) -> Facts {
    let mut locks: Vec<RelationLock> = Vec::new();
    for action in actions {
        for lock in relation_locks(action.op, pg, &action.table, action.referenced.as_ref()) {
            match locks.iter_mut().find(|l| l.relation == lock.relation) {
                Some(held) => {
                    held.mode = held.mode.max(lock.mode);
                    held.cost = held.cost.max(lock.cost);
                }
                None => locks.push(lock),
            }
        }
    }
    let rewrite = locks.iter().any(|l| l.cost == Cost::Rewrite);
    let scan = locks.iter().any(|l| l.cost == Cost::Scan);
    Facts { locks, rewrite, scan }
}

/// The relations a statement's actions create.
pub fn creates(actions: &[Action]) -> Vec<QualifiedName> {
    actions
        .iter()
        .filter(|a| matches!(a.op, Op::CreateTable | Op::CreateView))
        .map(|a| a.table.clone())
        .collect()
}

/// The operations of one statement, given what is known before it.
pub fn actions(node: &NodeEnum, state: &State, pg: PgVersion) -> Vec<Action> {
    let act = |op: Op, table: QualifiedName| Action { op, table, referenced: None };
    match node {
        NodeEnum::CreateStmt(create) => {
            let Some(table) = create.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let mut out = vec![act(Op::CreateTable, table.clone())];
            if let Some(parent) = create.inh_relations.first().and_then(range_var).filter(|_| create.partbound.is_some()) {
                out.push(act(Op::ChangeCatalog, parent));
            }
            let column_constraints = create.table_elts.iter().filter_map(|e| match &e.node {
                Some(N::ColumnDef(def)) => Some(ast::constraints(&def.constraints).collect::<Vec<_>>()),
                _ => None,
            });
            let all: Vec<&Constraint> = column_constraints
                .flatten()
                .chain(create.table_elts.iter().filter_map(|e| match &e.node {
                    Some(N::Constraint(c)) => Some(c.as_ref()),
                    _ => None,
                }))
                .collect();
            for c in all.into_iter().filter(|c| ast::constr_type(c) == ConstrType::ConstrForeign) {
                if let Some(referenced) = c.pktable.as_ref().map(ast::relation).filter(|r| r != &table) {
                    let op = Op::AddConstraint {
                        kind: ConstraintKind::ForeignKey,
                        validated: false,
                        using_index: false,
                    };
                    out.push(Action {
                        op,
                        table: table.clone(),
                        referenced: Some(referenced),
                    });
                }
            }
            out
        }
        NodeEnum::CreateTableAsStmt(create) => create
            .into
            .as_ref()
            .and_then(|i| i.rel.as_ref())
            .map(|r| vec![act(Op::CreateTable, ast::relation(r))])
            .unwrap_or_default(),
        NodeEnum::ViewStmt(view) => view.view.as_ref().map(|r| vec![act(Op::CreateView, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::IndexStmt(index) => index
            .relation
            .as_ref()
            .map(|r| {
                vec![act(
                    Op::CreateIndex {
                        concurrently: index.concurrent,
                    },
                    ast::relation(r),
                )]
            })
            .unwrap_or_default(),
        NodeEnum::AlterTableStmt(alter) => alter_table(alter, state, pg),
        NodeEnum::RenameStmt(rename) => {
            let index = rename.rename_type == ObjectType::ObjectIndex as i32;
            match rename.relation.as_ref().map(ast::relation) {
                Some(r) if index => vec![act(Op::RenameIndex, state.indexes.get(&r).cloned().unwrap_or(r))],
                Some(r) => vec![act(Op::Rename, r)],
                None => Vec::new(),
            }
        }
        NodeEnum::DropStmt(drop) => drop_stmt(drop, state),
        NodeEnum::TruncateStmt(t) => t.relations.iter().filter_map(range_var).map(|r| act(Op::Truncate, r)).collect(),
        NodeEnum::VacuumStmt(vacuum) => {
            let full = vacuum.options.iter().any(|o| matches!(&o.node, Some(N::DefElem(d)) if d.defname == "full" && !matches!(d.arg.as_deref().and_then(|a| a.node.as_ref()), Some(N::String(s)) if s.sval == "false")));
            let op = if full { Op::VacuumFull } else { Op::Vacuum };
            vacuum
                .rels
                .iter()
                .filter_map(|r| match &r.node {
                    Some(N::VacuumRelation(v)) => v.relation.as_ref().map(ast::relation),
                    _ => None,
                })
                .map(|r| act(op, r))
                .collect()
        }
        NodeEnum::ClusterStmt(cluster) => cluster.relation.as_ref().map(|r| vec![act(Op::Cluster, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::RefreshMatViewStmt(refresh) => refresh
            .relation
            .as_ref()
            .map(|r| {
                vec![act(
                    Op::RefreshMaterializedView {
                        concurrently: refresh.concurrent,
                    },
                    ast::relation(r),
                )]
            })
            .unwrap_or_default(),
        NodeEnum::ReindexStmt(reindex) => {
            let concurrently = reindex
                .params
                .iter()
                .any(|p| matches!(&p.node, Some(N::DefElem(d)) if d.defname == "concurrently"));
            let Some(r) = reindex.relation.as_ref().map(ast::relation) else {
                return Vec::new();
            };
            let table = state.indexes.get(&r).cloned().unwrap_or(r);
            vec![act(Op::Reindex { concurrently }, table)]
        }
        NodeEnum::CreateTrigStmt(trigger) => trigger
            .relation
            .as_ref()
            .map(|r| vec![act(Op::CreateTrigger, ast::relation(r))])
            .unwrap_or_default(),
        NodeEnum::LockStmt(lock) => {
            let mode = LockMode::ALL
                .get(usize::try_from(lock.mode).unwrap_or(8).saturating_sub(1))
                .copied()
                .unwrap_or(LockMode::AccessExclusiveLock);
            lock.relations.iter().filter_map(range_var).map(|r| act(Op::LockTable(mode), r)).collect()
        }
        NodeEnum::InsertStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::WriteRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::UpdateStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::WriteRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::DeleteStmt(s) => s.relation.as_ref().map(|r| vec![act(Op::WriteRows, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::CommentStmt(comment) => comment_target(comment).map(|t| vec![act(Op::Comment, t)]).unwrap_or_default(),
        NodeEnum::CreatePolicyStmt(policy) => policy.table.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        NodeEnum::RuleStmt(rule) => rule.relation.as_ref().map(|r| vec![act(Op::CreateRule, ast::relation(r))]).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn range_var(node: &pg_query::protobuf::Node) -> Option<QualifiedName> {
    match &node.node {
        Some(N::RangeVar(r)) => Some(ast::relation(r)),
        _ => None,
    }
}

fn comment_target(comment: &pg_query::protobuf::CommentStmt) -> Option<QualifiedName> {
    let object = comment.object.as_deref()?;
    let list = match &object.node {
        Some(N::List(list)) => &list.items,
        _ => return None,
    };
    if comment.objtype == ObjectType::ObjectTable as i32 {
        ast::dotted(list)
    } else if comment.objtype == ObjectType::ObjectColumn as i32 {
        ast::dotted(&list[..list.len().saturating_sub(1)])
    } else {
        None
    }
}

fn alter_table(alter: &AlterTableStmt, state: &State, pg: PgVersion) -> Vec<Action> {
    let Some(table) = alter.relation.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    let index_target = alter.objtype == ObjectType::ObjectIndex as i32;
    let table = if index_target {
        state.indexes.get(&table).cloned().unwrap_or(table)
    } else {
        table
    };
    let mut out = Vec::new();
    for cmd in alter.cmds.iter().filter_map(|c| match &c.node {
        Some(N::AlterTableCmd(cmd)) => Some(cmd.as_ref()),
        _ => None,
    }) {
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
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
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
            Some(N::Constraint(c)) => vec![add_constraint(c, table)],
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
            let old_type = state.schema.tables.get(table).and_then(|t| t.column(&cmd.name)).map(|c| c.ty.clone());
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
        At::AtAddIdentity => vec![act(Op::AddIdentity)],
        At::AtDropIdentity => vec![act(Op::DropIdentity)],
        At::AtSetStatistics
        | At::AtSetOptions
        | At::AtResetOptions
        | At::AtClusterOn
        | At::AtDropCluster
        | At::AtSetRelOptions
        | At::AtResetRelOptions
        | At::AtSetIdentity => {
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

fn drop_stmt(drop: &pg_query::protobuf::DropStmt, state: &State) -> Vec<Action> {
    let kind = ObjectType::try_from(drop.remove_type).unwrap_or(ObjectType::Undefined);
    let objects: Vec<QualifiedName> = drop
        .objects
        .iter()
        .filter_map(|o| match &o.node {
            Some(N::List(list)) => ast::dotted(&list.items),
            Some(N::String(s)) => Some(QualifiedName::new("public", s.sval.clone())),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for name in objects {
        match kind {
            ObjectType::ObjectTable | ObjectType::ObjectForeignTable => {
                out.push(Action {
                    op: Op::DropTable,
                    table: name.clone(),
                    referenced: None,
                });
                // The foreign keys of the dropped table lose their triggers on the tables they reference.
                for known in state
                    .constraints
                    .iter()
                    .filter(|((t, _), c)| t == &name && c.references.as_ref().is_some_and(|r| r != &name))
                {
                    out.push(Action {
                        op: Op::DropTable,
                        table: name.clone(),
                        referenced: known.1.references.clone(),
                    });
                }
            }
            ObjectType::ObjectIndex => {
                let table = state.indexes.get(&name).cloned().unwrap_or(name);
                out.push(Action {
                    op: Op::DropIndex { concurrently: drop.concurrent },
                    table,
                    referenced: None,
                });
            }
            ObjectType::ObjectView | ObjectType::ObjectMatview => out.push(Action {
                op: Op::DropView,
                table: name,
                referenced: None,
            }),
            _ => {}
        }
    }
    out
}

/// True when the fact table says `op` takes a lock that blocks writes.
pub fn blocks_writes(op: Op, pg: PgVersion) -> bool {
    facts(op, pg).iter().any(|f| f.mode.blocks_writes())
}
