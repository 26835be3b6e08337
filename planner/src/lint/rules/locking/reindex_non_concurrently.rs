//! BW103 `reindex-non-concurrently`: `REINDEX` of an existing index, table, schema or
//! database without `CONCURRENTLY`.

use pg_query::protobuf::{node::Node as N, ReindexObjectType as Kind};
use pg_query::NodeEnum;

use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{facts, index_lock, Op};
use crate::migration::ast;

pub struct ReindexNonConcurrently;

static META: RuleMeta = RuleMeta {
    code: "BW103",
    name: "reindex-non-concurrently",
    severity: Severity::Error,
    default_enabled: true,
    summary: "REINDEX of an existing index or table without CONCURRENTLY",
    why: "REINDEX takes a SHARE lock on the table, so every INSERT, UPDATE and DELETE waits until the index is rebuilt from a full read of the table, and an ACCESS EXCLUSIVE lock on each index it rebuilds, so even queries whose plans would consider that index wait. REINDEX ... CONCURRENTLY (PostgreSQL 12+) builds a replacement under SHARE UPDATE EXCLUSIVE and swaps it in, outside a transaction block. Before 12, the same is done by hand: CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, rename the copy.",
    alternative: "-- PostgreSQL 12+, outside a transaction block:\nREINDEX INDEX CONCURRENTLY users_email_idx;",
};

impl Rule for ReindexNonConcurrently {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let NodeEnum::ReindexStmt(reindex) = cx.node else { return };
        if reindex
            .params
            .iter()
            .any(|p| matches!(&p.node, Some(N::DefElem(d)) if d.defname == "concurrently"))
        {
            return;
        }
        let kind = Kind::try_from(reindex.kind).unwrap_or(Kind::Undefined);
        let blocked = match (kind, reindex.relation.as_ref().map(ast::relation)) {
            (Kind::ReindexObjectIndex | Kind::ReindexObjectTable, Some(named)) => {
                let Some(action) = cx.actions.first().filter(|a| cx.existing(&named) && cx.existing(&a.table)) else {
                    return;
                };
                let Some(lock) = cx.facts.locks.iter().find(|l| l.relation == action.table) else {
                    return;
                };
                if action.table == named || cx.state.indexes.contains_key(&named) {
                    wording::blocks(lock)
                } else {
                    wording::blocks_on(lock.mode, lock.cost, &format!("the table of {named}"))
                }
            }
            // A whole schema or database: the same locks, on every table in turn.
            (Kind::ReindexObjectSchema | Kind::ReindexObjectDatabase, _) => {
                let Some(fact) = facts(Op::Reindex { concurrently: false }, cx.pg).into_iter().next() else {
                    return;
                };
                let what = if kind == Kind::ReindexObjectSchema {
                    format!("every table of schema {}, one after another,", reindex.name)
                } else {
                    "every table of the database, one after another,".to_string()
                };
                wording::blocks_on(fact.mode, fact.cost, &what)
            }
            _ => return,
        };
        let help = if cx.pg.at_least(12) {
            "use REINDEX ... CONCURRENTLY, outside a transaction block".to_string()
        } else {
            format!("PostgreSQL {} has no REINDEX CONCURRENTLY (12+ has): CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old index, then rename the copy", cx.pg)
        };
        let rebuilt = if kind == Kind::ReindexObjectIndex { "the index" } else { "each index" };
        let index = index_lock(Op::Reindex { concurrently: false }).map_or(String::new(), |mode| {
            format!(", and {mode} on {rebuilt} while it is rebuilt: queries that would use it wait too, reads included")
        });
        out.push(Finding::new(
            cx.span_of("reindex"),
            format!(
                "{blocked}, to rebuild {}{index}",
                if kind == Kind::ReindexObjectIndex { "the index" } else { "its indexes" }
            ),
            help,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};
    use crate::lint::{lint_file, LintOptions};
    use crate::locks::PgVersion;

    #[test]
    fn fires_on_existing_indexes_and_tables() {
        insta::assert_snapshot!(render("REINDEX TABLE users;\nREINDEX SCHEMA billing;"));
        assert_fires("BW103", "REINDEX INDEX users_email_idx;");
        let found = crate::lint::rules::testing::lint("REINDEX INDEX users_email_idx;");
        assert!(
            found
                .iter()
                .any(|d| d.rule == "BW103" && d.message.contains("AccessExclusiveLock on the index while it is rebuilt")),
            "{found:#?}"
        );
        let options = LintOptions {
            pg: PgVersion(11),
            ..LintOptions::default()
        };
        let old = lint_file("m.sql", "REINDEX INDEX users_email_idx;", None, &options).diagnostics;
        assert!(
            old.iter()
                .any(|d| d.rule == "BW103" && d.help.contains("PostgreSQL 11 has no REINDEX CONCURRENTLY")),
            "{old:#?}"
        );
    }

    #[test]
    fn quiet_when_concurrent_or_created_in_the_file() {
        assert_clean("BW103", "REINDEX INDEX CONCURRENTLY users_email_idx;");
        assert_clean("BW103", "REINDEX (CONCURRENTLY) TABLE users;");
        assert_clean(
            "BW103",
            "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nREINDEX INDEX t_a_idx;\nREINDEX TABLE t;",
        );
        assert_clean("BW103", "REINDEX SYSTEM;");
    }
}
