//! The SQL rendering of a plan: a script a person could run phase by phase, with
//! `SET lock_timeout`, transaction blocks where steps are transactional, and
//! backfills as a `DO` loop that commits every batch.
//!
//! The script has no state of its own, so it is written to be run again: the
//! preconditions of every step are checked first, before anything changes; each
//! statement is idempotent (`IF NOT EXISTS`, `IF EXISTS`) or its step is guarded by a
//! condition over the catalog (`Step::guard`); and an INVALID index left by a failed
//! concurrent build is dropped before the build is tried again.

use std::fmt::Write;

use crate::locks::Cost;
use crate::model::quote_literal;
use crate::plan::Plan;
use crate::step::{Backfill, DbObject, Precondition, Step, StepKind};

/// Renders `plan` as SQL.
pub fn render_sql(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- bellows plan for PostgreSQL {}, fingerprint {}", plan.pg_version, plan.fingerprint);
    let _ = writeln!(
        out,
        "-- Run it with `psql -v ON_ERROR_STOP=1 -f FILE`, so that it stops at the first error. Every statement is safe to run\n\
         -- again: after a failure, fix the cause and run the script again; what is done already is skipped."
    );
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
    let checks: Vec<(&Step, &Precondition)> = plan.steps().flat_map(|s| s.preconditions.iter().map(move |p| (s, p))).collect();
    if !checks.is_empty() {
        let _ = writeln!(
            out,
            "\n-- ===== preconditions: the rows that would make a step fail, counted before anything changes ====="
        );
        for (step, precondition) in checks {
            let _ = writeln!(out, "\n-- before step {}: no {}", step.id, precondition.description);
            let _ = writeln!(out, "{};", precondition_block(step, precondition));
        }
    }
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
        let _ = writeln!(out, "{};", backfill_loop(step, backfill));
        return;
    }
    if step.kind == StepKind::CreateIndexConcurrently {
        for object in &step.creates {
            if let DbObject::Index { name } = object {
                let _ = writeln!(out, "{};", drop_invalid_index(&name.sql()));
            }
        }
    }
    if step.transactional {
        let _ = writeln!(out, "BEGIN;");
    }
    if let Some(note) = lint_note(step) {
        let _ = writeln!(out, "{note}");
    }
    match (&step.guard, step.transactional) {
        (Some(guard), true) => {
            let _ = writeln!(out, "{};", guarded(step, guard));
        }
        _ => {
            // A step outside a transaction has no guard (a concurrent build cannot run
            // in a DO block): its statements are idempotent themselves.
            for statement in &step.sql {
                let _ = writeln!(out, "{statement};");
            }
        }
    }
    if step.transactional {
        let _ = writeln!(out, "COMMIT;");
    }
}

/// A dollar-quote tag that does not occur in `body`.
fn tag(base: &str, body: &str) -> String {
    let mut tag = format!("${base}$");
    let mut n = 1;
    while body.contains(&tag) {
        tag = format!("${base}{n}$");
        n += 1;
    }
    tag
}

/// The step's statements in a `DO` block that runs them only while its guard holds.
fn guarded(step: &Step, guard: &str) -> String {
    let mut body = format!("BEGIN\n  IF {guard} THEN\n");
    for statement in &step.sql {
        let _ = writeln!(body, "    {};", statement.replace('\n', "\n    "));
    }
    let _ = write!(
        body,
        "  ELSE\n    RAISE NOTICE 'bellows: step % is done already: skipped', {};\n  END IF;\nEND",
        quote_literal(&step.id)
    );
    let q = tag("bellows", &body);
    format!("DO {q}\n{body}\n{q}")
}

/// Drops an INVALID index of this name, left by a concurrent build that failed or was
/// interrupted, so that the build can run again. `DROP INDEX CONCURRENTLY` cannot run in
/// a `DO` block: the plain `DROP INDEX` takes ACCESS EXCLUSIVE on the table for an
/// instant, under the script's lock_timeout.
fn drop_invalid_index(index: &str) -> String {
    let name = quote_literal(index);
    let body = format!(
        "BEGIN\n  IF EXISTS (SELECT FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({name}) AND NOT indisvalid) THEN\n    \
         RAISE NOTICE 'bellows: dropping the INVALID index % left by an earlier build', {name};\n    DROP INDEX {index};\n  END IF;\nEND"
    );
    let q = tag("bellows", &body);
    format!("DO {q}\n{body}\n{q}")
}

