//! Lock modes as `pg_locks.mode` names them, the cost of holding them, and the
//! PostgreSQL major version a fact is asked for.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::QualifiedName;

/// Table-level lock modes, weakest first (PostgreSQL docs, "Explicit Locking", 13.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LockMode {
    AccessShareLock,
    RowShareLock,
    RowExclusiveLock,
    ShareUpdateExclusiveLock,
    ShareLock,
    ShareRowExclusiveLock,
    ExclusiveLock,
    AccessExclusiveLock,
}

impl LockMode {
    /// The name `pg_locks.mode` shows.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShareLock => "AccessShareLock",
            LockMode::RowShareLock => "RowShareLock",
            LockMode::RowExclusiveLock => "RowExclusiveLock",
            LockMode::ShareUpdateExclusiveLock => "ShareUpdateExclusiveLock",
            LockMode::ShareLock => "ShareLock",
            LockMode::ShareRowExclusiveLock => "ShareRowExclusiveLock",
            LockMode::ExclusiveLock => "ExclusiveLock",
            LockMode::AccessExclusiveLock => "AccessExclusiveLock",
        }
    }

    pub fn from_name(name: &str) -> Option<LockMode> {
        LockMode::ALL.into_iter().find(|m| m.name() == name)
    }

    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShareLock,
        LockMode::RowShareLock,
        LockMode::RowExclusiveLock,
        LockMode::ShareUpdateExclusiveLock,
        LockMode::ShareLock,
        LockMode::ShareRowExclusiveLock,
        LockMode::ExclusiveLock,
        LockMode::AccessExclusiveLock,
    ];

    /// True when a session holding `self` makes a session asking for `other` wait
    /// (the conflict table of PostgreSQL docs 13.3.1, Table 13.2).
    pub fn conflicts_with(self, other: LockMode) -> bool {
        use LockMode::*;
        let conflicts: &[LockMode] = match self {
            AccessShareLock => &[AccessExclusiveLock],
            RowShareLock => &[ExclusiveLock, AccessExclusiveLock],
            RowExclusiveLock => &[ShareLock, ShareRowExclusiveLock, ExclusiveLock, AccessExclusiveLock],
            ShareUpdateExclusiveLock => &[ShareUpdateExclusiveLock, ShareLock, ShareRowExclusiveLock, ExclusiveLock, AccessExclusiveLock],
            ShareLock => &[
                RowExclusiveLock,
                ShareUpdateExclusiveLock,
                ShareRowExclusiveLock,
                ExclusiveLock,
                AccessExclusiveLock,
            ],
            ShareRowExclusiveLock => &[
                RowExclusiveLock,
                ShareUpdateExclusiveLock,
                ShareLock,
                ShareRowExclusiveLock,
                ExclusiveLock,
                AccessExclusiveLock,
            ],
            ExclusiveLock => &[
                RowShareLock,
                RowExclusiveLock,
                ShareUpdateExclusiveLock,
                ShareLock,
                ShareRowExclusiveLock,
                ExclusiveLock,
                AccessExclusiveLock,
            ],
            AccessExclusiveLock => &LockMode::ALL,
        };
        conflicts.contains(&other)
    }

    /// True when the lock blocks plain `SELECT`s.
    pub fn blocks_reads(self) -> bool {
        self.conflicts_with(LockMode::AccessShareLock)
    }

    /// True when the lock blocks `INSERT`, `UPDATE` and `DELETE`.
    pub fn blocks_writes(self) -> bool {
        self.conflicts_with(LockMode::RowExclusiveLock)
    }

    /// What the application feels while the lock is held, for messages.
    pub fn blocks(self) -> &'static str {
        if self.blocks_reads() {
            "reads and writes"
        } else if self.blocks_writes() {
            "writes"
        } else {
            "other schema changes"
        }
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long a lock is held, in terms of the table's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cost {
    /// Catalog only: milliseconds, once the lock is granted.
    Instant,
    /// Reads every row (a validation, an index build) while the lock is held.
    Scan,
    /// Writes a new copy of the table and its indexes while the lock is held.
    Rewrite,
    /// Many short transactions, each holding row locks on one batch.
    Batched,
}

impl Cost {
    pub fn name(self) -> &'static str {
        match self {
            Cost::Instant => "instant",
            Cost::Scan => "scan",
            Cost::Rewrite => "rewrite",
            Cost::Batched => "batched",
        }
    }
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One relation a statement locks, in which mode, and for how long.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RelationLock {
    pub relation: QualifiedName,
    pub mode: LockMode,
    pub cost: Cost,
}

/// A PostgreSQL major version, for facts that changed between releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PgVersion(pub u32);

impl PgVersion {
    pub const DEFAULT: PgVersion = PgVersion(15);
    pub const OLDEST: u32 = 10;
    pub const NEWEST: u32 = 18;

    /// Parses `15`, `15.4` or `150004`.
    pub fn parse(text: &str) -> Option<PgVersion> {
        let text = text.trim();
        let major: u32 = match text.split_once('.') {
            Some((major, _)) => major.parse().ok()?,
            None => {
                let n: u32 = text.parse().ok()?;
                if n >= 100_000 {
                    n / 10_000
                } else {
                    n
                }
            }
        };
        (Self::OLDEST..=Self::NEWEST).contains(&major).then_some(PgVersion(major))
    }

    pub fn at_least(self, major: u32) -> bool {
        self.0 >= major
    }
}

impl Default for PgVersion {
    fn default() -> Self {
        PgVersion::DEFAULT
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_table_is_symmetric() {
        for a in LockMode::ALL {
            for b in LockMode::ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} vs {b}");
            }
        }
        assert!(!LockMode::ShareUpdateExclusiveLock.blocks_writes());
        assert!(LockMode::ShareLock.blocks_writes() && !LockMode::ShareLock.blocks_reads());
        assert!(LockMode::AccessExclusiveLock.blocks_reads());
    }

    #[test]
    fn versions_parse_in_every_spelling() {
        assert_eq!(PgVersion::parse("15"), Some(PgVersion(15)));
        assert_eq!(PgVersion::parse("16.2"), Some(PgVersion(16)));
        assert_eq!(PgVersion::parse("170004"), Some(PgVersion(17)));
        assert_eq!(PgVersion::parse("9"), None);
        assert_eq!(PgVersion::parse("abc"), None);
    }
}
