//! A file's two passes: parsing (most of the work, on any thread, ahead of time) and
//! the statement pass (which follows the migration history in order). A folder is
//! linted by parsing the next file while the current one is checked.

use rayon::prelude::*;

use super::engine::Linter;
use super::{FileReport, History, LintOptions};
use crate::migration::source::{self, Layout, Unit};
use crate::migration::state::State;
use crate::migration::{parse, split};

/// Files shorter than this are parsed on the calling thread: a migration folder is
/// linted a file per core already, and threads cost more than a short file's parse.
const PARSE_THREADS_FROM: usize = 256 * 1024;

/// A unit's index and the statements of one of its pieces.
type Piece = (usize, Vec<parse::Parsed>);

/// A file as its tool runs it, parsed.
pub struct ParsedFile {
    layout: Layout,
    units: Vec<Unit>,
    /// Each piece's unit and its statements, in file order; `None` for a long file,
    /// parsed on all cores during its statement pass instead; `Err` for text that is
    /// not SQL.
    pieces: Result<Option<Vec<Piece>>, String>,
}

/// Parses a file (on the calling thread), ready for [`lint_parsed`] or
/// [`History::replay_parsed`].
pub fn parse_file(path: &str, text: &str, diesel_metadata: Option<&str>, options: &LintOptions) -> ParsedFile {
    let (layout, units) = source::units(path, text, diesel_metadata, options.assume_in_transaction);
    if text.contains('\0') {
        let pieces = Err("the file contains a NUL byte; it is not SQL text".to_string());
        return ParsedFile { layout, units, pieces };
    }
    if text.len() >= PARSE_THREADS_FROM {
        return ParsedFile {
            layout,
            units,
            pieces: Ok(None),
        };
    }
    let (unit_of, pieces) = cut(text, &units, parse::CHUNK);
    let mut parsed = Vec::new();
    parse::parse_in_order(text, &pieces, 1, |at, statements| parsed.push((unit_of[at], std::mem::take(statements))));
    ParsedFile {
        layout,
        units,
        pieces: Ok(Some(parsed)),
    }
}

/// The pieces of the units of a file, each with its unit.
fn cut(text: &str, units: &[Unit], chunk: usize) -> (Vec<usize>, Vec<split::Piece>) {
    let pieces: Vec<Vec<split::Piece>> = units.par_iter().map(|u| split::pieces(text, u.range.clone(), chunk)).collect();
    pieces
        .into_iter()
        .enumerate()
        .flat_map(|(unit, pieces)| pieces.into_iter().map(move |piece| (unit, piece)))
        .unzip()
}

/// The statement pass of a parsed file after `history`, which it then joins (a rollback
/// file is checked after its migration, and adds nothing).
pub fn lint_parsed(history: &mut History, path: &str, text: &str, file: ParsedFile, options: &LintOptions) -> FileReport {
    // A rollback file's units are rollbacks: the statement pass checks them on a copy,
    // and hands the history back unchanged.
    let mut state = history.take();
    state.time_zone_utc = options.time_zone_utc;
    state.default_time_zone_utc = options.time_zone_utc;
    let (report, after) = match file.pieces {
        Err(message) => (FileReport::unreadable(path, message), state),
        Ok(None) => {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            lint_in_pieces(path, text, (file.layout, &file.units), options, parse::CHUNK, threads, state)
        }
        Ok(Some(pieces)) => {
            let mut linter = Linter::new(text, options, state);
            for (unit, statements) in &pieces {
                linter.piece(*unit, &file.units[*unit], statements);
            }
            linter.report(path, file.layout)
        }
    };
    history.carry_from(after);
    report
}

/// Lints a file after `history`, with long units cut into pieces of about `chunk`
/// bytes, parsed on `threads` threads while the statements are checked in order. The
/// report does not depend on either. Returns the state the file ends with.
pub(super) fn lint_in_pieces(
    path: &str,
    text: &str,
    (layout, units): (Layout, &[Unit]),
    options: &LintOptions,
    chunk: usize,
    threads: usize,
    history: State,
) -> (FileReport, State) {
    let (unit_of, pieces) = cut(text, units, chunk);
    let mut linter = Linter::new(text, options, history);
    parse::parse_in_order(text, &pieces, threads, |at, statements| {
        linter.piece(unit_of[at], &units[unit_of[at]], statements)
    });
    linter.report(path, layout)
}

impl History {
    /// [`History::replay`] of a file parsed ahead.
    pub fn replay_parsed(&mut self, path: &str, text: &str, file: &ParsedFile) {
        match &file.pieces {
            Ok(Some(pieces)) => {
                let mut last = None;
                for (unit, statements) in pieces {
                    if file.units[*unit].down {
                        continue;
                    }
                    if last != Some(*unit) {
                        self.next_unit(file.units[*unit].wrapping);
                        last = Some(*unit);
                    }
                    self.apply(statements);
                }
                self.next_unit(source::Wrapping::Autocommit);
            }
            Ok(None) => self.replay(path, text, None),
            Err(_) => {}
        }
    }
}
