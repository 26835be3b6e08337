//! What the linter knows as it reads a migration: the schema built so far, by the files
//! of the history before this one and by this file (column types decide whether a type
//! change rewrites, constraints whether a scan is needed, partitions and foreign keys
//! which other tables a statement locks), what this file created (not at risk), the
//! transaction the statement runs in, the locks held since the transaction began, and
//! the session settings that change a statement's cost.

use std::collections::{BTreeMap, BTreeSet};

use crate::locks::{LockMode, RelationLock};
use crate::model::{Column, QualifiedName, Schema};

/// A constraint the history or the file has made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownConstraint {
    pub kind: crate::locks::ConstraintKind,
    pub validated: bool,
    /// The key columns (a foreign key's referencing columns, a check's columns are not kept).
    pub columns: Vec<String>,
    /// For a foreign key: the table it references.
    pub references: Option<QualifiedName>,
    /// For a foreign key: the referenced columns; empty for the referenced table's primary key.
    pub referenced_columns: Vec<String>,
    /// For a `CHECK (col IS NOT NULL)`: the column it proves NOT NULL.
    pub not_null_of: Option<String>,
    /// For a check: what it says about single columns, where it is a conjunction of
    /// comparisons with constants (what an `ATTACH PARTITION` bound can be proved from).
    pub bounds: Vec<super::bound::Comparison>,
    /// Added in the current transaction (`NOT VALID` then `VALIDATE` in one transaction
    /// gains nothing).
    pub added_in_transaction: bool,
    /// Added by the current file: no running application version relies on it.
    pub added_in_file: bool,
}

/// How a table hangs below another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKind {
    Partition,
    /// The partition that takes the rows no other partition's bound accepts.
    DefaultPartition,
    /// `INHERITS` / `INHERIT`.
    Inherits,
}

/// Where a table is stored, where the file or the history says so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Storage {
    /// `USING am`; `None`: the default (`heap`).
    pub access_method: Option<String>,
    /// `TABLESPACE ts`; `None`: the database's default (`pg_default`).
    pub tablespace: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct State {
    /// Tables and columns known from the history and the file (and, with `--from`, from a
    /// desired-state file). A table that is only altered holds just the columns named.
    /// Column defaults and generation expressions are not kept (see `ast::column_shape`).
    pub schema: Schema,
    /// Relations created by this file: empty and invisible to others until commit, so
    /// not at risk.
    pub created: BTreeSet<QualifiedName>,
    /// Columns this file added to a table from before it: no running application
    /// version uses them.
    pub new_columns: BTreeSet<(QualifiedName, String)>,
    /// Functions the history and the file created (by name; overloads are one).
    pub functions: BTreeSet<QualifiedName>,
    /// Functions this file created.
    pub created_functions: BTreeSet<QualifiedName>,
    /// Constraints per table.
    pub constraints: BTreeMap<(QualifiedName, String), KnownConstraint>,
    /// Index -> its table.
    pub indexes: BTreeMap<QualifiedName, QualifiedName>,
    /// View or materialized view -> the relations its query names.
    pub view_sources: BTreeMap<QualifiedName, Vec<QualifiedName>>,
    /// Index -> its leading plain-column keys (`ADD ... USING INDEX` takes its columns
    /// from it).
    pub index_columns: BTreeMap<QualifiedName, Vec<String>>,
    /// `SET NOT NULL` (true) and `DROP NOT NULL` (false) per column whose table is not
    /// otherwise known: what the file did to them is known.
    pub not_null_set: BTreeMap<(QualifiedName, String), bool>,
    /// Table -> its partitions and inheritance children, in the order they came.
    pub children: BTreeMap<QualifiedName, Vec<(QualifiedName, ChildKind)>>,
    /// Partitioned table -> its partition key's columns (plain columns only).
    pub partition_keys: BTreeMap<QualifiedName, Vec<String>>,
    /// Domain -> whether it has constraints (a CHECK or NOT NULL) that every stored
    /// value must pass.
    pub domains: BTreeMap<QualifiedName, bool>,
    /// Tables whose storage is known (created by the history or the file).
    pub storage: BTreeMap<QualifiedName, Storage>,
    /// The session's `TimeZone` is UTC (or another zone without offset): a `timestamp`
    /// to `timestamptz` change is then catalog-only (PostgreSQL 12+).
    pub time_zone_utc: bool,
    /// What `time_zone_utc` is at the start of every file (configuration).
    pub default_time_zone_utc: bool,
    /// Inside a transaction block (the tool's or an explicit `BEGIN`).
    pub in_transaction: bool,
    /// The transaction was opened by the file itself with `BEGIN`.
    pub explicit_transaction: bool,
    /// Per relation, the strongest lock taken since the transaction began, and the
    /// (last) statement that took it.
    held: BTreeMap<QualifiedName, (LockMode, usize)>,
    /// ACCESS EXCLUSIVE locks taken on relations from before the file since the
    /// transaction began, in order.
    access_exclusive: Vec<(RelationLock, usize)>,
    /// `SET lock_timeout` is in force (session or transaction level).
    pub lock_timeout: bool,
    lock_timeout_local: bool,
    time_zone_local: Option<bool>,
    /// Enum values added in the current transaction.
    pub enum_values_added: BTreeSet<(QualifiedName, String)>,
    /// The first statement of the unit that took a lock blocking reads or writes of an
    /// existing relation while no lock_timeout was in force.
    pub unguarded_lock: Option<usize>,
}

