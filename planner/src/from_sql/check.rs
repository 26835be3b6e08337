//! The migration checked against the schema it runs on: with `--from` (or a live
//! database) every table, column, index and constraint a statement names must exist,
//! a column is not added twice, and a foreign key references a unique key, or
//! PostgreSQL would reject the statement halfway through a deploy. Each problem is
//! located, says what is wrong and, where a name is close, what was probably meant.
//! Without a known schema tables are assumed; a foreign key without a column list
//! still needs its referenced table's key.

use std::collections::BTreeSet;
use std::ops::Range;

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ConstrType, Constraint, ObjectType};
use pg_query::NodeEnum;

use super::recognise::referenced_key;
use crate::error::SourceError;
use crate::migration::ast;
use crate::model::{QualifiedName, Schema, Table};
use crate::suggest::did_you_mean;

/// What the checks know besides the schema: whether it is known at all, and what
/// statements run as written have done to it, which the schema does not follow.
#[derive(Default)]
pub(super) struct Checker {
    pub known: bool,
    /// Tables that statements run as written created or altered.
    pub opaque_tables: BTreeSet<QualifiedName>,
    /// Index and constraint names that statements run as written may have made.
    pub opaque_names: BTreeSet<String>,
    /// A statement whose effect cannot be read (DO, CALL) has run: nothing after it is checked.
    pub blind: bool,
    pub errors: Vec<SourceError>,
}

/// One statement being checked.
struct Here<'a> {
    path: &'a str,
    text: &'a str,
    span: Range<usize>,
}

impl Here<'_> {
    /// A problem at the first mention of `name` in the statement (or at its start).
    fn error(&self, name: &str, message: String, help: Option<String>) -> SourceError {
        self.error_at(name, 0, message, help)
    }

    /// A problem at mention `nth` (from 0) of `name`.
    fn error_at(&self, name: &str, nth: usize, message: String, help: Option<String>) -> SourceError {
        let offset = locate(&self.text[self.span.clone()], name, nth).map_or(self.span.start, |o| self.span.start + o);
        SourceError::new(self.path, self.text, offset..offset + name.len(), message).with_help(help)
    }
}

/// The offset of mention `nth` of `name` as a whole word (or quoted) in `sql`, ignoring case.
fn locate(sql: &str, name: &str, nth: usize) -> Option<usize> {
    let lower = sql.to_lowercase();
    let needle = name.to_lowercase();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = lower.as_bytes();
    lower
        .match_indices(&needle)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = i.checked_sub(1).map(|j| bytes[j]);
            let after = bytes.get(i + needle.len()).copied();
            !before.is_some_and(word) && !after.is_some_and(word)
        })
        .nth(nth)
}

impl Checker {
    /// Remembers what a statement run as written may have changed.
    pub fn ran_as_written(&mut self, node: &NodeEnum) {
        self.blind |= matches!(node, NodeEnum::DoStmt(_) | NodeEnum::CallStmt(_));
        self.opaque_tables.extend(ast::named_relations(node));
        for (n, ..) in node.nodes() {
            match n {
                pg_query::NodeRef::Constraint(c) => {
                    self.opaque_names.insert(c.conname.clone());
                }
                pg_query::NodeRef::IndexStmt(i) => {
                    self.opaque_names.insert(i.idxname.clone());
                }
                _ => {}
            }
        }
    }

