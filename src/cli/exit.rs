//! Documented exit codes, and the error type that carries one.

use std::fmt;

/// Exit codes scripts and CI rely on (README, "Exit codes").
pub mod code {
    pub const SUCCESS: u8 = 0;
    /// Lint findings at error severity, or preflight refused.
    pub const FINDINGS: u8 = 1;
    /// Usage or configuration error: bad flags, unreadable or invalid input, a
    /// change that cannot be planned safely.
    pub const USAGE: u8 = 5;
}

/// A failure with its exit code. When the details were already printed as rich
/// diagnostics, `error` is the one-line summary `main` prints after them.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: code::USAGE,
            error: error.into(),
        }
    }

    pub fn with_code(code: u8, error: impl Into<anyhow::Error>) -> Failure {
        Failure { code, error: error.into() }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::usage(error)
    }
}
