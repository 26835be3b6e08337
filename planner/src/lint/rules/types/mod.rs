//! Type-design advice (off by default): column types that work today and are costly
//! to change once the table is big. One rule per file, all through the one mechanism
//! of `rule::type_design`.

mod prefer_bigint_keys;
mod prefer_identity;
mod prefer_jsonb;
mod prefer_text;
mod prefer_timestamptz;

use crate::lint::rule::Rule;

/// This group's rules; the registry merges the groups in code order.
pub static RULES: &[&dyn Rule] = &[
    &prefer_jsonb::PREFER_JSONB,
    &prefer_timestamptz::PREFER_TIMESTAMPTZ,
    &prefer_bigint_keys::PREFER_BIGINT_KEYS,
    &prefer_text::PREFER_TEXT,
    &prefer_identity::PREFER_IDENTITY,
];
