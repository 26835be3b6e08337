//! Finding migration files: the paths given, every `*.sql` under a directory, in a
//! stable order, and `-` for standard input; and reading one, with the diesel
//! `metadata.toml` beside it when there is one.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// Where a migration is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// The name standard input is reported under.
pub const STDIN: &str = "<stdin>";

/// A file to lint, as read.
pub struct Input {
    /// The path as the user would click it: relative to the working directory when
    /// given relative.
    pub path: String,
    pub text: Result<String, Unreadable>,
    pub diesel_metadata: Option<String>,
}

/// Why a file cannot be linted, and where in it, when it is a place in the file.
pub struct Unreadable {
    pub message: String,
    /// The byte offset of the problem, in `text` as well as in the file.
    pub offset: Option<usize>,
    /// The file with invalid bytes replaced (for a code frame), when it could be read.
    pub text: Option<String>,
}

/// The sources to lint, and the directories they were found in by walking: every
/// `*.sql` below those is among the sources.
#[derive(Debug, PartialEq, Eq)]
pub struct Discovered {
    pub sources: Vec<Source>,
    pub walked: Vec<String>,
}

/// Expands `paths` into sources. A path that does not exist, `-` given twice, or
/// nothing to lint at all is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Discovered, String> {
    let mut sources = Vec::new();
    let mut walked = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            if sources.contains(&Source::Stdin) {
                return Err("`-` (standard input) is given twice".to_string());
            }
            sources.push(Source::Stdin);
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files);
            sources.extend(files.into_iter().map(Source::File));
            walked.push(path.to_string_lossy().trim_end_matches(['/', '\\']).to_string());
        } else if path.exists() {
            sources.push(Source::File(path.clone()));
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    // Compared as bytes: `Path` comparison parses components.
    sources.dedup_by(|a, b| match (a, b) {
        (Source::File(a), Source::File(b)) => a.as_os_str() == b.as_os_str(),
        (a, b) => a == b,
    });
    if sources.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "nothing to lint: no .sql file in {} (give migration files, directories holding *.sql files, or `-` for standard input)",
            shown.join(", ")
        ));
    }
    Ok(Discovered { sources, walked })
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        files.push(dir.to_path_buf());
        return;
    };
    // The directory entry says whether it is a directory (no `stat`, except for a
    // symbolic link, which is followed); the names decide the order, as bytes.
    let mut entries: Vec<(std::ffi::OsString, bool, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let kind = e.file_type().ok()?;
            let path = e.path();
            let dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
            Some((e.file_name(), dir, path))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // Subdirectories are walked on all cores (a prisma folder is a directory per
    // migration), their files put back in name order.
    let found: Vec<Vec<PathBuf>> = entries
        .into_par_iter()
        .map(|(name, dir, entry)| {
            if dir {
                let mut inner = Vec::new();
                walk(&entry, &mut inner);
                inner
            } else if Path::new(&name).extension().is_some_and(|e| e == "sql") {
                vec![entry]
            } else {
                Vec::new()
            }
        })
        .collect();
    files.extend(found.into_iter().flatten());
}

/// Reads a source: its text, or why it cannot be linted.
pub fn read(source: &Source) -> Input {
    let (shown, bytes, diesel_metadata) = match source {
        Source::Stdin => {
            let mut bytes = Vec::new();
            let read = std::io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes);
            (STDIN.to_string(), read, None)
        }
        Source::File(path) => {
            let diesel_metadata = match path.file_name().and_then(|n| n.to_str()) {
                Some("up.sql" | "down.sql") => path.parent().and_then(|p| std::fs::read_to_string(p.join("metadata.toml")).ok()),
                _ => None,
            };
            (path.display().to_string(), std::fs::read(path), diesel_metadata)
        }
    };
    let text = match bytes {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| not_utf8(e.as_bytes(), e.utf8_error())),
        Err(e) => Err(Unreadable {
            message: format!("cannot read the file: {e}"),
            offset: None,
            text: None,
        }),
    };
    Input {
        path: shown,
        text,
        diesel_metadata,
    }
}

/// A file that is not UTF-8, located at its first invalid byte.
fn not_utf8(bytes: &[u8], error: std::str::Utf8Error) -> Unreadable {
    let at = error.valid_up_to();
    let shown: Vec<String> = bytes[at..]
        .iter()
        .take(error.error_len().unwrap_or(bytes.len() - at).max(1))
        .map(|b| format!("0x{b:02x}"))
        .collect();
    Unreadable {
        message: format!(
            "the file is not UTF-8 text: {} cannot be read as UTF-8 (an encoding such as Latin-1 or UTF-16?)",
            if shown.len() == 1 {
                format!("the byte {}", shown[0])
            } else {
                format!("the bytes {}", shown.join(" "))
            }
        ),
        offset: Some(at),
        text: Some(String::from_utf8_lossy(bytes).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_byte_is_placed_in_the_file() {
        let bytes = b"SELECT 1;\nSELECT '\xe9t\xe9';\n".to_vec();
        let error = String::from_utf8(bytes.clone()).expect_err("not UTF-8");
        let unreadable = not_utf8(&bytes, error.utf8_error());
        assert_eq!(unreadable.offset, Some(18));
        assert!(unreadable.message.contains("the byte 0xe9"), "{}", unreadable.message);
        assert!(unreadable.text.is_some_and(|t| t.starts_with("SELECT 1;\nSELECT '\u{fffd}")));
    }

    #[test]
    fn nothing_to_lint_is_an_error() {
        let empty = std::env::temp_dir().join(format!("bellows-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("a temporary directory");
        let error = discover(std::slice::from_ref(&empty)).expect_err("no .sql file");
        assert!(error.starts_with("nothing to lint: no .sql file in "), "{error}");
        let _ = std::fs::remove_dir(&empty);
        assert_eq!(
            discover(&[PathBuf::from("-")]),
            Ok(Discovered {
                sources: vec![Source::Stdin],
                walked: Vec::new()
            })
        );
    }
}
