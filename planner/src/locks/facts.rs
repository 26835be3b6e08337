//! The table of lock facts: for each schema operation, which lock PostgreSQL takes on
//! which relation, and whether it holds it for an instant, a scan or a rewrite.
//!
//! This is the only place that knows PostgreSQL's locking behaviour. The planner asks
//! it for every step it emits; the linter asks it for every statement it reads. The
//! facts follow the PostgreSQL documentation (`ALTER TABLE`, `CREATE INDEX`,
//! "Explicit Locking") and are verified against a real server of every major from 13
//! to 18 by the test suite (`tests/lock_facts.rs`); where the majors differ, the fact
//! says from which version. Versions before 13 are not verified.

use super::mode::{Cost, LockMode, PgVersion};
use super::op::{AddColumn, ConstraintKind, DefaultKind, Op};

/// Which relation of the operation a fact is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The table (or view, or index's table) the statement names.
    Target,
    /// The table a foreign key points at.
    Referenced,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fact {
    pub role: Role,
    pub mode: LockMode,
    pub cost: Cost,
}

const fn target(mode: LockMode, cost: Cost) -> Fact {
    Fact {
        role: Role::Target,
        mode,
        cost,
    }
}

const fn referenced(mode: LockMode, cost: Cost) -> Fact {
    Fact {
        role: Role::Referenced,
        mode,
        cost,
    }
}

