//! A migration history: what the files that ran before the next one built, as the
//! state the next file starts from. Files are replayed (parsed and tracked, not
//! classified or checked) or, when the linter reads them anyway, carried forward from
//! the state it ends with, so a folder costs one pass over its files. A desired-state
//! file can seed it instead.

use super::parse::{parse_statements, Parsed};
use super::source::{self, Wrapping};
use super::state::{KnownConstraint, State};
use super::track;
use crate::locks::ConstraintKind;
use crate::model::{IndexKey, QualifiedName, Schema};

/// The state before the next file of a history.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub(crate) state: State,
}

impl History {
    /// Nothing known: every table the file does not create is an existing table of
    /// unknown shape.
    pub fn new() -> History {
        History::default()
    }

    /// The tables, columns, constraints and indexes of `schema`, as existing objects.
    pub fn from_schema(schema: &Schema) -> History {
        let mut state = State::default();
        state.schema = schema.clone();
        for (name, table) in &schema.tables {
            let mut remember = |constraint: &str, known: KnownConstraint| {
                state.constraints.insert((name.clone(), constraint.to_string()), known);
            };
            let key = |kind, columns: &[String]| KnownConstraint {
                kind,
                validated: true,
                columns: columns.to_vec(),
                references: None,
                referenced_columns: Vec::new(),
                not_null_of: None,
                bounds: Vec::new(),
                added_in_transaction: false,
                added_in_file: false,
            };
            if let Some(pk) = &table.primary_key {
                remember(&pk.name, key(ConstraintKind::PrimaryKey, &pk.columns));
            }
            for unique in &table.uniques {
                remember(&unique.name, key(ConstraintKind::Unique, &unique.columns));
            }
            for check in &table.checks {
                remember(&check.name, key(ConstraintKind::Check, &[]));
            }
            for fk in &table.foreign_keys {
                let mut known = key(ConstraintKind::ForeignKey, &fk.columns);
                known.references = Some(fk.references.clone());
                known.referenced_columns.clone_from(&fk.referenced_columns);
                remember(&fk.name, known);
            }
            let key_indexes = table
                .primary_key
                .iter()
                .map(|pk| (&pk.name, &pk.columns))
                .chain(table.uniques.iter().map(|u| (&u.name, &u.columns)));
            for (index, columns) in key_indexes {
                state.indexes.insert(name.sibling(index.clone()), name.clone());
                state.index_columns.insert(name.sibling(index.clone()), columns.clone());
            }
            for index in &table.indexes {
                let columns = index
                    .keys
                    .iter()
                    .map_while(|k| match k {
                        IndexKey::Column(c) => Some(c.clone()),
                        IndexKey::Expression(_) => None,
                    })
                    .collect();
                state.indexes.insert(name.sibling(index.name.clone()), name.clone());
                state.index_columns.insert(name.sibling(index.name.clone()), columns);
            }
        }
        History { state }
    }

    /// What the history knows of the schema so far.
    pub fn schema(&self) -> &Schema {
        &self.state.schema
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The session's `TimeZone` is UTC at the start of every file (configuration).
    pub fn set_time_zone_utc(&mut self, utc: bool) {
        self.state.default_time_zone_utc = utc;
        self.state.time_zone_utc = utc;
    }

    /// Adds a file that ran to the history without checking it: its statements are
    /// parsed and what they do is kept; a rollback (`down`) part or file adds nothing.
    pub fn replay(&mut self, path: &str, text: &str, diesel_metadata: Option<&str>) {
        if text.contains('\0') {
            return;
        }
        let (_, units) = source::units(path, text, diesel_metadata, None);
        for unit in units.into_iter().filter(|u| !u.down) {
            self.next_unit(unit.wrapping);
            self.apply(&parse_statements(text, unit.range));
        }
        self.carry();
    }

    /// Ends the unit being replayed, and starts one the tool runs as `wrapping` says.
    pub(crate) fn next_unit(&mut self, wrapping: Wrapping) {
        self.carry();
        if wrapping == Wrapping::Transaction {
            self.state.begin(false);
        }
    }

    /// Replays statements of the current unit.
    pub(crate) fn apply(&mut self, statements: &[Parsed]) {
        for statement in statements {
            if let Ok(node) = &statement.result {
                track::apply(node, &mut self.state);
            }
        }
    }

    /// The state of the next file, taken out to be linted (then given back with
    /// [`History::carry_from`]).
    pub(crate) fn take(&mut self) -> State {
        std::mem::take(&mut self.state)
    }

    /// Continues the history from `state`, the state a file ended with.
    pub(crate) fn carry_from(&mut self, state: State) {
        self.state = state;
        self.carry();
    }

    fn carry(&mut self) {
        self.state = std::mem::take(&mut self.state).carried();
    }

    /// True when the history knows `table` (created or altered by an earlier file).
    pub fn knows(&self, table: &QualifiedName) -> bool {
        self.state.schema.tables.contains_key(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_files_are_existing_tables_with_known_columns() {
        let mut history = History::new();
        history.replay("1_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50) NOT NULL);", None);
        history.replay(
            "2_more.sql",
            "-- +goose Up\nCREATE INDEX users_email ON users (email);\n-- +goose Down\nDROP TABLE users;\n",
            None,
        );
        history.replay("2_more.down.sql", "DROP TABLE users;", None);
        let users = QualifiedName::new("public", "users");
        let state = history.state();
        assert!(history.knows(&users) && !state.is_new(&users), "replayed tables exist and are at risk");
        assert_eq!(state.column(&users, "email").map(|c| c.ty.to_string()), Some("character varying(50)".into()));
        assert_eq!(state.not_null(&users, "email"), Some(true));
        assert_eq!(state.indexes.get(&users.sibling("users_email")), Some(&users));
        assert!(!state.in_transaction && state.created.is_empty());
    }

    #[test]
    fn a_schema_seeds_the_history() {
        let schema = crate::load::load_schema(
            "schema.toml",
            "[tables.users]\nprimary_key = [\"id\"]\ncolumns = [{ name = \"id\", type = \"bigint\", nullable = false }, { name = \"org_id\", type = \"bigint\" }]\nindexes = [{ name = \"users_org\", columns = [\"org_id\"] }]\n",
        )
        .expect("loads");
        let history = History::from_schema(&schema);
        let users = QualifiedName::new("public", "users");
        assert_eq!(history.state().not_null(&users, "id"), Some(true));
        assert_eq!(history.state().indexes.get(&users.sibling("users_org")), Some(&users));
        assert!(!history.state().is_new(&users));
    }
}
