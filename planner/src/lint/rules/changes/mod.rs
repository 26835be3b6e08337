//! Rules about the rest of a migration: maintenance commands that rewrite, partitions,
//! triggers, transactions and timeouts, changes that break the running application
//! version (drops, renames, truncation).

mod add_enum_value_in_transaction;
mod attach_partition_without_check;
mod cascade;
mod create_trigger_on_existing_table;
mod detach_partition_non_concurrently;
mod drop_column;
mod drop_constraint;
mod drop_function;
mod drop_not_null;
mod drop_table;
mod drop_view;
mod missing_lock_timeout;
mod multiple_alter_table;
mod refresh_materialized_view_non_concurrently;
mod rename_column;
mod rename_table;
mod rewriting_maintenance_command;
mod statement_after_access_exclusive;
mod truncate;

use crate::lint::rule::Rule;

/// This group's rules; the registry merges the groups in code order.
pub static RULES: &[&dyn Rule] = &[
    &add_enum_value_in_transaction::AddEnumValueInTransaction,
    &attach_partition_without_check::AttachPartitionWithoutCheck,
    &cascade::Cascade,
    &create_trigger_on_existing_table::CreateTriggerOnExistingTable,
    &detach_partition_non_concurrently::DetachPartitionNonConcurrently,
    &drop_column::DropColumn,
    &drop_constraint::DropConstraint,
    &drop_not_null::DropNotNull,
    &drop_table::DropTable,
    &missing_lock_timeout::MissingLockTimeout,
    &multiple_alter_table::MultipleAlterTable,
    &refresh_materialized_view_non_concurrently::RefreshMaterializedViewNonConcurrently,
    &rename_column::RenameColumn,
    &rename_table::RenameTable,
    &rewriting_maintenance_command::RewritingMaintenanceCommand,
    &statement_after_access_exclusive::StatementAfterAccessExclusive,
    &truncate::Truncate,
    &drop_view::DropView,
    &drop_function::DropFunction,
];
