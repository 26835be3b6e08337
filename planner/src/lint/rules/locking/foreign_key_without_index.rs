//! BW117 `foreign-key-without-index`: a foreign key whose columns lead no index, primary
//! key or unique constraint known by the end of the unit.

use std::collections::BTreeMap;
use std::ops::Range;

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ConstrType, Constraint};
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
use crate::migration::ast;
use crate::model::QualifiedName;

pub struct ForeignKeyWithoutIndex;

static META: RuleMeta = RuleMeta {
    code: "BW117",
    name: "foreign-key-without-index",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a foreign key whose columns are not the leading columns of any index",
    why: "PostgreSQL indexes the referenced key, not the referencing columns. Without an index on them, every DELETE from the referenced table, and every UPDATE of its key, scans the whole referencing table for matching rows; with ON DELETE CASCADE or SET NULL the row locks of the cascade are held for that scan. As the table grows, deletes slow down and hold their locks longer. An index counts when the foreign key's columns are its leading columns, in any order, and it has no WHERE clause.",
    alternative: "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n-- on an existing table, outside a transaction block:\nCREATE INDEX CONCURRENTLY invoices_org_id_idx ON invoices (org_id);",
};

/// A foreign key the unit adds.
struct ForeignKey {
    table: QualifiedName,
    columns: Vec<String>,
    references: Option<QualifiedName>,
    /// The table is created by the unit (so no index the unit does not create exists).
    new_table: bool,
    span: Range<usize>,
}

/// What the unit declares: its foreign keys, and the leading columns of its indexes,
/// primary keys and unique constraints per table.
#[derive(Default)]
struct Declared {
    foreign_keys: Vec<ForeignKey>,
    keys: BTreeMap<QualifiedName, Vec<Vec<String>>>,
    /// Index -> its columns, for `ADD ... USING INDEX`.
    indexes: BTreeMap<QualifiedName, Vec<String>>,
}

impl Rule for ForeignKeyWithoutIndex {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        Some(Box::<Declared>::default())
    }
}

impl UnitCheck for Declared {
    fn statement(&mut self, cx: &StatementContext<'_>, _out: &mut Vec<Finding>) {
        self.read(cx);
    }

    fn finish(self: Box<Self>, out: &mut Vec<Finding>) {
        for fk in &self.foreign_keys {
            let keys = self.keys.get(&fk.table).map(Vec::as_slice).unwrap_or_default();
            if keys.iter().any(|key| leads(key, &fk.columns)) {
                continue;
            }
            let columns = fk.columns.join(", ");
            let referenced = fk.references.as_ref().map_or("the referenced table".to_string(), ToString::to_string);
            let scans = format!(
                "every DELETE from {referenced}, and every UPDATE of its key, scans all of {} for referencing rows, holding its row locks (and a cascade's) for the scan",
                fk.table
            );
            let message = if fk.new_table {
                format!("no index on {} ({columns}): {scans}", fk.table)
            } else {
                format!("no index on {} ({columns}) is created in this migration; if none exists, {scans}", fk.table)
            };
            let how = if fk.new_table { "CREATE INDEX" } else { "CREATE INDEX CONCURRENTLY" };
            let help = format!(
                "index the referencing columns: `{how} {}_{}_idx ON {} ({columns})`",
                fk.table.name,
                fk.columns.join("_"),
                fk.table
            );
            out.push(Finding::new(fk.span.clone(), message, help));
        }
    }
}

/// True when `columns` are the leading columns of `key`, in any order: an equality
/// lookup on all of them can use the index.
fn leads(key: &[String], columns: &[String]) -> bool {
    key.len() >= columns.len() && columns.iter().all(|c| key[..columns.len()].contains(c))
}

