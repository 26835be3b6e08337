//! BW131 `refresh-materialized-view-non-concurrently`: `REFRESH MATERIALIZED VIEW`
//! without `CONCURRENTLY` on a view the file did not create.

use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};

pub struct RefreshMaterializedViewNonConcurrently;

static META: RuleMeta = RuleMeta {
    code: "BW131",
    name: "refresh-materialized-view-non-concurrently",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a materialized view refreshed without CONCURRENTLY",
    why: "REFRESH MATERIALIZED VIEW takes ACCESS EXCLUSIVE on the view while it recomputes the whole query: every SELECT from the view waits until the refresh ends. CONCURRENTLY (PostgreSQL 9.4+) takes EXCLUSIVE, which lets SELECTs go on, and needs a unique index on the view.",
    alternative: "-- the view needs a unique index (built once, concurrently):\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;",
};

impl Rule for RefreshMaterializedViewNonConcurrently {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        // WITH NO DATA empties the view instantly; it cannot be concurrent anyway.
        let NodeEnum::RefreshMatViewStmt(refresh) = cx.node else { return };
        if refresh.concurrent || refresh.skip_data {
            return;
        }
        for lock in cx.facts.locks.iter().filter(|l| cx.existing(&l.relation) && l.mode.blocks_reads()) {
            out.push(Finding::new(
                cx.span_of("refresh"),
                format!(
                    "blocks reads of {} until its query has run again ({} for the whole refresh)",
                    lock.relation, lock.mode
                ),
                "use REFRESH MATERIALIZED VIEW CONCURRENTLY, after creating a unique index on the view (CREATE UNIQUE INDEX CONCURRENTLY)",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, render};

    #[test]
    fn fires_on_an_existing_view() {
        insta::assert_snapshot!(render("REFRESH MATERIALIZED VIEW order_totals;"));
        assert_fires("BW131", "REFRESH MATERIALIZED VIEW reporting.daily;");
    }

    #[test]
    fn quiet_when_concurrent_or_new() {
        assert_clean("BW131", "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;");
        assert_clean("BW131", "CREATE MATERIALIZED VIEW v AS SELECT 1 AS a;\nREFRESH MATERIALIZED VIEW v;");
    }
}
