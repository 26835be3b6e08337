//! SQL migrations as bellows reads them, for the linter and for `plan --sql` alike:
//! `source` (the migration tool's layout: units and their transactions), `split` and
//! `parse` (statements with their exact spans, parsed once each with pg_query), `ast`
//! (reading the syntax tree), `classify` (each statement as operations of the
//! lock-facts table), `transaction` (what must run outside a transaction block), and
//! `state`/`track` (what the file has done so far).

pub mod ast;
pub mod classify;
pub mod parse;
pub mod source;
pub mod split;
pub mod state;
pub mod track;
pub mod transaction;
