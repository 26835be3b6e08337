//! Recipes: how each `Change` becomes safe steps in the expand, backfill and contract
//! phases (the recipe table of DESIGN.md). Every lock a step takes comes from the
//! lock-facts table.

mod column;
mod constraint;
mod fill;
mod guard;
mod index;
mod not_null;
mod precondition;
mod rewrite;
pub(crate) mod sql;
mod table;
mod trigger;

use crate::change::Change;
use crate::error::PlanError;
use crate::locks::PgVersion;
use crate::model::{QualifiedName, Schema, Table};
use crate::step::{Draft, Phase, Step, StepKind};

/// What recipes may consult besides the change itself.
pub struct Context<'a> {
    pub current: &'a Schema,
    pub desired: &'a Schema,
    pub pg: PgVersion,
    pub batch_size: u32,
}

impl Context<'_> {
    /// The table as it is now, or as it will be once created (for new tables).
    fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.desired.tables.get(name).or_else(|| self.current.tables.get(name))
    }

    fn current_table(&self, name: &QualifiedName) -> Option<&Table> {
        self.current.tables.get(name).or_else(|| {
            // A renamed table is found under its old name.
            let renamed_from = self.desired.tables.get(name)?.renamed_from.as_ref()?;
            self.current.tables.get(renamed_from)
        })
    }

    /// The key a batched backfill of `name` walks: one the table has before the plan
    /// runs, else the desired one (which expand builds before any backfill runs).
    fn batch_key(&self, name: &QualifiedName) -> Option<Vec<String>> {
        self.current_table(name).and_then(Table::batch_key).or_else(|| self.table(name)?.batch_key())
    }

    /// True when the table exists before the plan runs (so it may hold rows and be busy).
    fn exists(&self, name: &QualifiedName) -> bool {
        self.current_table(name).is_some()
    }
}

/// Expands one change into its steps.
pub fn steps_for(change: &Change, cx: &Context<'_>) -> Result<Vec<Draft>, PlanError> {
    let mut r = Recipe::default();
    match change {
        Change::CreateSchema { schema } => table::create_schema(&mut r, schema),
        Change::CreateEnum { enum_type } => table::create_enum(&mut r, enum_type),
        Change::AddEnumValue { name, value, position } => table::add_enum_value(&mut r, name, value, position),
        Change::DropEnum { name } => table::drop_enum(&mut r, name),
        Change::CreateTable { table } => table::create_table(&mut r, cx, table),
        Change::DropTable { table } => table::drop_table(&mut r, cx, table),
        Change::RenameTable { from, to } => table::rename_table(&mut r, cx, from, to),
        Change::SetComment { target, comment } => table::set_comment(&mut r, cx, target, comment.as_deref()),
        Change::AddColumn { table, column } => column::add_column(&mut r, cx, table, column)?,
        Change::DropColumn { table, column } => column::drop_column(&mut r, cx, table, column),
        Change::SetNotNull { table, column } => not_null::set_not_null(&mut r, cx, table, column)?,
        Change::DropNotNull { table, column } => not_null::drop_not_null(&mut r, cx, table, column),
        Change::SetDefault { table, column, default } => column::set_default(&mut r, cx, table, column, Some(default)),
        Change::DropDefault { table, column } => column::set_default(&mut r, cx, table, column, None),
        Change::AddIdentity { table, column, identity } => column::add_identity(&mut r, cx, table, column, *identity),
        Change::DropIdentity { table, column } => column::drop_identity(&mut r, cx, table, column),
        Change::AlterColumnType { table, column, from } => rewrite::alter_type(&mut r, cx, table, column, from)?,
        Change::RenameColumn { table, old, column } => rewrite::rename_column(&mut r, cx, table, old, column)?,
        Change::AddIndex { table, index } => index::add_index(&mut r, cx, table, index, &index.name),
        Change::DropIndex { table, index } => index::drop_index(&mut r, cx, table, index),
        Change::ReplaceIndex { table, old, new } => index::replace_index(&mut r, cx, table, old, new),
        Change::RenameIndex { table, from, to } => index::rename_index(&mut r, cx, table, from, to),
        Change::RenameConstraint { table, from, to } => constraint::rename_constraint(&mut r, cx, table, from, to),
        Change::AddPrimaryKey { table, primary_key } => index::add_primary_key(&mut r, cx, table, primary_key),
        Change::AddUnique { table, unique } => index::add_unique(&mut r, cx, table, unique, &unique.name),
        Change::AddCheck { table, check } => {
            constraint::add_check(&mut r, cx, table, check, &check.name);
        }
        Change::AddForeignKey { table, foreign_key } => {
            constraint::add_foreign_key(&mut r, cx, table, foreign_key, &foreign_key.name, true);
        }
        Change::DropConstraint { table, constraint } => constraint::drop_constraint(&mut r, cx, table, constraint),
        Change::ReplaceConstraint { table, old, new } => constraint::replace_constraint(&mut r, cx, table, old, new)?,
    }
    Ok(r.steps)
}

/// Steps under construction; each new step depends on the previous one of the recipe
/// unless it says otherwise.
#[derive(Default)]
pub(crate) struct Recipe {
    steps: Vec<Draft>,
}

impl Recipe {
    /// Starts a step that runs after the recipe's previous step.
    fn step(&mut self, phase: Phase, kind: StepKind, id: String, description: impl Into<String>) -> &mut Draft {
        let mut step = Step::new(id, kind, phase, description.into());
        if let Some(previous) = self.steps.last() {
            step.depends_on.push(previous.id.clone());
        }
        self.steps.push(step.into());
        self.steps.last_mut().expect("invariant: a step was just pushed")
    }

    /// Starts a step with no dependency on the recipe's previous steps.
    fn independent(&mut self, phase: Phase, kind: StepKind, id: String, description: impl Into<String>) -> &mut Draft {
        self.steps.push(Step::new(id, kind, phase, description.into()).into());
        self.steps.last_mut().expect("invariant: a step was just pushed")
    }
}

/// `table.column` for ids and messages, without quotes.
fn dotted(table: &QualifiedName, part: &str) -> String {
    format!("{}.{}", plain(table), id_part(part))
}

fn plain(name: &QualifiedName) -> String {
    format!("{}.{}", id_part(&name.schema), id_part(&name.name))
}

/// A name in a step id: as is, unless a dot or quote in it would make two ids equal.
fn id_part(name: &str) -> String {
    if name.contains(['.', '"']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}
