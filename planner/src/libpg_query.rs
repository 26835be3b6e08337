//! The ground floor of SQL: calls into the vendored libpg_query (the static library the
//! `pg_query` crate links) where the crate's API falls short:
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

/// The declarations above mirror libpg_query's `pg_query.h` of exactly this pg_query
/// release (pinned with `=` in Cargo.toml); the test below fails if they drift.
#[cfg(test)]
const MIRRORED_RELEASE: &str = "18.1.0";

#[cfg(test)]
mod abi {
    use std::mem::{offset_of, size_of};
    use std::path::PathBuf;
    use std::process::Command;

    use super::*;

    /// The host's target triple, as `rustc -vV` reports it.
    fn host() -> String {
        let output = Command::new("rustc").arg("-vV").output().expect("rustc runs");
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        text.lines()
            .find_map(|l| l.strip_prefix("host: "))
            .expect("rustc -vV names the host")
            .to_string()
    }

    /// The directory of the pg_query crate this build uses, from `cargo metadata`.
    fn pg_query_source() -> (String, PathBuf) {
        let output = Command::new(env!("CARGO"))
            // This platform only: other platforms' crates may not be downloaded.
            .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let packages = metadata["packages"].as_array().expect("packages");
        let package = packages.iter().find(|p| p["name"] == "pg_query").expect("pg_query is a dependency");
        let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest_path"));
        let version = package["version"].as_str().expect("version").to_string();
        (version, manifest.parent().expect("crate directory").to_path_buf())
    }

    /// Sizes and field offsets as the C compiler lays them out from the real header, and
    /// the signatures of the two functions checked by assignment (an error if they differ).
    fn c_layout(header_dir: &std::path::Path) -> Vec<usize> {
        let probe = r#"
#include <stddef.h>
#include <stdio.h>
#include "pg_query.h"
PgQueryProtobufParseResult (*parse)(const char*, int) = pg_query_parse_protobuf_opts;
void (*release)(PgQueryProtobufParseResult) = pg_query_free_protobuf_parse_result;
int main(void) {
  printf("%zu %zu %zu %zu %zu %zu %zu\n", sizeof(PgQueryError), offsetof(PgQueryError, message),
    offsetof(PgQueryError, funcname), offsetof(PgQueryError, filename), offsetof(PgQueryError, lineno),
    offsetof(PgQueryError, cursorpos), offsetof(PgQueryError, context));
  printf("%zu %zu %zu\n", sizeof(PgQueryProtobuf), offsetof(PgQueryProtobuf, len), offsetof(PgQueryProtobuf, data));
  printf("%zu %zu %zu %zu\n", sizeof(PgQueryProtobufParseResult), offsetof(PgQueryProtobufParseResult, parse_tree),
    offsetof(PgQueryProtobufParseResult, stderr_buffer), offsetof(PgQueryProtobufParseResult, error));
  return 0;
}
"#;
        let dir = std::env::temp_dir().join(format!("bellows-abi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        std::fs::write(dir.join("probe.c"), probe).expect("write the probe");
        let compiled = Command::new("cc")
            .args(["-std=c11", "-Werror=incompatible-pointer-types", "-c", "-o"])
            .arg(dir.join("probe.o"))
            .arg(dir.join("probe.c"))
            .arg("-I")
            .arg(header_dir)
            .output()
            .expect("a C compiler (cc) runs");
        assert!(
            compiled.status.success(),
            "the probe does not compile against pg_query.h:\n{}",
            String::from_utf8_lossy(&compiled.stderr)
        );
        let linked = Command::new("cc")
            .arg("-o")
            .arg(dir.join("probe"))
            .arg(dir.join("probe.o"))
            .arg("-Wl,--unresolved-symbols=ignore-all")
            .output()
            .expect("cc links");
        assert!(linked.status.success(), "{}", String::from_utf8_lossy(&linked.stderr));
        let run = Command::new(dir.join("probe")).output().expect("the probe runs");
        let _ = std::fs::remove_dir_all(&dir);
        String::from_utf8(run.stdout)
            .expect("digits")
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect()
    }

    #[test]
    fn the_declarations_match_the_libpg_query_header_of_the_pinned_release() {
        let (version, source) = pg_query_source();
        assert_eq!(
            version, MIRRORED_RELEASE,
            "pg_query {version} is built, but libpg_query.rs mirrors the header of {MIRRORED_RELEASE}: re-check the #[repr(C)] declarations against its pg_query.h, then update MIRRORED_RELEASE"
        );
        let rust = vec![
            size_of::<PgQueryError>(),
            offset_of!(PgQueryError, message),
            offset_of!(PgQueryError, funcname),
            offset_of!(PgQueryError, filename),
            offset_of!(PgQueryError, lineno),
            offset_of!(PgQueryError, cursorpos),
            offset_of!(PgQueryError, context),
            size_of::<PgQueryProtobuf>(),
            offset_of!(PgQueryProtobuf, len),
            offset_of!(PgQueryProtobuf, data),
            size_of::<PgQueryProtobufParseResult>(),
            offset_of!(PgQueryProtobufParseResult, parse_tree),
            offset_of!(PgQueryProtobufParseResult, stderr_buffer),
            offset_of!(PgQueryProtobufParseResult, error),
        ];
        assert_eq!(c_layout(&source.join("libpg_query")), rust, "the #[repr(C)] layouts differ from pg_query.h");
    }
}
