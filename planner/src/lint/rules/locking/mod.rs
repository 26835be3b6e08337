//! Rules about locks and their duration: index builds, constraints, NOT NULL, column
//! additions and type changes that scan or rewrite an existing table.

mod add_column_not_null_without_default;
mod add_column_rewrite;
mod alter_column_type_rewrite;
mod commands;
mod concurrently_in_transaction;
mod create_index_non_concurrently;
mod drop_index_non_concurrently;
mod impact;
mod reindex_non_concurrently;
mod set_not_null_scan;

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
];
