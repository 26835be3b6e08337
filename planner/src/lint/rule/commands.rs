//! The subcommands of an `ALTER TABLE`, each with the action the classifier made of
//! it: a rule about one column needs the syntax (the column's name and definition)
//! and the facts together.

use pg_query::protobuf::{node::Node as N, AlterTableCmd, AlterTableType as At, ColumnDef};
use pg_query::NodeEnum;

use crate::lint::rule::StatementContext;
use crate::locks::Op;
use crate::migration::ast;
use crate::migration::classify::Action;

/// The statement's subcommands of the given kinds, paired in order with the actions
/// `is_action` picks. The classifier makes exactly one such action per such command,
/// in command order, so the pairs line up.
fn paired<'a>(cx: &StatementContext<'a>, kinds: &[At], is_action: fn(&Op) -> bool) -> Vec<(&'a AlterTableCmd, &'a Action)> {
    let NodeEnum::AlterTableStmt(alter) = cx.node else {
        return Vec::new();
    };
    let commands = ast::commands(alter).filter(|cmd| kinds.iter().any(|k| cmd.subtype == *k as i32));
    commands.zip(cx.actions.iter().filter(|a| is_action(&a.op))).collect()
}

/// Each `ADD COLUMN` with its column definition and its action.
pub fn added_columns<'a>(cx: &StatementContext<'a>) -> Vec<(&'a ColumnDef, &'a Action)> {
    paired(cx, &[At::AtAddColumn, At::AtAddColumnToView], |op| matches!(op, Op::AddColumn(_)))
        .into_iter()
        .filter_map(|(cmd, action)| match ast::definition(cmd) {
            Some(N::ColumnDef(def)) => Some((def.as_ref(), action)),
            _ => None,
        })
        .collect()
}

/// Each `ALTER COLUMN ... TYPE` with its column's name and its action.
pub fn type_changes<'a>(cx: &StatementContext<'a>) -> Vec<(&'a AlterTableCmd, &'a Action)> {
    // SET EXPRESSION is classified as a type change too; it is paired, then left out.
    paired(cx, &[At::AtAlterColumnType, At::AtSetExpression], |op| matches!(op, Op::AlterColumnType { .. }))
        .into_iter()
        .filter(|(cmd, _)| cmd.subtype == At::AtAlterColumnType as i32)
        .collect()
}

/// Each `ALTER COLUMN ... SET NOT NULL` with its column's name and its action.
pub fn set_not_nulls<'a>(cx: &StatementContext<'a>) -> Vec<(&'a str, &'a Action)> {
    paired(cx, &[At::AtSetNotNull], |op| matches!(op, Op::SetNotNull { .. }))
        .into_iter()
        .map(|(cmd, action)| (cmd.name.as_str(), action))
        .collect()
}
