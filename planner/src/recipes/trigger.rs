//! Trigger functions bellows installs while a change is in flight: a fill trigger
//! that gives a new NOT NULL column its value on writes that leave it NULL, and sync
//! triggers that keep an old and a new column equal in both directions.
//!
//! Expressions from schema.toml refer to columns by bare name; inside the trigger they
//! are evaluated against the row being written with `FROM (SELECT (NEW).*)`, so they
//! need no rewriting.

use crate::locks::PgVersion;
use crate::model::{derived_name, quote_ident, Expr, QualifiedName};
use crate::step::DbObject;

/// Names of a trigger and its function.
pub struct TriggerNames {
    pub function: QualifiedName,
    pub trigger: String,
}

impl TriggerNames {
    pub fn new(kind: &str, table: &QualifiedName, column: &str) -> TriggerNames {
        let name = derived_name(&["bellows", kind, &table.name, column]);
        TriggerNames {
            function: table.sibling(name.clone()),
            trigger: name,
        }
    }

    /// The trigger and its function, as objects a step makes or removes.
    pub fn objects(&self, table: &QualifiedName) -> [DbObject; 2] {
        [
            DbObject::Trigger {
                table: table.clone(),
                name: self.trigger.clone(),
            },
            DbObject::Function { name: self.function.clone() },
        ]
    }

    pub fn drop_sql(&self, table: &QualifiedName) -> Vec<String> {
        vec![
            format!("DROP TRIGGER IF EXISTS {} ON {}", quote_ident(&self.trigger), table.sql()),
            format!("DROP FUNCTION IF EXISTS {}()", self.function.sql()),
        ]
    }

    /// `events` is `INSERT` or `INSERT OR UPDATE`; `when`, a condition on `NEW` that
    /// spares the rows it excludes the call of the function.
    fn create_trigger(&self, table: &QualifiedName, events: &str, when: Option<&str>, pg: PgVersion) -> String {
        // EXECUTE FUNCTION is PostgreSQL 11+; EXECUTE PROCEDURE is accepted by all.
        let execute = if pg.at_least(11) { "FUNCTION" } else { "PROCEDURE" };
        let when = when.map(|condition| format!(" WHEN ({condition})")).unwrap_or_default();
        format!(
            "CREATE TRIGGER {} BEFORE {events} ON {} FOR EACH ROW{when} EXECUTE {execute} {}()",
            quote_ident(&self.trigger),
            table.sql(),
            self.function.sql()
        )
    }
}

/// `NEW.column := <expr>` evaluated over the row being written.
fn assign(target: &str, expr: &str) -> String {
    format!("SELECT {expr} INTO NEW.{} FROM (SELECT (NEW).*) AS bellows_row;", quote_ident(target))
}

/// Which writes a fill trigger fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillOn {
    /// Inserts only: the old application version does not know the column, so its
    /// updates keep the value the row has, and rows still NULL are the backfill's.
    Insert,
    /// Inserts and updates: the old version may write NULL into the column, or a check
    /// already refuses the NULL of a row the backfill has not reached.
    InsertOrUpdate,
}

/// A trigger that fills `column` from `expr` when a write leaves it NULL. Its `WHEN`
/// clause keeps the function from being called for every other write: the backfill's
/// own updates, and the new version's writes, which give the column its value.
pub fn fill(names: &TriggerNames, table: &QualifiedName, column: &str, expr: &Expr, on: FillOn, pg: PgVersion) -> Vec<String> {
    // The trigger's WHEN calls the function only for a row left NULL.
    let body = format!("BEGIN\n  {}\n  RETURN NEW;\nEND", assign(column, &expr.text));
    let events = match on {
        FillOn::Insert => "INSERT",
        FillOn::InsertOrUpdate => "INSERT OR UPDATE",
    };
    let when = format!("NEW.{} IS NULL", quote_ident(column));
    vec![function(names, &body), names.create_trigger(table, events, Some(&when), pg)]
}

/// Triggers that keep `old` and `new` in step: a write that sets one sets the other,
/// converted with `to_new` and `to_old`. An update that changes neither, of a row the
/// backfill has not copied yet (`new` still NULL), copies it: a NOT NULL check on `new`
/// must not reject the old application version's update of a row it has not reached.
pub fn sync(names: &TriggerNames, table: &QualifiedName, old: &str, new: &str, to_new: &str, to_old: &str, pg: PgVersion) -> Vec<String> {
    let (o, n) = (quote_ident(old), quote_ident(new));
    let body = format!(
        "BEGIN\n  IF TG_OP = 'INSERT' THEN\n    IF NEW.{n} IS NULL THEN\n      {to_new_assign}\n    ELSIF NEW.{o} IS NULL THEN\n      {to_old_assign}\n    END IF;\n  \
         ELSIF NEW.{o} IS DISTINCT FROM OLD.{o} THEN\n    {to_new_assign}\n  ELSIF NEW.{n} IS DISTINCT FROM OLD.{n} THEN\n    {to_old_assign}\n  ELSIF NEW.{n} IS NULL THEN\n    {to_new_assign}\n  END IF;\n  RETURN NEW;\nEND",
        to_new_assign = assign(new, to_new),
        to_old_assign = assign(old, to_old),
    );
    vec![function(names, &body), names.create_trigger(table, "INSERT OR UPDATE", None, pg)]
}

fn function(names: &TriggerNames, body: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $bellows$\n{body}\n$bellows$",
        names.function.sql()
    )
}
