//! Renderings of a plan: text for a terminal, JSON for programs, SQL for people who
//! run it by hand, Markdown for a pull-request comment; and of a schema, as schema.toml.

mod markdown;
mod schema_toml;
mod sql;
mod text;

pub use markdown::render_markdown;
pub use schema_toml::render_schema_toml;
pub use sql::render_sql;
pub use text::render_text;

use crate::plan::Plan;

/// The plan as pretty JSON (the shape documented in docs/plan-json.md).
pub fn render_json(plan: &Plan) -> String {
    let mut json = serde_json::to_string_pretty(plan).expect("invariant: a plan serialises");
    json.push('\n');
    json
}