/// Counts the rows that would make `step` fail, and stops the script before anything
/// changes if there are any. Run again after the plan has gone past the schema the
/// query reads (a renamed column dropped in contract), the query cannot be evaluated
/// any more: it is skipped with a notice, and the step itself still refuses bad rows.
fn precondition_block(step: &Step, precondition: &Precondition) -> String {
    let query_tag = tag("q", &precondition.sql);
    let description = quote_literal(&precondition.description);
    let body = format!(
        "DECLARE\n  violating bigint;\nBEGIN\n  BEGIN\n    EXECUTE {query_tag}{sql}{query_tag} INTO violating;\n  \
         EXCEPTION WHEN undefined_column OR undefined_table OR undefined_function THEN\n    \
         RAISE NOTICE 'bellows: precondition not checked, the schema it reads is gone (the plan has run past it): %', {description};\n    \
         RETURN;\n  END;\n  IF violating > 0 THEN\n    \
         RAISE EXCEPTION 'bellows: % (found %); nothing was changed', {description}, violating\n      \
         USING HINT = {hint};\n  END IF;\nEND",
        sql = precondition.sql,
        hint = quote_literal(&format!("step {} would fail on these rows: correct them, then run the script again", step.id)),
    );
    let q = tag("bellows", &body);
    format!("DO {q}\n{body}\n{q}")
}

/// What a linter reading only the script cannot know, said as a suppression comment: a
/// type change the planner knows to be binary-coercible (the column's current type is
/// not in the script), and a `SET NOT NULL` proven by a check validated by an earlier
/// step (the check is added inside a guarded `DO` block, which a linter does not read).
fn lint_note(step: &Step) -> Option<String> {
    let rule = match step.kind {
        StepKind::AlterType => "alter-column-type-rewrite",
        StepKind::SetNotNull => "set-not-null-scan",
        _ => return None,
    };
    (step.cost == Cost::Instant).then(|| format!("-- bellows: allow {rule} {}", step.description))
}

/// A `DO` block that reads the upper bound, then runs the batches until none is left,
/// committing after each (PostgreSQL 11+ allows COMMIT in a DO block run outside a
/// transaction). The cursor starts NULL: the first batch starts at the beginning. A
/// guarded backfill returns at once when its guard is false.
fn backfill_loop(step: &Step, backfill: &Backfill) -> String {
    let n = backfill.key.len();
    let cursor: Vec<String> = (1..=n).map(|i| format!("k{i}")).collect();
    let bound: Vec<String> = (1..=n).map(|i| format!("hi{i}")).collect();
    let declare: Vec<String> = backfill
        .key
        .iter()
        .zip(cursor.iter().zip(&bound))
        .map(|(k, (c, b))| format!("  {c} {ty};\n  {b} {ty};", ty = k.ty))
        .collect();
    let skip = step.guard.as_ref().map_or_else(String::new, |guard| {
        format!(
            "  IF NOT ({guard}) THEN\n    RAISE NOTICE 'bellows: step % is done already: skipped', {};\n    RETURN;\n  END IF;\n",
            quote_literal(&step.id)
        )
    });
    let q = tag("q", &format!("{}{}", backfill.bound_sql, backfill.batch_sql));
    // The executor's settings of a batch's transaction, until its COMMIT.
    let settings: Vec<String> = Backfill::PLANNER_OFF.iter().map(|s| format!("set_config('{s}', 'off', true)")).collect();
    let planner = format!("PERFORM {};", settings.join(", "));
    let body = format!(
        "DECLARE\n{}\n  updated bigint;\n  seen bigint;\n  found_rows bigint;\nBEGIN\n{skip}  \
         EXECUTE {q}{}{q} INTO {};\n  GET DIAGNOSTICS found_rows = ROW_COUNT;\n  \
         WHILE found_rows > 0 LOOP\n    {planner}\n    \
         EXECUTE {q}{}{q} INTO {}, updated, seen USING {}, {}, {};\n    GET DIAGNOSTICS found_rows = ROW_COUNT;\n    COMMIT;\n  END LOOP;\nEND",
        declare.join("\n"),
        backfill.bound_sql,
        bound.join(", "),
        backfill.batch_sql,
        cursor.join(", "),
        backfill.batch_size,
        cursor.join(", "),
        bound.join(", ")
    );
    let outer = tag("bellows", &body);
    format!("DO {outer}\n{body}\n{outer}")
}

/// A `lock_timeout` value: `1s` for whole seconds, `200ms` otherwise.
fn duration(ms: u32) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