impl Declared {
    fn read(&mut self, statement: &StatementContext<'_>) {
        match statement.node {
            NodeEnum::CreateStmt(create) => {
                let Some(table) = create.relation.as_ref().map(ast::relation) else { return };
                for element in &create.table_elts {
                    match &element.node {
                        Some(N::ColumnDef(def)) => {
                            for c in ast::constraints(&def.constraints) {
                                self.constraint(statement, &table, c, Some(&def.colname), true);
                            }
                        }
                        Some(N::Constraint(c)) => self.constraint(statement, &table, c, None, true),
                        _ => {}
                    }
                }
            }
            NodeEnum::IndexStmt(index) if index.where_clause.is_none() => {
                let Some(table) = index.relation.as_ref().map(ast::relation) else { return };
                let columns = ast::index_key_columns(&index.index_params);
                if !index.idxname.is_empty() {
                    self.indexes.insert(table.sibling(index.idxname.clone()), columns.clone());
                }
                self.keys.entry(table).or_default().push(columns);
            }
            NodeEnum::AlterTableStmt(alter) => {
                let Some(table) = alter.relation.as_ref().map(ast::relation) else { return };
                let new_table = !statement.acts_on_existing(&table);
                for cmd in ast::commands(alter) {
                    match ast::definition(cmd) {
                        Some(N::Constraint(c)) if cmd.subtype == At::AtAddConstraint as i32 => self.constraint(statement, &table, c, None, new_table),
                        Some(N::ColumnDef(def)) if cmd.subtype == At::AtAddColumn as i32 => {
                            for c in ast::constraints(&def.constraints) {
                                self.constraint(statement, &table, c, Some(&def.colname), new_table);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// A constraint of `table`, in table form or as a constraint of `column`.
    fn constraint(&mut self, statement: &StatementContext<'_>, table: &QualifiedName, c: &Constraint, column: Option<&str>, new_table: bool) {
        let listed = |list| match column {
            Some(column) => vec![column.to_string()],
            None => ast::names(list),
        };
        match ast::constr_type(c) {
            ConstrType::ConstrForeign => self.foreign_keys.push(ForeignKey {
                table: table.clone(),
                columns: listed(&c.fk_attrs),
                references: c.pktable.as_ref().map(ast::relation),
                new_table,
                span: statement.span_of(if column.is_some() { "references" } else { "foreign key" }),
            }),
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
                let key = if c.indexname.is_empty() {
                    Some(listed(&c.keys))
                } else {
                    self.indexes.get(&table.sibling(c.indexname.clone())).cloned()
                };
                self.keys.entry(table.clone()).or_default().extend(key);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_a_foreign_key_without_index() {
        insta::assert_snapshot!(render(
            "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nALTER TABLE invoices ADD CONSTRAINT invoices_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;"
        ));
        assert_fires(
            "BW117",
            "ALTER TABLE billing.\"Invoices\" ADD FOREIGN KEY (\"OrgId\", region) REFERENCES orgs NOT VALID;",
        );
        // An index led by other columns, or partial, does not serve the lookup.
        assert_fires("BW117", "CREATE TABLE t (a int REFERENCES u, b int);\nCREATE INDEX t_b_a ON t (b, a);");
        assert_fires("BW117", "CREATE TABLE t (a int REFERENCES u);\nCREATE INDEX t_a ON t (a) WHERE a > 0;");
    }

    #[test]
    fn quiet_when_an_index_or_key_leads_with_the_columns() {
        assert_clean("BW117", "CREATE TABLE t (a int PRIMARY KEY REFERENCES u);");
        assert_clean("BW117", "CREATE TABLE t (a int, b int, UNIQUE (b, a, id), FOREIGN KEY (a, b) REFERENCES u);");
        // An index created later in the unit counts.
        assert_clean("BW117", "CREATE TABLE t (a int REFERENCES u);\nCREATE INDEX t_a_b ON t (a, b);");
        assert_clean(
            "BW117",
            "ALTER TABLE invoices ADD FOREIGN KEY (org_id) REFERENCES orgs NOT VALID;\nCREATE INDEX CONCURRENTLY i ON invoices (org_id);",
        );
        assert_clean(
            "BW117",
            "CREATE UNIQUE INDEX CONCURRENTLY k ON invoices (org_id);\nALTER TABLE invoices ADD UNIQUE USING INDEX k, ADD FOREIGN KEY (org_id) REFERENCES orgs NOT VALID;",
        );
    }
}
