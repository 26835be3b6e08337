//! When a column is complete: a recipe that renames, retypes or fills a column leaves
//! it partly written until its backfill (or, for a type change, its swap) has run. A
//! statement run as written that reads or writes such a column must wait for that
//! step, or it would read NULLs where the file's own order promises values (and the
//! sync triggers would copy what it wrote back over the old column).

use std::collections::BTreeSet;

use crate::change::Change;
use crate::model::QualifiedName;
use crate::step::{Draft, Obj, Phase, StepKind};

/// What a statement run as written reads or writes, as far as its text says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touches {
    /// The relations it names.
    pub tables: Vec<QualifiedName>,
    /// The column names it mentions (unqualified: aliases are not resolved).
    pub columns: BTreeSet<String>,
    /// Every column of its tables (`*`, an `INSERT` without a column list).
    pub all_columns: bool,
    /// What it does cannot be read from its text (`DO`, `CALL`): it may touch anything.
    pub opaque: bool,
}

impl Touches {
    /// True when the statement may read or write `table.column`.
    pub fn column(&self, table: &QualifiedName, column: &str) -> bool {
        self.opaque || self.tables.contains(table) && (self.all_columns || self.columns.contains(column))
    }
}

/// A column that is complete only once step `step` (in `phase`) has run.
#[derive(Clone, Debug)]
pub struct Settle {
    pub table: QualifiedName,
    pub column: String,
    pub step: String,
    pub phase: Phase,
    /// What completes it, for the description of a statement that waits (`the
    /// backfill of public.users.full_name`).
    pub what: String,
}

/// The columns a change leaves incomplete, and the steps after which they are
/// complete under the names the file uses: the swap of a type change (before it, the
/// name still means the old column), the copy of a rename (both names), the backfill
/// of a filled column.
pub fn settles(change: &Change, steps: &[Draft]) -> Vec<Settle> {
    let Some(table) = change.table() else { return Vec::new() };
    let filled = |s: &Draft| -> Vec<String> {
        s.objects
            .creates
            .iter()
            .filter_map(|o| match o {
                Obj::Filled(t, c) if t == table => Some(c.clone()),
                _ => None,
            })
            .collect()
    };
    let swap: Vec<&Draft> = steps.iter().filter(|s| s.kind == StepKind::Swap).collect();
    let fills: Vec<&Draft> = steps.iter().filter(|s| !filled(s).is_empty()).collect();
    // Each name the file may use, and the column whose completion it waits for.
    let mut columns: Vec<(String, String)> = match change {
        Change::RenameColumn { old, column, .. } => vec![(old.name.clone(), column.name.clone()), (column.name.clone(), column.name.clone())],
        Change::AlterColumnType { column, .. } => vec![(column.name.clone(), column.name.clone())],
        _ => fills.iter().flat_map(|s| filled(s)).map(|c| (c.clone(), c)).collect(),
    };
    columns.dedup();
    let (settlers, what) = if swap.is_empty() { (fills, "the backfill") } else { (swap, "the swap") };
    let mut out = Vec::new();
    for settler in settlers {
        for (column, complete) in &columns {
            out.push(Settle {
                table: table.clone(),
                column: column.clone(),
                step: settler.id.clone(),
                phase: settler.phase,
                what: format!("{what} of {table}.{}", crate::model::quote_ident(complete)),
            });
        }
    }
    out
}
