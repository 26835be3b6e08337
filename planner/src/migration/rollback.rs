//! The state a rollback starts from, cheaply: a rollback (`down.sql`, goose's `Down`)
//! runs after its migration's up part, but what it does is not part of the history, so
//! it works on a copy. Copying everything a long history knows for every rollback would
//! cost more than linting it; the copy keeps what the rollback can touch: the relations,
//! indexes, domains and functions whose names are words of its text, the constraints on
//! or pointing at those tables, and their partitions; the columns only of the tables it
//! alters.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashSet;

use super::state::State;
use crate::model::QualifiedName;

impl State {
    /// A copy of what is known for a rollback whose SQL is `text`: every relation, index,
    /// domain and function whose name is a word of it (ignoring case), with the
    /// constraints and partitions of those tables. Nothing of this file (transaction,
    /// novelty).
    pub fn for_rollback(&self, text: &str) -> State {
        // Its words, as written and folded to lower case (an unquoted name is kept folded, a
        // quoted one as written), in every schema the history knows: a lookup per word, not
        // a pass over everything known.
        // A long rollback repeats its words many times: a hash set keeps each once
        // without sorting them all.
        let lower = text.to_ascii_lowercase();
        let mut words: FxHashSet<&str> = FxHashSet::default();
        for word in split_words(text) {
            if word.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            words.insert(word);
            if word.bytes().any(|b| b.is_ascii_uppercase()) {
                // The same bytes of the folded text: folding keeps every byte's place.
                let at = word.as_ptr() as usize - text.as_ptr() as usize;
                words.insert(&lower[at..at + word.len()]);
            }
        }
        let mut schemas: Vec<&str> = vec!["public"];
        for table in self.schema.tables.keys() {
            if !schemas.contains(&table.schema.as_str()) {
                schemas.push(&table.schema);
            }
        }
        // Columns are read only by ALTER TABLE (and ALTER DOMAIN, of every table using the
        // domain): the other tables are named, not looked into, and their columns, the
        // bulk of what is known, are not copied.
        let altered = altered_tables(text);
        let domains = lower.contains("domain");
        let looked_into = |name: &QualifiedName| domains || altered.contains(&name.name);
        let mut copy = State::default();
        let mut names: BTreeSet<QualifiedName> = BTreeSet::new();
        // One name, refilled for every probe: most words are keywords and columns, found nowhere.
        let mut probe = QualifiedName::new("", "");
        for (schema, word) in schemas.iter().flat_map(|s| words.iter().map(move |w| (*s, *w))) {
            probe.schema.clear();
            probe.schema.push_str(schema);
            probe.name.clear();
            probe.name.push_str(word);
            let name = &probe;
            let table = self.schema.tables.get(name);
            if table.is_none()
                && !self.indexes.contains_key(name)
                && !self.functions.contains(name)
                && !self.domains.contains_key(name)
                && !self.view_sources.contains_key(name)
            {
                continue;
            }
            names.insert(name.clone());
            if let Some(table) = table {
                let table = if looked_into(name) {
                    table.clone()
                } else {
                    crate::model::Table::new(name.clone())
                };
                copy.schema.tables.insert(name.clone(), table);
            }
            let on_table = (name.clone(), String::new())..;
            for (key, c) in self.constraints.range(on_table.clone()).take_while(|((t, _), _)| t == name) {
                copy.constraints.insert(key.clone(), c.clone());
            }
            for (key, set) in self.not_null_set.range(on_table).take_while(|((t, _), _)| t == name) {
                copy.not_null_set.insert(key.clone(), *set);
            }
            pick(&self.indexes, &mut copy.indexes, name);
            pick(&self.index_columns, &mut copy.index_columns, name);
            pick(&self.view_sources, &mut copy.view_sources, name);
            pick(&self.children, &mut copy.children, name);
            pick(&self.partition_keys, &mut copy.partition_keys, name);
            pick(&self.storage, &mut copy.storage, name);
            pick(&self.domains, &mut copy.domains, name);
            if self.functions.contains(name) {
                copy.functions.insert(name.clone());
            }
        }
        // The foreign keys that point at a named table, and the partitions of their parents.
        for (key, c) in self
            .constraints
            .iter()
            .filter(|(_, c)| c.references.as_ref().is_some_and(|r| names.contains(r)))
        {
            copy.constraints.insert(key.clone(), c.clone());
        }
        for (parent, children) in self.children.iter().filter(|(_, children)| children.iter().any(|(c, _)| names.contains(c))) {
            copy.children.insert(parent.clone(), children.clone());
        }
        copy.default_time_zone_utc = self.default_time_zone_utc;
        copy.time_zone_utc = self.default_time_zone_utc;
        copy
    }
}

/// Copies the entry of `name`, if there is one.
fn pick<V: Clone>(from: &BTreeMap<QualifiedName, V>, to: &mut BTreeMap<QualifiedName, V>, name: &QualifiedName) {
    if let Some(value) = from.get(name) {
        to.insert(name.clone(), value.clone());
    }
}

/// The identifier-like words of a text.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).filter(|w| !w.is_empty())
}

/// The names after `ALTER TABLE [IF EXISTS] [ONLY]` (a schema-qualified name gives
/// both its parts), as written and folded to lower case.
fn altered_tables(text: &str) -> Vec<String> {
    let words: Vec<&str> = split_words(text).collect();
    let mut out: Vec<String> = Vec::new();
    for (at, pair) in words.windows(2).enumerate() {
        if pair[0].eq_ignore_ascii_case("alter") && pair[1].eq_ignore_ascii_case("table") {
            let rest = words[at + 2..]
                .iter()
                .skip_while(|w| ["if", "exists", "only"].iter().any(|k| w.eq_ignore_ascii_case(k)));
            for name in rest.take(2) {
                out.push(name.to_string());
                out.push(name.to_ascii_lowercase());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::migration::history::History;
    use crate::model::QualifiedName;

    #[test]
    fn a_rollback_sees_what_it_names() {
        let mut history = History::new();
        history.replay(
            "1_init.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, handle varchar(20));\nCREATE TABLE orgs (id bigint PRIMARY KEY);\nCREATE TABLE members (org_id bigint REFERENCES orgs);\nCREATE INDEX users_handle ON users (handle);",
            None,
        );
        let copy = history
            .state()
            .for_rollback("ALTER TABLE Users ALTER COLUMN handle TYPE varchar(10);\nDROP TABLE orgs;\nDROP INDEX users_handle;");
        let name = |n: &str| QualifiedName::new("public", n);
        assert!(copy.column(&name("users"), "handle").is_some() && copy.schema.tables.contains_key(&name("orgs")));
        // orgs is dropped, not looked into: its columns are not copied.
        assert!(copy.column(&name("orgs"), "id").is_none());
        assert!(!copy.schema.tables.contains_key(&name("members")));
        // The foreign key of members points at orgs: dropping orgs locks members.
        assert!(copy.constraints.keys().any(|(t, _)| t == &name("members")));
        assert_eq!(copy.indexes.get(&name("users_handle")), Some(&name("users")));
    }
}
