//! A migration folder as its tool reads it: which files are migrations, and the order
//! they run in. Paths are text, so the caller lists the folder.
//!
//! - sqlx, golang-migrate, goose: `<version>_<name>.sql` (`.up.sql`, `.down.sql`) in
//!   one folder, run in the order of their numeric versions.
//! - diesel and prisma: a folder per migration, `<version>_<name>/up.sql` (`down.sql`)
//!   or `<version>_<name>/migration.sql`, run in the order of their versions
//!   (`2024-01-31-120000` or `20240131120000`).
//!
//! A rollback runs after its own migration's up part and before the next migration.

use std::cmp::Ordering;

/// Where a file sits in the history of its folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The history it belongs to: the folder of versioned files, or the folder of the
    /// migration folders.
    pub folder: String,
    /// The version as written (digits, for diesel also dashes).
    pub version: String,
    /// A rollback file.
    pub down: bool,
    /// The folder layout: the migration is a folder of its own.
    pub per_folder: bool,
}

/// The place of a migration file in its folder's history, or `None` for a file that is
/// not a migration of a recognised tool.
pub fn place(path: &str) -> Option<Place> {
    let (dir, file) = split_last(path);
    if !file.ends_with(".sql") {
        return None;
    }
    if matches!(file, "up.sql" | "down.sql" | "migration.sql") {
        let (grandparent, parent) = split_last(dir?);
        return Some(Place {
            folder: grandparent.unwrap_or("").to_string(),
            version: version_of(parent)?,
            down: file == "down.sql",
            per_folder: true,
        });
    }
    let digits = file.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && file[digits..].starts_with('_')).then(|| Place {
        folder: dir.unwrap_or("").to_string(),
        version: file[..digits].to_string(),
        down: file.ends_with(".down.sql"),
        per_folder: false,
    })
}

/// The directory part of a path (without its separator) and the last name.
fn split_last(path: &str) -> (Option<&str>, &str) {
    match path.rfind(['/', '\\']) {
        Some(at) => (Some(&path[..at]), &path[at + 1..]),
        None => (None, path),
    }
}

/// `2024-01-31-120000_name` -> `2024-01-31-120000`; `20240131_name` -> `20240131`.
fn version_of(folder: &str) -> Option<String> {
    let (version, name) = folder.split_once('_')?;
    let well_formed = !version.is_empty() && !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit());
    (well_formed && version.chars().all(|c| c.is_ascii_digit() || c == '-')).then(|| version.to_string())
}

/// The order the tool runs two files of one folder in: by version (numerically when
/// both are digits), a version's up part before its rollback, then by path.
pub fn run_order(a: (&Place, &str), b: (&Place, &str)) -> Ordering {
    compare_versions(&a.0.version, &b.0.version)
        .then(a.0.down.cmp(&b.0.down))
        .then_with(|| a.1.cmp(b.1))
}

fn compare_versions(a: &str, b: &str) -> Ordering {
    let digits = |v: &str| v.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_layouts() {
        let sqlx = place("db/migrations/0042_add_users.sql").expect("sqlx");
        assert_eq!((sqlx.folder.as_str(), sqlx.version.as_str(), sqlx.down), ("db/migrations", "0042", false));
        assert!(place("m/1_init.down.sql").expect("golang-migrate").down);
        let diesel = place("migrations/2019-03-22-170700_drop_x/up.sql").expect("diesel");
        assert_eq!((diesel.folder.as_str(), diesel.version.as_str()), ("migrations", "2019-03-22-170700"));
        assert!(place("migrations/2019-03-22-170700_drop_x/down.sql").expect("diesel").down);
        assert!(place("prisma/migrations/20240101_init/migration.sql").expect("prisma").per_folder);
        for other in [
            "schema.sql",
            "migrations/data_seed.sql",
            "x/up.sql",
            "x/abc_def/up.sql",
            "00background.sql",
            "1_a.txt",
        ] {
            assert_eq!(place(other), None, "{other}");
        }
    }

    #[test]
    fn orders_by_version_then_up_before_down() {
        let mut files = vec![
            "m/10_c.up.sql",
            "m/9_b.down.sql",
            "m/9_b.up.sql",
            "m/0001_a.sql",
            "m/20210311102338000015_x.up.sql",
            "m/20210311102338000001_x.up.sql",
        ];
        files.sort_by(|a, b| run_order((&place(a).expect("a"), a), (&place(b).expect("b"), b)));
        assert_eq!(
            files,
            [
                "m/0001_a.sql",
                "m/9_b.up.sql",
                "m/9_b.down.sql",
                "m/10_c.up.sql",
                "m/20210311102338000001_x.up.sql",
                "m/20210311102338000015_x.up.sql"
            ]
        );
    }
}
