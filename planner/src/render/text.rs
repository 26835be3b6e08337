//! The terminal rendering of a plan: grouped by phase, each step with its
//! description, locks, cost and SQL; coloured when asked.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::locks::Cost;
use crate::plan::Plan;
use crate::step::Step;

/// Styles, or none when colour is off.
struct Palette {
    on: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }

    fn cost(&self, cost: Cost) -> String {
        let color = match cost {
            Cost::Instant => AnsiColor::Green,
            Cost::Batched => AnsiColor::Cyan,
            Cost::Scan => AnsiColor::Yellow,
            Cost::Rewrite => AnsiColor::Red,
        };
        self.paint(Style::new().fg_color(Some(color.into())).bold(), cost.name())
    }
}

/// Renders `plan` for a terminal; `color` adds ANSI styles.
pub fn render_text(plan: &Plan, color: bool) -> String {
    let p = Palette { on: color };
    let mut out = String::new();
    let total = plan.steps().count();
    if total == 0 {
        let _ = writeln!(out, "{}", p.bold("Nothing to do: the schemas are the same."));
        return out;
    }
    let counts: Vec<String> = plan.phases.iter().map(|ph| format!("{} {}", ph.steps.len(), ph.name)).collect();
    let _ = writeln!(
        out,
        "{} ({}), for PostgreSQL {}",
        p.bold(&format!("Plan: {total} step{}", if total == 1 { "" } else { "s" })),
        counts.join(", "),
        plan.pg_version
    );
    let _ = writeln!(out, "{}", p.dim(&format!("fingerprint {}", plan.fingerprint)));
    let _ = writeln!(out, "\n{}", p.bold("Changes"));
    for change in &plan.changes {
        let _ = writeln!(out, "  - {change}");
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Notes (where the plan departs from its input)"));
        for note in &plan.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    let mut number = 0;
    for phase in plan.phases.iter().filter(|ph| !ph.steps.is_empty()) {
        let _ = writeln!(
            out,
            "\n{} {}",
            p.bold(&phase.name.name().to_uppercase()),
            p.dim(&format!("({})", phase.name.promise()))
        );
        for step in &phase.steps {
            number += 1;
            step_text(&mut out, &p, number, step);
        }
    }
    out
}

fn step_text(out: &mut String, p: &Palette, number: usize, step: &Step) {
    let _ = writeln!(out, "\n  {}. {} {}", number, p.bold(&step.description), p.dim(&format!("[{}]", step.id)));
    let mut facts = vec![format!("cost {}", p.cost(step.cost))];
    if !step.transactional {
        facts.push("outside a transaction".into());
    }
    if !step.depends_on.is_empty() {
        facts.push(format!("after {}", step.depends_on.join(", ")));
    }
    let _ = writeln!(out, "     {}", facts.join(" · "));
    for lock in &step.locks {
        let blocks = if lock.mode.blocks_reads() {
            "blocks reads and writes"
        } else if lock.mode.blocks_writes() {
            "blocks writes"
        } else {
            "reads and writes go on"
        };
        let _ = writeln!(out, "     lock {} on {} ({}, {blocks})", lock.mode, lock.relation, p.cost(lock.cost));
    }
    for precondition in &step.preconditions {
        let _ = writeln!(out, "     checked before the plan starts: no {}", precondition.description);
    }
    for statement in step.statements() {
        for (i, line) in statement.lines().enumerate() {
            let prefix = if i == 0 { "     > " } else { "       " };
            let _ = writeln!(out, "{}{}", p.dim(prefix), line);
        }
    }
}
