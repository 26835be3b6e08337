//! Which column type changes rewrite the table.
//!
//! PostgreSQL docs, `ALTER TABLE`, Notes: "changing the type of an existing column will
//! normally cause the entire table and its indexes to be rewritten. As an exception,
//! when changing the type of an existing column, if the USING clause does not change
//! the column contents and the old type is either binary coercible to the new type or
//! an unconstrained domain over the new type, a table rewrite is not needed."
//! Binary coercibility is `pg_cast.castmethod = 'b'`; a typmod change is free only
//! when it cannot reject or alter a stored value (`varchar` and `numeric` widening
//! since 9.2, `timestamp`/`time`/`interval` precision increases since 9.2).

use super::mode::PgVersion;
use crate::model::SqlType;

/// True when `ALTER COLUMN ... TYPE to` (without a USING that changes values)
/// rewrites a column of type `from` on PostgreSQL `pg`.
pub fn type_change_rewrites(from: &SqlType, to: &SqlType, pg: PgVersion) -> bool {
    type_change_rewrites_in_session(from, to, pg, false)
}

/// [`type_change_rewrites`] in a session whose `TimeZone` is known: with `utc` (a zone
/// without offset), PostgreSQL 12+ converts `timestamp` to `timestamptz` in place,
/// since every stored value keeps its meaning (`TimestampTimestampTzRequiresRewrite`).
pub fn type_change_rewrites_in_session(from: &SqlType, to: &SqlType, pg: PgVersion, utc: bool) -> bool {
    if from == to {
        return false;
    }
    // Array coercions go through an element-wise cast node, which PostgreSQL treats
    // as a rewrite (ATColumnChangeRequiresRewrite accepts only relabelling).
    if from.array_dims != to.array_dims || from.is_array() {
        return true;
    }
    let (Some(old), Some(new)) = (from.builtin_name(), to.builtin_name()) else {
        return true;
    };
    let old_mod = from.typmods.as_slice();
    let new_mod = to.typmods.as_slice();
    match (old, new) {
        // Length limits: widening or removing the limit never changes a stored value.
        ("varchar", "varchar") | ("varbit", "varbit") => may_narrow(old_mod, new_mod),
        // varchar -> text is binary coercible; text -> varchar without a limit too.
        ("varchar", "text") => false,
        ("text", "varchar") => !new_mod.is_empty(),
        // numeric(p,s) -> numeric(p',s) with p' >= p, or -> unconstrained numeric.
        ("numeric", "numeric") => match (old_mod, new_mod) {
            (_, []) => false,
            ([p, s], [p2, s2]) => !(p2 >= p && s2 == s),
            ([p], [p2]) => p2 < p,
            _ => true,
        },
        // Fractional-second precision: increasing or removing it keeps every value.
        ("timestamp", "timestamp") | ("timestamptz", "timestamptz") | ("time", "time") | ("timetz", "timetz") | ("interval", "interval") => {
            may_narrow(old_mod, new_mod)
        }
        // cidr -> inet is binary coercible.
        ("cidr", "inet") => false,
        // timestamp -> timestamptz is free on PostgreSQL 12+ only when the session
        // TimeZone is UTC (and the precision does not drop); a plan cannot know the
        // session: treated as a rewrite there.
        ("timestamp", "timestamptz") => !(utc && pg.at_least(12)) || may_narrow(old_mod, new_mod),
        _ => true,
    }
}

/// True when a change to `to` can skip the rewrite for some old type: `to` is a type
/// that `type_change_rewrites` lets another type reach by relabelling (a longer
/// `varchar`, `text`, a wider `numeric`, more fractional-second precision, `inet`).
/// When the old type is unknown, a change to any other type rewrites (unless the
/// type does not change at all).
pub fn may_skip_rewrite_to(to: &SqlType) -> bool {
    !to.is_array()
        && matches!(
            to.builtin_name(),
            Some("varchar" | "varbit" | "text" | "numeric" | "timestamp" | "timestamptz" | "time" | "timetz" | "interval" | "inet")
        )
}

/// True when a stored value may not fit the new limit: one is added or lowered (a
/// limit kept, raised or removed fits every value).
fn may_narrow(old: &[i64], new: &[i64]) -> bool {
    match (old, new) {
        (_, []) => false,
        ([], [_]) => true,
        ([a], [b]) => b < a,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_type;

    fn rewrites(from: &str, to: &str) -> bool {
        let from = parse_type(from).expect("type");
        let to = parse_type(to).expect("type");
        type_change_rewrites(&from, &to, PgVersion::DEFAULT)
    }

    #[test]
    fn binary_coercible_changes_do_not_rewrite() {
        for (from, to) in [
            ("varchar(10)", "varchar(20)"),
            ("varchar(10)", "varchar"),
            ("varchar(10)", "text"),
            ("text", "varchar"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("numeric(10,2)", "numeric"),
            ("timestamptz(3)", "timestamptz(6)"),
            ("timestamptz(3)", "timestamptz"),
            ("cidr", "inet"),
            ("int", "integer"),
        ] {
            assert!(!rewrites(from, to), "{from} -> {to} must be catalog-only");
            let (old, new) = (parse_type(from).expect("type"), parse_type(to).expect("type"));
            assert!(old == new || may_skip_rewrite_to(&new), "{to} is reached without a rewrite");
        }
    }

    #[test]
    fn only_some_targets_can_skip_the_rewrite() {
        for to in ["bigint", "integer", "jsonb", "uuid", "text[]", "boolean"] {
            assert!(!may_skip_rewrite_to(&parse_type(to).expect("type")), "{to}");
        }
    }

    #[test]
    fn timestamp_to_timestamptz_is_free_in_a_utc_session_from_12() {
        let (from, to) = (parse_type("timestamp").expect("type"), parse_type("timestamptz").expect("type"));
        assert!(!type_change_rewrites_in_session(&from, &to, PgVersion(12), true));
        assert!(type_change_rewrites_in_session(&from, &to, PgVersion(11), true));
        assert!(type_change_rewrites_in_session(&from, &to, PgVersion(15), false));
        let narrower = parse_type("timestamptz(3)").expect("type");
        assert!(type_change_rewrites_in_session(&from, &narrower, PgVersion(15), true));
    }

    #[test]
    fn other_changes_rewrite() {
        for (from, to) in [
            ("int", "bigint"),
            ("varchar(20)", "varchar(10)"),
            ("text", "varchar(10)"),
            ("numeric(10,2)", "numeric(10,3)"),
            ("timestamp", "timestamptz"),
            ("json", "jsonb"),
            ("char(3)", "text"),
            ("int[]", "bigint[]"),
        ] {
            assert!(rewrites(from, to), "{from} -> {to} must rewrite");
        }
    }
}
