//! What the file asked for besides its changes: its own `BEGIN ... COMMIT` blocks and
//! its `SET`s. Statements run as written inside one block stay in one transaction
//! (one step); a block that the plan must split (a recipe's phased steps, a batched
//! change, a statement PostgreSQL refuses in a transaction) is named in the plan's
//! notes with the reason. The file's `lock_timeout` becomes the plan's, and its
//! `statement_timeout` applies to its statements run as written; whatever is not
//! honoured is said, never dropped in silence.

use pg_query::protobuf::{node::Node as N, TransactionStmtKind, VariableSetKind};
use pg_query::NodeEnum;

#[derive(Default)]
pub(super) struct Intent {
    /// The open `BEGIN` block: its line, and what split it.
    block: Option<Block>,
    /// The plan's lock_timeout from the file, in milliseconds, and where it was set.
    pub lock_timeout: Option<(u32, usize)>,
    /// The file's `statement_timeout`, as SQL, in force for the statements after it.
    pub statement_timeout: Option<String>,
    pub notes: Vec<String>,
    /// Statements run as written may join the step of the one before them (same block).
    pub joinable: bool,
    /// The lines of the statements in the last step run as written.
    pub lines: Vec<usize>,
}

struct Block {
    line: usize,
    splits: Vec<String>,
}

impl Intent {
    /// Reads transaction control and settings; true when the statement is one (the plan
    /// runs no step for it).
    pub fn read(&mut self, node: &NodeEnum, sql: &str, line: usize) -> bool {
        match node {
            NodeEnum::TransactionStmt(t) => {
                self.joinable = false;
                match TransactionStmtKind::try_from(t.kind) {
                    Ok(TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart) => {
                        self.block = Some(Block { line, splits: Vec::new() });
                    }
                    Ok(TransactionStmtKind::TransStmtCommit) => self.close(line),
                    Ok(TransactionStmtKind::TransStmtRollback) => {
                        let from = self.block.as_ref().map_or(line, |b| b.line);
                        self.notes.push(format!(
                            "the file's ROLLBACK at line {line} would undo what it ran since line {from}; the plan runs those statements all the same"
                        ));
                        self.close(line);
                    }
                    _ => self
                        .notes
                        .push(format!("`{sql}` at line {line} is not run: the plan manages its own transactions")),
                }
                true
            }
            NodeEnum::VariableSetStmt(set) => {
                self.setting(set, sql, line);
                true
            }
            _ => false,
        }
    }

    /// Something at `line` that cannot run inside the open block, and why.
    pub fn split(&mut self, line: usize, why: &str) {
        self.joinable = false;
        if let Some(block) = &mut self.block {
            block.splits.push(format!("line {line} {why}"));
        }
    }

    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    fn close(&mut self, line: usize) {
        if let Some(block) = self.block.take() {
            if !block.splits.is_empty() {
                self.notes.push(format!(
                    "the transaction of lines {}-{line} (BEGIN ... COMMIT) is split: {}; its statements run as written stay together in one step where they follow each other",
                    block.line,
                    block.splits.join("; ")
                ));
            }
        }
    }

    /// The file's end: a block left open is treated as closed there.
    pub fn finish(&mut self, line: usize) {
        self.close(line);
    }

    fn setting(&mut self, set: &pg_query::protobuf::VariableSetStmt, sql: &str, line: usize) {
        let value = set.args.first().and_then(constant);
        let reset = set.kind != VariableSetKind::VarSetValue as i32;
        match (set.name.as_str(), value) {
            ("lock_timeout", Some(v)) if !reset => match milliseconds(&v) {
                Some(0) => self.notes.push(format!(
                    "`{sql}` at line {line} is not honoured: 0 turns the timeout off, and a statement waiting for its lock without limit queues every query on its table behind it; the plan keeps its own lock_timeout"
                )),
                Some(ms) => {
                    let smaller = self.lock_timeout.is_none_or(|(old, _)| ms < old);
                    if smaller {
                        self.lock_timeout = Some((ms, line));
                    }
                }
                None => self.notes.push(format!("`{sql}` at line {line} is not honoured: bellows cannot read the duration")),
            },
            ("statement_timeout", Some(v)) if !reset => {
                self.statement_timeout = Some(crate::model::quote_literal(&v));
                self.notes.push(format!(
                    "`{sql}` at line {line} applies to the statements run as written after it (SET LOCAL in their transaction); bellows's own steps run without it, since a concurrent index build or a backfill must not be cut short"
                ));
            }
            ("statement_timeout", _) => self.statement_timeout = None,
            _ => self.notes.push(format!(
                "`{sql}` at line {line} is not carried into the plan: its steps run in sessions of their own, with names qualified by bellows (unqualified names are taken to be in public)"
            )),
        }
    }
}

/// A setting's value as text: `'3s'`, `3000`.
fn constant(node: &pg_query::protobuf::Node) -> Option<String> {
    match &node.node {
        Some(N::AConst(c)) => match &c.val {
            Some(pg_query::protobuf::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
            Some(pg_query::protobuf::a_const::Val::Sval(s)) => Some(s.sval.clone()),
            Some(pg_query::protobuf::a_const::Val::Fval(f)) => Some(f.fval.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// A PostgreSQL duration in milliseconds: `3000`, `'3s'`, `'500ms'`, `'1min'`.
pub(super) fn milliseconds(text: &str) -> Option<u32> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "ms" => 1.0,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    let ms = (number * factor).round();
    (ms >= 0.0 && ms <= f64::from(u32::MAX)).then_some(ms as u32)
}

#[cfg(test)]
mod tests {
    use super::milliseconds;

    #[test]
    fn durations_read_as_postgresql_reads_them() {
        assert_eq!(milliseconds("3s"), Some(3000));
        assert_eq!(milliseconds("250ms"), Some(250));
        assert_eq!(milliseconds("2000"), Some(2000));
        assert_eq!(milliseconds("1min"), Some(60_000));
        assert_eq!(milliseconds("soon"), None);
    }
}
