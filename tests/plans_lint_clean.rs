//! The invariant between the planner and the linter: every plan bellows emits for the
//! examples lints with no error-severity finding, each step run the way the plan says
//! (in its own transaction, or outside one). Both the SQL script (`--format sql`) and
//! the steps' own statements are linted: the script runs some steps inside guarded `DO`
//! blocks, which the linter does not read, so the statements are linted bare as well.

mod support;

use planner::lint::{lint_file, LintOptions, Severity};
use planner::locks::Cost;
use planner::render::render_sql;
use planner::{make_plan, Plan, PlanOptions, StepKind};

/// The steps' statements, each step in its own transaction where it is transactional.
/// A type change the planner knows to be catalog-only says so, as the script does: the
/// statements do not show the column's current type.
fn bare_statements(plan: &Plan) -> String {
    let mut out = String::new();
    for step in plan.steps() {
        let mut statements = step.sql.iter().map(|s| format!("{s};\n")).collect::<String>();
        if step.kind == StepKind::AlterType && step.cost == Cost::Instant {
            statements = format!("-- bellows: allow alter-column-type-rewrite {}\n{statements}", step.description);
        }
        if step.transactional {
            out.push_str(&format!("BEGIN;\n{statements}COMMIT;\n"));
        } else {
            out.push_str(&statements);
        }
    }
    out
}

fn error_findings(what: &str, script: &str, failures: &mut Vec<String>) {
    let report = lint_file("plan.sql", script, None, &LintOptions::default());
    for d in report.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
        let line = script.lines().nth(d.line - 1).unwrap_or("");
        failures.push(format!("{what}: {} {} at {}:{}: {}\n    {line}", d.rule, d.name, d.line, d.column, d.message));
    }
}

#[test]
fn every_example_plan_lints_clean() {
    let mut failures = Vec::new();
    let mut linted = 0;
    for dir in support::examples::scenarios() {
        let (before, after) = support::examples::before_and_after(&dir);
        let Ok(plan) = make_plan(&before, &after, PlanOptions::default()) else {
            continue;
        };
        let name = dir.display().to_string();
        error_findings(&format!("{name} (script)"), &render_sql(&plan), &mut failures);
        error_findings(&format!("{name} (statements)"), &bare_statements(&plan), &mut failures);
        linted += 1;
    }
    assert!(linted >= 15, "only {linted} plans linted");
    assert!(failures.is_empty(), "plans with error-severity findings:\n{}", failures.join("\n"));
}
