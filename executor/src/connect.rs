//! Opening a connection: the URL is parsed by the driver, the session is named
//! `bellows` (so that it shows in `pg_stat_activity`), and an unanswered connection
//! attempt gives up instead of hanging.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;

use crate::database_url::DatabaseUrl;
use crate::error::ConnectError;

/// How long a connection attempt may take (TCP, authentication, start-up).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` as application `bellows`.
pub async fn connect(url: &DatabaseUrl) -> Result<PgConnection, ConnectError> {
    // The driver reads any URL as PostgreSQL's; a MySQL URL should not be tried.
    if !["postgres://", "postgresql://"].iter().any(|scheme| url.expose().starts_with(scheme)) {
        return Err(ConnectError::InvalidUrl {
            url: url.redacted(),
            reason: "it must start with postgres:// or postgresql://".into(),
        });
    }
    let options = PgConnectOptions::from_str(url.expose())
        .map_err(|e| ConnectError::invalid_url(url, &e))?
        .application_name("bellows");
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(ConnectError::refused(url, &error)),
        Err(_) => Err(ConnectError::Timeout {
            url: url.redacted(),
            seconds: CONNECT_TIMEOUT.as_secs(),
        }),
    }
}
