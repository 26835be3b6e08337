//! Benchmark: lint throughput on the shared corpus (`../shared/corpus`, read in place).
//! Prints MB/s and statements/s for `bench/all-shared-migrations.sql`, for 8 copies of
//! it in one file (throughput should not fall: linear in input size), and for every
//! file of `migrations/` linted one by one on one thread and then across all cores.
//! Where `squawk` (PyPI `squawk-cli`) is on PATH, it runs on the same files, and the
//! command `bellows lint` as a process is compared with it: the two commands take turns,
//! run after run, so that a noisy machine slows both alike. `BELLOWS_BASELINE=path` adds
//! an earlier `bellows` binary to the same turns (before and after a change). Run with
//! `cargo bench --bench lint_throughput`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use planner::lint::{lint_file, FileReport, LintOptions};
use rayon::prelude::*;

const RUNS: usize = 5;

/// The allocator and memory settings of the `bellows` binary, so that the in-process
/// figures match it.
#[path = "../src/process.rs"]
mod process;

fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        root.join("bench/all-shared-migrations.sql").is_file(),
        "the shared corpus is missing at {}",
        root.display()
    );
    root
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("list the corpus").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

/// The median of `RUNS` timings of `f`, and its last result.
fn median<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], last.expect("RUNS > 0"))
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn line(what: &str, bytes: usize, statements: usize, time: Duration) -> f64 {
    let seconds = time.as_secs_f64();
    let rate = mb(bytes) / seconds;
    println!(
        "{what:<44} {:>8.2} MB {:>9} stmts {:>9.1} ms {:>8.1} MB/s {:>10.0} stmts/s",
        mb(bytes),
        statements,
        seconds * 1000.0,
        rate,
        statements as f64 / seconds
    );
    rate
}

fn statements(reports: &[FileReport]) -> usize {
    reports.iter().map(|r| r.statements.len()).sum()
}

/// Process runs per command on the corpus file (fewer on the 8x file: see `turns`).
const PROCESS_RUNS: usize = 11;

/// One wall-clock run of a command, output discarded, or why it cannot run.
fn run_command(program: &str, args: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{program}: {e}"))?;
    // Both tools exit non-zero when they report findings; a crash is a signal.
    match status.code() {
        Some(_) => Ok(start.elapsed()),
        None => Err(format!("{program} was killed: {status}")),
    }
}

/// Runs the commands in turn, `runs` times each (fewer when a round takes over 20 s),
/// and returns each one's median wall-clock time, or why it could not run.
fn turns(commands: &[(&str, Vec<&str>)], runs: usize) -> Vec<Result<Duration, String>> {
    let mut times: Vec<Result<Vec<Duration>, String>> = commands.iter().map(|_| Ok(Vec::new())).collect();
    let started = Instant::now();
    for round in 0..runs {
        for ((program, args), times) in commands.iter().zip(&mut times) {
            if let Ok(list) = times {
                match run_command(program, args) {
                    Ok(time) => list.push(time),
                    Err(e) => *times = Err(e),
                }
            }
        }
        if started.elapsed() > Duration::from_secs(20) * (round as u32 + 1) && round >= 2 {
            break;
        }
    }
    times
        .into_iter()
        .map(|t| {
            t.map(|mut list| {
                list.sort();
                list[list.len() / 2]
            })
        })
        .collect()
}

