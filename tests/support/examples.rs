//! The scenarios under `examples/`: each folder with a `before.toml` and an
//! `after.toml` (`examples/migrations` holds SQL for the linter, not a scenario).

use std::path::{Path, PathBuf};

use planner::{load_schema, Schema};

/// The scenario folders, in name order.
pub fn scenarios() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("after.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

/// A scenario's schema file, which must load.
pub fn load(path: &Path) -> Schema {
    let text = std::fs::read_to_string(path).expect("readable example");
    load_schema(&path.display().to_string(), &text).unwrap_or_else(|e| panic!("{} does not load:\n{e}", path.display()))
}

/// A scenario's `before.toml` and `after.toml`.
pub fn before_and_after(dir: &Path) -> (Schema, Schema) {
    (load(&dir.join("before.toml")), load(&dir.join("after.toml")))
}
