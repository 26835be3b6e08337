//! Rules about the rest of a migration: maintenance commands that rewrite, partitions,
//! triggers, transactions and timeouts, changes that break the running application
//! version (drops, renames, truncation), and type-design advice.

use crate::lint::rule::Rule;

/// This group's rules; the registry merges the groups in code order.
pub static RULES: &[&dyn Rule] = &[];
