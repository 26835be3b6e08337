//! Renderings of lint reports: text with code frames for people, JSON (the contract
//! in DESIGN.md), SARIF for GitHub code scanning, GitHub workflow annotations, and
//! Markdown for a pull-request comment. Rule documentation for `bellows rules`.

use std::fmt::Write as _;

use codespan_reporting::diagnostic::Severity as FrameSeverity;
use planner::lint::{FileReport, RuleMeta, Severity, RULES};

use super::history::Linted;
use crate::cli::report::{render_frames, Frame};

type Reports = [(FileReport, Option<String>)];

pub fn text(reports: &Reports, color: bool) -> String {
    let mut out = String::new();
    for (report, source) in reports {
        let frames: Vec<Frame<'_>> = report
            .diagnostics
            .iter()
            .map(|d| Frame {
                severity: if d.severity == Severity::Error {
                    FrameSeverity::Error
                } else {
                    FrameSeverity::Warning
                },
                code: Some(format!("{} {}", d.rule, d.name)),
                message: d.message.clone(),
                span: d.span.clone(),
                label: String::new(),
                notes: vec![format!("help: {}", d.help)],
                path: &report.path,
            })
            .collect();
        match source {
            Some(source) => out.push_str(&render_frames(source, &frames, color)),
            None => report.diagnostics.iter().zip(&frames).for_each(|(d, f)| {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {}: {}",
                    report.path,
                    d.line,
                    d.column,
                    f.code.as_deref().unwrap_or(""),
                    f.message
                );
            }),
        }
        if let Some(note) = unknown_locks(report) {
            let _ = writeln!(out, "{note}");
        }
    }
    let (errors, warnings) = counts(reports);
    let statements: usize = reports.iter().map(|(r, _)| r.statements.len()).sum();
    let _ = writeln!(
        out,
        "{}, {}: {}, {}",
        count(reports.len(), "file"),
        count(statements, "statement"),
        count(errors, "error"),
        count(warnings, "warning")
    );
    out
}

/// `1 file`, `2 files`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A statement whose locks bellows does not know is never shown as lock-free: one note
/// per file lists them.
fn unknown_locks(report: &FileReport) -> Option<String> {
    const SHOWN: usize = 5;
    let unknown: Vec<String> = report
        .statements
        .iter()
        .filter(|s| !s.locks_known)
        .map(|s| {
            let words: Vec<&str> = s.sql.split_whitespace().take(2).collect();
            format!("line {} ({})", s.line, words.join(" "))
        })
        .collect();
    let (first, rest) = unknown.split_at(unknown.len().min(SHOWN));
    let more = if rest.is_empty() {
        String::new()
    } else {
        format!(" and {} more", rest.len())
    };
    (!first.is_empty()).then(|| {
        format!(
            "note: {}: bellows does not know what {} statement(s) lock, so they may block anything: {}{more}",
            report.path,
            unknown.len(),
            first.join(", ")
        )
    })
}

fn counts(reports: &Reports) -> (usize, usize) {
    let all = reports.iter().flat_map(|(r, _)| &r.diagnostics);
    all.fold((0, 0), |(e, w), d| if d.severity == Severity::Error { (e + 1, w) } else { (e, w + 1) })
}

/// The DESIGN.md contract, `{"files":[...]}`.
#[derive(serde::Serialize)]
struct Output<'a> {
    files: Vec<&'a FileReport>,
}

/// The JSON report indented for a person (on a terminal), written as it is serialised:
/// a long file's report is several times its size, and is never held twice in memory.
pub fn json_pretty(reports: &Reports, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let files = reports.iter().map(|(r, _)| r).collect();
    serde_json::to_writer_pretty(&mut *out, &Output { files })?;
    writeln!(out)
}

/// The compact JSON report for a program, in half the bytes, from the reports the
/// workers wrote as they went (`Linted::json`): the bytes of [`Output`] serialised.
pub fn json_written(linted: &[Linted], out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(b"{\"files\":[")?;
    for (i, file) in linted.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let written = file.json.as_deref().expect("invariant: every report was written as JSON");
        out.write_all(written)?;
    }
    out.write_all(b"]}\n")
}

/// GitHub Actions workflow commands: one annotation per finding, on the clicked line.
pub fn github(reports: &Reports) -> String {
    let mut out = String::new();
    for (report, _) in reports {
        for d in &report.diagnostics {
            let level = if d.severity == Severity::Error { "error" } else { "warning" };
            let _ = writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&report.path),
                d.line,
                d.column,
                d.end_line,
                d.end_column,
                escape_property(&format!("{} {}", d.rule, d.name)),
                escape_data(&format!("{}\nhelp: {}", d.message, d.help))
            );
        }
    }
    out
}

