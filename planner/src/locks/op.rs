//! The operations of the lock-facts table: what a statement asks PostgreSQL to do to a
//! relation, described by its effect rather than by its syntax.

use super::mode::LockMode;

/// A schema operation, described by what PostgreSQL does rather than by its syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    CreateTable,
    DropTable,
    /// `ALTER TABLE ... RENAME TO`, `RENAME COLUMN`, `RENAME CONSTRAINT`.
    Rename,
    AddColumn(AddColumn),
    DropColumn,
    AlterColumnType {
        rewrite: bool,
    },
    /// `SET NOT NULL`; `proven` when a validated `CHECK (col IS NOT NULL)` exists.
    SetNotNull {
        proven: bool,
    },
    DropNotNull,
    SetDefault,
    DropDefault,
    AddIdentity,
    DropIdentity,
    AddConstraint {
        kind: ConstraintKind,
        validated: bool,
        using_index: bool,
    },
    ValidateConstraint {
        kind: ConstraintKind,
    },
    DropConstraint {
        kind: ConstraintKind,
    },
    CreateIndex {
        concurrently: bool,
    },
    /// `CREATE INDEX` that builds nothing under its lock: `IF NOT EXISTS` of an index
    /// that exists, or the index of a partitioned table itself (whose partitions are
    /// built, each on its own).
    IndexWithoutBuild {
        concurrently: bool,
    },
    DropIndex {
        concurrently: bool,
    },
    /// `ALTER INDEX ... RENAME TO`.
    RenameIndex,
    CreateTrigger,
    DropTrigger,
    CreateView,
    DropView,
    Comment,
    /// `UPDATE` of one batch of rows (backfills).
    UpdateRows,
    // Operations the linter meets in migrations, beyond what the planner emits.
    /// `SELECT` (and the reads of other statements).
    Read,
    /// A query that reads every row of a table it names: `CREATE TABLE ... AS`,
    /// `CREATE MATERIALIZED VIEW`, the query of `REFRESH MATERIALIZED VIEW`.
    ReadAll,
    /// `INSERT` of rows: the target is written, not read.
    InsertRows,
    /// `INSERT`, `UPDATE`, `DELETE` of rows in one statement.
    WriteRows,
    /// `UPDATE` or `DELETE` of every row (no `WHERE`): a row lock on each row it changes
    /// until the transaction ends, in one transaction as large as the table.
    WriteEveryRow,
    Truncate,
    VacuumFull,
    /// Plain `VACUUM` or `ANALYZE`.
    Vacuum,
    Cluster,
    /// `SET TABLESPACE`; no rewrite when the table is already there.
    SetTablespace {
        rewrite: bool,
    },
    /// `SET LOGGED` / `SET UNLOGGED`.
    SetLogged,
    /// `SET ACCESS METHOD`; no rewrite when the table already uses it.
    SetAccessMethod {
        rewrite: bool,
    },
    RefreshMaterializedView {
        concurrently: bool,
    },
    Reindex {
        concurrently: bool,
    },
    /// `ATTACH PARTITION`: `proven` when a valid check on the partition implies the bound.
    AttachPartition {
        proven: bool,
    },
    DetachPartition {
        concurrently: bool,
    },
    /// `LOCK TABLE` in an explicit mode.
    LockTable(LockMode),
    /// `SET STATISTICS`, `SET (fillfactor ...)`, `CLUSTER ON`, and other settings that
    /// take SHARE UPDATE EXCLUSIVE.
    ChangeSetting,
    /// `SET STORAGE`, `REPLICA IDENTITY`, row security, owner, inheritance, and other
    /// catalog changes under ACCESS EXCLUSIVE.
    ChangeCatalog,
    /// `ENABLE`/`DISABLE TRIGGER`.
    EnableTrigger,
    /// `CREATE POLICY`, `CREATE RULE` and friends.
    CreateRule,
    /// `GRANT` / `REVOKE` of privileges on a table.
    Grant,
    /// The table at the other end of a foreign key whose column changes type: PostgreSQL
    /// drops and re-adds the constraint, and checks it again when the values change.
    RebuildForeignKey {
        revalidate: bool,
    },
    /// `INHERIT parent` (and `CREATE TABLE ... INHERITS`): the referenced table is the parent.
    AddInherit,
    /// `NO INHERIT parent`.
    DropInherit,
    /// A table with a column of a domain that gains a constraint (`ALTER DOMAIN ... ADD
    /// CONSTRAINT`, `SET NOT NULL`, `VALIDATE CONSTRAINT`): every value is checked.
    CheckDomain,
    /// The default partition of a table that gains or loses a partition: its rows are
    /// checked against the new bound (`scan`) when one is added.
    DefaultPartition {
        scan: bool,
    },
}

/// What `ADD COLUMN` asks PostgreSQL to do for existing rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddColumn {
    pub default: DefaultKind,
    pub not_null: bool,
    pub identity: bool,
    pub generated_stored: bool,
    /// Of a domain type with a CHECK or NOT NULL constraint, which every row must pass.
    pub constrained_domain: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DefaultKind {
    #[default]
    None,
    /// Constant or stable: evaluated once by `ADD COLUMN`.
    NonVolatile,
    /// Evaluated per row (`random()`, `gen_random_uuid()`, `nextval()`).
    Volatile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    Unique,
    PrimaryKey,
    Exclusion,
    NotNull,
}
