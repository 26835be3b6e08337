//! The bellows planner: a pure library (no database, no runtime, no network).
//!
//! Pipeline: `load` (schema.toml) -> `model::Schema` -> `diff` -> `Change`s ->
//! `recipes` -> `Step`s -> `plan::order` -> `Plan` -> `render`. Lock behaviour lives
//! in one table, `locks`, which the recipes (and the linter) ask.

pub mod change;
pub mod diff;
pub mod digest;
pub mod error;
pub mod from_sql;
pub mod libpg_query;
pub mod lint;
pub mod load;
pub mod locks;
pub mod migration;
pub mod model;
pub mod plan;
pub mod recipes;
pub mod render;
pub mod sql;
pub mod step;
pub mod suggest;

pub use change::Change;
pub use diff::diff;
pub use error::{LoadError, PlanError, SourceError};
pub use load::load_schema;
pub use locks::PgVersion;
pub use model::Schema;
pub use plan::{make_plan, Plan, PlanOptions};
pub use step::{Phase, Step, StepKind};
