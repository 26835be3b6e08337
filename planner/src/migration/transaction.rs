//! Which statements PostgreSQL refuses to run inside a transaction block: the one
//! answer that the linter (BW104) and `plan --sql` (a step's `transactional`) share.

use pg_query::protobuf::{node::Node as N, AlterTableType};
use pg_query::NodeEnum;

use super::ast;
use crate::locks::PgVersion;

/// A statement that must run outside a transaction block, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideTransaction {
    /// The command as PostgreSQL names it in "cannot run inside a transaction block".
    pub command: &'static str,
    /// One of the `CONCURRENTLY` forms, which work in several transactions of their own.
    pub concurrent: bool,
}

/// Whether PostgreSQL `pg` refuses `node` inside a transaction block; `None` when it
/// may run in one.
pub fn outside_transaction(node: &NodeEnum, pg: PgVersion) -> Option<OutsideTransaction> {
    let concurrent = |command| Some(OutsideTransaction { command, concurrent: true });
    let plain = |command| Some(OutsideTransaction { command, concurrent: false });
    match node {
        NodeEnum::IndexStmt(index) if index.concurrent => concurrent("CREATE INDEX CONCURRENTLY"),
        NodeEnum::DropStmt(drop) if drop.concurrent => concurrent("DROP INDEX CONCURRENTLY"),
        NodeEnum::ReindexStmt(reindex)
            if reindex
                .params
                .iter()
                .any(|p| matches!(&p.node, Some(N::DefElem(d)) if d.defname == "concurrently")) =>
        {
            concurrent("REINDEX CONCURRENTLY")
        }
        NodeEnum::AlterTableStmt(alter)
            if ast::commands_of(alter, AlterTableType::AtDetachPartition)
                .any(|cmd| matches!(ast::definition(cmd), Some(N::PartitionCmd(p)) if p.concurrent)) =>
        {
            concurrent("DETACH PARTITION CONCURRENTLY")
        }
        NodeEnum::VacuumStmt(vacuum) if vacuum.is_vacuumcmd => plain("VACUUM"),
        // ALTER TYPE ... ADD VALUE may run in a transaction block from PostgreSQL 12 on.
        NodeEnum::AlterEnumStmt(alter) if !alter.new_val.is_empty() && alter.old_val.is_empty() && !pg.at_least(12) => plain("ALTER TYPE ... ADD VALUE"),
        NodeEnum::CreatedbStmt(_) => plain("CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => plain("DROP DATABASE"),
        NodeEnum::CreateTableSpaceStmt(_) => plain("CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => plain("DROP TABLESPACE"),
        NodeEnum::AlterSystemStmt(_) => plain("ALTER SYSTEM"),
        NodeEnum::ClusterStmt(cluster) if cluster.relation.is_none() => plain("CLUSTER"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sql: &str, pg: u32) -> Option<OutsideTransaction> {
        let tree = crate::libpg_query::parse_tree(sql).expect("parses");
        let node = tree.stmts[0].stmt.as_ref().and_then(|s| s.node.clone()).expect("a statement");
        outside_transaction(&node, PgVersion(pg))
    }

    #[test]
    fn the_commands_postgresql_refuses_in_a_transaction_block() {
        for (sql, command, concurrent) in [
            ("CREATE INDEX CONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY", true),
            ("DROP INDEX CONCURRENTLY i", "DROP INDEX CONCURRENTLY", true),
            ("REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY", true),
            ("ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY", "DETACH PARTITION CONCURRENTLY", true),
            ("VACUUM t", "VACUUM", false),
            ("CLUSTER", "CLUSTER", false),
        ] {
            assert_eq!(check(sql, 15), Some(OutsideTransaction { command, concurrent }), "{sql}");
        }
        assert_eq!(check("ALTER TYPE mood ADD VALUE 'ok'", 11).map(|o| o.command), Some("ALTER TYPE ... ADD VALUE"));
        for sql in [
            "CREATE INDEX i ON t (a)",
            "ALTER TABLE m DETACH PARTITION m_2020",
            "ANALYZE t",
            "CLUSTER t USING i",
            "ALTER TYPE mood ADD VALUE 'ok'",
        ] {
            assert_eq!(check(sql, 15), None, "{sql}");
        }
    }
}
