//! Linting files in their migration history: the files to lint are grouped by the
//! folder whose history they belong to (`planner::migration::folder`); each group is
//! read in its tool's order from the first migration of the folder, the files before
//! a linted one replayed without being reported, each linted file carrying its state on
//! to the next. So a folder costs one pass over its files, and folders are linted side
//! by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use planner::lint::{lint_after, FileReport, History, LintOptions};
use planner::migration::folder::{place, run_order, Place};
use rayon::prelude::*;

use super::discover;

/// Where every linted file's history starts.
pub enum Start {
    /// The files before it in its folder, replayed.
    Folder,
    /// This history (from `--from`), and no replay.
    Seed(History),
    /// Nothing known (`--no-history`).
    Nothing,
}

/// One file's report and its text (for code frames), in the order of `files`.
pub type Linted = (FileReport, Option<String>);

/// Lints `files`, each after its history as `start` says; the reports come back in the
/// order of `files`.
pub fn lint_all(files: &[PathBuf], start: &Start, options: &LintOptions) -> Vec<Linted> {
    let mut jobs: Vec<Vec<Step>> = Vec::new();
    let mut folders: BTreeMap<String, Vec<(usize, Place)>> = BTreeMap::new();
    for (index, path) in files.iter().enumerate() {
        let placed = path.to_str().and_then(place).filter(|_| !matches!(start, Start::Nothing));
        match placed {
            Some(p) => folders.entry(p.folder.clone()).or_default().push((index, p)),
            None => jobs.push(vec![Step::Lint(index, path.clone())]),
        }
    }
    for (folder, requested) in folders {
        jobs.push(chain(&folder, requested, files, matches!(start, Start::Folder)));
    }
    // The longest histories first, so that no core waits for one at the end.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.len()));
    let mut done: Vec<(usize, Linted)> = jobs.par_iter().flat_map_iter(|job| run(job, start, options)).collect();
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, linted)| linted).collect()
}

/// What to do with one file of a history.
enum Step {
    /// Lint requested file `index`.
    Lint(usize, PathBuf),
    /// Replay a migration that ran before a requested one.
    Replay(PathBuf),
}

impl Step {
    fn path(&self) -> &Path {
        match self {
            Step::Lint(_, path) | Step::Replay(path) => path,
        }
    }
}

/// The steps of one folder: its migrations in run order up to the last requested file;
/// those not requested are replayed when `replay`, else left out.
fn chain(folder: &str, requested: Vec<(usize, Place)>, files: &[PathBuf], replay: bool) -> Vec<Step> {
    let mut all: Vec<(PathBuf, Place)> = if replay { migrations_in(folder) } else { Vec::new() };
    for (index, placed) in &requested {
        if !all.iter().any(|(p, _)| p == &files[*index]) {
            all.push((files[*index].clone(), placed.clone()));
        }
    }
    all.sort_by(|a, b| run_order((&a.1, &a.0.to_string_lossy()), (&b.1, &b.0.to_string_lossy())));
    let wanted = |path: &Path| requested.iter().find(|(i, _)| files[*i] == path).map(|(i, _)| *i);
    let last = all.iter().rposition(|(p, _)| wanted(p).is_some()).map_or(0, |i| i + 1);
    all.truncate(last);
    all.into_iter()
        .filter_map(|(path, placed)| match wanted(&path) {
            Some(index) => Some(Step::Lint(index, path)),
            // A rollback that is not linted adds nothing to the history.
            None => (!placed.down).then_some(Step::Replay(path)),
        })
        .collect()
}

/// Every migration file of the history of `folder`: its versioned files, and the
/// `up.sql`, `down.sql` or `migration.sql` of its migration folders.
fn migrations_in(folder: &str) -> Vec<(PathBuf, Place)> {
    let dir = if folder.is_empty() { Path::new(".") } else { Path::new(folder) };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    let mut consider = |path: PathBuf| {
        if let Some(p) = path.to_str().and_then(place).filter(|p| p.folder == folder) {
            out.push((path, p));
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let path = if folder.is_empty() {
            PathBuf::from(&name)
        } else {
            Path::new(folder).join(&name)
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            for file in ["up.sql", "down.sql", "migration.sql"] {
                let inner = path.join(file);
                if inner.is_file() {
                    consider(inner);
                }
            }
        } else {
            consider(path);
        }
    }
    out
}

/// Runs one job's steps in order, returning the reports of the files it lints.
fn run(steps: &[Step], start: &Start, options: &LintOptions) -> Vec<(usize, Linted)> {
    let mut history = match start {
        Start::Seed(seed) => seed.clone(),
        Start::Folder | Start::Nothing => History::new(),
    };
    let mut out = Vec::new();
    for step in steps {
        let input = discover::read(step.path());
        match (step, input.text) {
            (Step::Replay(_), Ok(text)) => history.replay(&input.path, &text, input.diesel_metadata.as_deref()),
            (Step::Replay(_), Err(_)) => {}
            (Step::Lint(index, _), Ok(text)) => {
                let report = lint_after(&mut history, &input.path, &text, input.diesel_metadata.as_deref(), options);
                out.push((*index, (report, Some(text))));
            }
            (Step::Lint(index, _), Err(message)) => out.push((*index, (FileReport::unreadable(&input.path, message), None))),
        }
    }
    out
}
