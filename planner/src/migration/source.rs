//! How a migration tool runs a file: which parts of it are migrations (goose keeps
//! Up and Down in one file) and whether the tool wraps each part in a transaction.
//!
//! - sqlx (`<version>_<name>.sql`, `.up.sql`, `.down.sql`): wrapped, unless the first
//!   line is `-- no-transaction`.
//! - golang-migrate (`<version>_<name>.up.sql`): the file is sent as one multi-statement
//!   query, which PostgreSQL runs in one implicit transaction.
//! - diesel (`<dir>/up.sql`, `down.sql`): wrapped, unless `metadata.toml` beside it says
//!   `run_in_transaction = false`.
//! - goose (`-- +goose Up` / `Down`): each section wrapped, unless the file says
//!   `-- +goose NO TRANSACTION`.
//! - anything else: statements run one by one (psql), with explicit `BEGIN`/`COMMIT`.

use std::ops::Range;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// sqlx or golang-migrate: a numbered file.
    Versioned,
    Diesel,
    Goose,
    Plain,
}

/// Whether the tool wraps a unit in a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wrapping {
    /// One transaction around the whole unit.
    Transaction,
    /// Each statement on its own, unless the SQL opens a transaction itself.
    Autocommit,
}

/// A part of a file that runs as one migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub range: Range<usize>,
    pub wrapping: Wrapping,
    /// A rollback (`down.sql`, `*.down.sql`, goose's `-- +goose Down`): it runs after
    /// its migration's up part, and what it does is not part of the history.
    pub down: bool,
}

/// True for a rollback file: `down.sql` (diesel), `<version>_<name>.down.sql` (sqlx,
/// golang-migrate).
pub fn is_down_file(path: &str) -> bool {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file_name == "down.sql" || file_name.ends_with(".down.sql")
}

/// The layout of a file and its units. `diesel_metadata` is the text of the
/// `metadata.toml` beside a diesel `up.sql`/`down.sql`, if any; `assume_in_transaction`
/// (from the command line or bellows.toml) decides for plain files.
pub fn units(path: &str, text: &str, diesel_metadata: Option<&str>, assume_in_transaction: Option<bool>) -> (Layout, Vec<Unit>) {
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if let Some(units) = goose_units(text) {
        return (Layout::Goose, units);
    }
    let whole = 0..text.len();
    let down = is_down_file(path);
    if matches!(file_name, "up.sql" | "down.sql") && diesel_metadata.is_some() || is_diesel_name(path, file_name) {
        let no_transaction = diesel_metadata.is_some_and(|m| {
            m.lines()
                .any(|l| l.split('#').next().unwrap_or("").replace(' ', "") == "run_in_transaction=false")
        });
        return (
            Layout::Diesel,
            vec![Unit {
                range: whole,
                wrapping: if no_transaction { Wrapping::Autocommit } else { Wrapping::Transaction },
                down,
            }],
        );
    }
    if is_versioned_name(file_name) {
        let no_transaction = text.lines().next().is_some_and(|l| l.trim() == "-- no-transaction");
        return (
            Layout::Versioned,
            vec![Unit {
                range: whole,
                wrapping: if no_transaction { Wrapping::Autocommit } else { Wrapping::Transaction },
                down,
            }],
        );
    }
    let wrapping = if assume_in_transaction == Some(true) {
        Wrapping::Transaction
    } else {
        Wrapping::Autocommit
    };
    (Layout::Plain, vec![Unit { range: whole, wrapping, down }])
}

/// `2024-01-01-120000_name/up.sql`: diesel's folder per migration.
fn is_diesel_name(path: &str, file_name: &str) -> bool {
    if !matches!(file_name, "up.sql" | "down.sql") {
        return false;
    }
    let parent = path.rsplit(['/', '\\']).nth(1).unwrap_or("");
    parent.chars().next().is_some_and(|c| c.is_ascii_digit()) && parent.contains('_')
}

/// `20240101120000_name.sql`, `1_init.up.sql`: a leading version number and `_`.
fn is_versioned_name(file_name: &str) -> bool {
    let digits = file_name.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && file_name[digits..].starts_with('_') && file_name.ends_with(".sql")
}

