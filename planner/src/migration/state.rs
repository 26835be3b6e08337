//! What the linter knows as it reads a migration: the schema built so far (tables and
//! columns created earlier are not at risk, and column types decide whether a type
//! change rewrites), the transaction the statement runs in, the locks held since the
//! transaction began, and whether a lock timeout is set.

use std::collections::{BTreeMap, BTreeSet};

use crate::locks::{LockMode, RelationLock};
use crate::model::{QualifiedName, Schema};

/// A constraint the file has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownConstraint {
    pub kind: crate::locks::ConstraintKind,
    pub validated: bool,
    /// For a foreign key: the table it references.
    pub references: Option<QualifiedName>,
    /// For a `CHECK (col IS NOT NULL)`: the column it proves NOT NULL.
    pub not_null_of: Option<String>,
    /// Added in the current transaction (`NOT VALID` then `VALIDATE` in one transaction
    /// gains nothing).
    pub added_in_transaction: bool,
}

#[derive(Clone, Debug, Default)]
pub struct State {
    /// Tables and columns known from the file (and, later, from a live schema). Column
    /// defaults and generation expressions are not kept (see `ast::column_shape`).
    pub schema: Schema,
    /// Relations created by this file: empty and invisible to others until commit, so
    /// not at risk.
    pub created: BTreeSet<QualifiedName>,
    /// Constraints per table.
    pub constraints: BTreeMap<(QualifiedName, String), KnownConstraint>,
    /// Index -> its table.
    pub indexes: BTreeMap<QualifiedName, QualifiedName>,
    /// View or materialized view created by the file -> the relations its query names.
    pub view_sources: BTreeMap<QualifiedName, Vec<QualifiedName>>,
    /// Index created by the file -> its leading plain-column keys (`ADD ... USING INDEX`
    /// takes its columns from it).
    pub index_columns: BTreeMap<QualifiedName, Vec<String>>,
    /// `SET NOT NULL` (true) and `DROP NOT NULL` (false) run by the file, per column:
    /// columns of tables from before the file are not in `schema` (their type is
    /// unknown), but what the file did to them is known.
    pub not_null_set: BTreeMap<(QualifiedName, String), bool>,
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

    /// A column the file declared, in its `CREATE TABLE` or an `ADD COLUMN`: no running
    /// application version knows it. Columns from before the file never enter `schema`;
    /// what the file does to them is kept elsewhere (`not_null_set`).
    pub fn declared_column(&self, table: &QualifiedName, column: &str) -> Option<&crate::model::Column> {
        self.schema.tables.get(table).and_then(|t| t.column(column))
    }

    /// Whether `column` is NOT NULL as far as the file says: declared so when the file
    /// created or added it, or set (or dropped) by the file; `None` for a column from
    /// before the file that the file did not touch.
    pub fn not_null(&self, table: &QualifiedName, column: &str) -> Option<bool> {
        if let Some(&set) = self.not_null_set.get(&(table.clone(), column.to_string())) {
            return Some(set);
        }
        self.declared_column(table, column).map(|c| !c.nullable)
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
    }

    pub fn set_lock_timeout(&mut self, on: bool, local: bool) {
        self.lock_timeout = on;
        self.lock_timeout_local = on && local;
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
