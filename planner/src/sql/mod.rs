//! SQL through pg_query, the real PostgreSQL parser: schema.toml fragments, error
//! positions, and a complete syntax-tree walk.

pub mod canonical;
pub mod fragment;
pub mod libpg_query;
mod literal;
pub mod walk;

pub use fragment::{expr_from_node, parse_expression, parse_predicate, parse_type, string_value, type_from_ast, FragmentError};
pub use libpg_query::{parse_tree, scan_tokens, ParseFailure, TreeError};
