//! The executor owns every connection to a live PostgreSQL database: introspection
//! (the live schema as the planner's `Schema`), and later the `bellows` state schema,
//! the resumable step runner and batched backfills.
//!
//! Everything here is async (sqlx on tokio); the caller brings the runtime.

mod connect;
mod database_url;
mod error;
pub mod introspect;

pub use connect::{connect, CONNECT_TIMEOUT};
pub use database_url::{DatabaseUrl, REDACTED};
pub use error::{ConnectError, IntrospectError, ReadSchemaError};
pub use introspect::{introspect, introspect_url, ConstraintRef, Feature, IndexRef, Introspection, Treatment, Unsupported};
