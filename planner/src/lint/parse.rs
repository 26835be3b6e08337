//! Splitting a migration into statements and parsing each with pg_query, keeping the
//! exact byte span of every statement. A statement that does not parse becomes a
//! syntax problem at its position; the statements after it are still parsed.

use std::ops::Range;
use std::sync::mpsc;

use pg_query::protobuf::Token;
use pg_query::NodeEnum;
use rayon::prelude::*;

use crate::sql::parse_failure;

/// Deeper nesting than this is refused before parsing: the parser's stack and the
/// protobuf decoder both have limits, and no migration needs it.
pub const MAX_NESTING: usize = 400;

/// One statement of a unit.
#[derive(Debug)]
pub struct Parsed {
    /// From the first token to the end of the statement (without its `;`).
    pub span: Range<usize>,
    pub result: Result<NodeEnum, Problem>,
}

/// Why a statement could not be analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// PostgreSQL's parser rejects it; `offset` is where, in the file.
    Syntax { message: String, offset: usize },
    /// Nested deeper than the parser or its decoder can take.
    TooDeep,
}

/// Units longer than twice this are cut into pieces of about this size, parsed on all
/// cores.
pub const CHUNK: usize = 64 * 1024;

/// Parses `text[range]` statement by statement, the pieces of a long unit (a schema
/// dump, many migrations in one file) on all cores; the statements come back in order.
pub fn parse_statements(text: &str, range: Range<usize>) -> Vec<Parsed> {
    pieces(text, range, CHUNK)
        .into_par_iter()
        .flat_map_iter(|piece| parse_range(text, piece))
        .collect()
}

/// `text[range]` cut at statement boundaries into pieces that parse on their own: the
/// whole range when it is shorter than `2 * chunk`, otherwise cut before the first
/// statement that starts `chunk` bytes or more after the previous cut.
pub fn pieces(text: &str, range: Range<usize>, chunk: usize) -> Vec<Range<usize>> {
    let unit = &text[range.clone()];
    // `BEGIN ATOMIC` bodies hold `;`s that the scanner-based split would cut.
    let atomic = || unit.as_bytes().windows(6).any(|w| w.eq_ignore_ascii_case(b"atomic"));
    if unit.len() <= 2 * chunk || atomic() {
        return vec![range];
    }
    let mut bounds = vec![0];
    for piece in split(unit) {
        if piece.start - bounds[bounds.len() - 1] >= chunk {
            bounds.push(piece.start);
        }
    }
    bounds.push(unit.len());
    bounds.windows(2).map(|w| range.start + w[0]..range.start + w[1]).collect()
}

/// Results each parse thread may have waiting for `check`: enough to keep the threads
/// busy, few enough that the syntax trees of a long file are never all in memory.
const AHEAD: usize = 2;

/// Parses `pieces` of `text` and hands each one's statements to `check`, in order. With
/// more than one thread the pieces are parsed on `threads` threads while `check` runs on
/// the calling one; every parse thread also frees the trees it built once `check` is
/// done with them (memory freed by another thread is reused late, and more of it is
/// touched).
pub fn parse_in_order(text: &str, pieces: &[Range<usize>], threads: usize, mut check: impl FnMut(usize, &[Parsed])) {
    let threads = threads.min(pieces.len());
    if threads < 2 {
        for (at, piece) in pieces.iter().enumerate() {
            check(at, &parse_range(text, piece.clone()));
        }
        return;
    }
    std::thread::scope(|scope| {
        let mut parsed = Vec::with_capacity(threads);
        let mut done = Vec::with_capacity(threads);
        for thread in 0..threads {
            let (parsed_tx, parsed_rx) = mpsc::sync_channel::<Vec<Parsed>>(AHEAD);
            let (done_tx, done_rx) = mpsc::channel::<Vec<Parsed>>();
            parsed.push(parsed_rx);
            done.push(done_tx);
            scope.spawn(move || {
                // Thread `thread` parses every `threads`-th piece, so each channel is in order.
                for piece in pieces.iter().skip(thread).step_by(threads) {
                    done_rx.try_iter().for_each(drop);
                    if parsed_tx.send(parse_range(text, piece.clone())).is_err() {
                        break;
                    }
                }
                drop(parsed_tx);
                // Until the checker hangs up.
                done_rx.iter().for_each(drop);
            });
        }
        for at in 0..pieces.len() {
            let thread = at % threads;
            let statements = parsed[thread].recv().expect("invariant: a parse thread sends every piece it is given");
            check(at, &statements);
            // The thread is gone only if it panicked, which the scope reports.
            let _ = done[thread].send(statements);
        }
        drop(done);
    });
}

