//! The output shown in the README and in docs/ is what the current `bellows` prints,
//! and the commands that the README, docs/, the rule documentation and the help texts
//! name exist, with the flags they name.
//!
//! A block of sample output is marked by the comment before it:
//!
//! ```text
//! <!-- output of: bellows ARGS [; excerpt] [; stderr] [; with FILE from the block above] -->
//! ```
//!
//! The block must equal the command's output (`excerpt`: appear in it); `stderr` reads
//! standard error instead of standard output; `with FILE ...` runs the command in a
//! temporary directory holding the previous block of the page as FILE. Paths are
//! relative to the repository. When a plan changes (and with it its fingerprint), the
//! blocks are rewritten with `BELLOWS_UPDATE_DOCS=1 cargo test --test docs_output`;
//! review the change with `git diff` before committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "<!-- output of: ";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn update() -> bool {
    std::env::var_os("BELLOWS_UPDATE_DOCS").is_some()
}

/// The pages that show output or name commands.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    for dir in ["docs", "examples"] {
        let mut pending = vec![root().join(dir)];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("a readable folder") {
                let path = entry.expect("a readable entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    pages.push(path);
                }
            }
        }
    }
    pages.sort();
    pages
}

/// A fenced block: where its content starts and ends in the page.
fn next_block(page: &str, from: usize) -> Option<(usize, usize)> {
    let open = from + page[from..].find("```")?;
    let start = open + page[open..].find('\n')? + 1;
    let end = start + page[start..].find("```")?;
    Some((start, end))
}

fn previous_block(page: &str, before: usize) -> Option<&str> {
    let close = page[..before].rfind("```")?;
    let open = page[..close].rfind("```")?;
    let start = open + page[open..].find('\n')? + 1;
    Some(&page[start..close])
}

/// Runs `bellows` with `args` (NO_COLOR, in `dir`); its standard output or error.
fn run(args: &str, dir: &Path, stderr: bool) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_bellows"))
        .args(args.split_whitespace())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("cannot run bellows {args}: {e}"));
    String::from_utf8(if stderr { output.stderr } else { output.stdout }).expect("UTF-8 output")
}

#[test]
fn sample_output_in_the_docs_is_what_bellows_prints() {
    let mut checked = 0;
    let mut stale = Vec::new();
    for path in pages() {
        let mut page = std::fs::read_to_string(&path).expect("a readable page");
        let mut at = 0;
        while let Some(found) = page[at..].find(MARKER) {
            let marker_start = at + found;
            let marker_end = marker_start + page[marker_start..].find("-->").expect("a closed marker");
            let spec: Vec<String> = page[marker_start + MARKER.len()..marker_end].split(';').map(|s| s.trim().to_string()).collect();
            let args = spec[0].strip_prefix("bellows ").expect("the marker names a bellows command");
            let excerpt = spec.iter().any(|s| s == "excerpt");
            let stderr = spec.iter().any(|s| s == "stderr");
            let file = spec.iter().find_map(|s| s.strip_prefix("with ")?.strip_suffix(" from the block above"));
            let dir = match file {
                Some(name) => {
                    let dir = std::env::temp_dir().join(format!("bellows-docs-{}-{checked}", std::process::id()));
                    std::fs::create_dir_all(&dir).expect("a temporary folder");
                    let content = previous_block(&page, marker_start).expect("a block above the marker");
                    std::fs::write(dir.join(name), content).expect("writes the file");
                    dir
                }
                None => root(),
            };
            let output = run(args, &dir, stderr);
            let (start, end) = next_block(&page, marker_end).expect("a block after the marker");
            let shown = &page[start..end];
            let current = if excerpt { output.contains(shown) } else { output == shown };
            if !current {
                if update() && !excerpt {
                    page.replace_range(start..end, &output);
                } else {
                    stale.push(format!(
                        "{}: the output of `{}` differs from the page:\n--- page\n{shown}--- bellows\n{output}",
                        path.display(),
                        spec[0]
                    ));
                }
            }
            checked += 1;
            at = marker_end;
        }
        if update() {
            std::fs::write(&path, &page).expect("writes the page");
        }
    }
    assert!(checked >= 4, "only {checked} output blocks found");
    assert!(
        stale.is_empty(),
        "{}\n\nThe pages show output that the current bellows does not print (a changed plan changes its fingerprint too). \
         Rewrite the blocks with `BELLOWS_UPDATE_DOCS=1 cargo test --test docs_output` and review `git diff`; an `excerpt` block is edited by hand.",
        stale.join("\n\n")
    );
}

/// `bellows WORD --flags` named in inline code, or at the start of a line of a code
/// block (or after `- run: ` there), with its flags (up to the end of the code).
fn mentions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        for (i, _) in line.match_indices("bellows ") {
            let inline = i > 0 && line.as_bytes()[i - 1] == b'`';
            let before = line[..i].trim();
            let command_line = in_block && (before.is_empty() || before == "- run:" || before == "$");
            if !inline && !command_line {
                continue;
            }
            let rest = &line[i..];
            let end = rest.find(['`', '|', '>', ')']).unwrap_or(rest.len());
            found.push(rest[..end].trim().to_string());
        }
    }
    found
}

#[test]
fn every_command_the_docs_and_help_texts_name_exists() {
    let commands_help = run("--help", &root(), false);
    let mut texts: Vec<(String, String)> = pages()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("a readable page")))
        .collect();
    for rule in planner::lint::RULES.iter() {
        let m = rule.meta();
        texts.push((format!("rule {}", m.code), format!("{}\n{}\n{}", m.summary, m.why, m.alternative)));
    }
    let subcommands = ["plan", "lint", "rules", "introspect"];
    for command in subcommands {
        texts.push((format!("bellows {command} --help"), run(&format!("{command} --help"), &root(), false)));
    }
    texts.push(("bellows --help".into(), commands_help.clone()));
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (source, text) in &texts {
        for mention in mentions(text) {
            let mut words = mention.split_whitespace().skip(1);
            let Some(command) = words.next() else { continue };
            if !commands_help.lines().any(|l| l.trim_start().starts_with(&format!("{command} "))) {
                wrong.push(format!("{source}: `{mention}` names the command `{command}`, which bellows does not have"));
                continue;
            }
            let help = run(&format!("{command} --help"), &root(), false);
            for flag in words.filter(|w| w.starts_with("--")) {
                let flag = flag.split(['=', '[', ']']).next().unwrap_or(flag);
                if !help.contains(flag) {
                    wrong.push(format!("{source}: `{mention}` names {flag}, which `bellows {command}` does not have"));
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} mentions of commands found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
