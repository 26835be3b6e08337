//! Tests of the PostgreSQL test harness and the lock observer against the real server they start: each asserts a
//! fact about PostgreSQL (15 here) that the planner's lock-facts table will later be checked against.

mod support;

use std::collections::BTreeSet;

use support::locks::{observe, observe_async, observe_error, observe_outside_transaction, Observation};
use support::postgres::{fresh_database, fresh_database_async, server};

/// A table `t` with a primary key, an int, a varchar(10), and 100 rows.
const T: &[&str] = &[
    "CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10))",
    "INSERT INTO t SELECT g, g, g::text FROM generate_series(1, 100) g",
    "ANALYZE t",
];

/// A parent `p` and a child `c` whose `p_id` references it through constraint `fk`, 10 rows each.
const P_C: &[&str] = &[
    "CREATE TABLE p (id int PRIMARY KEY)",
    "CREATE TABLE c (id int PRIMARY KEY, p_id int CONSTRAINT fk REFERENCES p (id))",
    "INSERT INTO p SELECT generate_series(1, 10)",
    "INSERT INTO c SELECT g, g FROM generate_series(1, 10) g",
    "ANALYZE",
];

/// `p` and `c` as in [`P_C`], without the foreign key.
const P_C_UNLINKED: &[&str] = &[
    "CREATE TABLE p (id int PRIMARY KEY)",
    "CREATE TABLE c (id int PRIMARY KEY, p_id int)",
    "INSERT INTO p SELECT generate_series(1, 10)",
    "INSERT INTO c SELECT g, g FROM generate_series(1, 10) g",
    "ANALYZE",
];

fn locks(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs.iter().map(|(relation, mode)| (relation.to_string(), mode.to_string())).collect()
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(ToString::to_string).collect()
}

/// Observes `statement` after `setup` in a fresh database and fails the test if the statement failed.
fn observe_ok(setup: &[&str], statement: &str) -> Observation {
    let observation = observe(&fresh_database(), setup, statement);
    assert_eq!(observation.error, None, "`{statement}` failed: {observation:?}");
    observation
}

#[test]
fn server_is_private_and_tuned_for_tests() {
    let url = fresh_database();
    assert!(url.starts_with(&format!("postgres://postgres@127.0.0.1:{}/bellows_", server().port)), "{url}");
    assert!(server().major_version >= 13, "unexpected major version {}", server().major_version);
    let settings: Vec<(String, String)> = support::blocking::block_on(|| async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect to the fresh database");
        sqlx::query_as("SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'fsync', 'autovacuum') ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("read pg_settings")
    });
    let expected = [("autovacuum", "off"), ("fsync", "off"), ("listen_addresses", "127.0.0.1")];
    assert_eq!(settings, expected.map(|(n, v)| (n.to_string(), v.to_string())));
}

#[test]
fn fresh_databases_are_distinct_and_empty() {
    let (first, second) = (fresh_database(), fresh_database());
    assert_ne!(first, second);
    let observation = observe(&first, &[], "CREATE TABLE only_here (x int)");
    assert_eq!(observation.locks, locks(&[("public.only_here", "AccessExclusiveLock")]));
    // The table went to the first database only.
    let elsewhere = observe(&second, &[], "CREATE TABLE only_here (x int)");
    assert_eq!(elsewhere.error, None);
}

#[test]
fn observation_queries_lock_and_scan_nothing() {
    let observation = observe_ok(T, "SELECT 1");
    assert_eq!(
        observation,
        Observation {
            transactional: true,
            ..Observation::default()
        }
    );
}

#[test]
fn select_takes_access_share_and_scans() {
    let observation = observe_ok(T, "SELECT count(*) FROM t");
    assert_eq!(observation.locks, locks(&[("public.t", "AccessShareLock")]));
    assert_eq!(observation.scanned, names(&["public.t"]));
}

#[test]
fn create_index_takes_share_lock_and_scans_without_rewrite() {
    let observation = observe_ok(T, "CREATE INDEX t_a ON t (a)");
    assert!(observation.transactional);
    assert_eq!(observation.locks, locks(&[("public.t", "ShareLock")]));
    assert_eq!(observation.index_locks, locks(&[("public.t_a", "AccessExclusiveLock")]));
    assert_eq!(observation.scanned, names(&["public.t"]));
    assert!(observation.rewritten.is_empty());
}

