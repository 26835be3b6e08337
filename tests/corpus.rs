//! Lints every file of the shared corpus (`../shared/corpus`: real migrations from 11
//! projects and PostgreSQL's regression SQL) and checks the linter against the parser:
//! no panic, every file reported, and a syntax error (BW001) only where PostgreSQL's
//! own parser rejects the statement; real migrations that parse get none at all.
//!
//! A fresh clone of the repository alone has no corpus: outside CI these tests then
//! print one line saying so and do not run; in CI (`CI=true`) they fail.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use planner::lint::{lint_file, FileReport, LintOptions};
use planner::migration::parse::{parse_statements, Problem};
use planner::migration::source;
use rayon::prelude::*;

/// The corpus README counts 3,854 migration files; fewer means the walk lost some.
const MIN_MIGRATIONS: usize = 3_800;
/// 446 regression files (PostgreSQL 15 and 17).
const MIN_REGRESS: usize = 400;

/// Migrations outside `bench/excluded.txt` that still get a BW001, and why that is
/// right: libpg_query accepts these files only as wholes, or the tool that runs them
/// sees different text than the file holds.
const JUSTIFIED: &[(&str, &str)] = &[];

const SYNTAX_ERROR: &str = "BW001";
const UNREADABLE: &str = "BW002";

/// Where the corpus is: `$BELLOWS_CORPUS`, else `../shared/corpus`, beside the
/// repository, which a fresh clone of the repository alone does not have.
fn corpus_root() -> PathBuf {
    std::env::var_os("BELLOWS_CORPUS").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"), PathBuf::from)
}

/// Whether this run is CI's (`CI=true`, as GitHub Actions and most CI systems set it).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The corpus at `root` if it is there. Missing, it is an error in CI, where the corpus
/// tests are required; elsewhere it is `Ok(None)` and the tests do not run.
fn find_corpus(root: &Path, ci: bool) -> Result<Option<PathBuf>, String> {
    if root.join("migrations").is_dir() && root.join("pg-regress").is_dir() {
        return Ok(Some(root.to_path_buf()));
    }
    let missing = format!(
        "the shared corpus is missing: expected {} with migrations/ and pg-regress/ (check out shared/ beside the repository)",
        root.display()
    );
    if ci {
        Err(format!("{missing}; CI=true, where the corpus tests are required"))
    } else {
        Ok(None)
    }
}

/// The corpus, or `None` after one line on the terminal saying what is not run and why
/// (written past the test harness's capture, which would hide it in a passing test).
fn corpus() -> Option<PathBuf> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let root = corpus_root();
    let found = find_corpus(&root, in_ci()).unwrap_or_else(|e| panic!("{e}"));
    if found.is_none() {
        SAID.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "note: tests/corpus.rs did not lint the shared corpus: {} is not there (outside CI this is allowed; with CI=true it fails)",
                root.display()
            );
        });
    }
    found
}

#[test]
fn a_missing_corpus_fails_in_ci_and_is_skipped_with_a_note_elsewhere() {
    let nowhere = std::env::temp_dir().join("bellows-no-corpus-here");
    let in_ci = find_corpus(&nowhere, true).expect_err("required in CI");
    assert!(in_ci.contains("the shared corpus is missing") && in_ci.contains("CI=true"), "{in_ci}");
    assert_eq!(find_corpus(&nowhere, false), Ok(None));
    if corpus_root().join("migrations").is_dir() {
        assert!(find_corpus(&corpus_root(), true).is_ok_and(|c| c.is_some()));
    }
}

/// Every `*.sql` file under `dir`, recursively, in path order.
fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())).path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "sql") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One linted file: its text when it is UTF-8, and its report.
struct Linted {
    name: String,
    text: Option<String>,
    metadata: Option<String>,
    report: FileReport,
}

