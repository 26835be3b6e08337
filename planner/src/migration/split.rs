//! Cutting a migration's text where statements end, without parsing it: a fast lexer
//! that finds each `;` that ends a statement, and the pieces of a long unit that are
//! parsed on their own (on all cores).

use std::ops::Range;

/// A part of a unit parsed on its own: the whole unit, or a piece of a long one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub range: Range<usize>,
    /// The piece ends its unit (the others end just after a `;`).
    pub last: bool,
}

/// `text[range]` cut into pieces that parse on their own: the whole range when it is
/// shorter than `2 * chunk`, otherwise cut after the first `;` that ends a statement
/// `chunk` bytes or more after the previous cut.
pub fn pieces(text: &str, range: Range<usize>, chunk: usize) -> Vec<Piece> {
    let unit = &text[range.clone()];
    // `BEGIN ATOMIC` bodies hold `;`s that do not end the statement.
    let atomic = || unit.as_bytes().windows(6).any(|w| w.eq_ignore_ascii_case(b"atomic"));
    if unit.len() <= 2 * chunk || atomic() {
        return vec![Piece { range, last: true }];
    }
    let mut cuts = vec![0];
    for end in statement_ends(unit.as_bytes()) {
        if end - cuts[cuts.len() - 1] >= chunk && unit.len() - end >= chunk {
            cuts.push(end);
        }
    }
    cuts.push(unit.len());
    let count = cuts.len() - 1;
    cuts.windows(2)
        .enumerate()
        .map(|(at, w)| Piece {
            range: range.start + w[0]..range.start + w[1],
            last: at + 1 == count,
        })
        .collect()
}

/// The offsets just after each `;` that ends a statement of `sql`. A fast lexer that
/// knows only what can hide a `;` from PostgreSQL's scanner: quoted strings (with
/// backslash escapes in `E'...'`), quoted identifiers, dollar quotes, comments (`/* */`
/// nest) and parentheses. Where it could disagree with the scanner, the piece it cuts
/// does not end where PostgreSQL sees a statement end, and [`in_order`] parses it again
/// with the next one.
pub fn statement_ends(sql: &[u8]) -> Vec<usize> {
    let identifier = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    let tag_start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b >= 0x80;
    let mut ends = Vec::new();
    let (mut at, mut depth) = (0, 0i32);
    // The offset just past the first `close` from `from`, or the end (unterminated).
    let past = |from: usize, close: &[u8]| {
        sql[from..]
            .windows(close.len())
            .position(|w| w == close)
            .map_or(sql.len(), |i| from + i + close.len())
    };
    while at < sql.len() {
        let previous = if at > 0 { sql[at - 1] } else { b' ' };
        at = match sql[at] {
            b';' => {
                if depth <= 0 {
                    ends.push(at + 1);
                    depth = 0;
                }
                at + 1
            }
            b'(' => {
                depth += 1;
                at + 1
            }
            b')' => {
                depth -= 1;
                at + 1
            }
            b'\'' => {
                // `E'...'` (the `E` starting a token) takes backslash escapes.
                let escapes = matches!(previous, b'e' | b'E') && (at < 2 || !identifier(sql[at - 2]));
                let mut i = at + 1;
                loop {
                    match sql.get(i) {
                        None => break sql.len(),
                        Some(b'\\') if escapes => i += 2,
                        Some(b'\'') if sql.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break i + 1,
                        Some(_) => i += 1,
                    }
                }
            }
            b'"' => {
                let mut i = at + 1;
                loop {
                    match sql.get(i) {
                        None => break sql.len(),
                        Some(b'"') if sql.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => break i + 1,
                        Some(_) => i += 1,
                    }
                }
            }
            b'-' if sql.get(at + 1) == Some(&b'-') => past(at, b"\n"),
            b'/' if sql.get(at + 1) == Some(&b'*') => past_comment(sql, at),
            b'$' if !identifier(previous) => {
                // `$tag$ ... $tag$`; `$1` and a `$` inside an identifier are not quotes.
                let tag = sql[at + 1..].iter().take_while(|&&b| identifier(b) && b != b'$').count();
                let delimiter_end = at + 1 + tag;
                let tagged = tag == 0 || tag_start(sql[at + 1]);
                if tagged && sql.get(delimiter_end) == Some(&b'$') {
                    past(delimiter_end + 1, &sql[at..=delimiter_end])
                } else {
                    at + 1
                }
            }
            _ => at + 1,
        };
    }
    ends
}

/// The offset just past the `/* */` comment that starts at `at` (they nest), or the end.
fn past_comment(sql: &[u8], at: usize) -> usize {
    let (mut i, mut nested) = (at + 2, 1);
    while nested > 0 && i < sql.len() {
        if sql[i..].starts_with(b"/*") {
            nested += 1;
            i += 2;
        } else if sql[i..].starts_with(b"*/") {
            nested -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    i.min(sql.len())
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
            at = past_comment(bytes, at);
        } else {
            return at.min(text.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_splitter_ends_statements_where_the_scanner_does() {
        let cases: &[(&str, &[&str])] = &[
            ("SELECT 1; SELECT 2", &["SELECT 1;"]),
            ("SELECT 'a;b''c;'; SELECT 2;", &["SELECT 'a;b''c;';", " SELECT 2;"]),
            // Backslash escapes only in E'' strings (standard_conforming_strings is on).
            (
                "SELECT E'a\\';b'; SELECT '\\'; SELECT 3;",
                &["SELECT E'a\\';b';", " SELECT '\\';", " SELECT 3;"],
            ),
            ("SELECT \"a;\"\"b\" FROM t; SELECT 2;", &["SELECT \"a;\"\"b\" FROM t;", " SELECT 2;"]),
            ("DO $$ BEGIN PERFORM 1; END $$; SELECT 2;", &["DO $$ BEGIN PERFORM 1; END $$;", " SELECT 2;"]),
            ("DO $x$ a; $$ b; $x$; SELECT 2;", &["DO $x$ a; $$ b; $x$;", " SELECT 2;"]),
            // `$1` is a parameter and `a$b$` an identifier, not dollar quotes.
            ("SELECT $1; SELECT a$b$; SELECT 3;", &["SELECT $1;", " SELECT a$b$;", " SELECT 3;"]),
            (
                "SELECT 1 /* a /* b; */ c; */; -- d;\nSELECT 2;",
                &["SELECT 1 /* a /* b; */ c; */;", " -- d;\nSELECT 2;"],
            ),
            (
                "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3;",
                &["CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);", " SELECT 3;"],
            ),
            ("SELECT 'unterminated; SELECT 2;", &[]),
        ];
        for (sql, statements) in cases {
            let ends = statement_ends(sql.as_bytes());
            let found: Vec<&str> = std::iter::once(0).chain(ends.iter().copied()).zip(&ends).map(|(a, &b)| &sql[a..b]).collect();
            assert_eq!(found, *statements, "{sql}");
        }
    }
}
