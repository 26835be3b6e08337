//! What a step does, as the executor needs to know it: whether it builds an index
//! concurrently (and may leave an INVALID one), runs batches, validates, or runs SQL as
//! written. Never inferred from the step's id.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    CreateSchema,
    CreateEnum,
    AddEnumValue,
    DropEnum,
    /// A new table with its constraints and indexes (it is empty).
    CreateTable,
    DropTable,
    /// A rename, with a view under the old name.
    RenameTable,
    DropView,
    AddColumn,
    DropColumn,
    /// A catalog-only change of a column: default, NOT NULL dropped, identity.
    AlterColumn,
    /// A type change that does not rewrite the table (binary-coercible).
    AlterType,
    /// `SET NOT NULL` proven by a validated check, and the check dropped.
    SetNotNull,
    /// A fill or sync trigger and its function.
    CreateTrigger,
    DropTrigger,
    /// Keyset batches of an `UPDATE` (see the step's `backfill`).
    Backfill,
    /// `CREATE [UNIQUE] INDEX CONCURRENTLY`, outside a transaction.
    CreateIndexConcurrently,
    DropIndexConcurrently,
    RenameIndex,
    /// `ADD CONSTRAINT ... NOT VALID`: new rows are checked, old ones not yet.
    AddConstraintNotValid,
    ValidateConstraint,
    /// A constraint added valid at once (over an index built before, or between new tables).
    AddConstraint,
    DropConstraint,
    RenameConstraint,
    /// The short contract transaction that puts a converted column or a rebuilt
    /// constraint in place of the old one.
    Swap,
    Comment,
    /// A statement of a SQL migration run as written.
    Sql,
}