/// The locks `op` takes on PostgreSQL `pg`.
pub fn facts(op: Op, pg: PgVersion) -> Vec<Fact> {
    use ConstraintKind as K;
    use Cost::*;
    use LockMode::*;
    match op {
        // A new relation is invisible to other sessions until commit.
        Op::CreateTable | Op::CreateView => vec![target(AccessExclusiveLock, Instant)],
        // Dropping a table drops its foreign keys' triggers on the referenced tables.
        Op::DropTable => vec![target(AccessExclusiveLock, Instant), referenced(AccessExclusiveLock, Instant)],
        Op::Rename | Op::DropColumn | Op::DropNotNull | Op::SetDefault | Op::DropDefault => vec![target(AccessExclusiveLock, Instant)],
        Op::AddIdentity | Op::DropIdentity | Op::DropView => vec![target(AccessExclusiveLock, Instant)],
        Op::AddColumn(add) => vec![target(AccessExclusiveLock, add_column_cost(add, pg))],
        // "Changing the type of an existing column will normally cause the entire table
        // and its indexes to be rewritten" unless binary coercible (ALTER TABLE docs).
        Op::AlterColumnType { rewrite } => vec![target(AccessExclusiveLock, if rewrite { Rewrite } else { Instant })],
        // PostgreSQL 12+: "SET NOT NULL ... the table scan is skipped if a valid CHECK
        // constraint exists that proves no NULL can exist" (ALTER TABLE docs).
        Op::SetNotNull { proven } => vec![target(AccessExclusiveLock, if proven && pg.at_least(12) { Instant } else { Scan })],
        Op::AddConstraint {
            kind: K::ForeignKey,
            validated,
            ..
        } => {
            // ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables (ALTER TABLE docs).
            let cost = if validated { Scan } else { Instant };
            vec![target(ShareRowExclusiveLock, cost), referenced(ShareRowExclusiveLock, cost)]
        }
        Op::AddConstraint {
            kind: K::Unique | K::PrimaryKey,
            using_index: true,
            ..
        } => vec![target(AccessExclusiveLock, Instant)],
        // Without USING INDEX the constraint builds its index under the lock.
        Op::AddConstraint {
            kind: K::Unique | K::PrimaryKey | K::Exclusion,
            ..
        } => vec![target(AccessExclusiveLock, Scan)],
        Op::AddConstraint { validated, .. } => vec![target(AccessExclusiveLock, if validated { Scan } else { Instant })],
        // VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE: reads and writes go on.
        Op::ValidateConstraint { kind: K::ForeignKey } => vec![target(ShareUpdateExclusiveLock, Scan), referenced(RowShareLock, Scan)],
        Op::ValidateConstraint { .. } => vec![target(ShareUpdateExclusiveLock, Scan)],
        Op::DropConstraint { kind: K::ForeignKey } => vec![target(AccessExclusiveLock, Instant), referenced(AccessExclusiveLock, Instant)],
        Op::DropConstraint { .. } => vec![target(AccessExclusiveLock, Instant)],
        // CREATE INDEX takes SHARE (blocks writes); CONCURRENTLY takes SHARE UPDATE
        // EXCLUSIVE (CREATE INDEX docs, "Building Indexes Concurrently").
        Op::CreateIndex { concurrently: false } => vec![target(ShareLock, Scan)],
        Op::CreateIndex { concurrently: true } => vec![target(ShareUpdateExclusiveLock, Scan)],
        // IF NOT EXISTS checks the name after locking the table, then builds nothing; a
        // partitioned table has no rows of its own.
        Op::IndexWithoutBuild { concurrently: false } => vec![target(ShareLock, Instant)],
        Op::IndexWithoutBuild { concurrently: true } => vec![target(ShareUpdateExclusiveLock, Instant)],
        Op::DropIndex { concurrently: false } => vec![target(AccessExclusiveLock, Instant)],
        Op::DropIndex { concurrently: true } => vec![target(ShareUpdateExclusiveLock, Instant)],
        // PostgreSQL 12+ renames an index under SHARE UPDATE EXCLUSIVE.
        Op::RenameIndex => vec![target(if pg.at_least(12) { ShareUpdateExclusiveLock } else { AccessExclusiveLock }, Instant)],
        Op::CreateTrigger => vec![target(ShareRowExclusiveLock, Instant)],
        Op::DropTrigger => vec![target(AccessExclusiveLock, Instant)],
        Op::Comment => vec![target(ShareUpdateExclusiveLock, Instant)],
        Op::UpdateRows => vec![target(RowExclusiveLock, Batched)],
        Op::Read => vec![target(AccessShareLock, Instant)],
        Op::ReadAll => vec![target(AccessShareLock, Scan)],
        Op::InsertRows => vec![target(RowExclusiveLock, Instant)],
        Op::WriteRows | Op::WriteEveryRow => vec![target(RowExclusiveLock, Scan)],
        Op::Truncate => vec![target(AccessExclusiveLock, Instant)],
        // VACUUM FULL and CLUSTER write a new copy of the table under ACCESS EXCLUSIVE.
        Op::VacuumFull | Op::Cluster | Op::SetLogged => vec![target(AccessExclusiveLock, Rewrite)],
        Op::SetTablespace { rewrite } | Op::SetAccessMethod { rewrite } => vec![target(AccessExclusiveLock, if rewrite { Rewrite } else { Instant })],
        Op::Vacuum => vec![target(ShareUpdateExclusiveLock, Scan)],
        // REFRESH MATERIALIZED VIEW takes ACCESS EXCLUSIVE; CONCURRENTLY takes EXCLUSIVE,
        // which still lets SELECTs run (REFRESH MATERIALIZED VIEW docs).
        Op::RefreshMaterializedView { concurrently: false } => vec![target(AccessExclusiveLock, Rewrite)],
        Op::RefreshMaterializedView { concurrently: true } => vec![target(ExclusiveLock, Scan)],
        // REINDEX locks out writes (SHARE) and, for the index, reads through it;
        // CONCURRENTLY (PostgreSQL 12+) takes SHARE UPDATE EXCLUSIVE.
        Op::Reindex { concurrently: false } => vec![target(ShareLock, Scan)],
        Op::Reindex { concurrently: true } => vec![target(ShareUpdateExclusiveLock, Scan)],
        // ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent since PostgreSQL 12,
        // ACCESS EXCLUSIVE on the partition, which it scans unless a valid check proves
        // the partition bound.
        Op::AttachPartition { proven } => {
            let parent = if pg.at_least(12) { ShareUpdateExclusiveLock } else { AccessExclusiveLock };
            vec![referenced(parent, Instant), target(AccessExclusiveLock, if proven { Instant } else { Scan })]
        }
        // DETACH PARTITION CONCURRENTLY (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE.
        // The partition: ACCESS EXCLUSIVE since 14 (the concurrent form's final step
        // too); PostgreSQL 13 took only SHARE UPDATE EXCLUSIVE on it (the parent's
        // ACCESS EXCLUSIVE still blocks everything). Before 13 not verified: the
        // cautious mode stays.
        Op::DetachPartition { concurrently } => {
            let parent = if concurrently && pg.at_least(14) {
                ShareUpdateExclusiveLock
            } else {
                AccessExclusiveLock
            };
            let partition = if pg.0 == 13 { ShareUpdateExclusiveLock } else { AccessExclusiveLock };
            vec![referenced(parent, Instant), target(partition, Instant)]
        }
        Op::LockTable(mode) => vec![target(mode, Instant)],
        Op::ChangeSetting => vec![target(ShareUpdateExclusiveLock, Instant)],
        Op::ChangeCatalog => vec![target(AccessExclusiveLock, Instant)],
        Op::EnableTrigger => vec![target(ShareRowExclusiveLock, Instant)],
        Op::CreateRule => vec![target(AccessExclusiveLock, Instant)],
        // PostgreSQL 18 locks the table ACCESS SHARE while it changes its ACL (which
        // blocks only ACCESS EXCLUSIVE); 13 to 17 take no lock on the table at all.
        Op::Grant if pg.at_least(18) => vec![target(AccessShareLock, Instant)],
        Op::Grant => Vec::new(),
        // ALTER COLUMN TYPE re-adds the foreign keys on the column (ATPostAlterTypeCleanup), which
        // locks the other end ACCESS EXCLUSIVE; they are validated again unless the change is
        // binary coercible (the table reads both ends).
        Op::RebuildForeignKey { revalidate } => vec![target(AccessExclusiveLock, if revalidate { Scan } else { Instant })],
        // ALTER TABLE ... INHERIT locks the parent SHARE UPDATE EXCLUSIVE (ATExecAddInherit).
        Op::AddInherit => vec![target(AccessExclusiveLock, Instant), referenced(ShareUpdateExclusiveLock, Instant)],
        Op::DropInherit => vec![target(AccessExclusiveLock, Instant), referenced(AccessShareLock, Instant)],
        // validateDomainConstraint opens every table using the domain SHARE and reads it.
        Op::CheckDomain => vec![target(ShareLock, Scan)],
        Op::DefaultPartition { scan } => vec![target(AccessExclusiveLock, if scan { Scan } else { Instant })],
    }
}

