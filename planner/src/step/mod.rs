//! A step: one unit of execution, and the contract the executor runs. A plan read back
//! from its JSON, days later and by a newer bellows, says everything needed to run,
//! resume and undo each step: its kind, SQL, transactionality, locks, dependencies,
//! the objects it creates and drops, its undo, and for a backfill how to run a batch.

mod draft;
mod kind;
mod object;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::locks::{Cost, RelationLock};
use crate::model::QualifiedName;
pub use draft::Draft;
pub(crate) use draft::Obj;
pub use kind::StepKind;
pub use object::DbObject;

/// The three phases of a migration, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Stable across runs: `action:object`, e.g. `add-column:public.users.email`. An
    /// identifier only: what the step does is its `kind`.
    pub id: String,
    pub kind: StepKind,
    pub phase: Phase,
    pub description: String,
    /// The statements, in order. A backfill's batches are in `backfill`, not here.
    pub sql: Vec<String>,
    /// False for statements PostgreSQL refuses inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, ...) and for batched backfills.
    pub transactional: bool,
    pub locks: Vec<RelationLock>,
    /// The highest cost among the locks (`instant` when it locks nothing).
    pub cost: Cost,
    pub depends_on: Vec<String>,
    /// The objects the step makes: after a crash during a step that runs outside a
    /// transaction, these are what may be half made (an INVALID index).
    pub creates: Vec<DbObject>,
    /// The objects the step removes.
    pub drops: Vec<DbObject>,
    /// SQL that undoes the step (run in one transaction when the step is
    /// transactional, statement by statement otherwise); empty when there is nothing
    /// to undo or it cannot be undone (then `irreversible` says why).
    pub undo: Vec<String>,
    /// Why the step cannot be undone, for the steps that change something `undo`
    /// cannot restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irreversible: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// What must hold in the database for the step to succeed, each counted by a query
    /// a runner evaluates before the plan changes anything (preflight).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconditions: Vec<Precondition>,
    /// A read-only SQL condition over the catalog, true while the step still has work
    /// to do. A runner that cannot tell whether the step already ran (the SQL script,
    /// run again after a failure) skips the step when it is false. Absent: the step's
    /// SQL is safe to run again as it is (`IF NOT EXISTS`, `IF EXISTS`, idempotent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
}

/// A fact about the rows the step depends on, checked before anything changes: `sql`
/// is one read-only query returning one `bigint`, the number of rows that would make
/// the step fail (0: none); `description` says what it counts ("rows of public.users
/// for which split_part(email, '@', 2) is NULL").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    pub description: String,
    pub sql: String,
}

/// A batched data change: keyset batches over a unique, NOT NULL key of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backfill {
    pub table: QualifiedName,
    /// The key columns batches are ordered by, with their types (for the cursor).
    pub key: Vec<KeyColumn>,
    /// Rows per batch the plan was made with; the executor adapts it as it goes.
    pub batch_size: u32,
    /// One batch: `$1` = rows per batch, `$2..$(n+1)` = the key of the last row of the
    /// previous batch (NULLs for the first), `$(n+2)..$(2n+1)` = the upper bound (the
    /// key `bound_sql` returned when the backfill started). It returns the key of its
    /// last row as text (`bellows_k1..n`), `updated_rows` and `batch_rows` (the rows it
    /// looked at), or no row when it is done.
    pub batch_sql: String,
    /// The key of the table's last row, as text: the upper bound, read once when the backfill
    /// starts (rows inserted later are written by the triggers). No row: nothing to do.
    pub bound_sql: String,
    /// The rows still to do, as a condition on the table aliased `t`: a row the
    /// triggers or an earlier batch already wrote does not match it.
    pub pending: String,
}

impl Backfill {
    /// The planner settings turned off in every batch's transaction. A batch reads only
    /// its own key range, through the key's index; left to its estimates, PostgreSQL may
    /// read the whole table for every batch: it guesses a column just added, with no
    /// statistics yet, to be nearly all filled already, and a range whose end it learns
    /// only as the batch runs to be a third of the table.
    pub const PLANNER_OFF: [&'static str; 3] = ["enable_seqscan", "enable_hashjoin", "enable_mergejoin"];
}

/// A key column of a backfill and its type, as SQL (`bigint`, `uuid`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

impl Step {
    pub fn new(id: String, kind: StepKind, phase: Phase, description: String) -> Step {
        Step {
            id,
            kind,
            phase,
            description,
            sql: Vec::new(),
            transactional: true,
            locks: Vec::new(),
            cost: Cost::Instant,
            depends_on: Vec::new(),
            creates: Vec::new(),
            drops: Vec::new(),
            undo: Vec::new(),
            irreversible: None,
            backfill: None,
            preconditions: Vec::new(),
            guard: None,
        }
    }

    /// The statements the step runs, for display: its SQL, or a backfill's batch.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.sql.iter().map(String::as_str).chain(self.backfill.iter().map(|b| b.batch_sql.as_str()))
    }
}