fn main() {
    // As the `bellows` binary does.
    process::configure_memory();
    let root = corpus();
    let options = LintOptions::default();
    println!("lint throughput, median of {RUNS} runs, {} cores", rayon::current_num_threads());

    let one_path = root.join("bench/all-shared-migrations.sql");
    let one = std::fs::read_to_string(&one_path).expect("read all-shared-migrations.sql");
    let (time, report) = median(|| lint_file("all-shared-migrations.sql", &one, None, &options));
    let one_statements = report.statements.len();
    let single = line("all-shared-migrations.sql", one.len(), one_statements, time);

    let eight = one.repeat(8);
    let (time, report) = median(|| lint_file("8x.sql", &eight, None, &options));
    let eight_statements = report.statements.len();
    let eightfold = line("8 x all-shared-migrations.sql (one file)", eight.len(), eight_statements, time);
    println!("{:<44} {:>8.2} (1.00 = linear)", "  throughput at 8x / at 1x", eightfold / single);

    let mut paths = Vec::new();
    sql_files(&root.join("migrations"), &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .filter_map(|p| Some((p.display().to_string(), String::from_utf8(std::fs::read(p).ok()?).ok()?)))
        .collect();
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    let (time, reports) = median(|| files.iter().map(|(name, text)| lint_file(name, text, None, &options)).collect::<Vec<_>>());
    let sequential = line(&format!("migrations/ ({} files), 1 thread", files.len()), bytes, statements(&reports), time);
    let (time, reports) = median(|| files.par_iter().map(|(name, text)| lint_file(name, text, None, &options)).collect::<Vec<_>>());
    let parallel = line(&format!("migrations/ ({} files), all cores", files.len()), bytes, statements(&reports), time);
    println!(
        "{:<44} {:>8.2}x on {} cores",
        "  speed-up across files",
        parallel / sequential,
        rayon::current_num_threads()
    );

    // The command as CI runs it, against squawk on the same input.
    let bellows = env!("CARGO_BIN_EXE_bellows");
    let eight_path = std::env::temp_dir().join(format!("bellows-bench-8x-{}.sql", std::process::id()));
    std::fs::write(&eight_path, &eight).expect("write the 8x file");
    let inputs = [
        (one_path.clone(), one.len(), one_statements, "all-shared-migrations.sql"),
        (eight_path.clone(), eight.len(), eight_statements, "8 x all-shared-migrations.sql"),
    ];
    println!("\nas processes, JSON output discarded (wall clock, median of up to {PROCESS_RUNS} runs taken in turns):");
    // pip installs console scripts in ~/.local/bin, which is often not on PATH.
    let local = std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/bin/squawk"));
    let squawk = local.filter(|p| p.is_file()).map_or("squawk".to_string(), |p| p.display().to_string());
    let squawk_version = Command::new(&squawk).arg("--version").output().ok().filter(|o| o.status.success());
    match &squawk_version {
        Some(v) => println!("squawk found: {}", String::from_utf8_lossy(&v.stdout).trim()),
        None => println!("squawk not on PATH (pip install squawk-cli): no side-by-side comparison"),
    }
    // An earlier build to compare with, in the same turns (BELLOWS_BASELINE=path).
    let baseline = std::env::var("BELLOWS_BASELINE").ok().filter(|p| Path::new(p).is_file());
    if let Some(old) = &baseline {
        println!("baseline: {old}");
    }
    // The folder as CI lints it: every file, each after the history of its migration
    // folder (bellows replays the files before it; squawk reads each file alone).
    let folder = root.join("migrations");
    let folder_glob = format!("{}/**/*.sql", folder.display());
    let folder_statements = statements(&reports);
    let inputs = inputs
        .into_iter()
        .map(|(path, size, count, name)| (path.display().to_string(), None, size, count, name))
        .chain([(
            folder.display().to_string(),
            Some(folder_glob),
            bytes,
            folder_statements,
            "migrations/ (a folder)",
        )]);
    for (path, glob, size, count, name) in inputs {
        let (path, size, count) = (path.as_str(), &size, &count);
        let mut commands = vec![(bellows, vec!["lint", "--format", "json", path])];
        if squawk_version.is_some() {
            // The same kind of output for both: JSON, not the terminal rendering.
            commands.push((squawk.as_str(), vec!["--reporter", "json", glob.as_deref().unwrap_or(path)]));
        }
        if let Some(old) = &baseline {
            commands.push((old.as_str(), vec!["lint", "--format", "json", path]));
        }
        let mut medians = turns(&commands, PROCESS_RUNS).into_iter();
        let ours = medians.next().expect("bellows ran").expect("run bellows lint");
        let ours_rate = line(&format!("bellows lint {name}"), *size, *count, ours);
        if squawk_version.is_some() {
            match medians.next() {
                Some(Ok(theirs)) => {
                    let theirs_rate = line(&format!("squawk {name}"), *size, *count, theirs);
                    println!("{:<44} {:>8.2}x", "  bellows / squawk throughput", ours_rate / theirs_rate);
                }
                Some(Err(e)) => println!("squawk failed: {e}"),
                None => {}
            }
        }
        match medians.next() {
            Some(Ok(before)) => {
                let before_rate = line(&format!("baseline lint {name}"), *size, *count, before);
                println!("{:<44} {:>8.2}x", "  bellows / baseline throughput", ours_rate / before_rate);
            }
            Some(Err(e)) => println!("the baseline failed: {e}"),
            None => {}
        }
    }
    let _ = std::fs::remove_file(&eight_path);
}
