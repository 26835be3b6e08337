//! The shape of the code, enforced (as rust-analyzer's tidy tests do): imports point down
//! the pipeline, files stay small, every file says what it is for.
//!
//! The planner's top-level modules, lowest first. A module may import the modules of a
//! lower rank only; modules of one rank are siblings and do not import each other. This
//! is the map of docs/architecture.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LAYERS: &[&[&str]] = &[
    // The ground floor: no module of the planner below it.
    &["error", "digest", "suggest", "libpg_query"],
    &["model"],
    &["sql"],
    &["locks"],
    &["load"],
    &["change"],
    &["diff"],
    &["migration"],
    &["step"],
    &["recipes"],
    &["plan"],
    // The front-ends and renderings on top, independent of each other.
    &["from_sql", "lint", "render"],
];

/// Files longer than the limit, with the reason: data tables, not code.
const LONG_FILES: &[(&str, &str)] = &[];

const MAX_LINES: usize = 400;

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// The top-level module a file of `planner/src` belongs to (`lint` for `lint/rules/x.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let module = first.trim_end_matches(".rs").to_string();
    (module != "lib").then_some(module)
}

/// The top-level modules a file refers to through `crate::`.
fn imports(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| text[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn imports_point_down_the_pipeline() {
    let src = workspace().join("planner/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else { continue };
        let text = std::fs::read_to_string(file).expect("readable");
        let Some(mine) = rank(&module) else {
            violations.push(format!("{}: module `{module}` is not in the tidy test's LAYERS", file.display()));
            continue;
        };
        *seen.entry(module.clone()).or_default() += 1;
        if text.contains("use crate::{") {
            violations.push(format!("{}: a grouped `use crate::{{...}}`: write one `use` per module", file.display()));
        }
        for imported in imports(&text) {
            if imported == module {
                continue;
            }
            match rank(&imported) {
                Some(theirs) if theirs < mine => {}
                Some(_) => violations.push(format!("{}: `{module}` imports `{imported}`, which is not below it", file.display())),
                None => violations.push(format!("{}: imports unknown module `{imported}`", file.display())),
            }
        }
    }
    assert!(violations.is_empty(), "the pipeline's shape is broken:\n{}", violations.join("\n"));
    let every: Vec<&str> = LAYERS.iter().flat_map(|l| l.iter().copied()).collect();
    for module in every {
        assert!(seen.contains_key(module), "LAYERS names `{module}`, which has no file");
    }
}

#[test]
fn files_are_small_and_say_what_they_are_for() {
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["planner/src", "executor/src", "src", "tests", "planner/tests", "benches"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("inside the workspace").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).expect("readable");
        if !text.starts_with("//!") {
            problems.push(format!("{relative}: does not start with a `//!` line saying what it is for"));
        }
        let lines = text.lines().count();
        let allowed = LONG_FILES.iter().any(|(path, _)| *path == relative);
        // Test files gather many cases; the limit is for the code.
        let is_test = relative.starts_with("tests/") || relative.starts_with("planner/tests/");
        if lines > MAX_LINES && !allowed && !is_test {
            problems.push(format!("{relative}: {lines} lines (at most {MAX_LINES}); split it along its jobs"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_tidy_test_catches_an_upward_import() {
    assert_eq!(imports("use crate::plan::Plan;\nlet x = crate::model::Schema::default();"), ["plan", "model"]);
    assert_eq!(imports("use mycrate::plan;"), Vec::<String>::new());
    assert!(rank("model") < rank("plan") && rank("lint") == rank("render"));
}
