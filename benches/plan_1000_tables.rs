//! Benchmark: `bellows plan` on a generated 1,000-table schema, adding one column to
//! every table. Prints the time of each stage (load, plan, render) and of the whole
//! command run as a process. Run with `cargo bench --bench plan_1000_tables`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use planner::render::{render_json, render_text};
use planner::{load_schema, make_plan, PlanOptions};

const TABLES: usize = 1000;
const RUNS: usize = 15;

/// A schema of `TABLES` tables, each with a primary key, six columns, an index and a
/// foreign key to the previous table; `with_new_column` adds one nullable column each.
fn schema(with_new_column: bool) -> String {
    let mut out = String::new();
    for i in 0..TABLES {
        let _ = writeln!(out, "[tables.table_{i:04}]\nprimary_key = [\"id\"]\ncolumns = [");
        let _ = writeln!(out, "  {{ name = \"id\", type = \"bigint\", nullable = false, identity = \"always\" }},");
        let _ = writeln!(out, "  {{ name = \"parent_id\", type = \"bigint\" }},");
        let _ = writeln!(out, "  {{ name = \"name\", type = \"text\", nullable = false }},");
        let _ = writeln!(out, "  {{ name = \"amount\", type = \"numeric(12,2)\", default = \"0\" }},");
        let _ = writeln!(
            out,
            "  {{ name = \"created_at\", type = \"timestamptz\", nullable = false, default = \"now()\" }},"
        );
        if with_new_column {
            let _ = writeln!(out, "  {{ name = \"note\", type = \"text\" }},");
        }
        let _ = writeln!(out, "]\nindexes = [ {{ name = \"table_{i:04}_name_idx\", columns = [\"name\"] }} ]");
        if i > 0 {
            let _ = writeln!(
                out,
                "foreign_keys = [ {{ name = \"table_{i:04}_parent_fk\", columns = [\"parent_id\"], references = \"table_{:04}\" }} ]",
                i - 1
            );
        }
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let before = schema(false);
    let after = schema(true);
    let (mut load, mut plan, mut render, mut total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut steps = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let current = load_schema("before.toml", &before).expect("generated schema loads");
        let desired = load_schema("after.toml", &after).expect("generated schema loads");
        let loaded = Instant::now();
        let p = make_plan(&current, &desired, PlanOptions::default()).expect("plans");
        let planned = Instant::now();
        let text = render_text(&p, false);
        let json = render_json(&p);
        let rendered = Instant::now();
        assert!(!text.is_empty() && !json.is_empty());
        steps = p.steps().count();
        load.push(loaded - start);
        plan.push(planned - loaded);
        render.push(rendered - planned);
        total.push(rendered - start);
    }
    println!(
        "plan_1000_tables: {TABLES} tables, {} + {} bytes of schema.toml, {steps} steps, median of {RUNS} runs",
        before.len(),
        after.len()
    );
    println!("  load both files   {}", ms(median(load)));
    println!("  diff + plan       {}", ms(median(plan)));
    println!("  render text+json  {}", ms(median(render)));
    println!("  in-process total  {}", ms(median(total)));
    command(&before, &after);
}

/// Times the built `bellows` binary end to end (process start, file reads, output).
fn command(before: &str, after: &str) {
    let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/bellows");
    if !exe.exists() {
        println!("  command           (skipped: build target/release/bellows first)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("bellows-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("before.toml"), before).expect("write");
    std::fs::write(dir.join("after.toml"), after).expect("write");
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let output = std::process::Command::new(&exe)
            .args(["plan", "--from", "before.toml", "--to", "after.toml", "--format", "json"])
            .current_dir(&dir)
            .output()
            .expect("bellows runs");
        samples.push(start.elapsed());
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("  `bellows plan --format json` as a process: {} (median of {RUNS})", ms(median(samples)));
}
