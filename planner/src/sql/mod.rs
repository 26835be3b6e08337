//! SQL through pg_query, the real PostgreSQL parser: schema.toml fragments, error
//! positions, and a complete syntax-tree walk.

pub mod canonical;
mod expr;
pub mod fragment;
mod index_key;
mod literal;
pub mod walk;

pub use expr::expr_from_node;
pub use fragment::{parse_expression, parse_predicate, parse_type, string_value, type_from_ast, FragmentError};
pub use index_key::{index_key, parse_index_key};
