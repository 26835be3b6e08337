//! How a run's events are shown: on a terminal, one line per step and a progress bar
//! (rows/s, ETA) for backfills; otherwise one JSON object per line, for programs and
//! CI logs. Both on standard error; standard output keeps the command's result.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use clap::ValueEnum;
use executor::{Event, Events};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressFormat {
    /// Text on a terminal, JSON lines otherwise.
    Auto,
    Text,
    Json,
}

/// Renders events as they come.
pub struct Progress {
    json: bool,
    bar: Mutex<Option<(String, ProgressBar)>>,
}

impl Progress {
    pub fn new(format: ProgressFormat) -> Progress {
        let json = match format {
            ProgressFormat::Auto => !std::io::stderr().is_terminal(),
            ProgressFormat::Text => false,
            ProgressFormat::Json => true,
        };
        Progress { json, bar: Mutex::new(None) }
    }

    fn line(&self, text: String) {
        let bar = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        match bar.as_ref() {
            Some((_, bar)) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn batch(&self, step: &str, done: i64, estimate: Option<i64>, rate: f64, size: i32) {
        let mut slot = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|(s, _)| s != step) {
            let bar = match estimate {
                Some(total) if total > 0 => ProgressBar::new(u64::try_from(total).unwrap_or(0)),
                _ => ProgressBar::new_spinner(),
            };
            bar.set_style(ProgressStyle::with_template("  {bar:30} {pos}/{len} rows  {msg}  ETA {eta}").unwrap_or_else(|_| ProgressStyle::default_bar()));
            *slot = Some((step.to_string(), bar));
        }
        if let Some((_, bar)) = slot.as_ref() {
            let done = u64::try_from(done).unwrap_or(0);
            if bar.length().is_some_and(|len| done > len) {
                bar.set_length(done);
            }
            bar.set_position(done);
            bar.set_message(format!("{rate:.0} rows/s, batches of {size}"));
        }
    }

    fn end_bar(&self) {
        if let Some((_, bar)) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

impl Events for Progress {
    fn emit(&self, event: Event) {
        if self.json {
            if let Ok(line) = serde_json::to_string(&event) {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{line}");
            }
            return;
        }
        match event {
            Event::Warning { message } => self.line(format!("warning: {message}")),
            Event::Started { fingerprint, resumed, .. } => {
                let verb = if resumed { "resuming" } else { "starting" };
                self.line(format!("{verb} migration {}", &fingerprint[..12.min(fingerprint.len())]));
            }
            Event::StepStarted { step, description, .. } => self.line(format!("  {description} [{step}]")),
            Event::StepSkipped { step } => self.line(format!("  done already: {step}")),
            Event::CleanedUp { object, .. } => self.line(format!("    removed {object} left by an interrupted run")),
            Event::Waiting { blockers, .. } => {
                for blocker in blockers {
                    self.line(format!("    waiting for {blocker}"));
                }
            }
            Event::Retrying { attempt, reason, delay_ms, .. } => self.line(format!("    attempt {attempt} gave way ({reason}); trying again in {delay_ms} ms")),
            Event::Batch {
                step,
                rows_done,
                rows_estimate,
                rows_per_second,
                batch_size,
                ..
            } => self.batch(&step, rows_done, rows_estimate, rows_per_second, batch_size),
            Event::StepDone { seconds, .. } => {
                self.end_bar();
                self.line(format!("    done in {seconds:.2} s"));
            }
            Event::StepUndone { step } => self.line(format!("    undone: {step}")),
            Event::PhaseDone { phase } => self.line(format!("{phase} done")),
            Event::Finished { status } => self.line(format!("migration {status}")),
        }
    }
}
