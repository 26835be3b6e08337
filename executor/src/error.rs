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

/// Why running a plan (`apply`, `complete`, `abort`) stopped. Each variant maps to one of
/// the documented exit codes ([`ExecError::exit_code`]).
#[derive(Debug, Error)]
pub enum ExecError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    /// A query of bellows's own (state, checks) failed.
    #[error("{what}: {reason}")]
    Database { what: String, reason: String },
    /// Another runner holds this database's advisory lock.
    #[error("another bellows runner is working on this database ({holder}); nothing was changed")]
    Busy { holder: String },
    /// A migration is in flight and the plan asked for is another one.
    #[error("migration {recorded} is in flight ({status}), and the plan for the given schema is {current}, which moves to another schema; finish the one in flight (`bellows complete`) or undo it (`bellows abort`) first")]
    PlanMismatch { recorded: String, current: String, status: String },
    /// A check before anything changes found a reason not to start.
    #[error("preflight refused: {}", problems.join("; "))]
    Preflight { problems: Vec<String> },
    /// The command does not fit the migration's state (`complete` before `apply`, ...).
    #[error("{0}")]
    WrongState(String),
    /// A step failed; the migration can be resumed once the cause is fixed.
    #[error("step {step} failed after {attempts} attempt(s): {reason}")]
    StepFailed { step: String, attempts: u32, reason: String },
    /// A step could not get its locks before the deadline.
    #[error("step {step} could not get its locks within {seconds} s ({attempts} attempts, each waiting at most the lock timeout){blockers}")]
    LockTimeout {
        step: String,
        attempts: u32,
        seconds: u64,
        blockers: String,
    },
    /// Stopped on request (Ctrl-C) at a point from which `apply` resumes.
    #[error("interrupted {0}; run the same command again to resume")]
    Interrupted(String),
    /// The database does not look as the plan says it should after a phase.
    #[error("postflight check failed: {}", problems.join("; "))]
    Postflight { problems: Vec<String> },
    /// `abort` could not undo the migration.
    #[error("abort failed: {0}")]
    AbortFailed(String),
}

impl ExecError {
    pub(crate) fn database(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ExecError {
        let what = what.into();
        move |error| ExecError::Database {
            what,
            reason: driver_reason(&error),
        }
    }

    /// The exit code the command line documents for this failure: 1 preflight refused,
    /// 2 a step failed, 3 postflight failed, 4 abort failed, 5 usage or connection.
    pub fn exit_code(&self) -> u8 {
        match self {
            ExecError::Connect(_) => 5,
            ExecError::Busy { .. } | ExecError::PlanMismatch { .. } | ExecError::Preflight { .. } | ExecError::WrongState(_) => 1,
            ExecError::Introspect(_)
            | ExecError::Database { .. }
            | ExecError::StepFailed { .. }
            | ExecError::LockTimeout { .. }
            | ExecError::Interrupted(_) => 2,
            ExecError::Postflight { .. } => 3,
            ExecError::AbortFailed(_) => 4,
        }
    }
}

/// True only for the errors that waiting and trying again can cure: a lock not
/// granted within `lock_timeout` (55P03) and a deadlock (40P01).
pub fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("55P03") | Some("40P01")))
}

/// A database error's message, with its SQLSTATE and detail, for a step's `last_error`.
pub(crate) fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
            let detail = pg.and_then(|e| e.detail()).map(|d| format!(" ({d})")).unwrap_or_default();
            format!("{}{detail} [SQLSTATE {}]", db.message(), db.code().unwrap_or_default())
        }
        other => driver_reason(other),
    }
}
