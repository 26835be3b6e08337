//! Shared by the executor's benchmarks (`disturbance`, `backfill`): a throwaway PostgreSQL 15 from the test harness,
//! a seeded database owned by an ordinary role that serves as the template of a fresh copy per run, `bellows` run as
//! a process with its JSON progress events time-stamped as they arrive, and the figures' arithmetic.
//!
//! The benchmarks fail loudly: anything they cannot start or that fails ends the process with `error: ...` and a
//! non-zero exit code, never a skipped or partial report.
//!
//! Each benchmark compiles this module on its own (`mod live;`) and uses only part of it.
#![allow(dead_code)]

pub mod pgbench;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sqlx::{Connection, PgConnection};

use crate::support::blocking::block_on;
use crate::support::owner::{owned_database, Owner};
use crate::support::postgres::{server, PgServer};

/// The PostgreSQL the benchmarks are specified for.
const PG15_BINDIR: &str = "/usr/lib/postgresql/15/bin";

/// Ends the benchmark with `message` and exit code 1.
pub fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

/// A setting from the environment, or its default; a value that does not parse is an error.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| fail(format!("{name}={text:?} is not a valid value"))),
        Err(_) => default,
    }
}

/// Seconds since the epoch, as pgbench's log writes them.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The test harness's server, from PostgreSQL 15's binaries unless `BELLOWS_PG_BINDIR` says otherwise; and `pgbench`
/// must be there too.
pub fn start_server(needs_pgbench: bool) -> &'static PgServer {
    if std::env::var_os("BELLOWS_PG_BINDIR").is_none() && Path::new(PG15_BINDIR).join("postgres").is_file() {
        std::env::set_var("BELLOWS_PG_BINDIR", PG15_BINDIR);
    }
    if needs_pgbench {
        pgbench::check_installed();
    }
    let started = std::panic::catch_unwind(server);
    started.unwrap_or_else(|_| fail("cannot start PostgreSQL (the reason is printed above)"))
}

/// A database owned by a new ordinary role, seeded with `setup` (run as that role), then vacuumed and analysed: the
/// template every run copies. The seeding commits synchronously: the test server's `synchronous_commit = off` would
/// otherwise keep VACUUM from setting the hint bits, and the visibility map, of rows whose commit is not yet on disk,
/// and the table would look to every run like one just written, not one a production server has long vacuumed.
pub fn seeded_template(setup: &str) -> Owner {
    let owner = owned_database();
    block_on(|| async {
        let mut connection = connect(&owner.url).await;
        sqlx::raw_sql("SET synchronous_commit = on")
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| fail(format!("setting synchronous_commit failed: {e}")));
        sqlx::raw_sql(setup)
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| fail(format!("seeding the template failed: {e}")));
        sqlx::raw_sql("VACUUM ANALYZE")
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| fail(format!("vacuuming the template failed: {e}")));
        let _ = connection.close().await;
    });
    owner
}

/// A fresh copy `name` of the template's database, owned by the same role; its URL as that role.
pub fn copy_of(template: &Owner, name: &str) -> String {
    let server = server();
    // One statement each: PostgreSQL runs a multi-statement string in a transaction, which these refuse.
    superuser(&server.url("postgres"), &format!("DROP DATABASE IF EXISTS {name}"));
    superuser(
        &server.url("postgres"),
        &format!(
            "CREATE DATABASE {name} TEMPLATE \"{}\" OWNER {} STRATEGY FILE_COPY",
            template.database, template.role
        ),
    );
    template.url.replace(&format!("/{}", template.database), &format!("/{name}"))
}

/// Removes a copy (the disk is small).
pub fn drop_copy(name: &str) {
    superuser(&server().url("postgres"), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// Runs `sql` as the superuser on `url`.
pub fn superuser(url: &str, sql: &str) {
    run_sql(url, sql);
}

/// Runs `sql` on `url`, failing the benchmark if it fails.
pub fn run_sql(url: &str, sql: &str) {
    block_on(|| async {
        let mut connection = connect(url).await;
        sqlx::raw_sql(sql)
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| fail(format!("{e}\nwhile running: {sql}")));
        let _ = connection.close().await;
    });
}

pub async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| fail(format!("cannot connect to the benchmark's server: {e}")))
}

/// One `bellows` command that ran to its end.
pub struct BellowsRun {
    /// Every progress event, with the time (seconds since the epoch) it was read.
    pub events: Vec<(f64, Value)>,
    pub started: f64,
    pub ended: f64,
}

impl BellowsRun {
    pub fn seconds(&self) -> f64 {
        self.ended - self.started
    }

    /// The step that was running at `time` (the last one started before it), if any.
    pub fn step_at(&self, time: f64) -> Option<String> {
        if time < self.started || time > self.ended {
            return None;
        }
        self.events
            .iter()
            .take_while(|(at, _)| *at <= time)
            .filter(|(_, e)| e["event"] == "step_started")
            .last()
            .and_then(|(_, e)| e["step"].as_str().map(str::to_string))
            .or_else(|| Some("none yet: planning and preflight".into()))
    }

    /// The duration of the step whose id starts with `prefix`, from its `step_done` event.
    pub fn step_seconds(&self, prefix: &str) -> Option<f64> {
        self.events
            .iter()
            .find(|(_, e)| e["event"] == "step_done" && e["step"].as_str().is_some_and(|s| s.starts_with(prefix)))
            .and_then(|(_, e)| e["seconds"].as_f64())
    }

    pub fn count(&self, event: &str) -> usize {
        self.events.iter().filter(|(_, e)| e["event"] == event).count()
    }
}

/// Runs `bellows ARGS --progress json` against `url` (given as `DATABASE_URL`, so that the password is not on a
/// command line) in `dir`; fails the benchmark if bellows fails.
pub fn bellows(args: &[&str], url: &str, dir: &Path) -> BellowsRun {
    let started = now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args)
        .args(["--progress", "json"])
        .env("DATABASE_URL", url)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| fail(format!("cannot run bellows: {e}")));
    let stderr = child.stderr.take().expect("invariant: stderr is piped");
    let mut events = Vec::new();
    let mut other = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        match serde_json::from_str::<Value>(&line) {
            Ok(event) if event.get("event").is_some() => events.push((now(), event)),
            _ => other.push_str(&format!("{line}\n")),
        }
    }
    let output = child.wait_with_output().unwrap_or_else(|e| fail(format!("bellows did not end: {e}")));
    let ended = now();
    if !output.status.success() {
        let shown: Vec<String> = events.iter().rev().take(20).rev().map(|(_, e)| e.to_string()).collect();
        fail(format!(
            "`bellows {}` failed ({}):\n{}{other}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            shown.join("\n")
        ));
    }
    BellowsRun { events, started, ended }
}

/// The `q` quantile (0..=1) of `values`, nearest rank; NaN for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// Sleeps `seconds`.
pub fn pause(seconds: f64) {
    std::thread::sleep(Duration::from_secs_f64(seconds));
}

/// Times `work`.
pub fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let value = work();
    (value, start.elapsed().as_secs_f64())
}
