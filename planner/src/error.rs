//! Errors of the planner: problems in an input file (with their location), and
//! changes that cannot be planned safely.

use std::fmt;
use std::ops::Range;

use thiserror::Error;

/// A problem at a place in an input file: what is wrong, and what was probably meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    pub path: String,
    /// Byte range in the file.
    pub span: Range<usize>,
    /// 1-based line and column (in characters) of the start of the span.
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl SourceError {
    pub fn new(path: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> SourceError {
        let start = span.start.min(source.len());
        let (line, column) = line_column(source, start);
        SourceError {
            path: path.to_string(),
            span,
            line,
            column,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> SourceError {
        self.help = help;
        self
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// 1-based line and column (counted in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, source[line_start..offset].chars().count() + 1)
}

/// Why a schema file could not be loaded: one or more located problems.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct LoadError {
    pub errors: Vec<SourceError>,
}

/// Why a plan could not be made.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PlanError {
    /// A change that has no safe recipe; `help` says how to proceed.
    #[error("{object}: {reason}")]
    Refused { object: String, reason: String, help: String },
    /// The ordering found a dependency cycle between these steps.
    #[error("the plan's steps depend on each other in a cycle: {}", steps.join(" -> "))]
    Cycle { steps: Vec<String> },
    /// Two steps were given the same id (two changes to one object that bellows
    /// cannot tell apart).
    #[error("two steps share the id {id}")]
    DuplicateStep { id: String },
    /// The input has these problems, each located (a migration checked against the
    /// schema it runs on).
    #[error("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid { errors: Vec<SourceError> },
    /// A plan read back from JSON cannot be used.
    #[error("the plan cannot be read: {0}")]
    Unreadable(String),
}

impl PlanError {
    pub fn refused(object: impl fmt::Display, reason: impl Into<String>, help: impl Into<String>) -> PlanError {
        PlanError::Refused {
            object: object.to_string(),
            reason: reason.into(),
            help: help.into(),
        }
    }

    pub fn help(&self) -> Option<&str> {
        match self {
            PlanError::Refused { help, .. } => Some(help),
            PlanError::Cycle { .. } | PlanError::DuplicateStep { .. } | PlanError::Invalid { .. } | PlanError::Unreadable(_) => None,
        }
    }
}

/// Line starts of a text, for many offset-to-position lookups in a big file.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(at, _)| at + 1);
        let starts = std::iter::once(0).chain(newlines).collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncé d";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 100), (2, 5));
    }
}
