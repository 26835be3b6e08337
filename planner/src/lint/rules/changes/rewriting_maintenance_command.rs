//! BW130 `rewriting-maintenance-command`: `VACUUM FULL`, `CLUSTER`, `SET TABLESPACE`,
//! `SET LOGGED`/`UNLOGGED` or `SET ACCESS METHOD` on an existing table.

use pg_query::protobuf::node::Node as N;
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{facts, Op};

pub struct RewritingMaintenanceCommand;

static META: RuleMeta = RuleMeta {
    code: "BW130",
    name: "rewriting-maintenance-command",
    severity: Severity::Error,
    default_enabled: true,
    summary: "VACUUM FULL, CLUSTER, SET TABLESPACE, SET LOGGED/UNLOGGED or SET ACCESS METHOD on an existing table",
    why: "Each of these writes a new copy of the table and its indexes while holding ACCESS EXCLUSIVE: every SELECT, INSERT, UPDATE and DELETE on the table waits for the whole copy, minutes to hours on a big table, on every PostgreSQL version.",
    alternative: "-- make dead space reusable without blocking reads or writes:\nVACUUM (ANALYZE) users;\n-- or rebuild the table online with pg_repack (run from a shell: pg_repack --table=public.users) or pg_squeeze:\nCREATE EXTENSION IF NOT EXISTS pg_repack;",
};

/// The command as a message names it, the word a finding points at, and its alternative.
fn describe(op: Op) -> Option<(&'static str, &'static str, &'static str)> {
    let repack = "rebuild it online with pg_repack or pg_squeeze; to make dead space reusable, plain VACUUM is enough";
    match op {
        Op::VacuumFull => Some(("VACUUM FULL", "full", repack)),
        Op::Cluster => Some(("CLUSTER", "cluster", repack)),
        Op::SetTablespace { rewrite: true } => Some(("SET TABLESPACE", "tablespace", "move it online with `pg_repack --tablespace`")),
        Op::SetLogged => Some((
            "SET LOGGED/UNLOGGED",
            "logged",
            "create the table with the persistence it needs and copy rows in batches, or run it in a maintenance window",
        )),
        Op::SetAccessMethod { rewrite: true } => Some((
            "SET ACCESS METHOD",
            "access method",
            "rebuild it online with pg_repack, or copy into a new table in batches",
        )),
        _ => None,
    }
}

impl Rule for RewritingMaintenanceCommand {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let mut seen = Vec::new();
        for action in cx.actions.iter().filter(|a| cx.existing(&a.table)) {
            let Some((command, word, help)) = describe(action.op) else { continue };
            let Some(lock) = cx.facts.locks.iter().find(|l| l.relation == action.table) else {
                continue;
            };
            if seen.contains(&&action.table) {
                continue;
            }
            seen.push(&action.table);
            out.push(Finding::new(
                cx.span_of(word),
                format!(
                    "blocks {} of {} while {command} writes a new copy of it and its indexes ({} for the whole {})",
                    lock.mode.blocks(),
                    lock.relation,
                    lock.mode,
                    lock.cost
                ),
                help,
            ));
        }
        if let Some((command, word, help, op)) = whole_database(cx.node) {
            let mode = facts(op, cx.pg).first().map(|f| f.mode).unwrap_or(crate::locks::LockMode::AccessExclusiveLock);
            out.push(Finding::new(
                cx.span_of(word),
                format!(
                    "blocks {} of every table it processes, one after another, while {command} rewrites it ({mode})",
                    mode.blocks()
                ),
                help,
            ));
        }
    }
}

/// `VACUUM FULL;` and `CLUSTER;` without a table: every table of the database (CLUSTER:
/// every table clustered before).
fn whole_database(node: &NodeEnum) -> Option<(&'static str, &'static str, &'static str, Op)> {
    let op = match node {
        NodeEnum::VacuumStmt(v) if v.rels.is_empty() && v.options.iter().any(|o| is_full(&o.node)) => Op::VacuumFull,
        NodeEnum::ClusterStmt(c) if c.relation.is_none() => Op::Cluster,
        _ => return None,
    };
    describe(op).map(|(command, word, help)| (command, word, help, op))
}

fn is_full(option: &Option<N>) -> bool {
    let Some(N::DefElem(d)) = option else { return false };
    let off = matches!(d.arg.as_deref().and_then(|a| a.node.as_ref()), Some(N::String(s)) if s.sval == "false");
    d.defname == "full" && !off
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_rewrites_of_existing_tables() {
        insta::assert_snapshot!(render("VACUUM FULL users;"));
        assert_fires("BW130", "CLUSTER users USING users_pkey;");
        assert_fires("BW130", "ALTER TABLE users SET TABLESPACE fast;");
        assert_fires("BW130", "ALTER TABLE users SET UNLOGGED;");
        assert_fires("BW130", "ALTER TABLE users SET ACCESS METHOD heap2;");
        assert_fires("BW130", "VACUUM (FULL, ANALYZE);");
    }

    #[test]
    fn quiet_on_plain_vacuum_and_new_tables() {
        assert_clean("BW130", "VACUUM (ANALYZE) users;");
        assert_clean("BW130", "VACUUM (FULL false) users;");
        assert_clean("BW130", "CREATE TABLE t (a int);\nALTER TABLE t SET LOGGED;\nVACUUM FULL t;");
    }
}
