//! `bellows plan`: loads the current and desired schemas, plans, renders.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use planner::from_sql::{plan_sql, plan_sql_after, replay_sql};
use planner::locks::PgVersion;
use planner::model::Schema;
use planner::render::{render_json, render_markdown, render_sql, render_text};
use planner::{load_schema, make_plan, PlanError, PlanOptions};

use super::database::{self, DatabaseArgs};
use super::exit::{code, Failure};
use super::report::{render_source_errors, stderr_color, stdout_color};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The current schema: a schema.toml file. Without it (and without a database),
    /// plan from an empty database.
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub from: Option<PathBuf>,
    /// Plan from this live database instead of --from (DATABASE_URL when neither is given).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The desired schema.
    #[arg(long, value_name = "FILE", default_value = "schema.toml")]
    pub to: PathBuf,
    /// Plan a SQL migration instead: its recognisable DDL becomes safe phased steps,
    /// whole-table UPDATE/DELETE run in batches, other statements run as written. With
    /// --from (or a database) the migration is checked against that schema.
    #[arg(long, value_name = "MIGRATION.sql", conflicts_with = "to")]
    pub sql: Option<PathBuf>,
    /// With --sql and neither --from nor a database: do not replay the migrations that
    /// run before the file in its folder (sqlx, golang-migrate, goose, diesel, prisma
    /// layouts) to learn the schema it starts from.
    #[arg(long, requires = "sql")]
    pub no_history: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// PostgreSQL major version the plan targets (10 to 18).
    #[arg(long, value_name = "N", default_value = "15", value_parser = parse_pg_version)]
    pub pg_version: PgVersion,
    /// Rows per backfill batch.
    #[arg(long, value_name = "ROWS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// The lock_timeout the SQL script sets before each locking statement (e.g. 200ms, 1s).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = super::duration::parse_millis)]
    pub lock_timeout: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Sql,
    Markdown,
}

pub fn parse_pg_version(text: &str) -> Result<PgVersion, String> {
    PgVersion::parse(text).ok_or_else(|| {
        format!(
            "expected a PostgreSQL major version from {} to {}, such as 15",
            PgVersion::OLDEST,
            PgVersion::NEWEST
        )
    })
}

pub fn run(args: &PlanArgs) -> Result<u8, Failure> {
    let known = match (&args.from, args.database.url()) {
        (Some(path), _) => Some(load(path)?),
        (None, Some(url)) => {
            let introspection = database::introspect(&url)?;
            database::print_warnings(&introspection);
            Some(introspection.schema)
        }
        (None, None) => None,
    };
    let options = PlanOptions {
        pg_version: args.pg_version,
        lock_timeout_ms: args.lock_timeout,
        batch_size: args.batch_size,
    };
    if let Some(path) = &args.sql {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
        let replayed = match (&known, args.no_history) {
            (None, false) => replay_folder(path),
            _ => None,
        };
        let planned = match &replayed {
            Some((schema, files)) => plan_sql_after(schema, &shown, &text, options).map(|plan| {
                let earlier = if *files == 1 { "migration".to_string() } else { format!("{files} migrations") };
                plan.with_notes(vec![format!(
                    "the schema before this file is what the {earlier} before it in its folder built (replayed; tables made elsewhere are assumed to exist); --from or --database-url plans against a known schema and checks the file against it"
                )])
            }),
            None => plan_sql(known.as_ref(), &shown, &text, options),
        };
        let plan = planned.map_err(|e| match e {
            PlanError::Invalid { errors } => {
                eprint!("{}", render_source_errors(&text, &errors, stderr_color()));
                let count = errors.len();
                Failure::usage(anyhow::anyhow!(
                    "cannot plan {shown}: {count} problem{} against the schema it runs on",
                    if count == 1 { "" } else { "s" }
                ))
            }
            other => refused(other),
        })?;
        print!("{}", render(&plan, args.format));
        return Ok(code::SUCCESS);
    }
    let current = known.unwrap_or_default();
    let desired = load(&args.to)?;
    let plan = make_plan(&current, &desired, options).map_err(refused)?;
    print!("{}", render(&plan, args.format));
    Ok(code::SUCCESS)
}

/// The schema the migrations before `path` in its folder built, and how many ran;
/// `None` when it is not in a recognised folder or is its first migration.
fn replay_folder(path: &std::path::Path) -> Option<(planner::model::Schema, usize)> {
    let earlier = super::lint::history::earlier(path);
    if earlier.is_empty() {
        return None;
    }
    let mut schema = planner::model::Schema::default();
    for input in &earlier {
        if let Ok(text) = &input.text {
            replay_sql(&mut schema, &input.path, text, input.diesel_metadata.as_deref());
        }
    }
    Some((schema, earlier.len()))
}

fn render(plan: &planner::Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Text => render_text(plan, stdout_color()),
        PlanFormat::Json => render_json(plan),
        PlanFormat::Sql => render_sql(plan),
        PlanFormat::Markdown => render_markdown(plan),
    }
}

/// Reads and loads a schema file, printing located errors.
pub fn load(path: &Path) -> Result<Schema, Failure> {
    let shown = path.display().to_string();
    if path.extension().is_some_and(|e| e == "sql") {
        return Err(Failure::usage(anyhow::anyhow!(
            "{shown}: reading a schema from a SQL dump is not supported yet; give a schema.toml"
        )));
    }
    let source = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    load_schema(&shown, &source).map_err(|e| {
        eprint!("{}", render_source_errors(&source, &e.errors, stderr_color()));
        let count = e.errors.len();
        Failure::with_code(
            code::USAGE,
            anyhow::anyhow!("{shown} is not a valid schema file ({count} problem{})", if count == 1 { "" } else { "s" }),
        )
    })
}

fn refused(error: PlanError) -> Failure {
    let help = error.help().map(|h| format!("\n  help: {h}")).unwrap_or_default();
    Failure::usage(anyhow::anyhow!("cannot plan safely: {error}{help}"))
}
