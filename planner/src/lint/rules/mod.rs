//! The one registry of lint rules. Everything else (the `rules` command, docs/rules.md,
//! the README table, config lookup by code or name) is derived from `RULES`.

pub mod meta;
#[cfg(test)]
pub mod testing;

mod changes;
mod locking;
mod types;

use std::sync::LazyLock;

use super::rule::Rule;

/// Every rule, in code order: the input rules, then each group's.
pub static RULES: LazyLock<Vec<&'static dyn Rule>> = LazyLock::new(|| {
    let input: [&'static dyn Rule; 4] = [&meta::SYNTAX_ERROR, &meta::UNREADABLE_FILE, &meta::TOO_DEEP, &meta::UNUSED_SUPPRESSION];
    let mut all: Vec<&'static dyn Rule> = input
        .into_iter()
        .chain(locking::RULES.iter().copied())
        .chain(changes::RULES.iter().copied())
        .chain(types::RULES.iter().copied())
        .collect();
    all.sort_by_key(|r| r.meta().code);
    all
});

/// A rule by code (`BW101`) or name (`create-index-non-concurrently`).
pub fn find_rule(key: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().code.eq_ignore_ascii_case(key) || r.meta().name == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::testing::lint;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for rule in RULES.iter() {
            let meta = rule.meta();
            assert!(codes.insert(meta.code), "duplicate code {}", meta.code);
            assert!(names.insert(meta.name), "duplicate name {}", meta.name);
            assert!(meta.code.starts_with("BW") && meta.code.len() == 5, "{}", meta.code);
            assert!(meta.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", meta.name);
            assert!(
                !meta.summary.is_empty() && !meta.why.is_empty() && !meta.alternative.is_empty(),
                "{} lacks documentation",
                meta.code
            );
        }
    }

    #[test]
    fn every_safe_alternative_parses_and_does_not_trigger_its_rule() {
        for rule in RULES.iter() {
            let meta = rule.meta();
            for statement in pg_query::split_with_parser(meta.alternative).unwrap_or_else(|e| panic!("{}: alternative does not parse: {e}", meta.code)) {
                pg_query::parse(statement, 0).unwrap_or_else(|e| panic!("{}: {e}", meta.code));
            }
            let found = lint(meta.alternative);
            assert!(
                found.iter().all(|d| d.rule != meta.code),
                "{}: its own alternative triggers it: {found:#?}",
                meta.code
            );
        }
    }
}
