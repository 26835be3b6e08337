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
    let mut last_line = None;
    // Only lines that say `bellows:` can hold one: one search of the text, not one per line.
    for (at, _) in text[range.clone()].match_indices("bellows:") {
        let at = range.start + at;
        let start = text[range.start..at].rfind('\n').map_or(range.start, |n| range.start + n + 1);
        if last_line.replace(start) == Some(start) {
            continue;
        }
        let end = text[at..range.end].find('\n').map_or(range.end, |n| at + n + 1);
        read_line(&text[start..end], start, &mut found);
    }
    found
}

/// The suppressions of one line of the file, which starts at `offset`.
fn read_line(line: &str, offset: usize, found: &mut Vec<Suppression>) {
    let Some(at) = line.find("--") else { return };
    let Some(rest) = line[at + 2..].trim().strip_prefix("bellows:") else { return };
    let mut words = rest.split_whitespace();
    let kind = words.next().unwrap_or("");
    let whole_file = kind == "allow-file";
    if !whole_file && kind != "allow" {
        return;
    }
    for rule in words.next().unwrap_or("").split(',').filter(|r| !r.is_empty()) {
        found.push(Suppression {
            rule: rule.to_string(),
            span: offset + at..offset + line.trim_end().len(),
            whole_file,
            statement: None,
            used: false,
        });
    }
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
