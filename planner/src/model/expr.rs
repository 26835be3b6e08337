//! SQL expressions kept in the model (defaults, checks, predicates, backfills,
//! conversions): the text as written, and a canonical form for comparison.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

/// An SQL expression checked by pg_query when it was loaded.
#[derive(Clone, Debug, Eq)]
pub struct Expr {
    /// The text as the user wrote it (trimmed); this is what generated SQL contains.
    pub text: String,
    /// pg_query's deparse of the expression: equal for `now()` and `NOW( )`.
    pub canonical: String,
    /// True unless every function it calls is known not to be volatile. Unknown
    /// functions count as volatile, so the planner errs on the safe recipe.
    pub volatile: bool,
    /// True when the expression is a constant (a literal, possibly cast).
    pub constant: bool,
    /// True when it contains a subquery, which defaults, checks, generated columns and
    /// index expressions may not.
    pub subquery: bool,
    /// Column names it refers to (unqualified).
    pub columns: BTreeSet<String>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}
