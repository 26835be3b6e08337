//! Where in the text PostgreSQL's parser gave up.
//!
//! `pg_query::parse` reports only the message of a syntax error. The vendored
//! libpg_query also records the cursor position (PostgreSQL's `cursorpos`, 1-based,
//! in bytes), which is what turns "syntax error at or near ..." into a line and a
//! column. This module asks the same static library for it, once, on the error path
//! only.

use std::ffi::{c_char, c_int, CStr, CString};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    // Declared in libpg_query's pg_query.h, linked by the `pg_query` crate.
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// A parse failure: PostgreSQL's message and the byte offset (0-based) it points at,
/// when the parser gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub offset: Option<usize>,
}

/// Parses `sql` only to learn why and where it fails; `None` when it parses.
pub fn parse_failure(sql: &str) -> Option<ParseFailure> {
    let Ok(input) = CString::new(sql) else {
        let offset = sql.find('\0');
        return Some(ParseFailure {
            message: "text contains a NUL byte".into(),
            offset,
        });
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the
    // result is read before it is freed, and freed exactly once.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let failure = if result.error.is_null() {
            None
        } else {
            let error = &*result.error;
            let message = CStr::from_ptr(error.message).to_string_lossy().into_owned();
            let offset = usize::try_from(error.cursorpos).ok().filter(|&p| p > 0).map(|p| (p - 1).min(sql.len()));
            Some(ParseFailure { message, offset })
        };
        pg_query_free_parse_result(result);
        failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_offending_token() {
        let failure = parse_failure("SELECT 1;\nSELEC 2").expect("must fail");
        assert_eq!(failure.message, "syntax error at or near \"SELEC\"");
        assert_eq!(failure.offset, Some(10));
    }

    #[test]
    fn valid_sql_has_no_failure() {
        assert_eq!(parse_failure("CREATE TABLE t (id int)"), None);
    }

    #[test]
    fn end_of_input_points_at_the_end() {
        let failure = parse_failure("SELECT (1").expect("must fail");
        assert!(failure.message.contains("end of input"), "{failure:?}");
        assert_eq!(failure.offset, Some(9));
    }
}