#[test]
fn add_column_with_constant_default_does_not_rewrite() {
    let observation = observe_ok(T, "ALTER TABLE t ADD COLUMN c int DEFAULT 0");
    assert_eq!(observation.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert!(observation.rewritten.is_empty() && observation.scanned.is_empty(), "{observation:?}");
}

#[test]
fn add_column_not_null_with_constant_default_neither_rewrites_nor_scans() {
    let observation = observe_ok(T, "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0");
    assert_eq!(observation.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert!(observation.rewritten.is_empty() && observation.scanned.is_empty(), "{observation:?}");
}

#[test]
fn add_column_with_volatile_default_rewrites() {
    let observation = observe_ok(T, "ALTER TABLE t ADD COLUMN c float8 DEFAULT random()");
    assert_eq!(observation.strongest_lock("public.t"), Some("AccessExclusiveLock"));
    assert_eq!(observation.rewritten, names(&["public.t"]));
    // The rewrite reads the old heap and rebuilds the indexes on the new one.
    assert_eq!(observation.scanned, names(&["public.t"]));
    assert_eq!(observation.rebuilt_indexes, names(&["public.t_pkey"]));
}

#[test]
fn add_column_not_null_without_default_fails_on_a_non_empty_table() {
    let message = observe_error(&fresh_database(), T, "ALTER TABLE t ADD COLUMN c int NOT NULL");
    assert_eq!(message, r#"column "c" of relation "t" contains null values"#);
    let observation = observe(&fresh_database(), T, "ALTER TABLE t ADD COLUMN c int NOT NULL");
    assert_eq!(observation.error_code.as_deref(), Some("23502"));
    assert!(observation.locks.is_empty());
    let empty = observe_ok(&["CREATE TABLE t (id int)"], "ALTER TABLE t ADD COLUMN c int NOT NULL");
    assert_eq!(empty.locks, locks(&[("public.t", "AccessExclusiveLock")]));
}

#[test]
fn widening_int_to_bigint_rewrites_and_rebuilds_indexes() {
    let observation = observe_ok(T, "ALTER TABLE t ALTER COLUMN id TYPE bigint");
    assert_eq!(observation.strongest_lock("public.t"), Some("AccessExclusiveLock"));
    assert_eq!(observation.rewritten, names(&["public.t"]));
    assert_eq!(observation.rebuilt_indexes, names(&["public.t_pkey"]));
}

#[test]
fn widening_varchar_does_not_rewrite_but_narrowing_does() {
    let wider = observe_ok(T, "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)");
    assert_eq!(wider.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert!(wider.rewritten.is_empty() && wider.scanned.is_empty(), "{wider:?}");
    let to_text = observe_ok(T, "ALTER TABLE t ALTER COLUMN v TYPE text");
    assert!(to_text.rewritten.is_empty(), "{to_text:?}");
    let narrower = observe_ok(T, "ALTER TABLE t ALTER COLUMN v TYPE varchar(5)");
    assert_eq!(narrower.rewritten, names(&["public.t"]));
}

#[test]
fn foreign_key_not_valid_locks_both_tables_share_row_exclusive_without_scanning() {
    let observation = observe_ok(P_C_UNLINKED, "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID");
    assert_eq!(observation.strongest_lock("public.c"), Some("ShareRowExclusiveLock"));
    assert_eq!(observation.strongest_lock("public.p"), Some("ShareRowExclusiveLock"));
    assert!(observation.scanned.is_empty() && observation.rewritten.is_empty(), "{observation:?}");
}

#[test]
fn validating_a_foreign_key_takes_share_update_exclusive_on_child_and_row_share_on_parent() {
    let setup = [
        P_C_UNLINKED,
        &["ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID"],
    ]
    .concat();
    let observation = observe_ok(&setup, "ALTER TABLE c VALIDATE CONSTRAINT fk");
    assert_eq!(observation.strongest_lock("public.c"), Some("ShareUpdateExclusiveLock"));
    assert_eq!(observation.strongest_lock("public.p"), Some("RowShareLock"));
    // The validation query joins the child to the parent; on tables this small both sides are read sequentially.
    assert_eq!(observation.scanned, names(&["public.c", "public.p"]));
}

#[test]
fn validated_foreign_key_scans_under_share_row_exclusive() {
    let observation = observe_ok(P_C_UNLINKED, "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id)");
    assert_eq!(observation.strongest_lock("public.c"), Some("ShareRowExclusiveLock"));
    assert_eq!(observation.strongest_lock("public.p"), Some("ShareRowExclusiveLock"));
    assert!(observation.scanned.contains("public.c"), "{observation:?}");
}

#[test]
fn dropping_a_referencing_table_takes_access_exclusive_on_the_referenced_table() {
    let observation = observe_ok(P_C, "DROP TABLE c");
    // PostgreSQL 15 removes the foreign key's triggers on p, which needs AccessExclusiveLock on p: dropping a child
    // table blocks even reads of its parent for as long as the dropping transaction lasts.
    assert_eq!(
        observation.locks,
        locks(&[("public.c", "AccessExclusiveLock"), ("public.p", "AccessExclusiveLock")])
    );
}

#[test]
fn dropping_a_foreign_key_takes_access_exclusive_on_the_referenced_table() {
    let observation = observe_ok(P_C, "ALTER TABLE c DROP CONSTRAINT fk");
    assert_eq!(
        observation.locks,
        locks(&[("public.c", "AccessExclusiveLock"), ("public.p", "AccessExclusiveLock")])
    );
    assert!(observation.scanned.is_empty());
}

#[test]
fn set_not_null_scans() {
    let observation = observe_ok(T, "ALTER TABLE t ALTER COLUMN a SET NOT NULL");
    assert_eq!(observation.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert_eq!(observation.scanned, names(&["public.t"]));
    assert!(observation.rewritten.is_empty());
}

#[test]
fn set_not_null_skips_the_scan_when_a_valid_check_proves_it() {
    let setup = [T, &["ALTER TABLE t ADD CONSTRAINT a_not_null CHECK (a IS NOT NULL)"]].concat();
    let observation = observe_ok(&setup, "ALTER TABLE t ALTER COLUMN a SET NOT NULL");
    assert_eq!(observation.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert!(observation.scanned.is_empty(), "{observation:?}");
}

#[test]
fn set_not_null_still_scans_when_the_check_is_not_valid() {
    let setup = [T, &["ALTER TABLE t ADD CONSTRAINT a_not_null CHECK (a IS NOT NULL) NOT VALID"]].concat();
    let observation = observe_ok(&setup, "ALTER TABLE t ALTER COLUMN a SET NOT NULL");
    assert_eq!(observation.scanned, names(&["public.t"]));
}

#[test]
fn check_constraint_scans_unless_not_valid() {
    let validated = observe_ok(T, "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0)");
    assert_eq!(validated.locks, locks(&[("public.t", "AccessExclusiveLock")]));
    assert_eq!(validated.scanned, names(&["public.t"]));
    let not_valid = observe_ok(T, "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID");
    assert!(not_valid.scanned.is_empty());
    let setup = [T, &["ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID"]].concat();
    let validate = observe_ok(&setup, "ALTER TABLE t VALIDATE CONSTRAINT a_positive");
    assert_eq!(validate.locks, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
    assert_eq!(validate.scanned, names(&["public.t"]));
}

#[test]
fn truncate_counts_as_new_storage() {
    let observation = observe_ok(T, "TRUNCATE t");
    assert_eq!(observation.strongest_lock("public.t"), Some("AccessExclusiveLock"));
    assert_eq!(observation.rewritten, names(&["public.t"]));
    assert!(observation.scanned.is_empty());
}

#[test]
fn create_index_concurrently_is_observed_outside_a_transaction() {
    let observation = observe_ok(T, "CREATE INDEX CONCURRENTLY t_a ON t (a)");
    assert!(!observation.transactional);
    // Seen while it waits for the blocker's writing transaction after its first phase.
    assert_eq!(observation.locks, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
    assert_eq!(observation.waits, locks(&[("virtualxid", "ShareLock")]));
    // The build and the validation read t; statistics flushed by the other backend show it.
    assert_eq!(observation.scanned, names(&["public.t"]));
    assert!(observation.rewritten.is_empty());
}

#[test]
fn drop_index_concurrently_holds_share_update_exclusive_while_waiting() {
    let setup = [T, &["CREATE INDEX t_a ON t (a)"]].concat();
    let observation = observe_ok(&setup, "DROP INDEX CONCURRENTLY t_a");
    assert!(!observation.transactional);
    assert_eq!(observation.locks, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
    assert_eq!(observation.index_locks, locks(&[("public.t_a", "ShareUpdateExclusiveLock")]));
}

#[test]
fn reindex_concurrently_builds_a_new_index_under_the_old_name() {
    let observation = observe_ok(T, "REINDEX INDEX CONCURRENTLY t_pkey");
    assert_eq!(observation.locks, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
    assert!(observation
        .index_locks
        .contains(&("public.t_pkey".to_string(), "ShareUpdateExclusiveLock".to_string())));
    assert_eq!(observation.rebuilt_indexes, names(&["public.t_pkey"]));
    assert!(observation.rewritten.is_empty());
}

#[test]
fn vacuum_is_seen_only_behind_a_conflicting_blocker() {
    // Behind writers VACUUM never waits, so nothing can be sampled deterministically and nothing is reported.
    let unseen = observe_ok(T, "VACUUM t");
    assert!(!unseen.transactional);
    assert!(unseen.waits.is_empty() && unseen.locks.is_empty(), "{unseen:?}");
    let blocker: &[&str] = &["LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE"];
    let seen = observe_outside_transaction(&fresh_database(), T, "VACUUM t", Some(blocker));
    assert_eq!(seen.error, None);
    assert_eq!(seen.waits, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
}

#[test]
fn detach_partition_concurrently_is_caught_at_both_wait_points() {
    let setup: &[&str] = &[
        "CREATE TABLE m (id int, k int) PARTITION BY RANGE (k)",
        "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100)",
        "INSERT INTO m SELECT g, g FROM generate_series(1, 50) g",
    ];
    let statement = "ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY";
    // With the default blocker it is seen only while waiting for writers of m, and holds no lock then.
    let first_wait = observe_ok(setup, statement);
    assert_eq!(first_wait.waits, locks(&[("virtualxid", "ShareLock")]));
    assert!(first_wait.locks.is_empty(), "{first_wait:?}");
    // A second blocker reading m1 catches the final phase: SHARE UPDATE EXCLUSIVE on m, ACCESS EXCLUSIVE on m1.
    let blockers: &[&str] = &["LOCK TABLE m IN ROW EXCLUSIVE MODE", "LOCK TABLE m1 IN ACCESS SHARE MODE"];
    let both = observe_outside_transaction(&fresh_database(), setup, statement, Some(blockers));
    assert_eq!(both.error, None);
    assert_eq!(
        both.locks,
        locks(&[("public.m", "ShareUpdateExclusiveLock"), ("public.m1", "AccessExclusiveLock")])
    );
    assert_eq!(both.waits, locks(&[("public.m1", "AccessExclusiveLock"), ("virtualxid", "ShareLock")]));
    // Without CONCURRENTLY the parent is locked ACCESS EXCLUSIVE.
    let plain = observe_ok(setup, "ALTER TABLE m DETACH PARTITION m1");
    assert_eq!(plain.locks, locks(&[("public.m", "AccessExclusiveLock"), ("public.m1", "AccessExclusiveLock")]));
}

#[tokio::test]
async fn harness_works_from_async_tests() {
    let url = fresh_database_async().await;
    let observation = observe_async(&url, T, "ALTER TABLE t SET (fillfactor = 50)").await;
    assert_eq!(observation.locks, locks(&[("public.t", "ShareUpdateExclusiveLock")]));
    // The synchronous helpers run on a thread of their own, so they work inside a runtime too.
    assert_ne!(fresh_database(), url);
}
