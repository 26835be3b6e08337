//! SQL through pg_query, the real PostgreSQL parser: schema.toml fragments, error
//! positions, and a complete syntax-tree walk.

pub mod error_position;
pub mod fragment;
pub mod walk;

pub use error_position::{parse_failure, ParseFailure};
pub use fragment::{parse_expression, parse_predicate, parse_type, FragmentError};
