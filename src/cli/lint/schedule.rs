//! Running the histories of a lint run on all cores: each history is checked in order
//! on a worker of its own, the longest first, while its next files are parsed on all
//! cores (parsing is most of the work and follows no order); files that belong to no
//! history are checked in groups, each from the start.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use planner::lint::{lint_parsed, parse_file, FileReport, History, LintOptions, ParsedFile};
use rayon::prelude::*;

use super::discover::{self, Source};
use super::history::{Linted, Start};

/// What to do with one file of a history.
#[derive(Clone)]
pub enum Step {
    /// Lint requested source `index`.
    Lint(usize, Source),
    /// Replay a migration that ran before a requested one.
    Replay(PathBuf),
}

impl Step {
    fn source(&self) -> Source {
        match self {
            Step::Lint(_, source) => source.clone(),
            Step::Replay(path) => Source::File(path.clone()),
        }
    }
}

/// Files parsed together, ahead of their statement passes: enough to keep every core
/// busy while one checks, few enough that their syntax trees stay small.
const BATCH: usize = 24;

/// Runs `chains` (each a history's steps, in order), returning the reports of the files
/// they lint, with their indexes.
pub fn run(chains: Vec<Vec<Step>>, start: &Start, options: &LintOptions, json: bool) -> Vec<(usize, Linted)> {
    // A job is a history, or a group of files that each start from the beginning.
    let (mut jobs, alone): (Vec<Vec<Vec<Step>>>, Vec<Vec<Step>>) = chains.into_iter().partition_map_by_len();
    for group in alone.chunks(BATCH) {
        jobs.push(group.to_vec());
    }
    // The longest first, so that no worker is left with one at the end.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.iter().map(Vec::len).sum::<usize>()));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    let workers = rayon::current_num_threads().min(jobs.len()).max(1);
    // Enough jobs to keep every core busy: each worker parses its own files, so a syntax
    // tree is freed by the thread that built it (a tree freed by another thread costs
    // the allocator a slow path). Fewer: the next files are parsed on all cores ahead.
    let ahead = jobs.len() < 2 * rayon::current_num_threads();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let linted = run_job(job, start, options, ahead, json);
                    done.lock().expect("invariant: no worker panics holding the results").extend(linted);
                }
            });
        }
    });
    done.into_inner().expect("invariant: the workers are done")
}

/// Splits chains into those of more than one step (histories) and single files.
trait PartitionByLen {
    fn partition_map_by_len(self) -> (Vec<Vec<Vec<Step>>>, Vec<Vec<Step>>);
}

impl<I: Iterator<Item = Vec<Step>>> PartitionByLen for I {
    fn partition_map_by_len(self) -> (Vec<Vec<Vec<Step>>>, Vec<Vec<Step>>) {
        let mut histories = Vec::new();
        let mut alone = Vec::new();
        for chain in self {
            if chain.len() > 1 {
                histories.push(vec![chain]);
            } else {
                alone.push(chain);
            }
        }
        (histories, alone)
    }
}

/// A file read and parsed, ahead of its turn; `first` when its chain starts with it.
struct Ready {
    input: discover::Input,
    parsed: Option<ParsedFile>,
    first: bool,
}

/// Checks a job's chains in order; with `ahead`, while a feeder thread has the next
/// batch of files parsed on all cores, else parsing each file on this thread.
fn run_job(job: &[Vec<Step>], start: &Start, options: &LintOptions, ahead: bool, json: bool) -> Vec<(usize, Linted)> {
    let steps: Vec<(&Step, bool)> = job.iter().flat_map(|chain| chain.iter().enumerate().map(|(i, step)| (step, i == 0))).collect();
    let ready = |(step, first): &(&Step, bool)| {
        let input = discover::read(&step.source());
        let parsed = input
            .text
            .as_ref()
            .ok()
            .map(|text| parse_file(&input.path, text, input.diesel_metadata.as_deref(), options));
        Ready { input, parsed, first: *first }
    };
    let prepare = |batch: &[(&Step, bool)]| -> Vec<Ready> {
        match ahead {
            true => batch.par_iter().map(ready).collect(),
            false => batch.iter().map(ready).collect(),
        }
    };
    let fresh = || match start {
        Start::Seed(seed) => (**seed).clone(),
        Start::Folder | Start::Nothing => History::new(),
    };
    let mut history = fresh();
    let mut out = Vec::new();
    let mut check_batch = |steps: &[(&Step, bool)], ready: Vec<Ready>| {
        for ((step, _), ready) in steps.iter().zip(ready) {
            if ready.first {
                history = fresh();
            }
            check(step, ready, &mut history, options, json, &mut out);
        }
    };
    if !ahead {
        for step in &steps {
            check_batch(std::slice::from_ref(step), vec![ready(step)]);
        }
        return out;
    }
    if steps.len() <= BATCH {
        check_batch(&steps, prepare(&steps));
        return out;
    }
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Vec<Ready>>(1);
        let batches: Vec<&[(&Step, bool)]> = steps.chunks(BATCH).collect();
        let feeder = batches.clone();
        scope.spawn(move || {
            for batch in feeder {
                if tx.send(prepare(batch)).is_err() {
                    break;
                }
            }
        });
        for (batch, ready) in batches.into_iter().zip(rx) {
            check_batch(batch, ready);
        }
    });
    out
}

/// The statement pass of one file of a history, or its replay. With `json`, the report
/// is written as JSON here, on the worker, beside the linting of other files; only its
/// diagnostics are kept.
fn check(step: &Step, ready: Ready, history: &mut History, options: &LintOptions, json: bool, out: &mut Vec<(usize, Linted)>) {
    let (index, (report, text)) = match (step, ready.input.text, ready.parsed) {
        (Step::Replay(_), Ok(text), Some(parsed)) => return history.replay_parsed(&ready.input.path, &text, &parsed),
        (Step::Lint(index, _), Ok(text), Some(parsed)) => (*index, (lint_parsed(history, &ready.input.path, &text, parsed, options), Some(text))),
        (Step::Lint(index, _), Err(unreadable), _) => (*index, unreadable_report(&ready.input.path, unreadable)),
        _ => return,
    };
    out.push((index, Linted::new(report, text, json)));
}

/// The report of a file that cannot be linted, placed at the problem when it is a
/// place in the file (the first byte that is not UTF-8), with the text around it.
fn unreadable_report(path: &str, unreadable: discover::Unreadable) -> (FileReport, Option<String>) {
    let mut report = FileReport::unreadable(path, unreadable.message);
    let (Some(offset), Some(text)) = (unreadable.offset, unreadable.text) else {
        return (report, None);
    };
    let (line, column) = planner::error::line_column(&text, offset);
    let end = text[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
    let (end_line, end_column) = planner::error::line_column(&text, end);
    for d in &mut report.diagnostics {
        (d.line, d.column, d.end_line, d.end_column, d.span) = (line, column, end_line, end_column, offset..end);
    }
    (report, Some(text))
}