/// Goose sections: from each `-- +goose Up` or `Down` annotation to the next.
fn goose_units(text: &str) -> Option<Vec<Unit>> {
    let mut marks: Vec<(usize, bool)> = Vec::new();
    let mut no_transaction = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let annotation = line.trim().strip_prefix("--").map(str::trim).and_then(|l| l.strip_prefix("+goose"));
        if let Some(annotation) = annotation.map(|a| a.trim().to_ascii_lowercase()) {
            if annotation.starts_with("up") || annotation.starts_with("down") {
                marks.push((offset + line.len(), annotation.starts_with("down")));
            } else if annotation.starts_with("no transaction") {
                no_transaction = true;
            }
        }
        offset += line.len();
    }
    if marks.is_empty() {
        return None;
    }
    let wrapping = if no_transaction { Wrapping::Autocommit } else { Wrapping::Transaction };
    let ends: Vec<usize> = marks.iter().skip(1).map(|&(m, _)| line_start_before(text, m)).chain([text.len()]).collect();
    // SQL before the first annotation belongs to no section; goose refuses such a file,
    // so it is linted on its own (statement by statement) rather than silently skipped.
    let preamble = 0..line_start_before(text, marks[0].0);
    let has_sql = text[preamble.clone()]
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"));
    let preamble = has_sql.then_some(Unit {
        range: preamble,
        wrapping: Wrapping::Autocommit,
        down: false,
    });
    Some(
        preamble
            .into_iter()
            .chain(marks.iter().zip(ends).map(|(&(start, down), end)| Unit {
                range: start..end.max(start),
                wrapping,
                down,
            }))
            .collect(),
    )
}

/// The start of the annotation line that ends at `mark`.
fn line_start_before(text: &str, mark: usize) -> usize {
    let before = &text[..mark];
    let trimmed = before.strip_suffix('\n').unwrap_or(before);
    trimmed.rfind('\n').map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_tool() {
        let (layout, found) = super::units(
            "migrations/20240101_add.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
            None,
            None,
        );
        assert_eq!((layout, found[0].wrapping), (Layout::Versioned, Wrapping::Autocommit));
        let (layout, found) = super::units("db/1_init.up.sql", "CREATE TABLE t (a int);", None, None);
        assert_eq!((layout, found[0].wrapping), (Layout::Versioned, Wrapping::Transaction));
        let (layout, found) = super::units("m/2024-02-12-120203_x/up.sql", "DROP INDEX i;", Some("run_in_transaction = false\n"), None);
        assert_eq!((layout, found[0].wrapping), (Layout::Diesel, Wrapping::Autocommit));
        let (layout, found) = super::units("m/2024-02-12-120203_x/up.sql", "DROP INDEX i;", None, None);
        assert_eq!((layout, found[0].wrapping), (Layout::Diesel, Wrapping::Transaction));
        let (layout, found) = super::units("schema.sql", "CREATE TABLE t (a int);", None, None);
        assert_eq!((layout, found[0].wrapping), (Layout::Plain, Wrapping::Autocommit));
        let (_, found) = super::units("schema.sql", "CREATE TABLE t (a int);", None, Some(true));
        assert_eq!(found[0].wrapping, Wrapping::Transaction);
        assert!(!found[0].down);
        for down in ["m/2024-02-12-120203_x/down.sql", "db/1_init.down.sql"] {
            assert!(super::units(down, "DROP TABLE t;", None, None).1[0].down, "{down}");
        }
    }

    #[test]
    fn sql_before_the_first_goose_annotation_is_linted_too() {
        let text = "CREATE TABLE t (a int);\n-- +goose Up\nCREATE INDEX i ON t (a);\n";
        let (layout, found) = super::units("001_x.sql", text, None, None);
        assert_eq!(layout, Layout::Goose);
        let ranges: Vec<&str> = found.iter().map(|u| &text[u.range.clone()]).collect();
        assert_eq!(ranges, ["CREATE TABLE t (a int);\n", "CREATE INDEX i ON t (a);\n"]);
        assert_eq!(found[0].wrapping, Wrapping::Autocommit);
        let (_, found) = super::units("001_x.sql", "-- a comment\n\n-- +goose Up\nSELECT 1;\n", None, None);
        assert_eq!(found.len(), 1, "a comment alone is no preamble");
    }

    #[test]
    fn goose_sections_split_up_and_down() {
        let text = "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (a int);\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE t;\n";
        let (layout, found) = super::units("001_x.sql", text, None, None);
        assert_eq!(layout, Layout::Goose);
        assert_eq!(found.len(), 2);
        assert!(text[found[0].range.clone()].contains("CREATE TABLE") && !text[found[0].range.clone()].contains("DROP"));
        assert!(text[found[1].range.clone()].contains("DROP TABLE"));
        assert_eq!((found[0].down, found[1].down), (false, true));
        let (_, found) = super::units(
            "001_x.sql",
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            None,
            None,
        );
        assert_eq!(found[0].wrapping, Wrapping::Autocommit);
    }
}
