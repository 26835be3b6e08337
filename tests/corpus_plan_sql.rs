//! `bellows plan --sql` over every migration of the shared corpus (`../shared/corpus`):
//! it never panics, and every SQL statement a plan emits (each step's statements, a
//! backfill's batch and bound, the undo, and the whole SQL rendering) parses with
//! pg_query. Prints how many files planned and were refused, and the time. The corpus
//! is required in CI (`CI=true`); elsewhere, without it, the test says in one line
//! what it did not run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use planner::from_sql::plan_sql;
use planner::render::render_sql;
use planner::{Plan, PlanOptions};
use rayon::prelude::*;

/// The corpus README counts 3,854 migration files.
const MIN_MIGRATIONS: usize = 3_800;

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/migrations");
    if root.is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the shared corpus is missing: expected {} (CI must have shared/ beside the repository)",
        root.display()
    );
    eprintln!(
        "corpus_plan_sql: not run: {} is missing (check out shared/ beside the repository)",
        root.display()
    );
    None
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())).path();
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

enum Outcome {
    Planned(Vec<String>),
    Refused,
    NotText,
    Panicked(String),
}

/// The statements of a plan that do not parse, with the step that emits them.
fn unparsed(plan: &Plan) -> Vec<String> {
    let mut bad = Vec::new();
    for step in plan.steps() {
        let backfill = step.backfill.iter().flat_map(|b| [&b.batch_sql, &b.bound_sql]);
        for sql in step.sql.iter().chain(&step.undo).chain(backfill) {
            if let Err(e) = pg_query::parse(sql, 0) {
                bad.push(format!("step {}: {e}\n    {sql}", step.id));
            }
        }
    }
    if let Err(e) = pg_query::parse(&render_sql(plan), 0) {
        bad.push(format!("the SQL rendering: {e}"));
    }
    bad
}

fn plan_one(root: &Path, path: &Path) -> Outcome {
    let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
    let Ok(text) = String::from_utf8(std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))) else {
        return Outcome::NotText;
    };
    match catch_unwind(AssertUnwindSafe(|| plan_sql(None, &name, &text, PlanOptions::default()))) {
        Ok(Ok(plan)) => Outcome::Planned(unparsed(&plan).into_iter().map(|b| format!("{name}: {b}")).collect()),
        Ok(Err(_)) => Outcome::Refused,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Outcome::Panicked(format!("{name}: {message}"))
        }
    }
}

#[test]
fn every_statement_plan_sql_emits_for_the_corpus_parses() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    sql_files(&root, &mut files);
    files.sort();
    let started = Instant::now();
    let outcomes: Vec<Outcome> = files.par_iter().map(|path| plan_one(&root, path)).collect();
    let elapsed = started.elapsed();
    let (mut planned, mut refused, mut not_text) = (0, 0, 0);
    let (mut unparsed, mut panics) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Outcome::Planned(bad) => {
                planned += 1;
                unparsed.extend(bad);
            }
            Outcome::Refused => refused += 1,
            Outcome::NotText => not_text += 1,
            Outcome::Panicked(why) => panics.push(why),
        }
    }
    let summary = format!(
        "plan --sql over the corpus: {} files, {planned} planned, {refused} refused, {not_text} not UTF-8, {} panicked, {} statements that do not parse, in {:.2?}",
        files.len(),
        panics.len(),
        unparsed.len(),
        elapsed
    );
    eprintln!("{summary}");
    assert!(files.len() > MIN_MIGRATIONS, "{summary}\nimplausibly few migrations found");
    assert!(panics.is_empty(), "{summary}\nplan --sql panicked on:\n{}", panics.join("\n"));
    assert!(
        unparsed.is_empty(),
        "{summary}\n{}",
        unparsed.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}
