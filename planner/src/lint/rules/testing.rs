//! Test helpers for rules: lint a snippet, assert a rule fires or not, render findings
//! for a snapshot.

use crate::lint::{lint_file, Diagnostic, LintOptions, RuleSelection};

/// Lints `sql` as a plain file (statements run one by one) with default options.
pub fn lint(sql: &str) -> Vec<Diagnostic> {
    lint_file("migration.sql", sql, None, &LintOptions::default()).diagnostics
}

/// Lints `sql` as a migration its tool wraps in a transaction.
pub fn lint_in_transaction(sql: &str) -> Vec<Diagnostic> {
    let options = LintOptions {
        assume_in_transaction: Some(true),
        ..LintOptions::default()
    };
    lint_file("migration.sql", sql, None, &options).diagnostics
}

pub fn fired(diagnostics: &[Diagnostic], code: &str) -> usize {
    diagnostics.iter().filter(|d| d.rule == code).count()
}

#[track_caller]
pub fn assert_fires(code: &str, sql: &str) {
    let found = lint(sql);
    assert!(fired(&found, code) > 0, "{code} should fire on:\n{sql}\nfound: {found:#?}");
}

#[track_caller]
pub fn assert_clean(code: &str, sql: &str) {
    let found = lint(sql);
    assert_eq!(fired(&found, code), 0, "{code} should not fire on:\n{sql}\nfound: {found:#?}");
}

/// The findings as a snapshot shows them: position, code, name, severity, message, help.
pub fn render(sql: &str) -> String {
    render_diagnostics(sql, &lint(sql))
}

pub fn render_diagnostics(sql: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let line = sql.lines().nth(d.line - 1).unwrap_or("");
        let width = if d.line == d.end_line {
            d.end_column.saturating_sub(d.column).max(1)
        } else {
            1
        };
        out.push_str(&format!(
            "{}:{}: {} {} [{}] {}\n  | {line}\n  | {}{}\n  = help: {}\n",
            d.line,
            d.column,
            d.severity.name(),
            d.rule,
            d.name,
            d.message,
            " ".repeat(d.column - 1),
            "^".repeat(width),
            d.help
        ));
    }
    out
}

/// Lints `sql` with the off-by-default rule `code` enabled; only its findings.
pub fn lint_enabled(code: &'static str, sql: &str) -> Vec<Diagnostic> {
    let options = LintOptions {
        rules: RuleSelection {
            enabled: [code].into(),
            ..RuleSelection::default()
        },
        ..LintOptions::default()
    };
    lint_file("migration.sql", sql, None, &options)
        .diagnostics
        .into_iter()
        .filter(|d| d.rule == code)
        .collect()
}

pub fn render_enabled(code: &'static str, sql: &str) -> String {
    render_diagnostics(sql, &lint_enabled(code, sql))
}
