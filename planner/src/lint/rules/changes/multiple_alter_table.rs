//! BW143 `multiple-alter-table`: several `ALTER TABLE` statements on the same existing
//! table, one after another, that could be one statement.

use std::collections::{BTreeMap, BTreeSet};

use pg_query::protobuf::{AlterTableStmt, AlterTableType as At, ObjectType};
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
use crate::migration::ast;
use crate::model::QualifiedName;

pub struct MultipleAlterTable;

static META: RuleMeta = RuleMeta {
    code: "BW143",
    name: "multiple-alter-table",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "several ALTER TABLE statements on one existing table that could be a single statement",
    why: "Each ALTER TABLE waits in the table's lock queue and takes its lock (ACCESS EXCLUSIVE for most forms) separately: every wait is another chance to queue behind a long transaction while the application's queries queue behind it. One ALTER TABLE with a list of actions waits once. VALIDATE CONSTRAINT (meant to run on its own, under a weaker lock), ATTACH and DETACH PARTITION (which cannot be combined), and statements separated by another statement on the same table (such as a backfill) are not counted.",
    alternative: "ALTER TABLE users ADD COLUMN note text, ADD COLUMN score integer;",
};

impl Rule for MultipleAlterTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        Some(Box::<Runs>::default())
    }
}

/// Per table: the run of combinable ALTER TABLEs seen since the last other statement on
/// it, as (statement index, where the statement starts).
#[derive(Default)]
struct Runs(BTreeMap<QualifiedName, Vec<(usize, usize)>>);

impl UnitCheck for Runs {
    fn statement(&mut self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let combinable = combinable_table(cx);
        let touched: BTreeSet<&QualifiedName> = cx.actions.iter().flat_map(|a| [Some(&a.table), a.referenced.as_ref()]).flatten().collect();
        for table in touched.into_iter().filter(|t| combinable.as_ref() != Some(*t)) {
            if let Some(run) = self.0.get_mut(table) {
                report(table, run, out);
                run.clear();
            }
        }
        if let Some(table) = combinable {
            self.0.entry(table).or_default().push((cx.index, cx.span.start));
        }
    }

    fn finish(self: Box<Self>, out: &mut Vec<Finding>) {
        for (table, run) in &self.0 {
            report(table, run, out);
        }
    }
}

fn report(table: &QualifiedName, run: &[(usize, usize)], out: &mut Vec<Finding>) {
    if let [(first, _), (_, start), ..] = run {
        out.push(Finding::new(
            *start..start + "alter".len(),
            format!(
                "{table} is altered by {} separate ALTER TABLE statements (from statement {} on): each waits in the lock queue and blocks the table again",
                run.len(),
                first + 1
            ),
            "combine them into one ALTER TABLE with a comma-separated list of actions",
        ));
    }
}

/// The existing table an `ALTER TABLE` could share with other actions on it.
fn combinable_table(cx: &StatementContext<'_>) -> Option<QualifiedName> {
    let NodeEnum::AlterTableStmt(alter) = cx.node else { return None };
    let table = alter.relation.as_ref().map(ast::relation)?;
    let alone = alter_commands(alter).any(|s| {
        matches!(
            s,
            At::AtValidateConstraint | At::AtAttachPartition | At::AtDetachPartition | At::AtDetachPartitionFinalize
        )
    });
    (alter.objtype == ObjectType::ObjectTable as i32 && !alone && cx.acts_on_existing(&table)).then_some(table)
}

fn alter_commands(alter: &AlterTableStmt) -> impl Iterator<Item = At> + '_ {
    ast::commands(alter).map(|cmd| At::try_from(cmd.subtype).unwrap_or(At::Undefined))
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint, render};

    #[test]
    fn fires_on_separate_alters_of_one_table() {
        insta::assert_snapshot!(render(
            "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN note text;\nALTER TABLE users ADD COLUMN score integer;\nALTER TABLE users ALTER COLUMN note SET DEFAULT '';"
        ));
        assert_fires(
            "BW143",
            "ALTER TABLE users ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY i ON orgs (a);\nALTER TABLE users DROP COLUMN b;",
        );
    }

    #[test]
    fn quiet_when_they_cannot_be_combined() {
        assert_clean(
            "BW143",
            "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;",
        );
        assert_clean(
            "BW143",
            "ALTER TABLE users ADD COLUMN a int;\nUPDATE users SET a = 1;\nALTER TABLE users ALTER COLUMN a SET NOT NULL;",
        );
        assert_clean(
            "BW143",
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nALTER TABLE t ADD COLUMN c int;",
        );
        assert_clean("BW143", "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orgs ADD COLUMN a int;");
        assert_eq!(
            fired(
                &lint("ALTER TABLE m DETACH PARTITION a CONCURRENTLY;\nALTER TABLE m DETACH PARTITION b CONCURRENTLY;"),
                "BW143"
            ),
            0
        );
    }
}
