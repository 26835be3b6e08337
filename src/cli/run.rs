//! `bellows apply`, `complete`, `abort` and `status`: the operator's commands. Thin: they
//! parse the options, make a runtime, and hand the database to the executor; Ctrl-C
//! asks the runner to stop at the next safe point (after the current batch or step).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use executor::status::Status;
use executor::{ApplyPhases, ExecError, Options, Outcome, Runner};
use planner::render::render_schema_toml;
use planner::{PlanOptions, StepKind};

use super::database::DatabaseArgs;
use super::duration::parse_millis;
use super::exit::{code, Failure};
use super::plan::load;
use super::progress::{Progress, ProgressFormat};

/// How the runner treats the application.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How long a step whose lock blocks reads or writes waits for it before giving way
    /// and trying again.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = parse_millis)]
    pub lock_timeout: u32,
    /// How long a step keeps trying to get its locks, in all, before it fails.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_millis)]
    pub lock_deadline: u32,
    /// The longest a statement holding a lock that blocks the application may run.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_millis)]
    pub statement_timeout: u32,
    /// How the run reports its progress (on standard error).
    #[arg(long, value_enum, default_value_t = ProgressFormat::Auto)]
    pub progress: ProgressFormat,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The desired schema.
    #[arg(long, value_name = "FILE", default_value = "schema.toml")]
    pub to: PathBuf,
    /// Run one phase only (expand, then later backfill); both by default.
    #[arg(long, value_enum)]
    pub phase: Option<PhaseArg>,
    /// Print what would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows of the first backfill batch (the size then adapts to --batch-target).
    #[arg(long, value_name = "ROWS", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// The duration each backfill batch aims at.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_millis)]
    pub batch_target: u32,
    /// A pause after every backfill batch.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_pause)]
    pub batch_pause: u32,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    Expand,
    Backfill,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct AbortArgs {
    /// Undo what can be undone even when a step that ran cannot be (an enum value
    /// added, NULLs filled in an existing column).
    #[arg(long)]
    pub accept_irreversible: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

fn parse_pause(text: &str) -> Result<u32, String> {
    if text.trim() == "0" {
        return Ok(0);
    }
    parse_millis(text)
}

fn options(run: &RunArgs) -> Options {
    Options {
        lock_timeout: Duration::from_millis(run.lock_timeout.into()),
        lock_deadline: Duration::from_millis(run.lock_deadline.into()),
        statement_timeout: Duration::from_millis(run.statement_timeout.into()),
        ..Options::default()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(anyhow!("cannot start the async runtime: {e}")))
}

fn failed(error: ExecError) -> Failure {
    Failure::with_code(error.exit_code(), anyhow!(error))
}

/// Runs `work` with the runner; Ctrl-C sets the runner's cancel flag.
fn with_runner<T>(run: &RunArgs, mut options: Options, work: impl AsyncFnOnce(&Runner<'_>) -> Result<T, ExecError>) -> Result<T, Failure> {
    let url = run.database.url().ok_or_else(super::database::missing)?;
    let progress = Progress::new(run.progress);
    let base = self::options(run);
    options.lock_timeout = base.lock_timeout;
    options.lock_deadline = base.lock_deadline;
    options.statement_timeout = base.statement_timeout;
    let runner = Runner::new(url, options, &progress);
    let cancel = runner.cancel.clone();
    runtime()?.block_on(async {
        let watch = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping after the current batch or step (Ctrl-C again to kill)");
                cancel.store(true, Ordering::SeqCst);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        let result = work(&runner).await;
        watch.abort();
        result.map_err(failed)
    })
}

pub fn apply(args: &ApplyArgs) -> Result<u8, Failure> {
    let desired = load(&args.to)?;
    let url = args.run.database.url().ok_or_else(super::database::missing)?;
    let prepared = runtime()?.block_on(executor::prepare(&url, &desired, PlanOptions::default())).map_err(failed)?;
    if let Some(live) = &prepared.introspection {
        super::database::print_warnings(live);
    }
    if args.dry_run {
        print!("{}", dry_run(&prepared));
        return Ok(code::SUCCESS);
    }
    let options = Options {
        batch_target: Duration::from_millis(args.batch_target.into()),
        batch_pause: Duration::from_millis(args.batch_pause.into()),
        batch_size: args.batch_size,
        ..Options::default()
    };
    let phases = match args.phase {
        None => ApplyPhases::Both,
        Some(PhaseArg::Expand) => ApplyPhases::Expand,
        Some(PhaseArg::Backfill) => ApplyPhases::Backfill,
    };
    let desired_text = render_schema_toml(&desired);
    let plan = prepared.plan;
    let outcome = with_runner(&args.run, options, async move |runner| runner.apply(plan, Some(&desired_text), phases).await)?;
    println!(
        "{}",
        match outcome {
            Outcome::NothingToDo => "nothing to do: the database has the desired schema".to_string(),
            Outcome::Done(executor::state::MigrationStatus::Applied) => {
                "applied: deploy the new application version, then run `bellows complete`".to_string()
            }
            Outcome::Done(status) => format!("migration {}", status.name()),
        }
    );
    Ok(code::SUCCESS)
}

/// What `apply` would do, step by step, with what is done already.
fn dry_run(prepared: &executor::Prepared) -> String {
    let mut out = String::new();
    let plan = &prepared.plan;
    if plan.is_empty() {
        return "nothing to do: the database has the desired schema\n".into();
    }
    let verb = if prepared.resumes.is_some() { "would resume" } else { "would start" };
    out.push_str(&format!("{verb} migration {} (dry run: nothing was changed)\n", &plan.fingerprint[..12]));
    for phase in &plan.phases {
        out.push_str(&format!("\n{}\n", phase.name.name().to_uppercase()));
        for step in &phase.steps {
            let how = match step.kind {
                StepKind::Backfill if !step.description.contains("in batches") => " (in batches)",
                StepKind::Backfill => "",
                _ if !step.transactional => " (outside a transaction)",
                _ => "",
            };
            let when = match () {
                _ if prepared.done.contains(&step.id) => "done already",
                _ if phase.name == planner::Phase::Contract => "at complete",
                _ => "would run",
            };
            out.push_str(&format!("  {when}: {}{how} [{}]\n", step.description, step.id));
        }
    }
    out
}

pub fn complete(args: &CompleteArgs) -> Result<u8, Failure> {
    with_runner(&args.run, Options::default(), async |runner| runner.complete().await)?;
    println!("completed: the database has the desired schema");
    Ok(code::SUCCESS)
}

pub fn abort(args: &AbortArgs) -> Result<u8, Failure> {
    let accept = args.accept_irreversible;
    with_runner(&args.run, Options::default(), async move |runner| runner.abort(accept).await)?;
    println!("aborted: the database is back where the migration started");
    Ok(code::SUCCESS)
}

pub fn status(args: &StatusArgs) -> Result<u8, Failure> {
    let url = args.database.url().ok_or_else(super::database::missing)?;
    let status = runtime()?.block_on(executor::status::read(&url)).map_err(failed)?;
    match (args.format, status) {
        (StatusFormat::Json, status) => println!("{}", serde_json::to_string_pretty(&status).expect("invariant: a status serialises")),
        (StatusFormat::Text, None) => println!("no migration recorded: bellows has not run on this database"),
        (StatusFormat::Text, Some(status)) => print!("{}", status_text(&status)),
    }
    Ok(code::SUCCESS)
}

fn status_text(status: &Status) -> String {
    let mut out = format!(
        "migration {} ({}): {}\nstarted {}, updated {}{}\n\n",
        &status.fingerprint[..12.min(status.fingerprint.len())],
        status.migration,
        status.status,
        status.started_at,
        status.updated_at,
        status.finished_at.as_ref().map(|f| format!(", finished {f}")).unwrap_or_default()
    );
    for step in &status.steps {
        let record = &step.record;
        out.push_str(&format!("  {:<8} {:<9} {} [{}]", record.status.name(), record.phase, step.description, step.id));
        if record.attempts > 1 {
            out.push_str(&format!(" ({} attempts)", record.attempts));
        }
        out.push('\n');
        if let Some(backfill) = &record.backfill {
            out.push_str(&format!(
                "           {} rows looked at, {} updated in {} batches; cursor {}\n",
                backfill.rows_done,
                backfill.rows_updated,
                backfill.batches,
                backfill.cursor.as_ref().map_or("at the start".to_string(), |c| c.join(", "))
            ));
        }
        if let Some(error) = &record.last_error {
            out.push_str(&format!("           last error: {error}\n"));
        }
    }
    out
}
