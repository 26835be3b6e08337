//! Suppression comments: `-- bellows: allow RULE reason` before a statement silences
//! RULE (by code or name) for that statement; `-- bellows: allow-file RULE reason`
//! anywhere silences it for the file. A suppression that silences nothing is itself
//! reported.

use std::ops::Range;

/// A suppression comment and whether it was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub rule: String,
    pub span: Range<usize>,
    pub whole_file: bool,
    /// For a statement suppression: the statement it applies to (set by the engine).
    pub statement: Option<usize>,
    pub used: bool,
}

/// Finds the suppression comments in `text[range]`.
pub fn find(text: &str, range: Range<usize>) -> Vec<Suppression> {
    let mut found = Vec::new();
    let mut offset = range.start;
    for line in text[range].split_inclusive('\n') {
        if let Some(at) = line.find("--") {
            let comment = line[at + 2..].trim();
            if let Some(rest) = comment.strip_prefix("bellows:") {
                let mut words = rest.split_whitespace();
                let kind = words.next().unwrap_or("");
                let whole_file = kind == "allow-file";
                if whole_file || kind == "allow" {
                    for rule in words.next().unwrap_or("").split(',').filter(|r| !r.is_empty()) {
                        let start = offset + at;
                        found.push(Suppression {
                            rule: rule.to_string(),
                            span: start..offset + line.trim_end().len(),
                            whole_file,
                            statement: None,
                            used: false,
                        });
                    }
                }
            }
        }
        offset += line.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_statement_and_file_suppressions() {
        let text = "-- bellows: allow-file BW150 legacy cleanup\nSELECT 1;\n-- bellows: allow create-index-non-concurrently,BW141 small table\nCREATE INDEX i ON t (a);";
        let found = find(text, 0..text.len());
        let rules: Vec<(&str, bool)> = found.iter().map(|s| (s.rule.as_str(), s.whole_file)).collect();
        assert_eq!(rules, [("BW150", true), ("create-index-non-concurrently", false), ("BW141", false)]);
        assert!(text[found[1].span.clone()].starts_with("-- bellows: allow"));
    }
}
