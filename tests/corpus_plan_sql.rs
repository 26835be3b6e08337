//! `bellows plan --sql` over every migration of the shared corpus (`../shared/corpus`):
//! it never panics, and every SQL statement a plan emits (each step's statements, a
//! backfill's batch and bound, the undo, and the whole SQL rendering) parses with
//! pg_query. Prints how many files planned and were refused, and the time. The corpus
//! is required in CI (`CI=true`); elsewhere, without it, the test says in one line
//! what it did not run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use planner::from_sql::{plan_sql, plan_sql_after, replay_sql};
use planner::migration::folder::{place, run_order};
use planner::model::Schema;
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
    planned(&name, || plan_sql(None, &name, &text, PlanOptions::default()))
}

/// What planning (`plan`) gives for the file `name`.
fn planned(name: &str, plan: impl FnOnce() -> Result<Plan, planner::PlanError>) -> Outcome {
    match catch_unwind(AssertUnwindSafe(plan)) {
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

/// The files of one migration folder, in run order, each planned after the ones before
/// it (`plan --sql` in a folder without `--from`), then replayed into the schema.
fn plan_folder(root: &Path, files: &[(String, PathBuf)]) -> Vec<Outcome> {
    let mut schema = Schema::default();
    let mut out = Vec::new();
    for (_, path) in files {
        let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
        let Ok(text) = String::from_utf8(std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))) else {
            out.push(Outcome::NotText);
            continue;
        };
        out.push(planned(&name, || plan_sql_after(&schema, &name, &text, PlanOptions::default())));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| replay_sql(&mut schema, &name, &text, None))) {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            out.push(Outcome::Panicked(format!("{name} (replayed): {}", message.unwrap_or_default())));
            schema = Schema::default();
        }
    }
    out
}

struct Tally {
    files: usize,
    planned: usize,
    refused: usize,
    not_text: usize,
    unparsed: Vec<String>,
    panics: Vec<String>,
}

fn tally(outcomes: Vec<Outcome>) -> Tally {
    let mut t = Tally {
        files: outcomes.len(),
        planned: 0,
        refused: 0,
        not_text: 0,
        unparsed: Vec::new(),
        panics: Vec::new(),
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Planned(bad) => {
                t.planned += 1;
                t.unparsed.extend(bad);
            }
            Outcome::Refused => t.refused += 1,
            Outcome::NotText => t.not_text += 1,
            Outcome::Panicked(why) => t.panics.push(why),
        }
    }
    t
}

#[test]
fn every_statement_plan_sql_emits_after_a_folder_s_history_parses() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    sql_files(&root, &mut files);
    let mut folders: std::collections::BTreeMap<String, Vec<(String, PathBuf, planner::migration::folder::Place)>> = Default::default();
    for path in files {
        let text = path.to_string_lossy().into_owned();
        if let Some(placed) = place(&text).filter(|p| !p.down) {
            folders.entry(placed.folder.clone()).or_default().push((text, path, placed));
        }
    }
    let folders: Vec<Vec<(String, PathBuf)>> = folders
        .into_values()
        .map(|mut f| {
            f.sort_by(|a, b| run_order((&a.2, &a.0), (&b.2, &b.0)));
            f.into_iter().map(|(text, path, _)| (text, path)).collect()
        })
        .collect();
    let started = Instant::now();
    let outcomes: Vec<Outcome> = folders.par_iter().flat_map(|f| plan_folder(&root, f)).collect();
    let elapsed = started.elapsed();
    let t = tally(outcomes);
    let summary = format!(
        "plan --sql over the corpus, each file after its folder's history: {} folders, {} files, {} planned, {} refused, {} not UTF-8, {} panicked, {} statements that do not parse, in {:.2?}",
        folders.len(),
        t.files,
        t.planned,
        t.refused,
        t.not_text,
        t.panics.len(),
        t.unparsed.len(),
        elapsed
    );
    eprintln!("{summary}");
    assert!(t.files > MIN_MIGRATIONS / 2, "{summary}\nimplausibly few migrations in folders");
    assert!(t.panics.is_empty(), "{summary}\nplan --sql panicked on:\n{}", t.panics.join("\n"));
    assert!(
        t.unparsed.is_empty(),
        "{summary}\n{}",
        t.unparsed.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
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
