//! The lock-facts table against reality: every statement form of `lock_facts/cases.rs` runs on the test PostgreSQL
//! server, and what it did there (the strongest lock on each table, whether it rewrote a table, whether it scanned
//! one) is compared with what the linter's classifier says at the server's version. Disagreements are bugs in the
//! table (`planner/src/locks/facts.rs`, `planner/src/lint/classify.rs`), not in the test: all of them are collected
//! and the test fails once, with a table of them.
//!
//! What is compared, per case:
//! - locks: for every table, partitioned table, view and materialized view that the statement locks on the server
//!   or that the classifier names (an index too, for `ALTER INDEX`), the strongest `pg_locks` mode on each side.
//!   Other locks on indexes are not compared: the table attributes building, dropping and rebuilding an index to
//!   the index's table, whose lock is what blocks the application. The weaker locks a statement takes besides its
//!   strongest one on the same table (the SHARE lock of the index rebuild that follows a rewrite, the ACCESS SHARE
//!   of a validation query) are dominated and so not compared either.
//! - rewrite: whether any table got new storage (`relfilenode` changed) vs. the classifier's `rewrite`.
//! - scan: whether any table was read by a sequential scan (`seq_tup_read`) without being rewritten vs. the
//!   classifier's `scan` without `rewrite` (a rewrite reads the table too; the table calls that cost a rewrite).
//!
//! A case's exceptions excuse one comparison each, with the reason the observer cannot see the fact; an exception
//! that excuses nothing is reported as stale.

mod support;
mod lock_facts {
    pub mod cases;
    pub mod fixtures;
}

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use lock_facts::cases::{Aspect, Case, CASES};
use planner::lint::{lint_file, LintOptions};
use planner::locks::{LockMode, PgVersion};
use sqlx::Connection;
use support::blocking::block_on;
use support::locks::{observe, observe_outside_transaction, Observation};
use support::postgres::{fresh_database, server};

/// Cases observed at once: each holds a few connections; the machine is small.
const PARALLEL_CASES: usize = 4;
/// The requirement.
const MIN_STATEMENT_FORMS: usize = 100;

/// What the classifier says about a case's statement (its statements, merged).
#[derive(Debug, Default)]
struct Classified {
    locks: BTreeMap<String, LockMode>,
    rewrite: bool,
    scan: bool,
    problems: Vec<String>,
}

/// One comparison that came out differently.
#[derive(Debug)]
struct Disagreement {
    aspect: Aspect,
    postgres: String,
    classifier: String,
}

/// A row of the final report.
struct Row {
    case: usize,
    what: String,
    postgres: String,
    classifier: String,
}

#[test]
fn lock_facts_agree_with_postgresql() {
    let started = Instant::now();
    let pg = prepare_server();
    check_case_list();

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Vec<Row>, usize)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..PARALLEL_CASES {
            let (next, results) = (&next, &results);
            std::thread::Builder::new()
                .name(format!("lock_facts_{worker}"))
                .spawn_scoped(scope, move || loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = CASES.get(index) else { break };
                    let (rows, excused) = check_case(index, case, pg);
                    results.lock().expect("no worker panics while holding the lock").push((index, rows, excused));
                })
                .expect("spawn a worker");
        }
    });

    let mut results = results.into_inner().expect("workers finished");
    results.sort_by_key(|(index, _, _)| *index);
    let excused: usize = results.iter().map(|(_, _, excused)| excused).sum();
    let rows: Vec<Row> = results.into_iter().flat_map(|(_, rows, _)| rows).collect();
    eprintln!(
        "lock facts: {} cases ({} statement forms) on PostgreSQL {pg}, {excused} facts excused, {} disagreements, {:.1} s",
        CASES.len(),
        statement_forms(),
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(rows.is_empty(), "{}", report(&rows, pg));
}

