//! Splitting a migration into statements and parsing each with pg_query, keeping the
//! exact byte span of every statement. A statement that does not parse becomes a
//! syntax problem at its position; the statements after it are still parsed.

use std::ops::Range;
use std::sync::mpsc;

use pg_query::protobuf::Token;
use pg_query::NodeEnum;

use super::split::{pieces, skip_trivia, Piece};
use crate::libpg_query::{parse_tree, scan_tokens, TreeError};

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
pub const CHUNK: usize = 32 * 1024;

/// Parses `text[range]` statement by statement, on the calling thread; the statements
/// come back in order.
pub fn parse_statements(text: &str, range: Range<usize>) -> Vec<Parsed> {
    let mut out = Vec::new();
    parse_in_order(text, &pieces(text, range, CHUNK), 1, |_, statements| out.append(statements));
    out
}

/// Results each parse thread may have waiting for `check`: enough to keep the threads
/// busy, few enough that the syntax trees of a long file are never all in memory.
const AHEAD: usize = 2;

/// Parses `pieces` of `text` and hands each one's statements to `check`, in order
/// (`check` may keep them; what it leaves is freed). With
/// more than one thread the pieces are parsed on `threads` threads while `check` runs on
/// the calling one; every parse thread also frees the trees it built once `check` is
/// done with them (memory freed by another thread is reused late, and more of it is
/// touched).
pub fn parse_in_order(text: &str, pieces: &[Piece], threads: usize, check: impl FnMut(usize, &mut Vec<Parsed>)) {
    let threads = threads.min(pieces.len());
    if threads < 2 {
        in_order(text, pieces, |at| parse_piece(text, pieces[at].range.clone()), |_, _| {}, check);
        return;
    }
    std::thread::scope(|scope| {
        let mut parsed = Vec::with_capacity(threads);
        let mut done = Vec::with_capacity(threads);
        for thread in 0..threads {
            let (parsed_tx, parsed_rx) = mpsc::sync_channel::<ParsedPiece>(AHEAD);
            let (done_tx, done_rx) = mpsc::channel::<ParsedPiece>();
            parsed.push(parsed_rx);
            done.push(done_tx);
            scope.spawn(move || {
                // Thread `thread` parses every `threads`-th piece, so each channel is in order.
                for piece in pieces.iter().skip(thread).step_by(threads) {
                    done_rx.try_iter().for_each(drop);
                    if parsed_tx.send(parse_piece(text, piece.range.clone())).is_err() {
                        break;
                    }
                }
                drop(parsed_tx);
                // Until the checker hangs up.
                done_rx.iter().for_each(drop);
            });
        }
        in_order(
            text,
            pieces,
            |at| parsed[at % threads].recv().expect("invariant: a parse thread sends every piece it is given"),
            // The thread is gone only if it panicked, which the scope reports.
            |at, piece| drop(done[at % threads].send(piece)),
            check,
        );
        drop(done);
    });
}

/// The statements of a piece, and whether PostgreSQL's scanner agrees that the piece
/// ends where a statement ends.
pub struct ParsedPiece {
    statements: Vec<Parsed>,
    ends_a_statement: bool,
}

/// Takes the parsed pieces in order (`next`), hands their statements to `check`, and
/// gives each back (`give_back`) to be freed by the thread that built it. A piece that
/// does not end where a statement ends (a cut the scanner disagrees with) is parsed
/// again here together with the pieces after it, until one does.
fn in_order(
    text: &str,
    pieces: &[Piece],
    mut next: impl FnMut(usize) -> ParsedPiece,
    mut give_back: impl FnMut(usize, ParsedPiece),
    mut check: impl FnMut(usize, &mut Vec<Parsed>),
) {
    let mut at = 0;
    while at < pieces.len() {
        let first = at;
        let mut parsed = next(at);
        if parsed.ends_a_statement || pieces[at].last {
            check(first, &mut parsed.statements);
            give_back(at, parsed);
        } else {
            give_back(at, parsed);
            let mut merged = loop {
                at += 1;
                let parsed = next(at);
                give_back(at, parsed);
                let merged = parse_piece(text, pieces[first].range.start..pieces[at].range.end);
                if merged.ends_a_statement || pieces[at].last {
                    break merged;
                }
            };
            check(first, &mut merged.statements);
        }
        at += 1;
    }
}

/// Parses `text[range]`, which holds whole statements; a statement that does not parse
/// is a problem at its position, and the statements around it are still parsed.
pub fn parse_range(text: &str, range: Range<usize>) -> Vec<Parsed> {
    parse_piece(text, range).statements
}