impl State {
    pub fn is_new(&self, relation: &QualifiedName) -> bool {
        self.created.contains(relation)
    }

    /// What the history and the file say about a column, wherever it was declared.
    pub fn column(&self, table: &QualifiedName, column: &str) -> Option<&Column> {
        self.schema.tables.get(table).and_then(|t| t.column(column))
    }

    /// True for a constraint this file added (or one of a table it created).
    pub fn is_new_constraint(&self, table: &QualifiedName, name: &str) -> bool {
        self.created.contains(table) || self.constraints.get(&(table.clone(), name.to_string())).is_some_and(|c| c.added_in_file)
    }

    /// True for a column this file declared (in its `CREATE TABLE` or an `ADD COLUMN`):
    /// no running application version knows it.
    pub fn is_new_column(&self, table: &QualifiedName, column: &str) -> bool {
        (self.created.contains(table) && self.column(table, column).is_some()) || self.new_columns.contains(&(table.clone(), column.to_string()))
    }

    /// Whether `column` is NOT NULL as far as the history and the file say; `None` for
    /// a column nothing is known about.
    pub fn not_null(&self, table: &QualifiedName, column: &str) -> Option<bool> {
        if let Some(&set) = self.not_null_set.get(&(table.clone(), column.to_string())) {
            return Some(set);
        }
        self.column(table, column).map(|c| !c.nullable)
    }

    /// The partitions and inheritance children of `table`, and theirs, depth first.
    pub fn descendants(&self, table: &QualifiedName) -> Vec<QualifiedName> {
        let mut out = Vec::new();
        let mut pending = vec![table.clone()];
        while let Some(parent) = pending.pop() {
            for (child, _) in self.children.get(&parent).into_iter().flatten() {
                if !out.contains(child) && child != table {
                    out.push(child.clone());
                    pending.push(child.clone());
                }
            }
        }
        out
    }

    /// The table `child` is a partition or child of, and how.
    pub fn parent_of(&self, child: &QualifiedName) -> Option<(&QualifiedName, ChildKind)> {
        self.children
            .iter()
            .find_map(|(parent, children)| children.iter().find(|(c, _)| c == child).map(|(_, kind)| (parent, *kind)))
    }

