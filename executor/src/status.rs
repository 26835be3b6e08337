//! What `status` shows: the newest migration and every step, read without taking the
//! runner lock and without writing anything (not even the state schema).

use serde::Serialize;

use crate::database_url::DatabaseUrl;
use crate::error::ExecError;
use crate::state::{self, StepRecord};

/// The newest migration and its steps.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub migration: i64,
    pub fingerprint: String,
    pub status: String,
    pub bellows_version: String,
    pub started_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    pub steps: Vec<StatusStep>,
}

/// A step as `status` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct StatusStep {
    pub id: String,
    pub description: String,
    #[serde(flatten)]
    pub record: StepRecord,
}

/// The newest migration's status, or `None` when bellows never ran on the database.
pub async fn read(url: &DatabaseUrl) -> Result<Option<Status>, ExecError> {
    let mut connection = crate::connect(url).await?;
    if !state::exists(&mut connection).await? {
        return Ok(None);
    }
    let Some(migration) = state::latest(&mut connection).await? else {
        return Ok(None);
    };
    let records = state::steps(&mut connection, migration.id).await?;
    let steps = records
        .into_iter()
        .map(|record| StatusStep {
            id: record.step_id.clone(),
            description: migration
                .plan
                .steps()
                .find(|s| s.id == record.step_id)
                .map_or_else(String::new, |s| s.description.clone()),
            record,
        })
        .collect();
    Ok(Some(Status {
        migration: migration.id,
        fingerprint: migration.fingerprint,
        status: migration.status.name().into(),
        bellows_version: migration.bellows_version,
        started_at: migration.started_at,
        updated_at: migration.updated_at,
        finished_at: migration.finished_at,
        steps,
    }))
}
