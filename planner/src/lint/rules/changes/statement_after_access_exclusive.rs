//! BW140 `statement-after-access-exclusive`: a statement that takes time, or waits for a
//! lock, while the same transaction already holds ACCESS EXCLUSIVE on an existing table.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{Cost, LockMode};

pub struct StatementAfterAccessExclusive;

static META: RuleMeta = RuleMeta {
    code: "BW140",
    name: "statement-after-access-exclusive",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a slow or lock-waiting statement in a transaction that already holds ACCESS EXCLUSIVE on an existing table",
    why: "Locks are held until COMMIT. Once a statement has taken ACCESS EXCLUSIVE on a table, every SELECT, INSERT, UPDATE and DELETE on it waits until the transaction ends, so each later statement that scans, rewrites, runs code, or waits for a lock on another table stretches an instant catalog change into an outage. Catalog-only statements on the same table, or on tables created in the file, add nothing and are not reported.",
    alternative: "BEGIN;\nALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;\nCOMMIT;\n-- in its own transaction: SHARE UPDATE EXCLUSIVE, reads and writes go on\nALTER TABLE users VALIDATE CONSTRAINT users_org_fk;",
};

impl Rule for StatementAfterAccessExclusive {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if !cx.in_transaction {
            return;
        }
        let Some((held, by)) = cx.state.access_exclusive_held() else { return };
        let Some(reason) = reason(cx, &held.relation) else { return };
        let word = cx.sql.split_whitespace().next().unwrap_or("");
        out.push(Finding::new(
            cx.span_of(word),
            format!(
                "keeps reads and writes of {} blocked while it {reason}: statement {} of the file took {} on it, held until COMMIT",
                held.relation,
                by + 1,
                held.mode
            ),
            "commit right after the statement that takes ACCESS EXCLUSIVE, and run this one in its own transaction",
        ));
    }
}

/// Why this statement stretches the held lock, if it does.
fn reason(cx: &StatementContext<'_>, held: &crate::model::QualifiedName) -> Option<String> {
    if matches!(cx.node, NodeEnum::DoStmt(_) | NodeEnum::CallStmt(_)) {
        return Some("runs code of unknown duration".to_string());
    }
    // The statement's own ACCESS EXCLUSIVE on the same table is reported by its own rule.
    let own = |l: &&crate::locks::RelationLock| &l.relation == held && l.mode == LockMode::AccessExclusiveLock;
    if let Some(slow) = cx
        .facts
        .locks
        .iter()
        .filter(|l| !own(l))
        .find(|l| l.cost != Cost::Instant && cx.existing(&l.relation))
    {
        let what = if slow.cost == Cost::Rewrite { "rewrites" } else { "reads every row of" };
        return Some(format!("{what} {}", slow.relation));
    }
    let waits = cx.facts.locks.iter().find(|l| {
        let already = cx.state.held_on(&l.relation).is_some_and(|(mode, _)| mode >= l.mode);
        cx.existing(&l.relation) && !already
    })?;
    Some(format!("waits for {} on {}", waits.mode, waits.relation))
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{fired, lint_in_transaction, render_diagnostics};

    #[test]
    fn fires_on_slow_or_waiting_statements_after_the_lock() {
        let sql = "ALTER TABLE users ADD COLUMN note text;\nALTER TABLE users ADD CONSTRAINT c CHECK (note <> '') NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT c;\nUPDATE orgs SET x = 1;";
        let found = lint_in_transaction(sql);
        let only: Vec<_> = found.into_iter().filter(|d| d.rule == "BW140").collect();
        insta::assert_snapshot!(render_diagnostics(sql, &only));
        assert_eq!(only.len(), 2);
        let explicit = "BEGIN;\nALTER TABLE users DROP COLUMN note;\nDO $$ BEGIN PERFORM pg_sleep(1); END $$;\nCOMMIT;";
        assert_eq!(fired(&crate::lint::rules::testing::lint(explicit), "BW140"), 1);
    }

    #[test]
    fn quiet_outside_transactions_and_on_catalog_changes() {
        let plain = "ALTER TABLE users ADD COLUMN note text;\nUPDATE orgs SET x = 1;";
        assert_eq!(fired(&crate::lint::rules::testing::lint(plain), "BW140"), 0);
        let catalog = "ALTER TABLE users ADD COLUMN note text;\nALTER TABLE users ALTER COLUMN note SET DEFAULT '';\nSET lock_timeout = '1s';\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nCOMMENT ON COLUMN users.note IS 'x';";
        assert_eq!(fired(&lint_in_transaction(catalog), "BW140"), 0);
        let new_table = "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nUPDATE orgs SET x = 1;";
        assert_eq!(fired(&lint_in_transaction(new_table), "BW140"), 0);
        // Renamed, the new table is still the file's own: its old name is no existing table.
        let renamed = "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;\nUPDATE orgs SET x = 1;";
        assert_eq!(fired(&lint_in_transaction(renamed), "BW140"), 0);
    }
}
