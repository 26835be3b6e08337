//! The table a failing lock-facts test prints: one row per disagreement of one major, with the case and both sides.

use planner::locks::PgVersion;

use super::cases::CASES;

/// One disagreement (or stale exception) of one case.
pub struct Row {
    /// Index into [`CASES`].
    pub case: usize,
    /// Which comparison: `lock on public.t`, `rewrite`, `scan`, `statement`, `exception ...`.
    pub what: String,
    pub postgres: String,
    pub classifier: String,
}

/// The rows of PostgreSQL `pg` as an aligned table under a heading.
pub fn report(rows: &[Row], pg: PgVersion) -> String {
    let header = ["case", "fact", "PostgreSQL", "classifier"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                format!("#{} {}", r.case, CASES[r.case].sql),
                r.what.clone(),
                r.postgres.clone(),
                r.classifier.clone(),
            ]
        })
        .collect();
    let width = |i: usize| cells.iter().map(|c| c[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0).min(90);
    let widths = [width(0), width(1), width(2), width(3)];
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join(" | ").trim_end().to_string()
    };
    let mut out = format!(
        "{} disagreements between PostgreSQL {pg} and the lock-facts table (fix the table, not the test):\n",
        rows.len()
    );
    out.push_str(&line(header));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
    out.push('\n');
    for c in &cells {
        out.push_str(&line([&c[0], &c[1], &c[2], &c[3]]));
        out.push('\n');
    }
    out
}