    pub fn check(&mut self, node: &NodeEnum, schema: &Schema, path: &str, text: &str, span: Range<usize>) {
        if self.blind {
            return;
        }
        let at = Here { path, text, span };
        match node {
            NodeEnum::AlterTableStmt(alter) if alter.objtype == ObjectType::ObjectTable as i32 => {
                let Some(relation) = alter.relation.as_ref() else { return };
                let name = ast::relation(relation);
                let Some(table) = self.table(&at, schema, &name, &relation.relname, alter.missing_ok) else {
                    // Columns of an assumed table are assumed too; its foreign keys still need keys.
                    for cmd in ast::commands(alter) {
                        if let Some(N::Constraint(c)) = ast::definition(cmd) {
                            self.foreign_key(&at, schema, &name, c, None);
                        }
                    }
                    return;
                };
                self.alter_table(&at, schema, table, alter);
            }
            NodeEnum::CreateStmt(create) => {
                let Some(relation) = create.relation.as_ref() else { return };
                let name = ast::relation(relation);
                if self.known && !create.if_not_exists && schema.tables.contains_key(&name) && !self.opaque_tables.contains(&name) {
                    self.errors.push(at.error(&relation.relname, format!("table {name} already exists"), None));
                }
                let key = primary_key_of(create);
                for element in &create.table_elts {
                    let constraints: Vec<&Constraint> = match &element.node {
                        Some(N::ColumnDef(def)) => ast::constraints(&def.constraints).collect(),
                        Some(N::Constraint(c)) => vec![c],
                        _ => Vec::new(),
                    };
                    for c in constraints {
                        self.foreign_key(&at, schema, &name, c, Some(&key));
                    }
                }
            }
            NodeEnum::IndexStmt(index) => {
                let Some(relation) = index.relation.as_ref() else { return };
                let name = ast::relation(relation);
                // An index may be on a materialized view, which the model does not hold:
                // only the columns of a known table are checked.
                let table = schema.tables.get(&name).filter(|_| self.known && !self.opaque_tables.contains(&name));
                if let Some(table) = table {
                    for column in ast::index_key_columns(&index.index_params) {
                        self.column(&at, table, &column);
                    }
                }
            }
            NodeEnum::RenameStmt(rename) if rename.rename_type == ObjectType::ObjectColumn as i32 || rename.rename_type == ObjectType::ObjectTable as i32 => {
                let Some(relation) = rename.relation.as_ref() else { return };
                let name = ast::relation(relation);
                let table = self.table(&at, schema, &name, &relation.relname, rename.missing_ok);
                if let (Some(table), true) = (table, rename.rename_type == ObjectType::ObjectColumn as i32) {
                    self.column(&at, table, &rename.subname);
                }
            }
            NodeEnum::DropStmt(drop) if drop.remove_type == ObjectType::ObjectIndex as i32 && self.known && !drop.missing_ok => {
                for object in &drop.objects {
                    let Some(N::List(list)) = &object.node else { continue };
                    let Some(name) = ast::dotted(&list.items) else { continue };
                    self.index_exists(&at, schema, &name);
                }
            }
            _ => {}
        }
    }

    /// The known table `name`, or `None` (with an error when the schema is known and
    /// the table is not in it).
    fn table<'s>(&mut self, at: &Here<'_>, schema: &'s Schema, name: &QualifiedName, written: &str, missing_ok: bool) -> Option<&'s Table> {
        if !self.known || self.opaque_tables.contains(name) {
            return None;
        }
        let table = schema.tables.get(name);
        if table.is_none() && !missing_ok {
            let names: Vec<&str> = schema.tables.keys().filter(|t| t.schema == name.schema).map(|t| t.name.as_str()).collect();
            let help = did_you_mean(&name.name, names).or_else(|| Some("create it first, or check the schema given with --from".into()));
            self.errors.push(at.error(written, format!("table {name} does not exist"), help));
        }
        table
    }

    fn column(&mut self, at: &Here<'_>, table: &Table, column: &str) -> bool {
        if table.column(column).is_some() {
            return true;
        }
        let help = did_you_mean(column, table.columns.iter().map(|c| c.name.as_str()));
        self.errors
            .push(at.error(column, format!("column {}.{column} does not exist", table.name), help));
        false
    }

    fn alter_table(&mut self, at: &Here<'_>, schema: &Schema, table: &Table, alter: &pg_query::protobuf::AlterTableStmt) {
        let mut added: Vec<String> = Vec::new();
        for cmd in ast::commands(alter) {
            let kind = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
            match (kind, ast::definition(cmd)) {
                (At::AtAddColumn, Some(N::ColumnDef(def))) => {
                    if !cmd.missing_ok && (table.column(&def.colname).is_some() || added.contains(&def.colname)) {
                        let message = format!("column {}.{} already exists: it is added twice", table.name, def.colname);
                        let nth = added.iter().filter(|a| **a == def.colname).count();
                        let help = Some("write ADD COLUMN IF NOT EXISTS, or remove one of them".into());
                        self.errors.push(at.error_at(&def.colname, nth, message, help));
                    }
                    added.push(def.colname.clone());
                }
                (At::AtDropColumn, _) if cmd.missing_ok => {}
                (At::AtAlterColumnType | At::AtSetNotNull | At::AtDropNotNull | At::AtColumnDefault | At::AtDropColumn, _) if !added.contains(&cmd.name) => {
                    self.column(at, table, &cmd.name);
                }
                (At::AtAddConstraint, Some(N::Constraint(c))) => {
                    let keys = ast::names(if ast::constr_type(c) == ConstrType::ConstrForeign {
                        &c.fk_attrs
                    } else {
                        &c.keys
                    });
                    for key in keys.iter().filter(|k| !added.contains(k)) {
                        self.column(at, table, key);
                    }
                    self.foreign_key(at, schema, &table.name, c, None);
                }
                (At::AtDropConstraint | At::AtValidateConstraint, _) if !cmd.missing_ok && !self.opaque_names.contains(&cmd.name) => {
                    let names: Vec<&str> = table.constraint_names().collect();
                    if !names.contains(&cmd.name.as_str()) {
                        let help = did_you_mean(&cmd.name, names.iter().copied());
                        self.errors
                            .push(at.error(&cmd.name, format!("constraint {} on {} does not exist", cmd.name, table.name), help));
                    }
                }
                _ => {}
            }
        }
    }