    /// The default partition of a partitioned table, if known.
    pub fn default_partition(&self, parent: &QualifiedName) -> Option<&QualifiedName> {
        self.children
            .get(parent)?
            .iter()
            .find(|(_, kind)| *kind == ChildKind::DefaultPartition)
            .map(|(c, _)| c)
    }

    /// The known tables with a column of domain `domain`.
    pub fn tables_using_domain(&self, domain: &QualifiedName) -> Vec<QualifiedName> {
        self.schema
            .tables
            .values()
            .filter(|t| t.columns.iter().any(|c| matches!(&c.ty.base, crate::model::TypeBase::User(d) if d == domain)))
            .map(|t| t.name.clone())
            .collect()
    }

    /// The strongest lock held on `relation` since the transaction began.
    pub fn held_on(&self, relation: &QualifiedName) -> Option<(LockMode, usize)> {
        self.held.get(relation).copied()
    }

    /// The first ACCESS EXCLUSIVE lock held on an existing table, if any.
    pub fn access_exclusive_held(&self) -> Option<&(RelationLock, usize)> {
        self.access_exclusive.iter().find(|(l, _)| !self.created.contains(&l.relation))
    }

    pub fn begin(&mut self, explicit: bool) {
        if !self.in_transaction {
            self.in_transaction = true;
            self.explicit_transaction = explicit;
            self.held.clear();
            self.access_exclusive.clear();
        }
    }

    pub fn end(&mut self) {
        self.in_transaction = false;
        self.explicit_transaction = false;
        self.held.clear();
        self.access_exclusive.clear();
        self.enum_values_added.clear();
        for constraint in self.constraints.values_mut() {
            constraint.added_in_transaction = false;
        }
        if self.lock_timeout_local {
            self.lock_timeout = false;
            self.lock_timeout_local = false;
        }
        if let Some(before) = self.time_zone_local.take() {
            self.time_zone_utc = before;
        }
    }

    pub fn set_lock_timeout(&mut self, on: bool, local: bool) {
        self.lock_timeout = on;
        self.lock_timeout_local = on && local;
    }

    /// `SET [LOCAL] TimeZone`: `utc` when the zone has no offset. A `LOCAL` setting
    /// outside a transaction block does nothing.
    pub fn set_time_zone(&mut self, utc: bool, local: bool) {
        if local {
            if !self.in_transaction {
                return;
            }
            self.time_zone_local.get_or_insert(self.time_zone_utc);
        } else {
            self.time_zone_local = None;
        }
        self.time_zone_utc = utc;
    }

    /// What the next file of a history starts from: everything known about the schema,
    /// nothing of this file's transaction, settings or novelty (what it created is now
    /// an existing object, at risk).
    pub fn carried(mut self) -> State {
        self.end();
        for constraint in self.constraints.values_mut() {
            constraint.added_in_file = false;
        }
        self.created.clear();
        self.new_columns.clear();
        self.created_functions.clear();
        self.lock_timeout = false;
        self.time_zone_utc = self.default_time_zone_utc;
        self.unguarded_lock = None;
        self
    }

    /// Records the locks a statement took; outside a transaction they are released at once.
    /// `creates` are the relations the statement itself creates.
    pub fn took(&mut self, locks: &[RelationLock], statement: usize, creates: &[QualifiedName]) {
        let at_risk = |l: &&RelationLock| !self.created.contains(&l.relation) && !creates.contains(&l.relation);
        let blocking = locks.iter().filter(at_risk).any(|l| l.mode.blocks_writes());
        if blocking && !self.lock_timeout && self.unguarded_lock.is_none() {
            self.unguarded_lock = Some(statement);
        }
        if self.in_transaction {
            for lock in locks {
                if lock.mode == LockMode::AccessExclusiveLock && at_risk(&lock) {
                    self.access_exclusive.push((lock.clone(), statement));
                }
                let held = self.held.entry(lock.relation.clone()).or_insert((lock.mode, statement));
                *held = (*held).max((lock.mode, statement));
            }
        }
    }
}
