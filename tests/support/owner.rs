//! A database owned by an ordinary login role with a password, the way bellows connects in production: not as a
//! superuser, but as the role that owns the tables.
//!
//! The role is a member of [`PASSWORD_LOGIN_ROLE`], for which the test server requires the password (SCRAM), so a
//! wrong password is refused as it would be in production.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

use super::blocking::block_on;
use super::postgres::{fresh_database_async, server, PASSWORD_LOGIN_ROLE};

/// A fresh database and the role that owns it.
#[derive(Clone, Debug)]
pub struct Owner {
    pub role: String,
    pub password: String,
    pub database: String,
    /// `postgres://role:password@127.0.0.1:port/database`.
    pub url: String,
    /// The same database as the superuser, for setup that only a superuser may do.
    pub superuser_url: String,
}

impl Owner {
    /// The URL with another password.
    pub fn url_with_password(&self, password: &str) -> String {
        format!("postgres://{}:{password}@127.0.0.1:{}/{}", self.role, server().port, self.database)
    }
}

static NEXT_ROLE: AtomicU64 = AtomicU64::new(1);

/// A fresh, empty database owned by a new login role with a password.
pub fn owned_database() -> Owner {
    block_on(owned_database_async)
}

/// Async form of [`owned_database`].
pub async fn owned_database_async() -> Owner {
    let superuser_url = fresh_database_async().await;
    let database = superuser_url.rsplit('/').next().expect("the URL names a database").to_string();
    let n = NEXT_ROLE.fetch_add(1, Ordering::Relaxed);
    let role = format!("bellows_owner_{}_{n}", std::process::id());
    let password = format!("Pw-{n}-never-printed");
    let mut admin = sqlx::PgConnection::connect(&server().url("postgres"))
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server as postgres: {e}"));
    // Tests run in parallel: the group may be being created by another one right now.
    let setup = format!(
        "DO $$ BEGIN CREATE ROLE {PASSWORD_LOGIN_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
         SET password_encryption = 'scram-sha-256';
         CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {PASSWORD_LOGIN_ROLE};
         ALTER DATABASE \"{database}\" OWNER TO {role};"
    );
    sqlx::raw_sql(&setup)
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create the owner role {role}: {e}"));
    // Before PostgreSQL 15 the public schema belongs to the superuser; the owner should own it as it does from 15 on.
    let mut db_admin = sqlx::PgConnection::connect(&superuser_url).await.expect("connect as superuser");
    sqlx::raw_sql(&format!("ALTER SCHEMA public OWNER TO {role}"))
        .execute(&mut db_admin)
        .await
        .unwrap_or_else(|e| panic!("cannot give schema public to {role}: {e}"));
    let _ = admin.close().await;
    let _ = db_admin.close().await;
    let url = format!("postgres://{role}:{password}@127.0.0.1:{}/{database}", server().port);
    Owner {
        role,
        password,
        database,
        url,
        superuser_url,
    }
}
