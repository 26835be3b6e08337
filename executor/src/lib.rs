//! The executor owns every connection to a live PostgreSQL database: introspection (the
//! live schema as the planner's `Schema`), the `bellows` state schema, the resumable
//! step runner and batched backfills, preflight and postflight checks.
//!
//! Everything here is async (sqlx on tokio); the caller brings the runtime. A service
//! can run `apply` at start-up through [`Runner`], as sqlx users run `migrate!()`.

mod advisory_lock;
mod backfill;
mod blockers;
mod connect;
mod database_url;
mod error;
pub mod events;
pub mod introspect;
mod postflight;
mod preflight;
mod retry;
pub mod run;
pub mod state;
pub mod status;

pub use connect::{connect, CONNECT_TIMEOUT};
pub use database_url::{DatabaseUrl, REDACTED};
pub use error::{is_retryable, ConnectError, ExecError, IntrospectError, ReadSchemaError};
pub use events::{Blocker, Event, Events, Silent};
pub use introspect::{introspect, introspect_url, ConstraintRef, Feature, IndexRef, Introspection, Treatment, Unsupported};
pub use run::{prepare, ApplyPhases, Options, Outcome, Prepared, Runner};
