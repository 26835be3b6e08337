//! Rules about locks and their duration: index builds, constraints, NOT NULL, column
//! additions and type changes that scan or rewrite an existing table.

mod add_check_validated;
mod add_column_not_null_without_default;
mod add_column_rewrite;
mod add_exclusion_constraint;
mod add_foreign_key_validated;
mod add_unique_constraint_builds_index;
mod alter_column_type_rewrite;
mod concurrently_in_transaction;
mod create_index_non_concurrently;
mod drop_index_non_concurrently;
mod foreign_key_without_index;
mod primary_key_nullable_columns;
mod reindex_non_concurrently;
mod set_not_null_scan;
mod update_or_delete_every_row;
mod validate_in_same_transaction;

use crate::lint::rule::Rule;

/// This group's rules; the registry merges the groups in code order.
pub static RULES: &[&dyn Rule] = &[
    &create_index_non_concurrently::CreateIndexNonConcurrently,
    &drop_index_non_concurrently::DropIndexNonConcurrently,
    &reindex_non_concurrently::ReindexNonConcurrently,
    &concurrently_in_transaction::ConcurrentlyInTransaction,
    &set_not_null_scan::SetNotNullScan,
    &add_column_not_null_without_default::AddColumnNotNullWithoutDefault,
    &add_column_rewrite::AddColumnRewrite,
    &alter_column_type_rewrite::AlterColumnTypeRewrite,
    &add_foreign_key_validated::AddForeignKeyValidated,
    &add_check_validated::AddCheckValidated,
    &validate_in_same_transaction::ValidateInSameTransaction,
    &add_unique_constraint_builds_index::AddUniqueConstraintBuildsIndex,
    &primary_key_nullable_columns::PrimaryKeyNullableColumns,
    &add_exclusion_constraint::AddExclusionConstraint,
    &foreign_key_without_index::ForeignKeyWithoutIndex,
    &update_or_delete_every_row::UpdateOrDeleteEveryRow,
];
