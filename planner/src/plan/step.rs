//! A step: one unit of execution, with its phase, SQL, transactionality, lock impact,
//! dependencies and undo.

use std::fmt;

use serde::Serialize;

use crate::locks::{Cost, RelationLock};
use crate::model::QualifiedName;

/// The three phases of a migration, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Before the new application version is deployed: additive only.
    Expand,
    /// After expand: data moved in batches, constraints validated.
    Backfill,
    /// After every instance runs the new version: old objects removed.
    Contract,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Expand, Phase::Backfill, Phase::Contract];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Contract => "contract",
        }
    }

    pub fn promise(self) -> &'static str {
        match self {
            Phase::Expand => "run before deploying the new application version; the old version keeps working",
            Phase::Backfill => "run after expand; both application versions keep working",
            Phase::Contract => "run after every instance runs the new version",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Stable across runs: `action:object`, e.g. `add-column:public.users.email`.
    pub id: String,
    pub phase: Phase,
    pub description: String,
    pub sql: Vec<String>,
    /// False for statements PostgreSQL refuses inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, ...) and for batched backfills.
    pub transactional: bool,
    pub locks: Vec<RelationLock>,
    /// The highest cost among the locks (`instant` when it locks nothing).
    pub cost: Cost,
    pub depends_on: Vec<String>,
    /// SQL that undoes the step, where it can be undone.
    pub undo: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    #[serde(skip)]
    pub(crate) objects: Objects,
}

/// A batched data change: keyset batches over the table's primary key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backfill {
    pub table: QualifiedName,
    /// The primary key columns batches are ordered by.
    pub key: Vec<String>,
    pub batch_size: u32,
    /// The first batch: no cursor.
    pub first_batch_sql: String,
    /// Later batches: `$1..$n` are the key of the last row of the previous batch.
    /// Each batch returns that key (or no row when done) and `updated_rows`.
    pub batch_sql: String,
}

/// What a step creates, needs, drops and stops needing, for ordering.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Objects {
    pub creates: Vec<Obj>,
    pub needs: Vec<Obj>,
    pub drops: Vec<Obj>,
    pub releases: Vec<Obj>,
}

/// A database object, or a fact about one, that steps order around.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Obj {
    Schema(String),
    Type(QualifiedName),
    Table(QualifiedName),
    Column(QualifiedName, String),
    /// The column holds its final values (after a backfill or copy).
    Filled(QualifiedName, String),
    NotNull(QualifiedName, String),
    Index(QualifiedName),
    Constraint(QualifiedName, String),
    /// A unique key (primary key, unique constraint or index) on these columns.
    UniqueKey(QualifiedName, Vec<String>),
}

impl Obj {
    pub fn unique_key(table: &QualifiedName, columns: &[String]) -> Obj {
        let mut columns = columns.to_vec();
        columns.sort();
        Obj::UniqueKey(table.clone(), columns)
    }
}

impl Step {
    pub fn new(id: String, phase: Phase, description: String) -> Step {
        Step {
            id,
            phase,
            description,
            sql: Vec::new(),
            transactional: true,
            locks: Vec::new(),
            cost: Cost::Instant,
            depends_on: Vec::new(),
            undo: Vec::new(),
            backfill: None,
            objects: Objects::default(),
        }
    }
}
