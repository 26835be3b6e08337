//! `bellows lint` and `bellows rules`: lint SQL migrations with the rules of the
//! registry and print the findings in the format CI needs.

mod discover;
mod format;
pub(super) mod history;
mod sarif;
mod schedule;

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use planner::lint::config::load_config;
use planner::lint::{FileReport, History, LintOptions, RULES};
use planner::locks::PgVersion;

use super::exit::{code, Failure};
use super::report::{render_source_errors, stderr_color, stdout_color};

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Migration files, directories searched recursively for `*.sql`, or `-` for
    /// standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// PostgreSQL major version the migrations run on (13 to 18; default from
    /// bellows.toml, else 15).
    #[arg(long, value_name = "N", value_parser = planner::lint::parse_pg_version)]
    pub pg_version: Option<PgVersion>,
    /// The configuration file (default: bellows.toml in this directory or above).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Plain .sql files are run inside one transaction by whatever applies them.
    #[arg(long)]
    pub assume_in_transaction: bool,
    /// Lint each file on its own: do not replay the migrations before it in its folder
    /// (sqlx, golang-migrate, goose, diesel, prisma layouts).
    #[arg(long, conflicts_with = "from")]
    pub no_history: bool,
    /// The schema the migrations start from, as a schema.toml, instead of the
    /// migrations before them in their folder.
    #[arg(long, value_name = "FILE.toml")]
    pub from: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Code frames with the offending span and help (colour on a terminal).
    Text,
    /// Every statement's locks and costs, and the findings (indented on a terminal,
    /// compact when piped).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// A pull-request comment: a summary table per file, then the findings.
    Markdown,
}

pub fn run(args: &LintArgs) -> Result<u8, Failure> {
    let mut options = options(args)?;
    if let Some(version) = args.pg_version {
        options.pg = version;
    }
    if args.assume_in_transaction {
        options.assume_in_transaction = Some(true);
    }
    let found = discover::discover(&args.paths).map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
    let start = match (&args.from, args.no_history) {
        (Some(path), _) => history::Start::Seed(Box::new(History::from_schema(&super::plan::load(path)?))),
        (None, true) => history::Start::Nothing,
        (None, false) => history::Start::Folder,
    };
    // Compact JSON is written by the workers as they go (a folder's is several times its
    // size); indented JSON, for a person, at the end.
    let pretty = std::io::stdout().is_terminal();
    let compact = args.format == LintFormat::Json && !pretty;
    let linted = history::lint_all(&found, &start, &options, compact);
    let errors: usize = linted.iter().map(|l| l.report.errors()).sum();
    let code = if errors > 0 { code::FINDINGS } else { code::SUCCESS };
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if compact {
        format::json_written(&linted, &mut stdout)
            .and_then(|()| stdout.flush())
            .context("cannot write the report to standard output")?;
        return Ok(code);
    }
    let reports: Vec<(FileReport, Option<String>)> = linted.into_iter().map(|l| (l.report, l.text)).collect();
    let output = match args.format {
        LintFormat::Text => format::text(&reports, stdout_color()),
        LintFormat::Json => {
            format::json_pretty(&reports, &mut stdout).context("cannot write the report to standard output")?;
            String::new()
        }
        LintFormat::Sarif => format::sarif(&reports),
        LintFormat::Github => format::github(&reports),
        LintFormat::Markdown => format::markdown(&reports),
    };
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write the report to standard output")?;
    Ok(code)
}

/// Lint options from `--config`, or from bellows.toml found by walking up from the
/// working directory; defaults when there is none.
fn options(args: &LintArgs) -> Result<LintOptions, Failure> {
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|dir| dir.ancestors().map(|d| d.join("bellows.toml")).find(|p| p.is_file())),
    };
    let Some(path) = path else { return Ok(LintOptions::default()) };
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(&path).with_context(|| format!("cannot read {shown}"))?;
    load_config(&shown, &source).map_err(|e| {
        eprint!("{}", render_source_errors(&source, &e.errors, stderr_color()));
        Failure::usage(anyhow::anyhow!("{shown} is not a valid configuration"))
    })
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule's code or name: print its documentation.
    pub rule: Option<String>,
}

pub fn rules(args: &RulesArgs) -> Result<u8, Failure> {
    let Some(key) = &args.rule else {
        print!("{}", format::rule_table());
        return Ok(code::SUCCESS);
    };
    match planner::lint::find_rule(key) {
        Some(rule) => {
            print!("{}", format::rule_doc(rule.meta()));
            Ok(code::SUCCESS)
        }
        None => {
            let names: Vec<&str> = RULES.iter().map(|r| r.meta().name).collect();
            let help = planner::suggest::did_you_mean(key, names).map(|h| format!(" ({h})")).unwrap_or_default();
            Err(Failure::usage(anyhow::anyhow!("unknown rule `{key}`{help}; `bellows rules` lists them all")))
        }
    }
}
