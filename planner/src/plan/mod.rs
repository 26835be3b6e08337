//! The plan: ordered steps grouped by phase, with the options it was made with, the
//! checksums of the schemas it starts from and ends at, and a fingerprint. `make_plan`
//! is the whole pipeline from two schemas: diff, recipes, order.

mod fingerprint;
pub mod order;
pub mod settle;
mod statements;

use serde::{Deserialize, Serialize};

use crate::change::Change;
use crate::diff::diff;
use crate::error::PlanError;
use crate::locks::PgVersion;
use crate::model::Schema;
use crate::step::{Phase, Step};
pub use settle::Touches;
pub use statements::{plan_statements, Statement};

/// The version of the plan's JSON form. A reader refuses a plan of a newer version.
pub const FORMAT_VERSION: u32 = 1;

/// Options that change the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    pub pg_version: PgVersion,
    /// The `lock_timeout` each locking statement runs with in the SQL script, in
    /// milliseconds.
    pub lock_timeout_ms: u32,
    /// Rows per backfill batch.
    pub batch_size: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            pg_version: PgVersion::DEFAULT,
            lock_timeout_ms: 1000,
            batch_size: 1000,
        }
    }
}

/// Checksums of the normalised schemas a plan moves between (`Schema::checksum`): a
/// preflight compares the live database with `from`, a postflight with `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaChecksums {
    /// The schemas the plan manages (those of the desired schema, as the diff): the
    /// checksums cover these, a live database may hold others.
    pub schemas: Vec<String>,
    pub from: String,
    pub to: String,
}

/// An ordered, phased plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub fingerprint: String,
    pub pg_version: PgVersion,
    pub options: PlanOptions,
    pub schema_checksums: SchemaChecksums,
    /// The changes the plan makes, one line each.
    pub changes: Vec<String>,
    pub phases: Vec<PhaseSteps>,
    /// What the plan does differently from what its input asked for, and why (a SQL
    /// migration's transaction split, its `SET lock_timeout` replaced): never silent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseSteps {
    pub name: Phase,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flat_map(|p| p.steps.iter())
    }

    /// The plan with `notes` added, and its fingerprint made again.
    pub fn with_notes(mut self, notes: Vec<String>) -> Plan {
        self.notes.extend(notes);
        self.fingerprint = fingerprint::of(&self);
        self
    }

    /// The plan with another `lock_timeout` (a SQL migration's own), its fingerprint made again.
    pub fn with_lock_timeout(mut self, ms: u32) -> Plan {
        self.options.lock_timeout_ms = ms;
        self.fingerprint = fingerprint::of(&self);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.phases.iter().all(|p| p.steps.is_empty())
    }

    /// The steps of one phase.
    pub fn phase(&self, phase: Phase) -> &[Step] {
        self.phases.iter().find(|p| p.name == phase).map_or(&[], |p| p.steps.as_slice())
    }

    /// Reads a plan back from its JSON, refusing a newer format and a plan whose
    /// fingerprint does not match its content.
    pub fn from_json(json: &str) -> Result<Plan, PlanError> {
        let version: serde_json::Value = serde_json::from_str(json).map_err(|e| PlanError::Unreadable(e.to_string()))?;
        let found = version.get("format_version").and_then(serde_json::Value::as_u64);
        if found.is_none_or(|v| v > u64::from(FORMAT_VERSION)) {
            return Err(PlanError::Unreadable(format!(
                "the plan's format_version is {}, and this bellows reads up to {FORMAT_VERSION}",
                found.map_or("missing".to_string(), |v| v.to_string())
            )));
        }
        let plan: Plan = serde_json::from_value(version).map_err(|e| PlanError::Unreadable(e.to_string()))?;
        let expected = fingerprint::of(&plan);
        if plan.fingerprint != expected {
            return Err(PlanError::Unreadable(format!(
                "the plan's fingerprint {} does not match its content ({expected}): it was edited",
                plan.fingerprint
            )));
        }
        Ok(plan)
    }
}

/// Plans the move from `current` to `desired`.
pub fn make_plan(current: &Schema, desired: &Schema, options: PlanOptions) -> Result<Plan, PlanError> {
    let changes = diff(current, desired)?;
    plan_changes(current, desired, &changes, options)
}

/// Plans a given list of changes (the diff's).
pub fn plan_changes(current: &Schema, desired: &Schema, changes: &[Change], options: PlanOptions) -> Result<Plan, PlanError> {
    let statements: Vec<Statement> = changes.iter().cloned().map(|c| Statement::Change(Box::new(c))).collect();
    plan_statements(current, desired, statements, options)
}
