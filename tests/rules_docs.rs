//! docs/rules.md and the README's rule table are rendered from the rule registry; this
//! test fails when either differs from what the registry says. Regenerate both with
//! `BELLOWS_UPDATE_DOCS=1 cargo test --test rules_docs`.

use std::path::{Path, PathBuf};

use planner::lint::docs::{rule_table, rules_markdown};

const BEGIN: &str = "<!-- rules:begin (generated from the rule registry; see tests/rules_docs.rs) -->\n";
const END: &str = "<!-- rules:end -->";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn update() -> bool {
    std::env::var_os("BELLOWS_UPDATE_DOCS").is_some()
}

#[test]
fn docs_rules_md_matches_the_registry() {
    let path = root().join("docs/rules.md");
    let expected = rules_markdown();
    if update() {
        std::fs::write(&path, &expected).expect("write docs/rules.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date with the rule registry: run `BELLOWS_UPDATE_DOCS=1 cargo test --test rules_docs`"
    );
}

#[test]
fn the_readme_rule_table_matches_the_registry() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let start = readme.find(BEGIN).map(|i| i + BEGIN.len()).expect("README.md has the rules:begin marker");
    let end = readme[start..].find(END).map(|i| start + i).expect("README.md has the rules:end marker");
    let expected = rule_table("docs/rules.md");
    if update() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    assert!(
        readme[start..end] == expected,
        "the README's rule table is out of date with the rule registry: run `BELLOWS_UPDATE_DOCS=1 cargo test --test rules_docs`"
    );
}
