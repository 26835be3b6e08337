//! The Markdown rendering of a plan, for a pull-request comment: a summary, a mermaid
//! diagram of the steps and their dependencies, then each phase's steps with SQL.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::plan::Plan;

pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## bellows plan\n");
    if plan.is_empty() {
        let _ = writeln!(out, "Nothing to do: the schemas are the same.");
        return out;
    }
    let _ = writeln!(
        out,
        "PostgreSQL {} · fingerprint `{}`\n",
        plan.pg_version,
        &plan.fingerprint[..12.min(plan.fingerprint.len())]
    );
    let _ = writeln!(out, "| phase | steps | highest cost | runs |\n|---|---|---|---|");
    for phase in &plan.phases {
        let highest = phase.steps.iter().map(|s| s.cost).max().map_or("-".to_string(), |c| c.name().to_string());
        let _ = writeln!(out, "| {} | {} | {} | {} |", phase.name, phase.steps.len(), highest, phase.name.promise());
    }
    let _ = writeln!(out, "\n### Changes\n");
    for change in &plan.changes {
        let _ = writeln!(out, "- {}", escape(change));
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\n### Notes (where the plan departs from its input)\n");
        for note in &plan.notes {
            let _ = writeln!(out, "- {}", escape(note));
        }
    }
    let _ = writeln!(out, "\n```mermaid\nflowchart TD");
    let ids: BTreeMap<&str, String> = plan.steps().enumerate().map(|(i, s)| (s.id.as_str(), format!("s{}", i + 1))).collect();
    for phase in plan.phases.iter().filter(|p| !p.steps.is_empty()) {
        let _ = writeln!(out, "  subgraph {}", phase.name);
        for step in &phase.steps {
            let _ = writeln!(out, "    {}[\"{}<br/>{}\"]", ids[step.id.as_str()], mermaid_text(&step.description), step.cost);
        }
        let _ = writeln!(out, "  end");
    }
    for step in plan.steps() {
        for dependency in &step.depends_on {
            if let Some(from) = ids.get(dependency.as_str()) {
                let _ = writeln!(out, "  {from} --> {}", ids[step.id.as_str()]);
            }
        }
    }
    let _ = writeln!(out, "```");
    for phase in plan.phases.iter().filter(|p| !p.steps.is_empty()) {
        let _ = writeln!(out, "\n### {}\n", phase.name);
        for step in &phase.steps {
            let locks: Vec<String> = step.locks.iter().map(|l| format!("`{}` on `{}`", l.mode, l.relation)).collect();
            let transaction = if step.transactional { "" } else { ", outside a transaction" };
            let _ = writeln!(
                out,
                "- **{}** ({}{transaction}){}",
                escape(&step.description),
                step.cost,
                if locks.is_empty() { String::new() } else { format!(": {}", locks.join(", ")) }
            );
            for precondition in &step.preconditions {
                let _ = writeln!(out, "\n  Checked before the plan starts: no {}.", escape(&precondition.description));
            }
            let _ = writeln!(out, "\n  ```sql");
            for statement in step.statements() {
                for line in statement.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            let _ = writeln!(out, "  ```");
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}
