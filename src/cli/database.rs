//! The live database as a source: which URL (`--database-url`, else `DATABASE_URL`),
//! a runtime for the executor's async code, and the warnings about what the schema
//! model cannot hold. The password in a URL never reaches any output: the executor's
//! errors carry the URL redacted.

use anyhow::anyhow;
use clap::Args;
use executor::{DatabaseUrl, Introspection};

use super::exit::Failure;

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// The database to read, as a PostgreSQL URL (postgres://user:password@host:port/db).
    /// Without it, the DATABASE_URL environment variable is used.
    // Not clap's `env`: `--help` would print the variable's value, password and all.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// `--database-url`, else a non-empty `DATABASE_URL`.
    pub fn url(&self) -> Option<DatabaseUrl> {
        let from_env = || std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty());
        self.database_url.clone().or_else(from_env).map(DatabaseUrl::new)
    }
}

/// Connects to `url` and reads its schema, on a runtime of its own.
pub fn introspect(url: &DatabaseUrl) -> Result<Introspection, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(anyhow!("cannot start the async runtime: {e}")))?;
    runtime.block_on(executor::introspect_url(url)).map_err(Failure::usage)
}

/// One line per thing the live database holds that the model does not: unsupported
/// features, NOT VALID constraints, INVALID indexes.
pub fn warnings(introspection: &Introspection) -> Vec<String> {
    let mut lines: Vec<String> = introspection.unsupported.iter().map(|u| u.to_string()).collect();
    for c in &introspection.not_valid_constraints {
        lines.push(format!(
            "constraint {} on {} is NOT VALID: rows older than it may violate it (VALIDATE CONSTRAINT checks them)",
            planner::model::quote_ident(&c.name),
            c.table
        ));
    }
    for i in &introspection.invalid_indexes {
        lines.push(format!(
            "index {} is INVALID (a failed or interrupted concurrent build) and is read as present; drop it with DROP INDEX CONCURRENTLY and plan again to rebuild it",
            i.table.sibling(i.name.clone())
        ));
    }
    lines
}

/// Prints the warnings on standard error.
pub fn print_warnings(introspection: &Introspection) {
    for line in warnings(introspection) {
        eprintln!("warning: {line}");
    }
}

/// The error for a command that needs a database and was given none.
pub fn missing() -> Failure {
    Failure::usage(anyhow!("no database given: pass --database-url URL or set DATABASE_URL"))
}