/// Diesel keeps `run_in_transaction` in a `metadata.toml` beside `up.sql`/`down.sql`.
fn diesel_metadata(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if !matches!(name, "up.sql" | "down.sql") {
        return None;
    }
    std::fs::read_to_string(path.with_file_name("metadata.toml")).ok()
}

fn lint_one(root: &Path, path: &Path) -> Linted {
    let name = path.strip_prefix(root).unwrap_or(path).display().to_string();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let metadata = diesel_metadata(path);
    match String::from_utf8(bytes) {
        Ok(text) => {
            let report = lint_file(&name, &text, metadata.as_deref(), &LintOptions::default());
            Linted {
                name,
                text: Some(text),
                metadata,
                report,
            }
        }
        Err(e) => Linted {
            report: FileReport::unreadable(&name, format!("the file is not UTF-8: {e}")),
            name,
            text: None,
            metadata,
        },
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// The text of the statement a BW001 at `offset` belongs to, split the way the linter
/// split it.
fn failed_statement(linted: &Linted, offset: usize) -> Option<&str> {
    let text = linted.text.as_deref()?;
    let (_, units) = source::units(&linted.name, text, linted.metadata.as_deref(), None);
    units
        .into_iter()
        .flat_map(|unit| parse_statements(text, unit.range))
        .find(|p| matches!(&p.result, Err(Problem::Syntax { offset: o, .. }) if *o == offset))
        .map(|p| &text[p.span])
}

fn excluded(root: &Path) -> BTreeSet<String> {
    let list = std::fs::read_to_string(root.join("bench/excluded.txt")).expect("bench/excluded.txt is part of the corpus");
    list.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("migrations/{}", l.trim().trim_start_matches("./")))
        .collect()
}

#[test]
fn the_shared_corpus_lints_without_panics_and_agrees_with_the_parser() {
    let Some(root) = corpus() else { return };
    let migrations = sql_files(&root.join("migrations"));
    let regress = sql_files(&root.join("pg-regress"));
    let files: Vec<&PathBuf> = migrations.iter().chain(&regress).collect();

    let outcomes: Vec<Result<Linted, String>> = files
        .par_iter()
        .map(|path| {
            let t = std::time::Instant::now();
            let r = catch_unwind(AssertUnwindSafe(|| lint_one(&root, path)));
            let e = t.elapsed();
            if e.as_millis() > 300 {
                eprintln!("slow {} {:?}", path.display(), e);
            }
            r.map_err(|p| format!("{}: {}", path.display(), panic_message(&*p)))
        })
        .collect();
    let (linted, panics): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let linted: Vec<Linted> = linted.into_iter().map(|r| r.expect("partitioned")).collect();
    let panics: Vec<String> = panics.into_iter().map(|r| r.err().expect("partitioned")).collect();

    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in linted.iter().flat_map(|l| &l.report.diagnostics) {
        *by_code.entry(d.rule).or_default() += 1;
    }
    let statements: usize = linted.iter().map(|l| l.report.statements.len()).sum();
    let summary = format!(
        "corpus: {} files ({} migrations, {} regression), {} linted, {} panicked, {statements} statements, diagnostics {by_code:?}",
        files.len(),
        migrations.len(),
        regress.len(),
        linted.len(),
        panics.len(),
    );

    eprintln!("{summary}");
    assert!(panics.is_empty(), "{summary}\nthe linter panicked on:\n{}", panics.join("\n"));
    assert_eq!(linted.len(), files.len(), "{summary}\nnot every file has a report");
    assert!(migrations.len() > MIN_MIGRATIONS, "{summary}\nimplausibly few migrations found");
    assert!(regress.len() > MIN_REGRESS, "{summary}\nimplausibly few regression files found");

    // BW002 only for files that are not text.
    let unreadable: Vec<&str> = linted
        .iter()
        .filter(|l| l.report.diagnostics.iter().any(|d| d.rule == UNREADABLE) != l.text.as_deref().is_none_or(|t| t.contains('\0')))
        .map(|l| l.name.as_str())
        .collect();
    assert!(
        unreadable.is_empty(),
        "{summary}\nBW002 disagrees with the bytes of:\n{}",
        unreadable.join("\n")
    );

    // Every BW001 is a statement the parser rejects on its own.
    let mut accepted = Vec::new();
    for l in &linted {
        for d in l.report.diagnostics.iter().filter(|d| d.rule == SYNTAX_ERROR) {
            match failed_statement(l, d.span.start) {
                Some(sql) if pg_query::parse(sql, 0).is_err() => {}
                Some(sql) => accepted.push(format!("{}:{}:{}: the parser accepts `{sql}`", l.name, d.line, d.column)),
                None => accepted.push(format!("{}:{}:{}: no statement holds the error", l.name, d.line, d.column)),
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "{summary}\nBW001 on statements PostgreSQL accepts:\n{}",
        accepted.join("\n")
    );

    // Migrations that libpg_query parses get no BW001, except the justified ones.
    let excluded = excluded(&root);
    let justified: BTreeSet<&str> = JUSTIFIED.iter().map(|(path, _)| *path).collect();
    let mut unexpected = Vec::new();
    let mut seen = BTreeSet::new();
    for l in linted.iter().filter(|l| l.name.starts_with("migrations/") && !excluded.contains(&l.name)) {
        for d in l.report.diagnostics.iter().filter(|d| d.rule == SYNTAX_ERROR) {
            if justified.contains(l.name.as_str()) {
                seen.insert(l.name.as_str());
            } else {
                let sql = failed_statement(l, d.span.start).unwrap_or("?");
                unexpected.push(format!("{}:{}:{}: {}\n    {sql}", l.name, d.line, d.column, d.message));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "{summary}\nBW001 in migrations the parser accepts:\n{}",
        unexpected.join("\n")
    );
    let stale: Vec<&&str> = justified.difference(&seen).collect();
    assert!(stale.is_empty(), "{summary}\njustified BW001s that no longer occur: {stale:?}");
}

/// The offsets just after each top-level `;`, by PostgreSQL's own scanner; `None` when
/// the scanner rejects the text.
fn scanner_statement_ends(sql: &str) -> Option<Vec<usize>> {
    use pg_query::protobuf::Token;
    let tokens = planner::libpg_query::scan_tokens(sql)?;
    let mut ends = Vec::new();
    let mut depth = 0i32;
    for token in &tokens {
        match Token::try_from(token.token).unwrap_or(Token::Nul) {
            Token::Ascii40 => depth += 1,
            Token::Ascii41 => depth -= 1,
            Token::Ascii59 if depth <= 0 => {
                ends.push(usize::try_from(token.end).expect("offsets are positive"));
                depth = 0;
            }
            _ => {}
        }
    }
    Some(ends)
}

/// Long units are cut into pieces by a fast lexer (a wrong cut costs a second parse, not
/// a wrong answer, but should never happen): on every corpus file PostgreSQL's scanner
/// accepts, it finds exactly the statement ends the scanner finds.
#[test]
fn the_fast_statement_splitter_agrees_with_the_scanner_on_the_corpus() {
    let Some(root) = corpus() else { return };
    let files = sql_files(&root);
    let disagreements: Vec<String> = files
        .par_iter()
        .filter_map(|path| {
            let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
            let exact = scanner_statement_ends(&text)?;
            let fast = planner::migration::split::statement_ends(text.as_bytes());
            let first = exact.iter().zip(&fast).position(|(a, b)| a != b).unwrap_or(exact.len().min(fast.len()));
            (exact != fast).then(|| {
                format!(
                    "{}: statement end {} (scanner {:?}, fast {:?})",
                    path.display(),
                    first + 1,
                    exact.get(first),
                    fast.get(first)
                )
            })
        })
        .collect();
    assert!(files.len() > MIN_MIGRATIONS, "the corpus walk found only {} files", files.len());
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
