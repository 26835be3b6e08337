//! The SQL rendering of a plan: a script a person could run phase by phase, with
//! `SET lock_timeout`, transaction blocks where steps are transactional, and
//! backfills as a `DO` loop that commits every batch.

use std::fmt::Write;

use crate::locks::Cost;
use crate::plan::Plan;
use crate::step::{Backfill, Step, StepKind};

/// Renders `plan` as SQL.
pub fn render_sql(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- bellows plan for PostgreSQL {}, fingerprint {}", plan.pg_version, plan.fingerprint);
    let _ = writeln!(
        out,
        "-- Run each phase at its time. Steps marked \"outside a transaction\" must not be wrapped in BEGIN/COMMIT."
    );
    let _ = writeln!(
        out,
        "-- A statement that cannot get its lock within lock_timeout fails instead of queueing writes behind it: retry it."
    );
    for note in &plan.notes {
        let _ = writeln!(out, "-- note: {}", note.replace('\n', " "));
    }
    let _ = writeln!(out, "SET lock_timeout = '{}';", duration(plan.options.lock_timeout_ms));
    for phase in plan.phases.iter().filter(|p| !p.steps.is_empty()) {
        let _ = writeln!(out, "\n-- ===== {}: {} =====", phase.name, phase.name.promise());
        for step in &phase.steps {
            step_sql(&mut out, step);
        }
    }
    out
}

fn step_sql(out: &mut String, step: &Step) {
    let where_ = if step.transactional { "" } else { " (outside a transaction)" };
    let _ = writeln!(out, "\n-- step {}{where_}: {}", step.id, step.description);
    let locks: Vec<String> = step.locks.iter().map(|l| format!("{} on {} ({})", l.mode, l.relation, l.cost)).collect();
    if !locks.is_empty() {
        let _ = writeln!(out, "-- locks: {}", locks.join("; "));
    }
    if let Some(backfill) = &step.backfill {
        let _ = writeln!(out, "{};", backfill_loop(backfill));
        return;
    }
    if step.transactional {
        let _ = writeln!(out, "BEGIN;");
    }
    if let Some(note) = lint_note(step) {
        let _ = writeln!(out, "{note}");
    }
    for statement in &step.sql {
        let _ = writeln!(out, "{statement};");
    }
    if step.transactional {
        let _ = writeln!(out, "COMMIT;");
    }
}

/// A type change the planner knows to be binary-coercible (catalog-only): a linter
/// reading only the script cannot tell it from a rewrite, since the column's current
/// type is not in it, so the script says why it is safe, as a suppression comment.
fn lint_note(step: &Step) -> Option<String> {
    (step.kind == StepKind::AlterType && step.cost == Cost::Instant).then(|| format!("-- bellows: allow alter-column-type-rewrite {}", step.description))
}

/// A `DO` block that reads the upper bound, then runs the batches until none is left,
/// committing after each (PostgreSQL 11+ allows COMMIT in a DO block run outside a
/// transaction). The cursor starts NULL: the first batch starts at the beginning.
fn backfill_loop(backfill: &Backfill) -> String {
    let n = backfill.key.len();
    let cursor: Vec<String> = (1..=n).map(|i| format!("k{i}")).collect();
    let bound: Vec<String> = (1..=n).map(|i| format!("hi{i}")).collect();
    let declare: Vec<String> = backfill
        .key
        .iter()
        .zip(cursor.iter().zip(&bound))
        .map(|(k, (c, b))| format!("  {c} {ty};\n  {b} {ty};", ty = k.ty))
        .collect();
    format!(
        "DO $bellows$\nDECLARE\n{}\n  updated bigint;\n  seen bigint;\n  found_rows bigint;\nBEGIN\n  \
         EXECUTE $q${}$q$ INTO {};\n  GET DIAGNOSTICS found_rows = ROW_COUNT;\n  \
         WHILE found_rows > 0 LOOP\n    \
         EXECUTE $q${}$q$ INTO {}, updated, seen USING {}, {}, {};\n    GET DIAGNOSTICS found_rows = ROW_COUNT;\n    COMMIT;\n  END LOOP;\nEND\n$bellows$",
        declare.join("\n"),
        backfill.bound_sql,
        bound.join(", "),
        backfill.batch_sql,
        cursor.join(", "),
        backfill.batch_size,
        cursor.join(", "),
        bound.join(", ")
    )
}

/// A `lock_timeout` value: `1s` for whole seconds, `200ms` otherwise.
fn duration(ms: u32) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
