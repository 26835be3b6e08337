//! Command-line parsing and dispatch. Thin: it parses arguments, calls the libraries
//! (the executor for anything that touches a database) and renders output.

mod database;
mod duration;
mod exit;
mod introspect;
mod lint;
mod plan;
mod progress;
mod report;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::{code, Failure};

/// Plans and runs zero-downtime schema changes on PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "bellows", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 lint findings at error severity; 2 a step failed; 3 postflight check failed; 4 abort failed; 5 usage or configuration error.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare two schemas and print the phased plan (expand, backfill, contract).
    Plan(plan::PlanArgs),
    /// Read a live database and print its schema as schema.toml.
    Introspect(introspect::IntrospectArgs),
    /// Lint SQL migrations: what each statement locks, and the risky ones.
    Lint(lint::LintArgs),
    /// List the lint rules, or print one rule's documentation.
    Rules(lint::RulesArgs),
    /// Before a deploy: record the plan to schema.toml and run expand, then backfill (resumes an interrupted run).
    Apply(run::ApplyArgs),
    /// After every instance runs the new version: run contract and prove the result.
    Complete(run::CompleteArgs),
    /// Undo an in-flight expand/backfill, last step first.
    Abort(run::AbortArgs),
    /// Show the latest migration and every step.
    Status(run::StatusArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version are not errors; every other parse error is a usage error.
            return match error.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(code::USAGE),
            };
        }
    };
    let result = match &cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Introspect(args) => introspect::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Rules(args) => lint::rules(args),
        Command::Apply(args) => run::apply(args),
        Command::Complete(args) => run::complete(args),
        Command::Abort(args) => run::abort(args),
        Command::Status(args) => run::status(args),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            ExitCode::from(code)
        }
    }
}
