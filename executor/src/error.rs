//! Errors of the executor. Each names the database (its URL redacted) or the catalog
//! object concerned, and the cause; none carries a password (driver messages are
//! scrubbed before they are kept, and no driver error is kept as a source).

use thiserror::Error;

use crate::database_url::DatabaseUrl;

#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("`{url}` is not a valid PostgreSQL URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot connect to {url}: {reason}")]
    Refused { url: String, reason: String },
    #[error("cannot connect to {url}: no answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
}

impl ConnectError {
    pub(crate) fn invalid_url(url: &DatabaseUrl, error: &sqlx::Error) -> ConnectError {
        ConnectError::InvalidUrl {
            url: url.redacted(),
            reason: url.scrub(&error.to_string()),
        }
    }

    pub(crate) fn refused(url: &DatabaseUrl, error: &sqlx::Error) -> ConnectError {
        ConnectError::Refused {
            url: url.redacted(),
            reason: url.scrub(&driver_reason(error)),
        }
    }
}

/// Reading a database's schema from its URL: connecting, then introspecting.
#[derive(Debug, Error)]
pub enum ReadSchemaError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot read the schema of {url}")]
    Introspect {
        url: String,
        #[source]
        cause: IntrospectError,
    },
}

#[derive(Debug, Error)]
pub enum IntrospectError {
    #[error("cannot read the {what} from the catalog: {reason}")]
    Query { what: &'static str, reason: String },
    #[error("the {what} of {object} is `{text}`, which bellows cannot parse: {reason}")]
    Unparsable {
        what: &'static str,
        object: String,
        text: String,
        reason: String,
    },
    #[error("PostgreSQL {version} is too old to introspect; bellows reads PostgreSQL 10 and later")]
    ServerTooOld { version: String },
}

impl IntrospectError {
    pub(crate) fn query(what: &'static str) -> impl FnOnce(sqlx::Error) -> IntrospectError {
        move |error| IntrospectError::Query {
            what,
            reason: driver_reason(&error),
        }
    }
}

/// The driver's message without sqlx's own prefixes ("error returned from database: ").
fn driver_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}