/// The lock `op` takes on each existing index it rebuilds, beside its table's: REINDEX
/// takes ACCESS EXCLUSIVE on the index (REINDEX docs), so queries whose plans would use
/// it wait, reads included; CONCURRENTLY only SHARE UPDATE EXCLUSIVE.
pub fn index_lock(op: Op) -> Option<LockMode> {
    match op {
        Op::Reindex { concurrently: false } => Some(LockMode::AccessExclusiveLock),
        Op::Reindex { concurrently: true } => Some(LockMode::ShareUpdateExclusiveLock),
        _ => None,
    }
}

/// True when `op` holds a row lock on every row of its table until the transaction
/// ends: writers of any row wait, whatever the table lock lets through.
pub fn locks_every_row(op: Op) -> bool {
    op == Op::WriteEveryRow
}

/// PostgreSQL 11+ stores a non-volatile default in the catalog ("fast default") and
/// does not touch existing rows; a volatile default, an identity or a stored generated
/// column computes a value per row and rewrites the table (ALTER TABLE docs, Notes).
fn add_column_cost(add: AddColumn, pg: PgVersion) -> Cost {
    // A domain's constraints are checked against every row's value, which ATExecAddColumn does by rewriting.
    let rewrite = add.identity
        || add.generated_stored
        || add.constrained_domain
        || add.default == DefaultKind::Volatile
        || (add.default == DefaultKind::NonVolatile && !pg.at_least(11));
    if rewrite {
        Cost::Rewrite
    } else if add.not_null && add.default == DefaultKind::None {
        // Existing rows would have to be NULL: PostgreSQL scans to verify the table is empty.
        Cost::Scan
    } else {
        Cost::Instant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_default_depends_on_version() {
        let add = Op::AddColumn(AddColumn {
            default: DefaultKind::NonVolatile,
            ..AddColumn::default()
        });
        assert_eq!(facts(add, PgVersion(11))[0].cost, Cost::Instant);
        assert_eq!(facts(add, PgVersion(10))[0].cost, Cost::Rewrite);
        let volatile = Op::AddColumn(AddColumn {
            default: DefaultKind::Volatile,
            ..AddColumn::default()
        });
        assert_eq!(facts(volatile, PgVersion(15))[0].cost, Cost::Rewrite);
    }

    #[test]
    fn set_not_null_skips_the_scan_only_when_proven_on_12_and_later() {
        assert_eq!(facts(Op::SetNotNull { proven: true }, PgVersion(12))[0].cost, Cost::Instant);
        assert_eq!(facts(Op::SetNotNull { proven: true }, PgVersion(11))[0].cost, Cost::Scan);
        assert_eq!(facts(Op::SetNotNull { proven: false }, PgVersion(15))[0].cost, Cost::Scan);
    }

    #[test]
    fn detach_partition_locks_the_partition_less_only_on_13() {
        let partition = |pg| facts(Op::DetachPartition { concurrently: false }, PgVersion(pg))[1].mode;
        assert_eq!(partition(13), LockMode::ShareUpdateExclusiveLock);
        assert_eq!(partition(14), LockMode::AccessExclusiveLock);
        assert_eq!(partition(12), LockMode::AccessExclusiveLock);
    }

    #[test]
    fn grant_locks_the_table_from_18() {
        assert_eq!(facts(Op::Grant, PgVersion(17)), Vec::new());
        assert_eq!(facts(Op::Grant, PgVersion(18))[0].mode, LockMode::AccessShareLock);
    }

    #[test]
    fn concurrent_index_builds_do_not_block_writes() {
        assert!(!facts(Op::CreateIndex { concurrently: true }, PgVersion(15))[0].mode.blocks_writes());
        assert!(facts(Op::CreateIndex { concurrently: false }, PgVersion(15))[0].mode.blocks_writes());
    }
}
