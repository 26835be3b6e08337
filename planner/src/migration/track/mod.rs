//! Keeping `State` up to date as statements run: tables, columns, constraints,
//! partitions, indexes, domains and functions created, changed or dropped (`table`,
//! `constraint`); transactions; lock timeouts, time zones; enum values.

mod constraint;
mod table;

use pg_query::protobuf::{node::Node as N, ObjectType, TransactionStmtKind as Tx, VariableSetKind};
use pg_query::NodeEnum;

use super::ast;
use super::classify::query_relations;
use super::state::State;
pub(crate) use constraint::default_name;

/// Applies the effect of one statement to what is known.
pub fn apply(node: &NodeEnum, state: &mut State) {
    match node {
        NodeEnum::TransactionStmt(tx) => match Tx::try_from(tx.kind).unwrap_or(Tx::Undefined) {
            Tx::TransStmtBegin | Tx::TransStmtStart => state.begin(true),
            Tx::TransStmtCommit | Tx::TransStmtRollback | Tx::TransStmtPrepare => state.end(),
            _ => {}
        },
        NodeEnum::VariableSetStmt(set) => variable_set(set, state),
        NodeEnum::CreateStmt(create) => table::create_table(create, state),
        NodeEnum::CreateTableAsStmt(create) => {
            if let Some(r) = create.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let name = ast::relation(r);
                state.view_sources.insert(name.clone(), query_relations(create.query.as_deref()));
                state.created.insert(name);
            }
        }
        NodeEnum::ViewStmt(view) => {
            if let Some(r) = view.view.as_ref() {
                let name = ast::relation(r);
                state.view_sources.insert(name.clone(), query_relations(view.query.as_deref()));
                state.created.insert(name);
            }
        }
        NodeEnum::IndexStmt(index) => {
            if let (Some(table), false) = (index.relation.as_ref().map(ast::relation), index.idxname.is_empty()) {
                let name = table.sibling(index.idxname.clone());
                if index.if_not_exists && state.indexes.contains_key(&name) {
                    return;
                }
                state.indexes.insert(name.clone(), table);
                state.index_columns.insert(name.clone(), ast::index_key_columns(&index.index_params));
                state.created.insert(name);
            }
        }
        NodeEnum::AlterTableStmt(alter) => {
            let Some(table) = alter.relation.as_ref().map(ast::relation) else { return };
            for cmd in ast::commands(alter) {
                table::alter_command(cmd, &table, state);
            }
        }
        NodeEnum::RenameStmt(rename) => table::rename_stmt(rename, state),
        NodeEnum::AlterObjectSchemaStmt(moved) if moved.object_type == ObjectType::ObjectTable as i32 => {
            if let Some(from) = moved.relation.as_ref().map(ast::relation) {
                let to = crate::model::QualifiedName::new(moved.newschema.clone(), from.name.clone());
                table::rename_table(state, &from, &to);
            }
        }
        NodeEnum::DropStmt(drop) => table::drop_stmt(drop, state),
        NodeEnum::AlterEnumStmt(alter) if !alter.new_val.is_empty() => {
            if let Some(name) = ast::dotted(&alter.type_name) {
                state.enum_values_added.insert((name, alter.new_val.clone()));
            }
        }
        NodeEnum::CreateDomainStmt(domain) => {
            if let Some(name) = ast::dotted(&domain.domainname) {
                // NOT NULL and CHECK constraints are checked against every stored value.
                let constrained = ast::constraints(&domain.constraints).any(|c| {
                    matches!(
                        ast::constr_type(c),
                        pg_query::protobuf::ConstrType::ConstrCheck | pg_query::protobuf::ConstrType::ConstrNotnull
                    )
                });
                state.domains.insert(name, constrained);
            }
        }
        NodeEnum::AlterDomainStmt(alter) if matches!(alter.subtype.as_str(), "C" | "O") => {
            if let Some(name) = ast::dotted(&alter.type_name) {
                state.domains.insert(name, true);
            }
        }
        NodeEnum::CreateFunctionStmt(function) => {
            if let Some(name) = ast::dotted(&function.funcname) {
                state.functions.insert(name.clone());
                state.created_functions.insert(name);
            }
        }
        _ => {}
    }
}

