//! BW141 `missing-lock-timeout`: the first statement of a unit that takes a lock blocking
//! reads or writes of an existing table while no `lock_timeout` is set.

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct MissingLockTimeout;

static META: RuleMeta = RuleMeta {
    code: "BW141",
    name: "missing-lock-timeout",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a lock that blocks reads or writes of an existing table, requested with no lock_timeout set",
    why: "A statement waiting for a lock sits in the lock queue, and every later query on the table, even a plain SELECT when the request is ACCESS EXCLUSIVE, queues behind it. Without lock_timeout the wait lasts as long as the longest running transaction on the table. With it, the statement gives up after the timeout and can be retried, and the queue drains. Reported once per migration, at the first such statement.",
    alternative: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN note text;",
};

impl Rule for MissingLockTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        if cx.state.lock_timeout || cx.state.unguarded_lock.is_some() {
            return;
        }
        let Some(lock) = cx.facts.locks.iter().find(|l| cx.existing(&l.relation) && l.mode.blocks_writes()) else {
            return;
        };
        let word = cx.sql.split_whitespace().next().unwrap_or("");
        out.push(Finding::new(
            cx.span_of(word),
            format!(
                "if {} is busy, this waits for {} with no lock_timeout, and every later query on {} that conflicts with it ({}) queues behind it",
                lock.relation,
                lock.mode,
                lock.relation,
                lock.mode.blocks()
            ),
            "start the migration with `SET lock_timeout = '2s';` and retry when it times out; `bellows apply` does both",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, fired, lint, render};

    #[test]
    fn fires_once_at_the_first_blocking_statement() {
        insta::assert_snapshot!(render("ALTER TABLE users ADD COLUMN note text;"));
        let sql = "CREATE TABLE t (a int);\nALTER TABLE users ADD COLUMN a int;\nALTER TABLE orgs ADD COLUMN b int;";
        let found = lint(sql);
        assert_eq!(fired(&found, "BW141"), 1);
        assert_eq!(found.iter().find(|d| d.rule == "BW141").map(|d| d.line), Some(2));
    }

    #[test]
    fn quiet_with_a_timeout_or_on_new_tables() {
        assert_clean("BW141", "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN note text;");
        assert_clean("BW141", "BEGIN;\nSET LOCAL lock_timeout = '2s';\nCREATE INDEX i ON users (a);\nCOMMIT;");
        assert_clean(
            "BW141",
            "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON users (a);",
        );
        assert_eq!(fired(&lint("SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN note text;"), "BW141"), 1);
    }
}
