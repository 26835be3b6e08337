//! The invariant between the planner and the linter: every plan bellows emits for the
//! examples lints with no error-severity finding, each step run the way the plan says
//! (in its own transaction, or outside one).

mod support;

use planner::lint::{lint_file, LintOptions, Severity};
use planner::render::render_sql;
use planner::{make_plan, PlanOptions};

#[test]
fn every_example_plan_lints_clean() {
    let mut failures = Vec::new();
    let mut linted = 0;
    for dir in support::examples::scenarios() {
        let (before, after) = support::examples::before_and_after(&dir);
        let Ok(plan) = make_plan(&before, &after, PlanOptions::default()) else {
            continue;
        };
        let script = render_sql(&plan);
        let report = lint_file("plan.sql", &script, None, &LintOptions::default());
        linted += 1;
        for d in report.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let line = script.lines().nth(d.line - 1).unwrap_or("");
            failures.push(format!(
                "{}: {} {} at {}:{}: {}\n    {line}",
                dir.display(),
                d.rule,
                d.name,
                d.line,
                d.column,
                d.message
            ));
        }
    }
    assert!(linted >= 15, "only {linted} plans linted");
    assert!(failures.is_empty(), "plans with error-severity findings:\n{}", failures.join("\n"));
}
