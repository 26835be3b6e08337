//! Rules about the input itself: statements PostgreSQL rejects, files that cannot be
//! read, statements too deep to analyse, and suppressions that silence nothing. The
//! engine reports these; they are rules so that they have codes, docs and config.

use crate::lint::rule::{Rule, RuleMeta, Severity};

pub struct Reported(&'static RuleMeta);

impl Rule for Reported {
    fn meta(&self) -> &'static RuleMeta {
        self.0
    }
}

pub static SYNTAX_ERROR: Reported = Reported(&RuleMeta {
    code: "BW001",
    name: "syntax-error",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a statement that PostgreSQL's parser rejects",
    why: "The migration fails at this statement when it runs; statements after it in the same transaction never run. bellows parses with PostgreSQL's own parser (pg_query), so what it rejects, the server rejects.",
    alternative: "-- fix the statement; the message names the token where the parser stopped\nSELECT 1;",
});

pub static UNREADABLE_FILE: Reported = Reported(&RuleMeta {
    code: "BW002",
    name: "unreadable-file",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a file that cannot be read as SQL text (not UTF-8, a NUL byte, unreadable)",
    why: "A migration tool would fail on it, or apply something other than what was reviewed.",
    alternative: "-- save the migration as UTF-8 text\nSELECT 1;",
});

pub static TOO_DEEP: Reported = Reported(&RuleMeta {
    code: "BW003",
    name: "statement-too-deep",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a statement nested too deeply for bellows to analyse",
    why: "Its locks are unknown to bellows, so nothing vouches for it.",
    alternative: "-- split the expression into smaller statements or use a function\nSELECT 1;",
});

pub static UNUSED_SUPPRESSION: Reported = Reported(&RuleMeta {
    code: "BW004",
    name: "unused-suppression",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a `-- bellows: allow` comment that silences nothing, or names no rule",
    why: "A stale suppression hides the next real problem at that place, and a misspelt one never worked.",
    alternative: "-- a suppression that is needed, with its reason:\n-- bellows: allow create-index-non-concurrently the table is still empty in every environment\nCREATE INDEX users_email_idx ON users (email);",
});