/// The server's major version (what the classifier is asked about), after creating what some fixtures need once per
/// server: the tablespace `bellows_elsewhere` and the role `bellows_owner`.
fn prepare_server() -> PgVersion {
    let server = server();
    let location = server.private_dir("tablespace_elsewhere");
    let url = server.url("postgres");
    let version: String = block_on(|| async {
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect to the test server");
        let setup = [
            format!("CREATE TABLESPACE bellows_elsewhere LOCATION '{}'", location.display()),
            "CREATE ROLE bellows_owner".to_string(),
        ];
        for sql in setup {
            sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let version: (String,) = sqlx::query_as("SELECT current_setting('server_version_num')")
            .fetch_one(&mut conn)
            .await
            .expect("read server_version_num");
        version.0
    });
    let pg = PgVersion::parse(&version).unwrap_or_else(|| panic!("the classifier knows no PostgreSQL {version}"));
    assert_eq!(pg.0, server.major_version, "server_version_num {version} vs. the binaries' version");
    pg
}

/// At least [`MIN_STATEMENT_FORMS`] distinct statements, no case twice, and every exception with a reason.
fn check_case_list() {
    let forms = statement_forms();
    assert!(
        forms >= MIN_STATEMENT_FORMS,
        "only {forms} distinct statement forms; the issue asks for {MIN_STATEMENT_FORMS}"
    );
    let mut seen = BTreeSet::new();
    for case in CASES {
        assert!(seen.insert((case.setup, case.sql)), "case listed twice: {}", case.sql);
        for exception in case.exceptions {
            assert!(!exception.why.trim().is_empty(), "an exception of `{}` gives no reason", case.sql);
        }
    }
}

fn statement_forms() -> usize {
    CASES.iter().map(|case| case.sql).collect::<BTreeSet<_>>().len()
}

/// Observes and classifies one case; returns its unexcused disagreements and stale exceptions as rows, and how many
/// disagreements its exceptions excused.
fn check_case(index: usize, case: &Case, pg: PgVersion) -> (Vec<Row>, usize) {
    let setup: Vec<&str> = case.setup.concat();
    let db = fresh_database();
    let observation = match case.blockers {
        Some(blockers) => observe_outside_transaction(&db, &setup, case.sql, Some(blockers)),
        None => observe(&db, &setup, case.sql),
    };
    let classified = classify(&setup, case.sql, pg);
    let row = |what: String, postgres: String, classifier: String| Row {
        case: index,
        what,
        postgres,
        classifier,
    };
    if let Some(error) = &observation.error {
        return (vec![row("statement".into(), format!("failed: {error}"), "-".into())], 0);
    }
    if !classified.problems.is_empty() {
        return (vec![row("statement".into(), "ran".into(), classified.problems.join("; "))], 0);
    }
    if !observation.transactional && observation.waits.is_empty() {
        let why = "never seen waiting: give the case blockers that it waits for".to_string();
        return (vec![row("statement".into(), why, "-".into())], 0);
    }

    let disagreements = compare(&observation, &classified);
    let mut rows = Vec::new();
    let mut excused = 0;
    for d in &disagreements {
        if case.exceptions.iter().any(|e| e.aspect == d.aspect) {
            excused += 1;
        } else {
            rows.push(row(aspect_name(d.aspect), d.postgres.clone(), d.classifier.clone()));
        }
    }
    for exception in case.exceptions {
        if !disagreements.iter().any(|d| d.aspect == exception.aspect) {
            let stale = "agrees: the exception is stale".to_string();
            rows.push(row(format!("exception {}", aspect_name(exception.aspect)), stale, exception.why.to_string()));
        }
    }
    (rows, excused)
}

fn compare(observation: &Observation, classified: &Classified) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let observed: BTreeSet<&str> = observation.locks.iter().map(|(relation, _)| relation.as_str()).collect();
    let relations: BTreeSet<&str> = observed.iter().copied().chain(classified.locks.keys().map(String::as_str)).collect();
    for relation in relations {
        let postgres = observation.strongest_lock(relation);
        let classifier = classified.locks.get(relation).map(|mode| mode.name());
        if postgres != classifier {
            out.push(Disagreement {
                aspect: Aspect::Lock(leak(relation)),
                postgres: postgres.unwrap_or("no lock").to_string(),
                classifier: classifier.unwrap_or("no lock").to_string(),
            });
        }
    }
    let rewritten = !observation.rewritten.is_empty();
    if rewritten != classified.rewrite {
        out.push(Disagreement {
            aspect: Aspect::Rewrite,
            postgres: if rewritten {
                format!("rewrites {}", list(&observation.rewritten))
            } else {
                "no rewrite".into()
            },
            classifier: if classified.rewrite { "rewrite" } else { "no rewrite" }.into(),
        });
    }
    let scanned = !observation.scanned.is_empty() && !rewritten;
    let classifier_scan = classified.scan && !classified.rewrite;
    if scanned != classifier_scan {
        out.push(Disagreement {
            aspect: Aspect::Scan,
            postgres: if scanned {
                format!("scans {}", list(&observation.scanned))
            } else {
                "no scan".into()
            },
            classifier: if classifier_scan { "scan" } else { "no scan" }.into(),
        });
    }
    out
}

