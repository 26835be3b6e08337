//! The linter: reads a migration file the way its tool runs it, parses every statement
//! with pg_query, works out what each one locks (from the lock-facts table, knowing
//! what the file created before it), and runs the rules. Findings are values.

pub mod config;
pub mod docs;
mod engine;
mod file;
mod report;
pub mod rule;
pub mod rules;
pub mod suppress;

use std::collections::{BTreeMap, BTreeSet};

use crate::locks::PgVersion;
pub use crate::migration::history::History;
pub use file::{lint_parsed, parse_file, ParsedFile};
pub use report::{Diagnostic, FileReport, LockReport, StatementReport};
pub use rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
pub use rules::{find_rule, RULES};

/// Which rules run, and at which severity.
#[derive(Clone, Debug, Default)]
pub struct RuleSelection {
    /// Codes turned off.
    pub disabled: BTreeSet<&'static str>,
    /// Off-by-default codes turned on.
    pub enabled: BTreeSet<&'static str>,
    pub severity: BTreeMap<&'static str, Severity>,
}

impl RuleSelection {
    pub fn is_enabled(&self, meta: &RuleMeta) -> bool {
        !self.disabled.contains(meta.code) && (meta.default_enabled || self.enabled.contains(meta.code))
    }

    pub fn severity_of(&self, meta: &RuleMeta) -> Severity {
        self.severity.get(meta.code).copied().unwrap_or(meta.severity)
    }
}

/// The PostgreSQL majors the linter knows the locks of: its lock facts are checked
/// against a real server of each (tests/lock_facts.rs).
pub const PG_VERSIONS: std::ops::RangeInclusive<u32> = 13..=18;

/// Parses a PostgreSQL version (`15`, `15.4`, `150004`) the linter knows.
pub fn parse_pg_version(text: &str) -> Result<PgVersion, String> {
    PgVersion::parse(text).filter(|v| PG_VERSIONS.contains(&v.0)).ok_or_else(|| {
        format!(
            "`{text}` is not a PostgreSQL major version from {} to {}, such as 15",
            PG_VERSIONS.start(),
            PG_VERSIONS.end()
        )
    })
}

#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    pub pg: PgVersion,
    /// For plain files: whether something wraps them in a transaction.
    pub assume_in_transaction: Option<bool>,
    /// The session `TimeZone` the migrations run with is UTC (bellows.toml
    /// `time-zone`): a `timestamp` to `timestamptz` change is then catalog-only.
    pub time_zone_utc: bool,
    pub rules: RuleSelection,
}

/// Lints one file on its own: every table it does not create is an existing table
/// whose shape is unknown. `diesel_metadata` is the `metadata.toml` beside a diesel
/// migration.
pub fn lint_file(path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions) -> FileReport {
    lint_after(&mut History::new(), path, text, diesel_metadata, options)
}

/// Lints the next file of a migration history, knowing what the files before it built,
/// then adds it to the history (a rollback file is linted after its migration, and
/// adds nothing).
pub fn lint_after(history: &mut History, path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions) -> FileReport {
    let file = parse_file(path, text, diesel_metadata, options);
    lint_parsed(history, path, text, file, options)
}

#[cfg(test)]
mod tests {
    use super::file::lint_in_pieces;
    use super::*;
    use crate::migration::state::State;
    use crate::migration::{source, split};

    /// A statement mix whose unit-wide findings (a rename waiting for its view, a
    /// foreign key waiting for its index, runs of ALTER TABLE) span many pieces.
    fn long_unit(blocks: usize) -> String {
        let mut text = String::from("BEGIN;\nALTER TABLE users RENAME TO accounts;\n");
        for i in 0..blocks {
            text.push_str(&format!(
                "ALTER TABLE orders ADD COLUMN c{i} int;\nALTER TABLE orders ADD COLUMN d{i} int;\nCREATE TABLE t{i} (id bigint PRIMARY KEY, o bigint REFERENCES orders (id), s text DEFAULT 'a;b');\nSELECT $$;$$, 'x'';y' /* ; */ -- ;\n;\nALTER TABLE t{i} ADD COLUM oops int;\n"
            ));
            if i % 3 == 0 {
                text.push_str(&format!("CREATE INDEX t{i}_o ON t{i} (o);\n"));
            }
        }
        text.push_str("CREATE VIEW users AS SELECT * FROM accounts;\nCOMMIT;\nALTER TABLE a RENAME TO b;\n");
        text
    }

    #[test]
    fn the_report_does_not_depend_on_pieces_or_threads() {
        let options = LintOptions::default();
        let plain = long_unit(60);
        let goose = format!(
            "-- +goose Up\n{}\n-- +goose Down\n{}-- +goose Up\nALTER TABLE x RENAME TO y;\n",
            long_unit(20),
            long_unit(5)
        );
        for (path, text) in [("plain.sql", plain), ("20240101_goose.sql", goose)] {
            let (layout, units) = source::units(path, &text, None, None);
            let whole = lint_in_pieces(path, &text, (layout, &units), &options, usize::MAX / 4, 1, State::default()).0;
            let codes: BTreeSet<&str> = whole.diagnostics.iter().map(|d| d.rule).collect();
            for code in ["BW001", "BW117", "BW143", "BW155"] {
                assert!(codes.contains(code), "{path}: {code} does not fire in {codes:?}");
            }
            let expected = serde_json::to_string(&whole).expect("serialise");
            for (chunk, threads) in [(300, 1), (300, 3), (2048, 2), (1, 2)] {
                let cut = lint_in_pieces(path, &text, (layout, &units), &options, chunk, threads, State::default()).0;
                let (_, units) = source::units(path, &text, None, None);
                let pieces: usize = units.iter().map(|u| split::pieces(&text, u.range.clone(), chunk).len()).sum();
                assert!(pieces > units.len(), "{path}: chunk {chunk} cuts no unit");
                assert_eq!(
                    serde_json::to_string(&cut).expect("serialise"),
                    expected,
                    "{path}: chunk {chunk}, {threads} threads"
                );
            }
        }
    }
}
