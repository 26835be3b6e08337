//! Drops that a later statement of the same transaction undoes by creating the object
//! again under the same name (`DROP VIEW v; CREATE VIEW v ...`, `DROP FUNCTION f; CREATE
//! FUNCTION f ...`): no other session sees the object missing, so only a drop that
//! stays a drop when the transaction ends is reported.

use crate::lint::rule::{Finding, StatementContext};
use crate::model::QualifiedName;

/// Drops of the current transaction waiting to see whether the object comes back.
#[derive(Default)]
pub struct Pending(Vec<(QualifiedName, Finding)>);

impl Pending {
    /// Follows one statement: `created` are the names it creates, `dropped` the
    /// findings of the existing objects it drops.
    pub fn statement(&mut self, cx: &StatementContext<'_>, created: &[QualifiedName], dropped: Vec<(QualifiedName, Finding)>, out: &mut Vec<Finding>) {
        if cx.in_transaction && !cx.ends_transaction() {
            self.0.retain(|(name, _)| !created.contains(name));
        } else {
            // The transaction ended (or there was none) without the object coming back.
            out.extend(self.0.drain(..).map(|(_, f)| f));
        }
        if cx.in_transaction && !cx.ends_transaction() {
            self.0.extend(dropped);
        } else {
            out.extend(dropped.into_iter().map(|(_, f)| f));
        }
    }

    pub fn finish(self, out: &mut Vec<Finding>) {
        out.extend(self.0.into_iter().map(|(_, f)| f));
    }
}
