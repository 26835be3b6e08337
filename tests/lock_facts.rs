//! The lock-facts table against reality: every statement form of `lock_facts/cases.rs` runs on a server of every
//! PostgreSQL major pinned in `scripts/postgres-majors.txt` (13 to 18), and what it did there (the strongest lock on
//! each table, whether it rewrote a table, whether it scanned one) is compared with what the linter's classifier says
//! at that server's version. Disagreements are bugs in the table (`planner/src/locks/facts.rs`, which is versioned,
//! `planner/src/lint/classify.rs`), not in the test: all of them, on every major, are collected and the test fails
//! once, with a table of them per major. A major whose server cannot be started fails the test too.
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
//! that excuses nothing is reported as stale. They hold on every major: a fact that differs between majors is stated
//! per version in the table, never excused here.
//!
//! A statement form newer than a server (`since`) must be refused there as unknown syntax, and then counts as absent
//! rather than agreeing. Every case's statements must be ones whose locks the classifier says it knows
//! (`locks_known`): a case is a statement form bellows claims to understand.

mod support;
mod lock_facts {
    pub mod cases;
    pub mod fixtures;
    pub mod report;
}

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use lock_facts::cases::{Aspect, Case, CASES};
use lock_facts::report::{report, Row};
use planner::lint::{lint_file, LintOptions};
use planner::locks::{LockMode, PgVersion};
use sqlx::Connection;
use support::blocking::block_on;
use support::locks::{observe, observe_outside_transaction, Observation};
use support::postgres::{fresh_database_on, server_of_major, PgServer};
use support::postgres_majors;

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

/// What one case came to on one major.
#[derive(Default)]
struct CaseResult {
    /// Unexcused disagreements and stale exceptions.
    rows: Vec<Row>,
    /// Disagreements that the case's exceptions excused.
    excused: usize,
    /// The statement form is newer than the server, which refused it as expected.
    absent: bool,
}

#[test]
fn lock_facts_agree_with_postgresql() {
    check_case_list();
    let started = Instant::now();
    // One major after another, each with all of the machine; their servers stay up until the binary exits.
    let reports: Vec<(PgVersion, Vec<Row>)> = postgres_majors::majors().into_iter().map(check_major).collect();
    let disagreements: usize = reports.iter().map(|(_, rows)| rows.len()).sum();
    progress(format!(
        "lock facts: {} cases on PostgreSQL {}: {disagreements} disagreements, {:.1} s",
        CASES.len(),
        reports.iter().map(|(pg, _)| pg.to_string()).collect::<Vec<_>>().join(", "),
        started.elapsed().as_secs_f64()
    ));
    let failed: Vec<String> = reports
        .iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(pg, rows)| report(rows, *pg))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Runs every case on the server of PostgreSQL `major`, [`PARALLEL_CASES`] at a time; prints a summary line with the
/// time it took, and returns the server's version and the rows of its report.
fn check_major(major: u32) -> (PgVersion, Vec<Row>) {
    let started = Instant::now();
    let server = server_of_major(major);
    let pg = prepare_server(server);

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, CaseResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..PARALLEL_CASES {
            let (next, results) = (&next, &results);
            std::thread::Builder::new()
                .name(format!("lock_facts_{major}_{worker}"))
                .spawn_scoped(scope, move || loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = CASES.get(index) else { break };
                    let result = check_case(index, case, server, pg);
                    results.lock().expect("no worker panics while holding the lock").push((index, result));
                })
                .expect("spawn a worker");
        }
    });

    let mut results = results.into_inner().expect("workers finished");
    results.sort_by_key(|(index, _)| *index);
    let excused: usize = results.iter().map(|(_, r)| r.excused).sum();
    let absent = results.iter().filter(|(_, r)| r.absent).count();
    let agreed = results.iter().filter(|(_, r)| r.rows.is_empty() && !r.absent).count();
    let rows: Vec<Row> = results.into_iter().flat_map(|(_, r)| r.rows).collect();
    let absent = match absent {
        0 => String::new(),
        n => format!(", {n} newer than {pg} (refused, as they should be)"),
    };
    progress(format!(
        "lock facts on PostgreSQL {pg}: {} cases, {agreed} agree{absent}, {excused} facts excused, {} disagreements, {:.1} s",
        CASES.len(),
        rows.len(),
        started.elapsed().as_secs_f64()
    ));
    (pg, rows)
}

