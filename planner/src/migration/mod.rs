//! SQL migrations as bellows reads them, for the linter and for `plan --sql` alike:
//! `source` (the migration tool's layout: units and their transactions), `split` and
//! `parse` (statements with their exact spans, parsed once each with pg_query), `ast`
//! (reading the syntax tree), `classify` (each statement as operations of the
//! lock-facts table), `transaction` (what must run outside a transaction block),
//! `state`/`track` (what the history and the file have done so far), `history` (the files
//! before this one, replayed) and `folder` (which files of a folder ran before), and
//! `bound` (whether checks prove a partition bound).

pub mod ast;
pub mod bound;
pub mod classify;
pub mod folder;
pub mod history;
pub mod parse;
mod rollback;
pub mod source;
pub mod split;
pub mod state;
pub mod track;
pub mod transaction;
