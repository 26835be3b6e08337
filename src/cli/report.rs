//! Rendering located problems (a file, a span, a message, a help line) as code frames,
//! with colour only on a terminal and never when `NO_COLOR` is set.

use std::io::IsTerminal;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use planner::SourceError;

/// True when output to this stream should be coloured.
pub fn use_color(is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    is_terminal && !no_color && !dumb
}

pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

pub fn stdout_color() -> bool {
    use_color(std::io::stdout().is_terminal())
}

/// One problem to show: where, how bad, what, and what to do.
pub struct Frame<'a> {
    pub severity: Severity,
    pub code: Option<String>,
    pub message: String,
    pub span: std::ops::Range<usize>,
    pub label: String,
    pub notes: Vec<String>,
    pub path: &'a str,
}

/// Renders frames over `source` as text with code excerpts.
pub fn render_frames(source: &str, frames: &[Frame<'_>], color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut buffer = if color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    let config = term::Config::default();
    // One file per path: adding a file indexes its lines, which must not happen per frame.
    let mut ids: Vec<(&str, usize)> = Vec::new();
    for frame in frames {
        let file = match ids.iter().find(|(path, _)| *path == frame.path) {
            Some(&(_, id)) => id,
            None => {
                let id = files.add(frame.path, source);
                ids.push((frame.path, id));
                id
            }
        };
        let span = clamp(source, frame.span.clone());
        let mut diagnostic = Diagnostic::new(frame.severity)
            .with_message(&frame.message)
            .with_labels(vec![Label::primary(file, span).with_message(&frame.label)]);
        if let Some(code) = &frame.code {
            diagnostic = diagnostic.with_code(code);
        }
        diagnostic = diagnostic.with_notes(frame.notes.clone());
        if term::emit(&mut buffer, &config, &files, &diagnostic).is_err() {
            return frames.iter().map(|f| format!("{}: {}\n", f.path, f.message)).collect();
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Renders schema-file errors: `file:line:column`, the message, a code frame, and help.
pub fn render_source_errors(source: &str, errors: &[SourceError], color: bool) -> String {
    let frames: Vec<Frame<'_>> = errors
        .iter()
        .map(|e| Frame {
            severity: Severity::Error,
            code: None,
            message: format!("{}:{}:{}: {}", e.path, e.line, e.column, e.message),
            span: e.span.clone(),
            label: String::new(),
            notes: e.help.iter().map(|h| format!("help: {h}")).collect(),
            path: &e.path,
        })
        .collect();
    render_frames(source, &frames, color)
}

/// Keeps a span inside the text and on character boundaries.
fn clamp(source: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let mut start = span.start.min(source.len());
    let mut end = span.end.clamp(start, source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
