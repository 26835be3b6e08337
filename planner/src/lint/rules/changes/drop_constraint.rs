//! BW152 `drop-constraint`: `ALTER TABLE ... DROP CONSTRAINT` of a constraint the file did
//! not add.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{facts, ConstraintKind, Op, Role};
use crate::migration::ast;

pub struct DropConstraint;

static META: RuleMeta = RuleMeta {
    code: "BW152",
    name: "drop-constraint",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a constraint dropped from an existing table",
    why: "The DROP is instant but takes ACCESS EXCLUSIVE on the table, and dropping a foreign key takes ACCESS EXCLUSIVE on the referenced table too. The application version still running may rely on the constraint: ON CONFLICT needs its unique constraint, and code may rely on the checks and cascades it provides.",
    alternative: "-- release 1: stop relying on the constraint, and deploy it\n-- release 2 (bellows' contract phase):\nSELECT 1;",
};

impl Rule for DropConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::AlterTableStmt(alter) = cx.node else { return };
        for action in cx.actions.iter().filter(|a| matches!(a.op, Op::DropConstraint { .. }) && cx.existing(&a.table)) {
            for name in dropped_names(alter) {
                // A constraint this file added is known to no running application version.
                if cx.state.is_new_constraint(&action.table, &name) {
                    continue;
                }
                let mut message = format!("the application version still running may rely on {name} on {}", action.table);
                if let Some(lock) = action.referenced.as_ref().and_then(|r| cx.facts.locks.iter().find(|l| &l.relation == r)) {
                    message.push_str(&format!("; dropping the foreign key also takes {} on {}", lock.mode, lock.relation));
                } else if looks_like_foreign_key(&name) {
                    let fk = facts(
                        Op::DropConstraint {
                            kind: ConstraintKind::ForeignKey,
                        },
                        cx.pg,
                    );
                    if let Some(fact) = fk.iter().find(|f| f.role == Role::Referenced) {
                        message.push_str(&format!(
                            "; if it is a foreign key, dropping it also takes {} on the table it references",
                            fact.mode
                        ));
                    }
                }
                out.push(Finding::new(
                    cx.span_of(&name),
                    message,
                    "stop relying on the constraint in the application, deploy, then drop it in a later migration (bellows' contract phase), with a short lock_timeout",
                ));
            }
        }
    }
}

fn dropped_names(alter: &pg_query::protobuf::AlterTableStmt) -> Vec<String> {
    ast::commands_of(alter, pg_query::protobuf::AlterTableType::AtDropConstraint)
        .map(|cmd| cmd.name.clone())
        .collect()
}

/// PostgreSQL names foreign keys `<table>_<column>_fkey`; many teams use `fk_...`.
fn looks_like_foreign_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with("_fkey") || name.ends_with("_fk") || name.starts_with("fk_")
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_constraint() {
        insta::assert_snapshot!(render("ALTER TABLE users DROP CONSTRAINT users_org_id_fkey;"));
        assert_fires("BW152", "ALTER TABLE users DROP CONSTRAINT users_email_key;");
    }

    #[test]
    fn quiet_on_constraints_of_this_file() {
        assert_clean("BW152", "CREATE TABLE t (a int CHECK (a > 0));\nALTER TABLE t DROP CONSTRAINT t_a_check;");
        assert_clean(
            "BW152",
            "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE users DROP CONSTRAINT c;",
        );
    }
}
