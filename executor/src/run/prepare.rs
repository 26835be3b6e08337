//! The plan `apply` runs: the migration in flight, when it moves to the desired schema
//! (a plan made again from a half-migrated database differs, but goes to the same
//! place), or else a new plan from the live database.

use std::collections::BTreeSet;

use planner::model::Schema;
use planner::{make_plan, Plan, PlanOptions};

use crate::database_url::DatabaseUrl;
use crate::error::ExecError;
use crate::state::{self, Migration};

/// What `apply` will run.
pub struct Prepared {
    pub plan: Plan,
    /// The migration in flight this plan resumes.
    pub resumes: Option<Migration>,
    /// The ids of its steps that are done already (when it resumes one).
    pub done: BTreeSet<String>,
    /// What preflight of the live schema will say about things the model cannot hold.
    pub introspection: Option<crate::Introspection>,
}

/// Finds or makes the plan that takes the database to `desired`. `options.pg_version`
/// is replaced by the server's own major.
pub async fn prepare(url: &DatabaseUrl, desired: &Schema, mut options: PlanOptions) -> Result<Prepared, ExecError> {
    let mut connection = crate::connect(url).await?;
    let in_flight = if state::exists(&mut connection).await? {
        state::in_flight(&mut connection).await?
    } else {
        None
    };
    if let Some(migration) = in_flight {
        let schemas: BTreeSet<String> = migration.plan.schema_checksums.schemas.iter().cloned().collect();
        if desired.checksum_of(&schemas) == migration.plan.schema_checksums.to {
            let done = state::steps(&mut connection, migration.id)
                .await?
                .into_iter()
                .filter(|r| r.status == state::StepStatus::Done)
                .map(|r| r.step_id)
                .collect();
            return Ok(Prepared {
                plan: migration.plan.clone(),
                resumes: Some(migration),
                done,
                introspection: None,
            });
        }
        // Another target: say which plan it would have been.
        let live = crate::introspect::introspect(&mut connection).await?;
        let current = make_plan(&live.schema, desired, options).map_or_else(|e| format!("none (cannot plan: {e})"), |p| p.fingerprint);
        return Err(ExecError::PlanMismatch {
            recorded: migration.fingerprint,
            current,
            status: migration.status.name().into(),
        });
    }
    let live = crate::introspect::introspect(&mut connection).await?;
    if let Some(major) = planner::PgVersion::parse(&live.server_version.to_string()) {
        options.pg_version = major;
    }
    let plan = make_plan(&live.schema, desired, options).map_err(|e| ExecError::Preflight {
        problems: vec![format!(
            "cannot plan safely: {e}{}",
            e.help().map(|h| format!(" (help: {h})")).unwrap_or_default()
        )],
    })?;
    Ok(Prepared {
        plan,
        resumes: None,
        done: BTreeSet::new(),
        introspection: Some(live),
    })
}
