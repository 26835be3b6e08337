//! Linting files in their migration history: the files to lint are grouped by the
//! folder whose history they belong to (`planner::migration::folder`); each group is
//! read in its tool's order from the first migration of the folder, the files before
//! a linted one replayed without being reported, each linted file carrying its state on
//! to the next. So a folder costs one pass over its files; `schedule` runs the folders
//! side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use planner::lint::{FileReport, History, LintOptions};
use planner::migration::folder::{place, run_order, Place};

use super::discover::{Discovered, Source};
use super::schedule::{self, Step};

/// Where every linted file's history starts.
pub enum Start {
    /// The files before it in its folder, replayed.
    Folder,
    /// This history (from `--from`), and no replay.
    Seed(Box<History>),
    /// Nothing known (`--no-history`).
    Nothing,
}

/// One linted file.
pub struct Linted {
    /// Its report; only the diagnostics when `json` holds the whole.
    pub report: FileReport,
    /// The file's text, for code frames; not kept with `json`.
    pub text: Option<String>,
    /// The whole report as compact JSON, when the output is that.
    pub json: Option<Vec<u8>>,
}

impl Linted {
    /// With `json`, the report is serialised now, by the thread that made it, and
    /// its statements (the bulk of it) and the text dropped there too.
    pub fn new(mut report: FileReport, text: Option<String>, json: bool) -> Linted {
        if !json {
            return Linted { report, text, json: None };
        }
        let written = serde_json::to_vec(&report).expect("invariant: a report serialises (string keys, finite numbers)");
        report.statements = Vec::new();
        Linted {
            report,
            text: None,
            json: Some(written),
        }
    }
}

/// Lints `files`, each after its history as `start` says; the reports come back in the
/// order of `files`, each written as compact JSON with `json`.
pub fn lint_all(found: &Discovered, start: &Start, options: &LintOptions, json: bool) -> Vec<Linted> {
    let mut jobs: Vec<Vec<Step>> = Vec::new();
    let mut folders: BTreeMap<String, Vec<(usize, Place)>> = BTreeMap::new();
    let mut files: Vec<PathBuf> = Vec::with_capacity(found.sources.len());
    for (index, source) in found.sources.iter().enumerate() {
        let Source::File(path) = source else {
            // Standard input belongs to no folder.
            files.push(PathBuf::new());
            jobs.push(vec![Step::Lint(index, source.clone())]);
            continue;
        };
        files.push(path.clone());
        let placed = path.to_str().and_then(place).filter(|_| !matches!(start, Start::Nothing));
        match placed {
            Some(p) => folders.entry(p.folder.clone()).or_default().push((index, p)),
            None => jobs.push(vec![Step::Lint(index, source.clone())]),
        }
    }
    for (folder, requested) in folders {
        // A folder inside a walked directory: its migrations are all among the files.
        let inside = |dir: &String| folder == *dir || folder.strip_prefix(dir.as_str()).is_some_and(|rest| rest.starts_with(['/', '\\']));
        let listed = !found.walked.iter().any(inside);
        jobs.push(chain(&folder, requested, &files, matches!(start, Start::Folder) && listed));
    }
    let mut done = schedule::run(jobs, start, options, json);
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, linted)| linted).collect()
}

/// The steps of one folder: its migrations in run order up to the last requested file;
/// those not requested are listed and replayed when `replay`, else left out.
fn chain(folder: &str, requested: Vec<(usize, Place)>, files: &[PathBuf], replay: bool) -> Vec<Step> {
    // Paths compare as text: `Path` comparison parses components, and a folder has thousands.
    let text = |path: &Path| path.to_string_lossy().into_owned();
    let wanted: BTreeMap<String, usize> = requested.iter().map(|(i, _)| (text(&files[*i]), *i)).collect();
    let mut all: Vec<(String, PathBuf, Place)> = if replay {
        migrations_in(folder).into_iter().map(|(p, placed)| (text(&p), p, placed)).collect()
    } else {
        Vec::new()
    };
    let listed: std::collections::BTreeSet<String> = all.iter().map(|(t, ..)| t.clone()).collect();
    for (index, placed) in &requested {
        let key = text(&files[*index]);
        if !listed.contains(&key) {
            all.push((key, files[*index].clone(), placed.clone()));
        }
    }
    all.sort_by(|a, b| run_order((&a.2, &a.0), (&b.2, &b.0)));
    let last = all.iter().rposition(|(t, ..)| wanted.contains_key(t)).map_or(0, |i| i + 1);
    all.truncate(last);
    all.into_iter()
        .filter_map(|(key, path, placed)| match wanted.get(&key) {
            Some(&index) => Some(Step::Lint(index, Source::File(path))),
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

/// The migrations of the folder of `path` that run before it (rollbacks left out), in
/// run order, each with its diesel `metadata.toml`; empty when it is not a migration of
/// a recognised folder layout. For `plan --sql`, which replays them.
pub fn earlier(path: &Path) -> Vec<super::discover::Input> {
    let Some(placed) = path.to_str().and_then(place) else { return Vec::new() };
    let shown = path.to_string_lossy();
    let mut earlier: Vec<(String, PathBuf, Place)> = migrations_in(&placed.folder)
        .into_iter()
        .filter(|(_, p)| !p.down)
        .map(|(p, placed)| (p.to_string_lossy().into_owned(), p, placed))
        .filter(|(text, _, p)| run_order((p, text), (&placed, &shown)).is_lt())
        .collect();
    earlier.sort_by(|a, b| run_order((&a.2, &a.0), (&b.2, &b.0)));
    earlier.into_iter().map(|(_, file, _)| super::discover::read(&Source::File(file))).collect()
}