/// Parses `text[range]`, which holds whole statements; a statement that does not parse
/// is a problem at its position, and the statements around it are still parsed.
pub fn parse_range(text: &str, range: Range<usize>) -> Vec<Parsed> {
    let unit = &text[range.clone()];
    let base = range.start;
    if nesting_depth(unit) > MAX_NESTING {
        let start = base + skip_trivia(unit, 0);
        return vec![Parsed {
            span: start..range.end,
            result: Err(Problem::TooDeep),
        }];
    }
    match pg_query::parse(unit, 0) {
        Ok(parsed) => parsed
            .protobuf
            .stmts
            .into_iter()
            .filter_map(|raw| {
                let start = usize::try_from(raw.stmt_location).ok()?;
                let len = usize::try_from(raw.stmt_len)
                    .ok()
                    .filter(|&l| l > 0)
                    .unwrap_or(unit.len() - start.min(unit.len()));
                let node = raw.stmt?.node?;
                let span = trimmed_span(unit, start, (start + len).min(unit.len()));
                Some(Parsed {
                    span: base + span.start..base + span.end,
                    result: Ok(node),
                })
            })
            .collect(),
        Err(_) => split(unit).into_iter().map(|piece| parse_one(unit, base, piece)).collect(),
    }
}

fn parse_one(unit: &str, base: usize, piece: Range<usize>) -> Parsed {
    let text = &unit[piece.clone()];
    let span = base + piece.start..base + piece.end;
    let result = match pg_query::parse(text, 0) {
        Ok(parsed) => match parsed.protobuf.stmts.into_iter().next().and_then(|s| s.stmt).and_then(|s| s.node) {
            Some(node) => Ok(node),
            None => Err(Problem::Syntax {
                message: "empty statement".into(),
                offset: span.start,
            }),
        },
        Err(pg_query::Error::Decode(_)) => Err(Problem::TooDeep),
        Err(error) => {
            let failure = parse_failure(text);
            let message = failure.as_ref().map_or_else(|| error.to_string(), |f| f.message.clone());
            let offset = span.start + failure.and_then(|f| f.offset).unwrap_or(0);
            Err(Problem::Syntax { message, offset })
        }
    };
    Parsed { span, result }
}

