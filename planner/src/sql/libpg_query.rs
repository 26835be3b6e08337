//! Calls into the vendored libpg_query (the static library the `pg_query` crate links)
//! where the crate's API falls short:
//!
//! `pg_query::parse` reports only the message of a syntax error, where libpg_query also
//! records the cursor position (PostgreSQL's `cursorpos`, 1-based, in bytes) that turns
//! "syntax error at or near ..." into a line and a column; and it walks every tree it
//! returns to list its tables, functions and filter columns, which bellows never reads.
//! [`parse_tree`] returns the tree alone, or the failure with its position.
//! [`scan_tokens`] works around a pg_query bug in the token scanner.

use std::ffi::{c_char, c_int, CStr, CString};

use prost::Message as _;

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
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    // Declared in libpg_query's pg_query.h, linked by the `pg_query` crate.
    fn pg_query_parse_protobuf_opts(input: *const c_char, parser_options: c_int) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// Makes the C allocator keep the memory libpg_query frees, for the next parse.
///
/// Every parse allocates its memory contexts and its protobuf output with glibc's
/// `malloc` and frees them when it returns; glibc then hands the top of the heap back
/// to the kernel (and serves blocks over 128 KiB with fresh `mmap`s), so the next parse
/// faults the same memory in again, zeroed. For `bellows lint` on the corpus's 3.8 MB
/// all-shared-migrations.sql that was 7,900 page faults instead of 900 and about 10 ms.
/// A process that parses a lot calls this once at start; memory in use is unchanged.
pub fn keep_parser_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's malloc.h.
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt only sets allocator parameters; both values are in range
        // (the mmap threshold's maximum is 32 MiB on 64-bit).
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
        }
    }
}

/// Why [`parse_tree`] has no tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// PostgreSQL's parser rejects the text.
    Syntax(ParseFailure),
    /// The tree is nested deeper than its decoder takes.
    TooDeep,
}

/// Parses `sql` (default parser options) into pg_query's syntax tree, or says why and
/// where it fails.
pub fn parse_tree(sql: &str) -> Result<pg_query::protobuf::ParseResult, TreeError> {
    let Ok(input) = CString::new(sql) else {
        return Err(TreeError::Syntax(ParseFailure {
            message: "text contains a NUL byte".into(),
            offset: sql.find('\0'),
        }));
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the
    // result is read before it is freed, and freed exactly once. On success libpg_query
    // returns `len` bytes at `data` (possibly none, then `data` may be null).
    unsafe {
        let result = pg_query_parse_protobuf_opts(input.as_ptr(), 0);
        let tree = if !result.error.is_null() {
            Err(TreeError::Syntax(failure(&*result.error, sql)))
        } else {
            let bytes = if result.parse_tree.len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(result.parse_tree.data.cast::<u8>(), result.parse_tree.len)
            };
            pg_query::protobuf::ParseResult::decode(bytes).map_err(|_| TreeError::TooDeep)
        };
        pg_query_free_protobuf_parse_result(result);
        tree
    }
}

fn failure(error: &PgQueryError, sql: &str) -> ParseFailure {
    // SAFETY: libpg_query sets `message` on every error it returns.
    let message = unsafe { CStr::from_ptr(error.message) }.to_string_lossy().into_owned();
    let offset = usize::try_from(error.cursorpos).ok().filter(|&p| p > 0).map(|p| (p - 1).min(sql.len()));
    ParseFailure { message, offset }
}

/// A parse failure: PostgreSQL's message and the byte offset (0-based) it points at,
/// when the parser gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub offset: Option<usize>,
}

/// PostgreSQL's scanner's tokens of `sql`, or `None` when it rejects the text (an
/// unterminated string or comment). `pg_query::scan_tokens` (18.1) builds a slice from a
/// null pointer when the text has no token at all (undefined behaviour, an abort in a
/// debug build), so a `;` on a line of its own follows the text and is dropped again.
pub fn scan_tokens(sql: &str) -> Option<Vec<pg_query::protobuf::ScanToken>> {
    let mut tokens = pg_query::scan_tokens(&format!("{sql}\n;")).ok()?;
    tokens.retain(|t| usize::try_from(t.start).is_ok_and(|start| start < sql.len()));
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_alone_or_the_failure_with_its_position() {
        let tree = parse_tree("SELECT 1; CREATE TABLE t (id int)").expect("parses");
        assert_eq!(tree.stmts.len(), 2);
        assert_eq!(parse_tree("").map(|t| t.stmts.len()), Ok(0));
        assert_eq!(parse_tree("-- nothing").map(|t| t.stmts.len()), Ok(0));
        let Err(TreeError::Syntax(failure)) = parse_tree("SELECT 1;\nSELEC 2") else {
            panic!("must fail")
        };
        assert_eq!((failure.message.as_str(), failure.offset), ("syntax error at or near \"SELEC\"", Some(10)));
        let deep = format!("SELECT {}1{}", "1 + (".repeat(300), ")".repeat(300));
        assert_eq!(parse_tree(&deep).err(), Some(TreeError::TooDeep));
    }

    #[test]
    fn end_of_input_points_at_the_end() {
        let Err(TreeError::Syntax(failure)) = parse_tree("SELECT (1") else {
            panic!("must fail")
        };
        assert!(failure.message.contains("end of input"), "{failure:?}");
        assert_eq!(failure.offset, Some(9));
        let Err(TreeError::Syntax(nul)) = parse_tree("SELECT 1\0") else {
            panic!("must fail")
        };
        assert_eq!(nul.offset, Some(8));
    }
}