/// Exceptions name relations with `&'static str`; disagreements are compared with them, and the few leaked names
/// live as long as the test binary anyway.
fn leak(relation: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().expect("no panic while holding the names");
    if let Some(name) = names.get(relation) {
        return name;
    }
    let name: &'static str = Box::leak(relation.to_string().into_boxed_str());
    names.insert(name);
    name
}

fn list(names: &BTreeSet<String>) -> String {
    names.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn aspect_name(aspect: Aspect) -> String {
    match aspect {
        Aspect::Lock(relation) => format!("lock on {relation}"),
        Aspect::Rewrite => "rewrite".into(),
        Aspect::Scan => "scan".into(),
    }
}

/// Lints the setup and the statement as one plain file, so that the classifier knows what the setup made, and
/// merges what it says about the statement's part (one statement, or `SET LOCAL ...; <statement>`).
fn classify(setup: &[&str], sql: &str, pg: PgVersion) -> Classified {
    let mut text: String = setup.iter().map(|s| format!("{s};\n")).collect();
    let start = text.len();
    text.push_str(sql);
    text.push_str(";\n");
    let options = LintOptions { pg, ..LintOptions::default() };
    let report = lint_file("lock_facts.sql", &text, None, &options);
    let mut classified = Classified::default();
    for diagnostic in report.diagnostics.iter().filter(|d| d.name == "syntax-error") {
        classified.problems.push(diagnostic.message.clone());
    }
    for statement in report.statements.iter().filter(|s| s.span.start >= start) {
        for lock in &statement.locks {
            let mode = classified.locks.entry(lock.relation.clone()).or_insert(lock.mode);
            *mode = (*mode).max(lock.mode);
        }
        classified.rewrite |= statement.rewrite;
        classified.scan |= statement.scan;
    }
    classified
}

fn report(rows: &[Row], pg: PgVersion) -> String {
    let header = ["case", "fact", "PostgreSQL", "classifier"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                format!("#{} {}", r.case, CASES[r.case].sql),
                r.what.clone(),
                r.postgres.clone(),
                r.classifier.clone(),
            ]
        })
        .collect();
    let width = |i: usize| cells.iter().map(|c| c[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0).min(90);
    let widths = [width(0), width(1), width(2), width(3)];
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join(" | ").trim_end().to_string()
    };
    let mut out = format!(
        "{} disagreements between PostgreSQL {pg} and the lock-facts table (fix the table, not the test):\n",
        rows.len()
    );
    out.push_str(&line(header));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
    out.push('\n');
    for c in &cells {
        out.push_str(&line([&c[0], &c[1], &c[2], &c[3]]));
        out.push('\n');
    }
    out
}
