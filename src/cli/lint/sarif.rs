//! SARIF 2.1.0 output for GitHub code scanning: one run, the whole rule registry as the
//! driver's rules (so a result's `ruleIndex` is the rule's place in `RULES`), and one
//! result per finding with a 1-based region. Hand-written structs: the few fields
//! GitHub reads, instead of a generated model of the whole schema.

use planner::lint::{Diagnostic, FileReport, RuleMeta, Severity, RULES};
use serde::Serialize;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the reports as a SARIF 2.1.0 log.
pub fn render(reports: &[(FileReport, Option<String>)]) -> String {
    let rules: Vec<ReportingDescriptor> = RULES.iter().map(|r| descriptor(r.meta())).collect();
    let results = reports
        .iter()
        .flat_map(|(report, _)| report.diagnostics.iter().map(|d| result(&report.path, d)))
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "bellows",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            // Diagnostic columns count characters, not UTF-16 units (SARIF's default).
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("invariant: SARIF serialises");
    out.push('\n');
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn descriptor(m: &'static RuleMeta) -> ReportingDescriptor {
    let mut tags = vec!["postgresql", "migrations"];
    if !m.default_enabled {
        tags.push("off-by-default");
    }
    ReportingDescriptor {
        id: m.code,
        name: m.name,
        short_description: Text { text: m.summary.to_string() },
        full_description: Text { text: m.why.to_string() },
        help: Help {
            text: format!("{}\n\nSafe alternative:\n{}", m.why, m.alternative),
            markdown: format!("{}\n\n**Safe alternative**\n\n```sql\n{}\n```", m.why, m.alternative),
        },
        default_configuration: Configuration {
            level: level(m.severity),
            enabled: m.default_enabled,
        },
        properties: Properties { tags },
    }
}

fn result(path: &str, d: &Diagnostic) -> SarifResult {
    let rule_index = RULES
        .iter()
        .position(|r| r.meta().code == d.rule)
        .expect("invariant: every diagnostic names a registered rule");
    let (uri, uri_base_id) = artifact_uri(path);
    SarifResult {
        rule_id: d.rule,
        rule_index,
        level: level(d.severity),
        message: Text {
            text: format!("{}\nhelp: {}", d.message, d.help),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri, uri_base_id },
                region: Region {
                    start_line: d.line,
                    start_column: d.column,
                    end_line: d.end_line,
                    end_column: d.end_column,
                },
            },
        }],
    }
}

/// The path as a URI: relative paths stay relative (GitHub resolves them from the
/// repository root), with forward slashes and without a leading `./`; absolute paths
/// become `file://` URIs. Everything but unreserved characters and `/` is
/// percent-encoded.
pub fn artifact_uri(path: &str) -> (String, Option<&'static str>) {
    let path = path.replace('\\', "/");
    let drive = path.as_bytes().get(1) == Some(&b':') && path.as_bytes()[0].is_ascii_alphabetic();
    if path.starts_with('/') || drive {
        let rooted = if drive { format!("/{path}") } else { path };
        return (format!("file://{}", encode(&rooted, drive)), None);
    }
    let mut relative = path.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest;
    }
    (encode(relative, false), Some("%SRCROOT%"))
}

/// Percent-encodes a path; keeps a Windows drive's colon (`/C:/...`) when `drive`.
fn encode(path: &str, drive: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, byte) in path.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') || (drive && i == 2 && byte == b':');
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
struct Properties {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[cfg(test)]
mod tests {
    use super::artifact_uri;

    #[test]
    fn relative_paths_stay_relative_and_absolute_ones_become_file_uris() {
        assert_eq!(artifact_uri("migrations/0001_init.sql"), ("migrations/0001_init.sql".into(), Some("%SRCROOT%")));
        assert_eq!(artifact_uri("./db/my migration#1.sql"), ("db/my%20migration%231.sql".into(), Some("%SRCROOT%")));
        assert_eq!(artifact_uri("db\\up.sql").0, "db/up.sql");
        assert_eq!(artifact_uri("../other/é.sql").0, "../other/%C3%A9.sql");
        assert_eq!(artifact_uri("/tmp/a b.sql"), ("file:///tmp/a%20b.sql".into(), None));
        assert_eq!(artifact_uri("C:\\work\\x.sql").0, "file:///C:/work/x.sql");
    }
}