/// Splits at top-level `;` tokens, using PostgreSQL's own scanner so that strings,
/// comments and dollar quotes are respected. Unscannable text stays one piece.
fn split(unit: &str) -> Vec<Range<usize>> {
    let Ok(tokens) = pg_query::scan_tokens(unit) else {
        let start = skip_trivia(unit, 0);
        return if start < unit.len() {
            std::iter::once(start..unit.len()).collect()
        } else {
            Vec::new()
        };
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    for token in &tokens {
        let kind = Token::try_from(token.token).unwrap_or(Token::Nul);
        match kind {
            Token::Ascii40 => depth += 1,
            Token::Ascii41 => depth -= 1,
            Token::Ascii59 if depth <= 0 => {
                let end = usize::try_from(token.start).unwrap_or(0);
                push_piece(unit, &mut pieces, start, end);
                start = usize::try_from(token.end).unwrap_or(end);
                depth = 0;
            }
            _ => {}
        }
    }
    push_piece(unit, &mut pieces, start, unit.len());
    pieces
}

fn push_piece(unit: &str, pieces: &mut Vec<Range<usize>>, start: usize, end: usize) {
    let span = trimmed_span(unit, start, end);
    if !span.is_empty() {
        pieces.push(span);
    }
}

/// The span without leading whitespace and comments, and without trailing whitespace.
fn trimmed_span(unit: &str, start: usize, end: usize) -> Range<usize> {
    let start = skip_trivia(unit, start).min(end);
    let end = start + unit[start..end].trim_end().len();
    start..end
}

/// Skips whitespace, `--` comments and (nested) `/* */` comments from `at`.
pub fn skip_trivia(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at..].starts_with(b"--") {
            at = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        } else if bytes[at..].starts_with(b"/*") {
            let mut depth = 0;
            while at < bytes.len() {
                if bytes[at..].starts_with(b"/*") {
                    depth += 1;
                    at += 2;
                } else if bytes[at..].starts_with(b"*/") {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    at += 1;
                }
            }
        } else {
            return at.min(text.len());
        }
    }
}

/// The deepest parenthesis nesting, roughly (quotes are not tracked: this is only a
/// guard against pathological input, far above anything real).
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for byte in text.bytes() {
        match byte {
            b'(' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_unit_parsed_in_chunks_gives_the_statements_of_a_whole_parse() {
        let one = "CREATE TABLE t (a int, s text DEFAULT 'x;y');\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nALTER TABLE t ADD COLUM b int;\n-- a comment; with a semicolon\nCREATE INDEX i ON t (a);\n";
        let text = one.repeat(2 * CHUNK / one.len() + 100);
        let chunked = parse_statements(&text, 0..text.len());
        assert!(pieces(&text, 0..text.len(), CHUNK).len() > 2);
        let whole = parse_range(&text, 0..text.len());
        assert_eq!(chunked.len(), whole.len());
        assert_eq!(chunked.len(), 4 * (2 * CHUNK / one.len() + 100));
        for (a, b) in chunked.iter().zip(&whole) {
            assert_eq!((&a.span, a.result.is_ok()), (&b.span, b.result.is_ok()));
        }
        assert!(chunked.iter().any(|p| matches!(p.result, Err(Problem::Syntax { .. }))));
    }

    fn spans(text: &str) -> Vec<(&str, bool)> {
        parse_statements(text, 0..text.len())
            .into_iter()
            .map(|p| (&text[p.span.clone()], p.result.is_ok()))
            .collect()
    }

    #[test]
    fn spans_start_at_the_first_token() {
        let text = "-- comment\nCREATE TABLE t (a int);\n\n/* x */ ALTER TABLE t ADD b int;";
        assert_eq!(spans(text), [("CREATE TABLE t (a int)", true), ("ALTER TABLE t ADD b int", true)]);
    }

    #[test]
    fn a_syntax_error_does_not_stop_the_rest() {
        let text = "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN;\nCREATE INDEX i ON t (a);";
        let parsed = parse_statements(text, 0..text.len());
        assert_eq!(parsed.len(), 3);
        assert!(parsed[0].result.is_ok() && parsed[2].result.is_ok());
        match &parsed[1].result {
            Err(Problem::Syntax { offset, .. }) => assert_eq!(&text[*offset..*offset + 1], ";"),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn semicolons_in_strings_and_bodies_do_not_split() {
        let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nSELECT ';' ; BROKEN x;";
        let parsed = parse_statements(text, 0..text.len());
        assert_eq!(parsed.len(), 3);
        assert!(parsed[0].result.is_ok() && parsed[1].result.is_ok() && parsed[2].result.is_err());
    }

    #[test]
    fn absurd_nesting_is_refused_without_crashing() {
        let text = format!("SELECT {}1{};", "(".repeat(100_000), ")".repeat(100_000));
        let parsed = parse_statements(&text, 0..text.len());
        assert_eq!(parsed[0].result, Err(Problem::TooDeep));
    }
}