    /// A foreign key's referenced table and columns: without a column list, the
    /// table's primary key must be known; with a known table, the columns must be a
    /// unique key of it.
    fn foreign_key(&mut self, at: &Here<'_>, schema: &Schema, table: &QualifiedName, c: &Constraint, creating: Option<&[String]>) {
        if ast::constr_type(c) != ConstrType::ConstrForeign {
            return;
        }
        let Some(pk) = c.pktable.as_ref() else { return };
        let referenced = ast::relation(pk);
        let opaque = self.opaque_tables.contains(&referenced) || referenced == *table && creating.is_none();
        let key = referenced_key(c, schema, table, creating);
        if key.is_none() {
            let why = if opaque || !schema.tables.contains_key(&referenced) {
                "is unknown"
            } else {
                "does not exist"
            };
            self.errors.push(at.error(
                &pk.relname,
                format!("the foreign key references {referenced} without naming its columns, and the primary key of {referenced} {why}"),
                Some(format!("name the referenced columns: REFERENCES {} (...)", pk.relname)),
            ));
            return;
        }
        if !self.known || opaque || referenced == *table && creating.is_some() {
            return;
        }
        let Some(target) = self.table(at, schema, &referenced, &pk.relname, false) else {
            return;
        };
        let columns = ast::names(&c.pk_attrs);
        if columns.is_empty() || !columns.iter().all(|col| self.column(at, target, col)) {
            return;
        }
        let mut wanted = columns.clone();
        wanted.sort();
        let unique = unique_keys(target).into_iter().any(|mut k| {
            k.sort();
            k == wanted
        });
        if !unique {
            let help = target
                .primary_key
                .as_ref()
                .map(|pk| {
                    format!(
                        "reference the primary key ({}), or add a unique constraint on ({}) first",
                        pk.columns.join(", "),
                        columns.join(", ")
                    )
                })
                .or_else(|| Some(format!("add a unique constraint on {referenced} ({}) first", columns.join(", "))));
            self.errors.push(at.error(
                &columns[0],
                format!(
                    "the foreign key references {referenced} ({}), which is not its primary key or a unique key",
                    columns.join(", ")
                ),
                help,
            ));
        }
    }

    fn index_exists(&mut self, at: &Here<'_>, schema: &Schema, name: &QualifiedName) {
        if self.opaque_names.contains(&name.name) {
            return;
        }
        let tables = schema.tables.values().filter(|t| t.name.schema == name.schema);
        let mut names: Vec<&str> = Vec::new();
        for t in tables {
            names.extend(t.indexes.iter().map(|i| i.name.as_str()));
            names.extend(t.primary_key.iter().map(|pk| pk.name.as_str()));
            names.extend(t.uniques.iter().map(|u| u.name.as_str()));
        }
        if !names.contains(&name.name.as_str()) {
            let help = did_you_mean(&name.name, names.iter().copied());
            self.errors.push(at.error(&name.name, format!("index {name} does not exist"), help));
        }
    }
}

/// The primary key a `CREATE TABLE` declares, on a column or for the table.
pub(super) fn primary_key_of(create: &pg_query::protobuf::CreateStmt) -> Vec<String> {
    for element in &create.table_elts {
        match &element.node {
            Some(N::ColumnDef(def)) if ast::constraints(&def.constraints).any(|c| ast::constr_type(c) == ConstrType::ConstrPrimary) => {
                return vec![def.colname.clone()];
            }
            Some(N::Constraint(c)) if ast::constr_type(c) == ConstrType::ConstrPrimary => return ast::names(&c.keys),
            _ => {}
        }
    }
    Vec::new()
}

/// The column sets a foreign key may reference: the primary key, unique constraints,
/// and unique indexes on plain columns without a predicate.
fn unique_keys(table: &Table) -> Vec<Vec<String>> {
    let indexes = table
        .indexes
        .iter()
        .filter(|i| i.unique && i.predicate.is_none() && i.key_columns().count() == i.keys.len())
        .map(|i| i.key_columns().map(str::to_string).collect());
    table
        .primary_key
        .iter()
        .map(|pk| pk.columns.clone())
        .chain(table.uniques.iter().map(|u| u.columns.clone()))
        .chain(indexes)
        .collect()
}
