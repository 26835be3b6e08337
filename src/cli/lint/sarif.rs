//! SARIF 2.1.0 output for GitHub code scanning.

use planner::lint::FileReport;

/// Renders the reports as a SARIF 2.1.0 log (filled in by the SARIF work; for now the
/// minimal valid log with results).
pub fn render(reports: &[(FileReport, Option<String>)]) -> String {
    let results: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|(r, _)| {
            r.diagnostics.iter().map(move |d| {
                serde_json::json!({
                    "ruleId": d.rule,
                    "level": d.severity.name(),
                    "message": { "text": d.message },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": r.path }, "region": { "startLine": d.line, "startColumn": d.column } } }]
                })
            })
        })
        .collect();
    let log = serde_json::json!({ "version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [{ "tool": { "driver": { "name": "bellows" } }, "results": results }] });
    format!("{}\n", serde_json::to_string_pretty(&log).expect("invariant: SARIF serialises"))
}