/// Prints a line on stderr past the test harness's output capture (which takes only `print!` and `eprint!`), so that
/// every run shows how long each major took.
fn progress(line: String) {
    // Best effort: a closed stderr must not fail the test.
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The server's major version (what the classifier is asked about), after creating what some fixtures need once per
/// server: the tablespace `bellows_elsewhere` and the role `bellows_owner`.
fn prepare_server(server: &PgServer) -> PgVersion {
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

/// At least [`MIN_STATEMENT_FORMS`] distinct statements, no case twice, every case running on some pinned major, and
/// every exception with a reason.
fn check_case_list() {
    let forms = statement_forms();
    assert!(
        forms >= MIN_STATEMENT_FORMS,
        "only {forms} distinct statement forms; the issue asks for {MIN_STATEMENT_FORMS}"
    );
    let newest = postgres_majors::majors().into_iter().max().unwrap_or(0);
    let mut seen = BTreeSet::new();
    for case in CASES {
        assert!(seen.insert((case.setup, case.sql)), "case listed twice: {}", case.sql);
        assert!(
            case.since <= newest,
            "`{}` is new in PostgreSQL {}, which is not pinned: it would never run",
            case.sql,
            case.since
        );
        for exception in case.exceptions {
            assert!(!exception.why.trim().is_empty(), "an exception of `{}` gives no reason", case.sql);
        }
    }
}

fn statement_forms() -> usize {
    CASES.iter().map(|case| case.sql).collect::<BTreeSet<_>>().len()
}

/// Observes and classifies one case on the server of PostgreSQL `pg`.
fn check_case(index: usize, case: &Case, server: &PgServer, pg: PgVersion) -> CaseResult {
    let setup: Vec<&str> = case.setup.concat();
    let db = fresh_database_on(server);
    let observation = match case.blockers {
        Some(blockers) => observe_outside_transaction(&db, &setup, case.sql, Some(blockers)),
        None => observe(&db, &setup, case.sql),
    };
    let row = |what: String, postgres: String, classifier: String| Row {
        case: index,
        what,
        postgres,
        classifier,
    };
    let one_row = |what: &str, postgres: String, classifier: String| CaseResult {
        rows: vec![row(what.into(), postgres, classifier)],
        ..CaseResult::default()
    };
    if pg.0 < case.since {
        // Unknown syntax (42601), or a form the server rejects as not supported (0A000).
        return match observation.error_code.as_deref() {
            Some("42601" | "0A000") => CaseResult {
                absent: true,
                ..CaseResult::default()
            },
            _ => {
                let postgres = observation.error.map_or("ran".into(), |e| format!("failed: {e}"));
                one_row("statement", postgres, format!("the case says it is new in PostgreSQL {}", case.since))
            }
        };
    }
    if let Some(error) = &observation.error {
        return one_row("statement", format!("failed: {error}"), "-".into());
    }
    let classified = classify(&setup, case.sql, pg);
    if !classified.problems.is_empty() {
        return one_row("statement", "ran".into(), classified.problems.join("; "));
    }
    if !observation.transactional && observation.waits.is_empty() {
        return one_row("statement", "never seen waiting: give the case blockers that it waits for".into(), "-".into());
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
    CaseResult { rows, excused, absent: false }
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
        if !statement.locks_known {
            classified
                .problems
                .push(format!("the classifier says it does not know the locks of `{}`", statement.sql));
        }
        for lock in &statement.locks {
            let mode = classified.locks.entry(lock.relation.clone()).or_insert(lock.mode);
            *mode = (*mode).max(lock.mode);
        }
        classified.rewrite |= statement.rewrite;
        classified.scan |= statement.scan;
    }
    classified
}
