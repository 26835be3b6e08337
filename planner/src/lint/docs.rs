//! The rule documentation as Markdown, rendered from the registry: `docs/rules.md` and
//! the rule table of the README. A test keeps both files equal to this output.

use std::fmt::Write;

use super::rule::RuleMeta;
use super::rules::RULES;

/// The README's table: one row per rule, linking to its section of docs/rules.md.
pub fn rule_table(docs_path: &str) -> String {
    let mut out = String::from("| code | rule | severity | finds |\n|---|---|---|---|\n");
    for rule in RULES.iter() {
        let m = rule.meta();
        let off = if m.default_enabled { "" } else { " (off by default)" };
        let _ = writeln!(
            out,
            "| {} | [`{}`]({docs_path}#{}) | {}{off} | {} |",
            m.code,
            m.name,
            anchor(m),
            m.severity.name(),
            escape_cell(m.summary)
        );
    }
    out
}

/// The whole of docs/rules.md.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Lint rules\n\n\
         <!-- Generated from the rule registry (planner/src/lint/rules/). Do not edit by hand:\n\
         run `BELLOWS_UPDATE_DOCS=1 cargo test --test rules_docs` after changing a rule. -->\n\n\
         `bellows lint` runs these rules on SQL migrations; `bellows rules` lists them and\n\
         `bellows rules NAME` prints one. Turn rules on or off and override severities in\n\
         `bellows.toml` (`[lint]`: `enable`, `disable`, `severity`), and silence one statement\n\
         with `-- bellows: allow RULE reason` on the line before it, or a whole file with\n\
         `-- bellows: allow-file RULE reason`. A rule never reports a table, index or column\n\
         that the same file created earlier: it is empty and invisible to other sessions\n\
         until the migration commits.\n\n",
    );
    out.push_str(&rule_table(""));
    for rule in RULES.iter() {
        let m = rule.meta();
        let enabled = if m.default_enabled {
            "on by default".to_string()
        } else {
            format!("off by default; enable it in bellows.toml with `enable = [\"{}\"]`", m.name)
        };
        let _ = write!(
            out,
            "\n## {} {}\n\n**Severity:** {} ({enabled})\n\n**Finds:** {}\n\n**Why it is risky:** {}\n\n**Safe alternative:**\n\n```sql\n{}\n```\n",
            m.code,
            m.name,
            m.severity.name(),
            m.summary,
            m.why,
            m.alternative
        );
    }
    out
}

/// The GitHub anchor of a rule's heading `## BW101 create-index-non-concurrently`.
fn anchor(m: &RuleMeta) -> String {
    format!("{}-{}", m.code.to_ascii_lowercase(), m.name)
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_row_and_a_section() {
        let docs = rules_markdown();
        for rule in RULES.iter() {
            let m = rule.meta();
            assert!(docs.contains(&format!("\n## {} {}\n", m.code, m.name)), "{}", m.code);
            assert!(docs.contains(&format!("[`{}`](#{})", m.name, anchor(m))), "{}", m.code);
        }
        assert_eq!(rule_table("docs/rules.md").lines().count(), RULES.len() + 2);
    }
}
