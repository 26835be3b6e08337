//! Finding migration files: the paths given, and every `*.sql` under a directory, in
//! a stable order, with the diesel `metadata.toml` beside a file when there is one.

use std::path::{Path, PathBuf};

/// A file to lint, as read from disk.
pub struct Input {
    /// The path as the user would click it: relative to the working directory when
    /// given relative.
    pub path: String,
    pub text: Result<String, String>,
    pub diesel_metadata: Option<String>,
}

/// The files to lint, and the directories they were found in by walking: every
/// `*.sql` below those is among the files.
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub walked: Vec<String>,
}

/// Expands `paths` into files. A path that does not exist is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Discovered, String> {
    let mut files = Vec::new();
    let mut walked = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files);
            walked.push(path.to_string_lossy().trim_end_matches(['/', '\\']).to_string());
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    // Compared as bytes: `Path` comparison parses components.
    files.dedup_by(|a, b| a.as_os_str() == b.as_os_str());
    Ok(Discovered { files, walked })
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
    for (name, dir, entry) in entries {
        if dir {
            walk(&entry, files);
        } else if Path::new(&name).extension().is_some_and(|e| e == "sql") {
            files.push(entry);
        }
    }
}

/// Reads a file: its text, or why it cannot be linted.
pub fn read(path: &Path) -> Input {
    let shown = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| format!("the file is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())),
        Err(e) => Err(format!("cannot read the file: {e}")),
    };
    let diesel_metadata = match path.file_name().and_then(|n| n.to_str()) {
        Some("up.sql" | "down.sql") => path.parent().and_then(|p| std::fs::read_to_string(p.join("metadata.toml")).ok()),
        _ => None,
    };
    Input {
        path: shown,
        text,
        diesel_metadata,
    }
}
