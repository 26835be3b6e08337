//! `bellows introspect`: the live schema printed as schema.toml.

use clap::Args;
use planner::render::render_schema_toml;

use super::database::{self, DatabaseArgs};
use super::exit::{code, Failure};

#[derive(Debug, Args)]
pub struct IntrospectArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub fn run(args: &IntrospectArgs) -> Result<u8, Failure> {
    let url = args.database.url().ok_or_else(database::missing)?;
    let introspection = database::introspect(&url)?;
    let warnings = database::warnings(&introspection);
    // The file keeps what it cannot say, where whoever edits it will read it.
    let mut out = String::new();
    if !warnings.is_empty() {
        out.push_str("# The live database holds more than this file can say:\n");
        for line in &warnings {
            out.push_str(&format!("# - {line}\n"));
        }
        out.push('\n');
        let count = warnings.len();
        eprintln!(
            "warning: {count} thing{} in the database cannot be said in schema.toml; listed at the top of the output",
            if count == 1 { "" } else { "s" }
        );
    }
    out.push_str(&render_schema_toml(&introspection.schema));
    print!("{out}");
    Ok(code::SUCCESS)
}