fn variable_set(set: &pg_query::protobuf::VariableSetStmt, state: &mut State) {
    let kind = VariableSetKind::try_from(set.kind).unwrap_or(VariableSetKind::Undefined);
    if kind == VariableSetKind::VarResetAll {
        state.set_lock_timeout(false, false);
        state.set_time_zone(state.default_time_zone_utc, false);
        return;
    }
    let value = set.args.first().and_then(|a| match &a.node {
        Some(N::AConst(c)) => match c.val.as_ref()? {
            pg_query::protobuf::a_const::Val::Ival(i) => Some(i.ival.to_string()),
            pg_query::protobuf::a_const::Val::Sval(s) => Some(s.sval.clone()),
            pg_query::protobuf::a_const::Val::Fval(f) => Some(f.fval.clone()),
            _ => None,
        },
        _ => None,
    });
    match set.name.to_ascii_lowercase().as_str() {
        "lock_timeout" => {
            let zero = value.as_deref().is_some_and(|v| v.trim_start_matches('0').is_empty() || v == "0");
            let on = kind == VariableSetKind::VarSetValue && !zero;
            state.set_lock_timeout(on, set.is_local);
        }
        "timezone" => {
            let utc = match kind {
                VariableSetKind::VarSetValue => value.as_deref().is_some_and(zone_without_offset),
                _ => state.default_time_zone_utc,
            };
            state.set_time_zone(utc, set.is_local);
        }
        _ => {}
    }
}

/// Time zones whose offset from UTC is always zero: PostgreSQL 12+ then converts a
/// `timestamp` column to `timestamptz` without rewriting it
/// (`TimestampTimestampTzRequiresRewrite`).
pub fn zone_without_offset(zone: &str) -> bool {
    let zone = zone.trim().to_ascii_lowercase();
    let zone = zone.strip_prefix("etc/").unwrap_or(&zone);
    matches!(
        zone,
        "utc" | "uct" | "gmt" | "gmt0" | "gmt+0" | "gmt-0" | "greenwich" | "universal" | "zulu" | "z" | "0" | "+0" | "-0" | "00:00" | "+00:00" | "+00"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QualifiedName;

    fn state_after(sql: &str) -> State {
        let mut state = State::default();
        for raw in pg_query::parse(sql, 0).expect("parses").protobuf.stmts {
            apply(&raw.stmt.and_then(|s| s.node).expect("a statement"), &mut state);
        }
        state
    }

    #[test]
    fn nullability_of_columns_from_before_the_file_is_known_once_the_file_sets_it() {
        let users = QualifiedName::new("public", "users");
        let state =
            state_after("ALTER TABLE users ALTER COLUMN id SET NOT NULL, ALTER COLUMN a SET NOT NULL;\nALTER TABLE users ALTER COLUMN a DROP NOT NULL;");
        assert_eq!(state.not_null(&users, "id"), Some(true));
        assert_eq!(state.not_null(&users, "a"), Some(false));
        assert_eq!(state.not_null(&users, "b"), None);
        let state = state_after("ALTER TABLE users ALTER COLUMN id SET NOT NULL;\nALTER TABLE users RENAME COLUMN id TO key;");
        assert_eq!((state.not_null(&users, "id"), state.not_null(&users, "key")), (None, Some(true)));
    }

    #[test]
    fn nullability_of_columns_the_file_declares() {
        let t = QualifiedName::new("public", "t");
        let state = state_after("CREATE TABLE t (a int NOT NULL, b int, c int PRIMARY KEY, s serial);\nALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0;");
        let nullability: Vec<_> = ["a", "b", "c", "d", "s"].iter().map(|c| state.not_null(&t, c)).collect();
        assert_eq!(nullability, [Some(true), Some(false), Some(true), Some(true), Some(true)]);
    }

    #[test]
    fn partitions_children_and_renames() {
        let name = |n: &str| QualifiedName::new("public", n);
        let state = state_after(
            "CREATE TABLE m (k int) PARTITION BY RANGE (k);\nCREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);\nCREATE TABLE md PARTITION OF m DEFAULT;\nCREATE TABLE m2 (k int);\nALTER TABLE m ATTACH PARTITION m2 FOR VALUES FROM (10) TO (20);\nALTER TABLE m DETACH PARTITION m1;\nCREATE TABLE c () INHERITS (m2);\nALTER TABLE m RENAME TO n;",
        );
        assert_eq!(state.descendants(&name("n")), [name("md"), name("m2"), name("c")]);
        assert_eq!(state.default_partition(&name("n")), Some(&name("md")));
        assert_eq!(state.partition_keys.get(&name("n")), Some(&vec!["k".to_string()]));
        assert!(state.descendants(&name("m")).is_empty());
    }

    #[test]
    fn time_zone_settings() {
        assert!(state_after("SET TIME ZONE 'UTC';").time_zone_utc);
        assert!(state_after("SET timezone = 'Etc/UTC';").time_zone_utc);
        assert!(!state_after("SET timezone = 'UTC';\nSET timezone = 'Europe/Paris';").time_zone_utc);
        // LOCAL outside a transaction block does nothing; inside, it lasts until its end.
        assert!(!state_after("SET LOCAL timezone = 'UTC';").time_zone_utc);
        assert!(state_after("BEGIN;\nSET LOCAL timezone = 'UTC';").time_zone_utc);
        assert!(!state_after("BEGIN;\nSET LOCAL timezone = 'UTC';\nCOMMIT;").time_zone_utc);
    }
}