fn parse_piece(text: &str, range: Range<usize>) -> ParsedPiece {
    let unit = &text[range.clone()];
    let base = range.start;
    if nesting_depth(unit) > MAX_NESTING {
        let start = base + skip_trivia(unit, 0);
        return ParsedPiece {
            statements: vec![Parsed {
                span: start..range.end,
                result: Err(Problem::TooDeep),
            }],
            ends_a_statement: true,
        };
    }
    let statements = match parse_tree(unit) {
        Ok(tree) => tree
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
        Err(_) => {
            let (pieces, ends_a_statement) = split(unit);
            let statements = pieces.into_iter().map(|piece| parse_one(unit, base, piece)).collect();
            return ParsedPiece { statements, ends_a_statement };
        }
    };
    ParsedPiece {
        statements,
        ends_a_statement: true,
    }
}

fn parse_one(unit: &str, base: usize, piece: Range<usize>) -> Parsed {
    let text = &unit[piece.clone()];
    let span = base + piece.start..base + piece.end;
    let result = match parse_tree(text) {
        Ok(tree) => match tree.stmts.into_iter().next().and_then(|s| s.stmt).and_then(|s| s.node) {
            Some(node) => Ok(node),
            None => Err(Problem::Syntax {
                message: "empty statement".into(),
                offset: span.start,
            }),
        },
        Err(TreeError::TooDeep) => Err(Problem::TooDeep),
        Err(TreeError::Syntax(failure)) => Err(Problem::Syntax {
            message: failure.message,
            offset: span.start + failure.offset.unwrap_or(0),
        }),
    };
    Parsed { span, result }
}

/// Splits at top-level `;` tokens, using PostgreSQL's own scanner so that strings,
/// comments and dollar quotes are respected, and says whether the text ends where a
/// statement ends. Unscannable text stays one piece.
fn split(unit: &str) -> (Vec<Range<usize>>, bool) {
    let Some(tokens) = scan_tokens(unit) else {
        let start = skip_trivia(unit, 0);
        let pieces = (start < unit.len()).then_some(start..unit.len()).into_iter().collect();
        return (pieces, false);
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
    let ends_a_statement = depth == 0 && trimmed_span(unit, start, unit.len()).is_empty();
    push_piece(unit, &mut pieces, start, unit.len());
    (pieces, ends_a_statement)
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
        let text = one.repeat(4 * CHUNK / one.len());
        let chunked = parse_statements(&text, 0..text.len());
        assert!(pieces(&text, 0..text.len(), CHUNK).len() > 2);
        assert!(pieces(&text, 0..text.len(), CHUNK).iter().filter(|p| p.last).count() == 1);
        let whole = parse_range(&text, 0..text.len());
        assert_eq!(chunked.len(), whole.len());
        assert_eq!(chunked.len(), 4 * (4 * CHUNK / one.len()));
        for (a, b) in chunked.iter().zip(&whole) {
            assert_eq!((&a.span, a.result.is_ok()), (&b.span, b.result.is_ok()));
        }
        assert!(chunked.iter().any(|p| matches!(p.result, Err(Problem::Syntax { .. }))));
    }

    #[test]
    fn a_wrong_cut_is_parsed_again_with_the_next_piece() {
        let text = "SELECT 'a;b';\nSELECT $$ c; d $$;\nSELECT 3;\nSELECT 4;";
        let whole = parse_range(text, 0..text.len());
        // Cut inside the string and inside the dollar quote, as a lexer that missed them would.
        let cuts = [0, 10, 25, text.find("SELECT 3").unwrap(), text.len()];
        let pieces: Vec<Piece> = cuts
            .windows(2)
            .map(|w| Piece {
                range: w[0]..w[1],
                last: w[1] == text.len(),
            })
            .collect();
        for threads in [1, 2] {
            let mut checked = Vec::new();
            parse_in_order(text, &pieces, threads, |at, statements| checked.push((at, std::mem::take(statements))));
            let firsts: Vec<usize> = checked.iter().map(|(at, _)| *at).collect();
            assert_eq!(firsts, [0, 3], "the first three pieces are parsed as one");
            let statements: Vec<Parsed> = checked.into_iter().flat_map(|(_, s)| s).collect();
            assert_eq!(statements.len(), 4);
            // Node locations count from the start of what was parsed; spans from the file's.
            for (a, b) in statements.iter().zip(&whole) {
                assert_eq!((&a.span, a.result.is_ok()), (&b.span, b.result.is_ok()));
            }
        }
    }

    #[test]
    fn scanning_text_without_tokens_is_safe() {
        assert_eq!(scan_tokens("").map(|t| t.len()), Some(0));
        assert_eq!(scan_tokens(" \n\t").map(|t| t.len()), Some(0));
        assert_eq!(scan_tokens("-- a comment is a token").map(|t| t.len()), Some(1));
        assert_eq!(scan_tokens("/* unterminated"), None);
        assert_eq!(scan_tokens("SELECT 1 -- x").map(|t| t.len()), Some(3));
        assert_eq!(split("-- nothing;\n"), (Vec::new(), true));
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
