//! Shared harness for integration tests: throwaway PostgreSQL servers (the installed one, and one per pinned major),
//! databases owned by an ordinary role, SQL scripts run as psql would, and an observer of the locks a statement takes.
//!
//! Each test binary compiles this module on its own (`mod support;`) and uses only part of it, so items that one
//! binary leaves unused must not fail `clippy -D warnings` there.
#![allow(dead_code)]

pub mod app;
pub mod bellows;
pub mod blocking;
pub mod db;
pub mod examples;
pub mod live;
pub mod locks;
pub mod meaning;
pub mod owner;
pub mod postgres;
pub mod postgres_majors;
pub mod script;
pub mod values;