/// Workflow-command escaping (the runner's own rules): data escapes %, CR and LF;
/// properties also `:` and `,`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A pull-request comment: a summary table per file, then the findings.
pub fn markdown(reports: &Reports) -> String {
    let mut out = String::from("## bellows lint\n\n");
    let (errors, warnings) = counts(reports);
    let _ = writeln!(
        out,
        "{}: **{}**, {}\n",
        count(reports.len(), "file"),
        count(errors, "error"),
        count(warnings, "warning")
    );
    let _ = writeln!(
        out,
        "| file | statements | errors | warnings | rewrites | scans | locks unknown |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (report, _) in reports {
        let e = report.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        let w = report.diagnostics.len() - e;
        let rewrites = report.statements.iter().filter(|s| s.rewrite).count();
        let scans = report.statements.iter().filter(|s| s.scan).count();
        let unknown = report.statements.iter().filter(|s| !s.locks_known).count();
        let _ = writeln!(
            out,
            "| `{}` | {} | {e} | {w} | {rewrites} | {scans} | {unknown} |",
            report.path,
            report.statements.len()
        );
    }
    for (report, _) in reports.iter().filter(|(r, _)| !r.diagnostics.is_empty()) {
        let _ = writeln!(out, "\n### `{}`\n", report.path);
        for d in &report.diagnostics {
            let icon = if d.severity == Severity::Error { "error" } else { "warning" };
            let _ = writeln!(
                out,
                "- **{icon}** `{}` {} (line {}, column {}): {}  \n  _help_: {}",
                d.rule,
                d.name,
                d.line,
                d.column,
                d.message.replace('|', "\\|"),
                d.help
            );
        }
    }
    out
}

pub fn sarif(reports: &Reports) -> String {
    super::sarif::render(reports)
}

/// `bellows rules`: one line per rule.
pub fn rule_table() -> String {
    let mut out = String::new();
    for rule in RULES.iter() {
        let m = rule.meta();
        let state = if m.default_enabled { "" } else { " (off by default)" };
        let _ = writeln!(out, "{}  {:<44} {:<7} {}{state}", m.code, m.name, m.severity.name(), m.summary);
    }
    out.push_str("\n`bellows rules NAME` prints a rule's documentation.\n");
    out
}

/// `bellows rules NAME`: the rule's documentation, in its fixed sections.
pub fn rule_doc(m: &RuleMeta) -> String {
    let enabled = if m.default_enabled {
        "on by default"
    } else {
        "off by default; enable it in bellows.toml"
    };
    format!(
        "{} {}\nseverity: {} ({enabled})\n\nWhat it finds\n  {}\n\nWhy it is risky\n  {}\n\nSafe alternative\n{}\n\nSuppress one statement with `-- bellows: allow {} <reason>`, a file with `-- bellows: allow-file {} <reason>`.\n",
        m.code,
        m.name,
        m.severity.name(),
        m.summary,
        m.why,
        m.alternative.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n"),
        m.name,
        m.name
    )
}

#[cfg(test)]
mod tests {
    use planner::lint::{lint_file, LintOptions};

    use super::*;

    #[test]
    fn reports_written_by_the_workers_make_the_same_json_as_the_reports_serialised_at_once() {
        let options = LintOptions::default();
        // Findings, locks, a syntax error, escapes, an empty file, and a file that cannot be read.
        let sources = [
            "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT random();",
            "CREATE INDEX i ON t (a); -- \"quoted\" \\ text\nSELECT 'é';",
            "SELEC broken;",
            "",
        ];
        let mut reports: Vec<(FileReport, Option<String>)> = sources
            .iter()
            .enumerate()
            .map(|(i, sql)| (lint_file(&format!("m/{i:04}_x.sql"), sql, None, &options), Some(sql.to_string())))
            .collect();
        reports.push((FileReport::unreadable("m/0005_y.sql", "not UTF-8".into()), None));
        let files = reports.iter().map(|(r, _)| r).collect();
        let whole = format!("{}\n", serde_json::to_string(&Output { files }).expect("serialises"));
        let linted: Vec<Linted> = reports.iter().cloned().map(|(report, text)| Linted::new(report, text, true)).collect();
        let mut written = Vec::new();
        json_written(&linted, &mut written).expect("writes to memory");
        assert_eq!(String::from_utf8(written).expect("UTF-8"), whole);
        assert!(linted.iter().all(|l| l.report.statements.is_empty() && l.text.is_none()));
        assert_eq!(
            linted.iter().map(|l| l.report.errors()).sum::<usize>(),
            reports.iter().map(|(r, _)| r.errors()).sum::<usize>()
        );
        let mut none = Vec::new();
        json_written(&[], &mut none).expect("writes to memory");
        assert_eq!(none, b"{\"files\":[]}\n");
    }
}
