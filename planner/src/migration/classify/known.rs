//! Whether bellows knows a statement's locks: the statements the classifier reads, and
//! those known to lock no table at all. Anything else (a `DO` block, `CREATE
//! EXTENSION`, a call of a function the migrations wrote, a cascade into unknown
//! objects) may lock anything, and is reported as unknown rather than as lock-free.

use pg_query::protobuf::{DropBehavior, GrantTargetType, ObjectType};
use pg_query::NodeEnum;

use super::rows::checks_rows;
use crate::locks::PgVersion;
use crate::migration::ast;
use crate::migration::state::State;

/// True when the classifier's actions for `node` are all the locks it takes on tables.
pub fn locks_known(node: &NodeEnum, state: &State, pg: PgVersion) -> bool {
    match node {
        // What the classifier reads.
        NodeEnum::CreateStmt(_)
        | NodeEnum::CreateTableAsStmt(_)
        | NodeEnum::ViewStmt(_)
        | NodeEnum::IndexStmt(_)
        | NodeEnum::AlterTableStmt(_)
        | NodeEnum::AlterObjectSchemaStmt(_)
        | NodeEnum::TruncateStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::LockStmt(_)
        | NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::CreateTrigStmt(_)
        | NodeEnum::CreatePolicyStmt(_)
        | NodeEnum::AlterPolicyStmt(_)
        | NodeEnum::RuleStmt(_)
        | NodeEnum::CreateStatsStmt(_)
        | NodeEnum::CreateFunctionStmt(_)
        | NodeEnum::CommentStmt(_) => true,
        NodeEnum::VacuumStmt(v) => !v.rels.is_empty(),
        NodeEnum::ClusterStmt(c) => c.relation.is_some(),
        NodeEnum::ReindexStmt(r) => r.relation.is_some(),
        NodeEnum::RenameStmt(r) => r.relation.is_some() || !touches_tables(r.rename_type),
        NodeEnum::DropStmt(d) => {
            let kind = ObjectType::try_from(d.remove_type).unwrap_or(ObjectType::Undefined);
            let read = matches!(
                kind,
                ObjectType::ObjectTable
                    | ObjectType::ObjectForeignTable
                    | ObjectType::ObjectIndex
                    | ObjectType::ObjectView
                    | ObjectType::ObjectMatview
                    | ObjectType::ObjectTrigger
                    | ObjectType::ObjectRule
                    | ObjectType::ObjectPolicy
            );
            // Without CASCADE, an object that something depends on is not dropped at all.
            read || (d.behavior != DropBehavior::DropCascade as i32 && !touches_tables(d.remove_type) && kind != ObjectType::ObjectExtension)
        }
        NodeEnum::GrantStmt(g) => g.targtype != GrantTargetType::AclTargetAllInSchema as i32 || !pg.at_least(18),
        // Adding a validated domain constraint reads the tables using the domain: known
        // when the history or the file created the domain.
        NodeEnum::AlterDomainStmt(alter) => !checks_rows(alter) || ast::dotted(&alter.type_name).is_some_and(|d| state.domains.contains_key(&d)),
        // A query locks what it names, unless it calls a function the migrations wrote,
        // which may do anything.
        NodeEnum::SelectStmt(_) => !calls_known_function(node, state),
        NodeEnum::CreateSchemaStmt(s) => s.schema_elts.is_empty(),
        // Statements that lock no table.
        NodeEnum::TransactionStmt(_)
        | NodeEnum::VariableSetStmt(_)
        | NodeEnum::VariableShowStmt(_)
        | NodeEnum::CreateEnumStmt(_)
        | NodeEnum::AlterEnumStmt(_)
        | NodeEnum::CreateDomainStmt(_)
        | NodeEnum::CompositeTypeStmt(_)
        | NodeEnum::CreateRangeStmt(_)
        | NodeEnum::CreateSeqStmt(_)
        | NodeEnum::DefineStmt(_)
        | NodeEnum::AlterFunctionStmt(_)
        | NodeEnum::CreateRoleStmt(_)
        | NodeEnum::AlterRoleStmt(_)
        | NodeEnum::DropRoleStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_)
        | NodeEnum::CreateEventTrigStmt(_)
        | NodeEnum::CreateAmStmt(_)
        | NodeEnum::NotifyStmt(_)
        | NodeEnum::ListenStmt(_)
        | NodeEnum::CheckPointStmt(_) => true,
        NodeEnum::AlterOwnerStmt(o) => !touches_tables(o.object_type),
        _ => false,
    }
}

/// Object types whose statements (rename, drop, owner) may act on tables.
fn touches_tables(object_type: i32) -> bool {
    !matches!(
        ObjectType::try_from(object_type).unwrap_or(ObjectType::Undefined),
        ObjectType::ObjectSchema
            | ObjectType::ObjectType
            | ObjectType::ObjectDomain
            | ObjectType::ObjectFunction
            | ObjectType::ObjectProcedure
            | ObjectType::ObjectRoutine
            | ObjectType::ObjectAggregate
            | ObjectType::ObjectRole
            | ObjectType::ObjectDomconstraint
            | ObjectType::ObjectDatabase
            | ObjectType::ObjectOperator
            | ObjectType::ObjectCollation
            | ObjectType::ObjectConversion
            | ObjectType::ObjectLanguage
            | ObjectType::ObjectEventTrigger
            | ObjectType::ObjectStatisticExt
            | ObjectType::ObjectExtension
            | ObjectType::ObjectSequence
    )
}

/// True when the query calls a function that the migration history or the file created.
fn calls_known_function(node: &NodeEnum, state: &State) -> bool {
    if state.functions.is_empty() {
        return false;
    }
    node.nodes().into_iter().any(|(n, ..)| match n {
        pg_query::NodeRef::FuncCall(call) => ast::dotted(&call.funcname).is_some_and(|f| state.functions.contains(&f)),
        _ => false,
    })
}
