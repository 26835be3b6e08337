//! A step while the planner builds it: the step itself, and what it creates, needs,
//! drops and releases, which the ordering reads and the plan does not keep.

use std::ops::{Deref, DerefMut};

use super::{Backfill, DbObject, Precondition, Step};
use crate::locks::{relation_locks, Cost, Op, PgVersion};
use crate::model::QualifiedName;

/// A step under construction, with its ordering facts.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub step: Step,
    pub(crate) objects: Objects,
}

impl Deref for Draft {
    type Target = Step;

    fn deref(&self) -> &Step {
        &self.step
    }
}

impl DerefMut for Draft {
    fn deref_mut(&mut self) -> &mut Step {
        &mut self.step
    }
}

impl From<Step> for Draft {
    fn from(step: Step) -> Draft {
        Draft {
            step,
            objects: Objects::default(),
        }
    }
}

/// What a step creates, needs, drops and stops needing, for ordering.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Objects {
    pub creates: Vec<Obj>,
    pub needs: Vec<Obj>,
    pub drops: Vec<Obj>,
    pub releases: Vec<Obj>,
}

/// A database object, or a fact about one, that steps order around.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Obj {
    Schema(String),
    Type(QualifiedName),
    Table(QualifiedName),
    Column(QualifiedName, String),
    /// The column holds its final values (after a backfill or copy).
    Filled(QualifiedName, String),
    NotNull(QualifiedName, String),
    Index(QualifiedName),
    Constraint(QualifiedName, String),
    /// A unique key (primary key, unique constraint or index) on these columns.
    UniqueKey(QualifiedName, Vec<String>),
}

impl Obj {
    pub fn unique_key(table: &QualifiedName, columns: &[String]) -> Obj {
        let mut columns = columns.to_vec();
        columns.sort();
        Obj::UniqueKey(table.clone(), columns)
    }

    /// The database object this is, if it is one rather than a fact about one.
    fn object(&self) -> Option<DbObject> {
        Some(match self {
            Obj::Schema(name) => DbObject::Schema { name: name.clone() },
            Obj::Type(name) => DbObject::Type { name: name.clone() },
            Obj::Table(name) => DbObject::Table { name: name.clone() },
            Obj::Column(table, name) => DbObject::Column {
                table: table.clone(),
                name: name.clone(),
            },
            Obj::Index(name) => DbObject::Index { name: name.clone() },
            Obj::Constraint(table, name) => DbObject::Constraint {
                table: table.clone(),
                name: name.clone(),
            },
            Obj::Filled(..) | Obj::NotNull(..) | Obj::UniqueKey(..) => return None,
        })
    }
}

/// The builder methods recipes chain.
impl Draft {
    pub(crate) fn sql(&mut self, statement: impl Into<String>) -> &mut Draft {
        self.step.sql.push(statement.into());
        self
    }

    pub(crate) fn undo(&mut self, statement: impl Into<String>) -> &mut Draft {
        self.step.undo.push(statement.into());
        self
    }

    pub(crate) fn irreversible(&mut self, why: impl Into<String>) -> &mut Draft {
        self.step.irreversible = Some(why.into());
        self
    }

    /// Adds the locks of `op` (from the lock-facts table) and raises the step's cost.
    pub(crate) fn lock(&mut self, op: Op, pg: PgVersion, target: &QualifiedName, referenced: Option<&QualifiedName>) -> &mut Draft {
        for lock in relation_locks(op, pg, target, referenced) {
            self.step.cost = self.step.cost.max(lock.cost);
            match self.step.locks.iter_mut().find(|l| l.relation == lock.relation) {
                Some(held) => {
                    held.mode = held.mode.max(lock.mode);
                    held.cost = held.cost.max(lock.cost);
                }
                None => self.step.locks.push(lock),
            }
        }
        self
    }

    /// Adds a precondition: `sql` counts the rows `description` names, which would make
    /// the step fail.
    pub(crate) fn precondition(&mut self, description: impl Into<String>, sql: impl Into<String>) -> &mut Draft {
        self.step.preconditions.push(Precondition {
            description: description.into(),
            sql: sql.into(),
        });
        self
    }

    /// Runs the step only while `condition` holds (see `Step::guard`); several
    /// conditions must all hold.
    pub(crate) fn guard(&mut self, condition: impl Into<String>) -> &mut Draft {
        let condition = condition.into();
        self.step.guard = Some(match self.step.guard.take() {
            Some(earlier) => format!("{earlier} AND {condition}"),
            None => condition,
        });
        self
    }

    pub(crate) fn outside_transaction(&mut self) -> &mut Draft {
        self.step.transactional = false;
        self
    }

    pub(crate) fn after(&mut self, id: &str) -> &mut Draft {
        if !self.step.depends_on.iter().any(|d| d == id) {
            self.step.depends_on.push(id.to_string());
        }
        self
    }

    pub(crate) fn no_dependencies(&mut self) -> &mut Draft {
        self.step.depends_on.clear();
        self
    }

    /// The step makes `obj` (an object, or a fact such as a column being filled).
    pub(crate) fn creates(&mut self, obj: Obj) -> &mut Draft {
        if let Some(object) = obj.object() {
            self.made(object);
        }
        self.objects.creates.push(obj);
        self
    }

    pub(crate) fn needs(&mut self, obj: Obj) -> &mut Draft {
        self.objects.needs.push(obj);
        self
    }

    pub(crate) fn drops(&mut self, obj: Obj) -> &mut Draft {
        if let Some(object) = obj.object() {
            self.removed(object);
        }
        self.objects.drops.push(obj);
        self
    }

    /// The step stops needing `obj`, which a later step may then drop.
    pub(crate) fn releases(&mut self, obj: Obj) -> &mut Draft {
        self.objects.releases.push(obj);
        self
    }

    /// Records an object the step makes that no other step orders around (a trigger,
    /// its function, a view).
    pub(crate) fn made(&mut self, object: DbObject) -> &mut Draft {
        if !self.step.creates.contains(&object) {
            self.step.creates.push(object);
        }
        self
    }

    pub(crate) fn removed(&mut self, object: DbObject) -> &mut Draft {
        if !self.step.drops.contains(&object) {
            self.step.drops.push(object);
        }
        self
    }

    /// Makes the step a batched backfill: outside a transaction, its batches in `backfill`.
    pub(crate) fn batched(&mut self, backfill: Backfill) -> &mut Draft {
        self.step.transactional = false;
        self.step.cost = self.step.cost.max(Cost::Batched);
        self.step.backfill = Some(backfill);
        self
    }
}
