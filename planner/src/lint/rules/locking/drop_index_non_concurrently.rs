//! BW102 `drop-index-non-concurrently`: `DROP INDEX` without `CONCURRENTLY` on an index
//! the file did not create.

use pg_query::protobuf::{node::Node as N, ObjectType};
use pg_query::NodeEnum;

use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::Op;
use crate::migration::ast;

pub struct DropIndexNonConcurrently;

static META: RuleMeta = RuleMeta {
    code: "BW102",
    name: "drop-index-non-concurrently",
    severity: Severity::Error,
    default_enabled: true,
    summary: "an existing index dropped without CONCURRENTLY",
    why: "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table. The drop itself is quick, but the lock must wait for every transaction already using the table, and every query that arrives meanwhile (reads too) queues behind it: a long report or an idle-in-transaction session turns it into an outage. DROP INDEX CONCURRENTLY (PostgreSQL 9.2+) takes SHARE UPDATE EXCLUSIVE instead and waits without blocking anyone; it drops one index per statement, without CASCADE, outside a transaction block.",
    alternative: "-- outside a transaction block, one index per statement:\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;",
};

impl Rule for DropIndexNonConcurrently {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::DropStmt(drop) = cx.node else { return };
        if drop.concurrent || drop.remove_type != ObjectType::ObjectIndex as i32 {
            return;
        }
        let names = drop.objects.iter().filter_map(|o| match &o.node {
            Some(N::List(list)) => ast::dotted(&list.items),
            _ => None,
        });
        let actions = cx.actions.iter().filter(|a| matches!(a.op, Op::DropIndex { concurrently: false }));
        for (index, action) in names.zip(actions) {
            if !cx.existing(&index) || !cx.existing(&action.table) {
                continue;
            }
            let Some(lock) = cx.facts.locks.iter().find(|l| l.relation == action.table) else {
                continue;
            };
            let blocked = if cx.state.indexes.contains_key(&index) {
                wording::blocks(lock)
            } else {
                // Neither the file nor the migrations before it say which table the index is on.
                wording::blocks_on(lock.mode, lock.cost, &format!("the table of {index}"))
            };
            out.push(Finding::new(
                cx.span_of("drop index"),
                format!("{blocked}, to drop {index}"),
                "drop it with DROP INDEX CONCURRENTLY, one index per statement, outside a transaction block; `bellows plan --sql FILE` prints the phased plan",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_index_from_elsewhere() {
        insta::assert_snapshot!(render("DROP INDEX users_email_idx;"));
        assert_fires("BW102", "DROP INDEX IF EXISTS billing.invoices_number_idx, billing.other_idx;");
    }

    #[test]
    fn quiet_when_concurrent_or_created_in_the_file() {
        assert_clean("BW102", "DROP INDEX CONCURRENTLY users_email_idx;");
        assert_clean(
            "BW102",
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nDROP INDEX users_email_idx;",
        );
        assert_clean("BW102", "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nDROP INDEX t_a_idx;");
    }
}
