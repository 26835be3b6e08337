//! The statement forms whose lock facts are checked against PostgreSQL, one row each: the setup, the statement, the
//! first major that has the statement, and the few facts the observer cannot see, each with the reason.

use super::fixtures::*;

/// One statement form.
pub struct Case {
    /// Run and committed before the statement, fixture by fixture; also linted ahead of it, so that the classifier
    /// knows the columns, constraints and indexes.
    pub setup: &'static [&'static [&'static str]],
    /// The statement (with `SET LOCAL` settings before it where the fact depends on them).
    pub sql: &'static str,
    /// For a statement that cannot run in a transaction block: what the observer's blockers hold, so that it is
    /// caught waiting while it holds the lock of interest (`None`: behind writers on every table).
    pub blockers: Option<&'static [&'static str]>,
    /// Facts the observer cannot see for this statement.
    pub exceptions: &'static [Exception],
    /// The first PostgreSQL major with this statement form: older servers must refuse it as unknown syntax.
    pub since: u32,
}

/// Which comparison of a case an exception excuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aspect {
    /// The strongest mode on this relation.
    Lock(&'static str),
    Rewrite,
    Scan,
}

pub struct Exception {
    pub aspect: Aspect,
    pub why: &'static str,
}

const fn case(setup: &'static [&'static [&'static str]], sql: &'static str) -> Case {
    Case {
        setup,
        sql,
        blockers: None,
        exceptions: &[],
        since: 0,
    }
}

impl Case {
    const fn behind(self, blockers: &'static [&'static str]) -> Case {
        Case {
            blockers: Some(blockers),
            ..self
        }
    }

    const fn except(self, exceptions: &'static [Exception]) -> Case {
        Case { exceptions, ..self }
    }

    const fn since(self, since: u32) -> Case {
        Case { since, ..self }
    }
}

const fn scan(why: &'static str) -> Exception {
    Exception { aspect: Aspect::Scan, why }
}

const fn rewrite(why: &'static str) -> Exception {
    Exception { aspect: Aspect::Rewrite, why }
}

/// VACUUM takes its lock at once behind writers, so it is caught only behind a SHARE UPDATE EXCLUSIVE holder.
const SUE_ON_T: &[&str] = &["LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE"];
/// Writers of `m` catch DETACH ... CONCURRENTLY's first wait, a reader of `m1` its final ACCESS EXCLUSIVE on `m1`.
const DETACH_WAITS: &[&str] = &["LOCK TABLE m IN ROW EXCLUSIVE MODE", "LOCK TABLE m1 IN ACCESS SHARE MODE"];

const VACUUM_READS_PAGES: &str = "VACUUM reads the heap page by page, not through a sequential scan, so seq_tup_read never counts it; \
     the table is right that it reads the whole table";
const TRUNCATE_IS_NOT_A_REWRITE: &str = "TRUNCATE gives the table new, empty storage: the relfilenode changes but no row is copied, \
     so the table's cost is instant, not rewrite";

pub const CASES: &[Case] = &[
    // CREATE TABLE
    case(&[NONE], "CREATE TABLE n (id int PRIMARY KEY, a text)"),
    case(&[NONE], "CREATE UNLOGGED TABLE n (id int)"),
    case(&[NONE], "CREATE TABLE n (id int, k int) PARTITION BY RANGE (k)"),
    case(&[T], "CREATE TABLE n (id int PRIMARY KEY, t_id int REFERENCES t (id))"),
    case(&[T], "CREATE TABLE n (id int, t_id int, CONSTRAINT n_t_fk FOREIGN KEY (t_id) REFERENCES t)"),
    case(&[M], "CREATE TABLE m3 PARTITION OF m FOR VALUES FROM (200) TO (300)"),
    case(&[T], "CREATE TABLE n (LIKE t INCLUDING ALL)"),
    case(&[T], "CREATE TABLE n AS SELECT id, a FROM t"),
    // CREATE INDEX
    case(&[T], "CREATE INDEX t_a ON t (a)"),
    case(&[T], "CREATE UNIQUE INDEX t_v_key ON t (v)"),
    case(&[T], "CREATE INDEX t_a_positive ON t (a) WHERE a > 0"),
    case(&[T], "CREATE INDEX t_lower_v ON t (lower(v))"),
    case(&[T], "CREATE INDEX t_a_v ON t (a) INCLUDE (v)"),
    case(&[T], "CREATE INDEX t_a_hash ON t USING hash (a)"),
    case(&[T], "CREATE INDEX t_ts_brin ON t USING brin (ts)"),
    case(&[T], "CREATE INDEX CONCURRENTLY t_a ON t (a)"),
    case(&[T], "CREATE UNIQUE INDEX CONCURRENTLY t_v_key ON t (v)"),
    // DROP INDEX, REINDEX, ALTER INDEX
    case(&[T, T_INDEXES], "DROP INDEX t_a"),
    case(&[T, T_INDEXES], "DROP INDEX CONCURRENTLY t_a"),
    case(&[T, T_INDEXES], "REINDEX TABLE t"),
    case(&[T, T_INDEXES], "REINDEX INDEX t_a"),
    case(&[T, T_INDEXES], "REINDEX TABLE CONCURRENTLY t"),
    case(&[T, T_INDEXES], "REINDEX INDEX CONCURRENTLY t_a"),
    case(&[T, T_INDEXES], "ALTER INDEX t_a RENAME TO t_a_idx"),
    case(&[T, T_INDEXES], "ALTER INDEX t_a SET (fillfactor = 70)"),
    // ADD COLUMN
    case(&[T], "ALTER TABLE t ADD COLUMN c int"),
    case(&[T], "ALTER TABLE t ADD COLUMN IF NOT EXISTS a int"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int DEFAULT 0"),
    case(&[T], "ALTER TABLE t ADD COLUMN c text DEFAULT 'x'"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0"),
    case(&[T], "ALTER TABLE t ADD COLUMN c float8 DEFAULT random()"),
    case(&[T], "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()"),
    case(&[T], "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()"),
    case(&[T], "ALTER TABLE t ADD COLUMN c serial"),
    case(&[T], "ALTER TABLE t ADD COLUMN c bigserial"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED"),
    case(&[E], "ALTER TABLE e ADD COLUMN c int NOT NULL").except(&[scan(
        "the check that no row needs the missing value scans the table, but the table must be empty for the statement to succeed, \
         and a scan that reads no row is invisible to seq_tup_read",
    )]),
    case(&[P_C], "ALTER TABLE c ADD COLUMN q_id int REFERENCES p (id)"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int CHECK (c > 0)"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int UNIQUE"),
    case(&[T], "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0 CHECK (c >= 0)"),
    // DROP COLUMN
    case(&[T], "ALTER TABLE t DROP COLUMN v"),
    case(&[T, T_INDEXES], "ALTER TABLE t DROP COLUMN a"),
    // ALTER COLUMN TYPE
    case(&[T], "ALTER TABLE t ALTER COLUMN a TYPE bigint"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a TYPE text"),
    case(&[T], "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN v TYPE text"),
    case(&[T], "ALTER TABLE t ALTER COLUMN v SET DATA TYPE varchar(5)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN s TYPE varchar(5)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN n TYPE numeric"),
    case(&[T], "ALTER TABLE t ALTER COLUMN n TYPE numeric(10,3)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN tz TYPE timestamptz(3)"),
    case(&[T], "SET LOCAL TimeZone = 'America/New_York'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
    // PostgreSQL 12+ skips the rewrite when the session TimeZone has no offset; the linter follows `SET TimeZone`.
    case(&[T], "SET TimeZone = 'UTC'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
    case(&[T], "SET TIME ZONE 'Etc/UTC'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz"),
    case(&[T], "SET TimeZone = 'UTC'; ALTER TABLE t ALTER COLUMN ts TYPE timestamptz(3)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint"),
    case(&[T, T_INDEXES], "ALTER TABLE t ALTER COLUMN a TYPE bigint"),
    case(&[T, T_INDEXES], "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)"),
    // DEFAULT, NOT NULL
    case(&[T], "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a DROP DEFAULT"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    case(&[T, T_A_NOT_NULL_CHECK], "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    case(&[T, T_A_NOT_NULL_CHECK_NOT_VALID], "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    case(&[T, T_A_NOT_NULL], "ALTER TABLE t ALTER COLUMN a DROP NOT NULL"),
    // Constraints
    case(&[T], "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0)"),
    case(&[T], "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID"),
    case(&[T, T_CHECK_NOT_VALID], "ALTER TABLE t VALIDATE CONSTRAINT a_positive"),
    case(&[P_C_UNLINKED, FK_NOT_VALID], "ALTER TABLE c VALIDATE CONSTRAINT fk"),
    case(&[P_C_UNLINKED], "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id)"),
    case(
        &[P_C_UNLINKED],
        "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID",
    ),
    case(&[P_C_UNLINKED], "ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE"),
    case(&[T], "ALTER TABLE t ADD CONSTRAINT t_v_key UNIQUE (v)"),
    case(&[K], "ALTER TABLE k ADD PRIMARY KEY (id)"),
    case(&[K], "ALTER TABLE k ADD PRIMARY KEY (a)"),
    case(&[K], "ALTER TABLE k ADD CONSTRAINT k_a_key UNIQUE USING INDEX k_a"),
    case(&[K], "ALTER TABLE k ADD CONSTRAINT k_pkey PRIMARY KEY USING INDEX k_id"),
    case(&[K], "ALTER TABLE k ADD CONSTRAINT k_pkey PRIMARY KEY USING INDEX k_a"),
    case(&[T], "ALTER TABLE t ADD CONSTRAINT t_a_excl EXCLUDE USING btree (a WITH =)"),
    case(&[T, T_CONSTRAINTS], "ALTER TABLE t DROP CONSTRAINT a_positive"),
    case(&[T, T_CONSTRAINTS], "ALTER TABLE t DROP CONSTRAINT t_v_key"),
    case(&[T], "ALTER TABLE t DROP CONSTRAINT t_pkey"),
    case(&[P_C], "ALTER TABLE c DROP CONSTRAINT fk"),
    // Renames
    case(&[T], "ALTER TABLE t RENAME TO t2"),
    case(&[T], "ALTER TABLE t RENAME COLUMN a TO b"),
    case(&[T, T_CONSTRAINTS], "ALTER TABLE t RENAME CONSTRAINT a_positive TO a_above_zero"),
    case(&[T, T_CONSTRAINTS], "ALTER TABLE t RENAME CONSTRAINT t_v_key TO t_v_unique"),
    // Storage: tablespace, persistence, access method, CLUSTER, VACUUM, ANALYZE, TRUNCATE
    // t is already in pg_default: PostgreSQL does nothing, and the linter knows where the setup created it.
    case(&[T], "ALTER TABLE t SET TABLESPACE pg_default"),
    case(&[W_ELSEWHERE], "ALTER TABLE w SET TABLESPACE pg_default"),
    case(&[T], "ALTER TABLE t SET UNLOGGED"),
    case(&[U_UNLOGGED], "ALTER TABLE u SET LOGGED"),
    // t already uses heap: no rewrite.
    case(&[T], "ALTER TABLE t SET ACCESS METHOD heap").since(15),
    case(&[H_HEAP2], "ALTER TABLE h SET ACCESS METHOD heap").since(15),
    case(&[T], "CLUSTER t USING t_pkey"),
    case(&[T, T_CLUSTERED], "CLUSTER t"),
    case(&[T], "ALTER TABLE t CLUSTER ON t_pkey"),
    case(&[T, T_CLUSTERED], "ALTER TABLE t SET WITHOUT CLUSTER"),
    case(&[T], "VACUUM t").behind(SUE_ON_T).except(&[scan(VACUUM_READS_PAGES)]),
    case(&[T], "VACUUM (ANALYZE) t").behind(SUE_ON_T).except(&[scan(VACUUM_READS_PAGES)]),
    case(&[T], "VACUUM FULL t"),
    case(&[T], "ANALYZE t").except(&[scan("ANALYZE reads a sample of blocks outside the executor, which seq_tup_read does not count")]),
    case(&[T], "ANALYZE t (a)").except(&[scan("ANALYZE reads a sample of blocks outside the executor, which seq_tup_read does not count")]),
    case(&[T], "TRUNCATE t").except(&[rewrite(TRUNCATE_IS_NOT_A_REWRITE)]),
    case(&[P_C], "TRUNCATE c").except(&[rewrite(TRUNCATE_IS_NOT_A_REWRITE)]),
    // LOCK TABLE
    case(&[T], "LOCK TABLE t IN ACCESS SHARE MODE"),
    case(&[T], "LOCK TABLE t IN ROW SHARE MODE"),
    case(&[T], "LOCK TABLE t IN ROW EXCLUSIVE MODE"),
    case(&[T], "LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE"),
    case(&[T], "LOCK TABLE t IN SHARE MODE"),
    case(&[T], "LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE"),
    case(&[T], "LOCK TABLE t IN EXCLUSIVE MODE"),
    case(&[T], "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"),
    case(&[T], "LOCK t"),
    // Triggers
    case(&[T, TOUCH], "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()"),
    case(&[T, TOUCH, T_TRIGGER], "DROP TRIGGER t_touch ON t"),
    case(&[T, TOUCH, T_TRIGGER], "ALTER TABLE t DISABLE TRIGGER t_touch"),
    case(&[T, TOUCH, T_TRIGGER], "ALTER TABLE t ENABLE TRIGGER t_touch"),
    case(&[T, TOUCH, T_TRIGGER], "ALTER TABLE t DISABLE TRIGGER USER"),
    // Comments
    case(&[T], "COMMENT ON TABLE t IS 'rows'"),
    case(&[T], "COMMENT ON COLUMN t.a IS 'a number'"),
    case(&[T, T_INDEXES], "COMMENT ON INDEX t_a IS 'by a'"),
    // Views
    case(&[T], "CREATE VIEW v AS SELECT id, a FROM t"),
    case(&[T, V], "CREATE OR REPLACE VIEW v AS SELECT id, a, v FROM t"),
    case(&[T, V], "DROP VIEW v"),
    case(&[T], "CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t"),
    case(&[T], "CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t WITH NO DATA"),
    case(&[T, MV], "REFRESH MATERIALIZED VIEW mv"),
    case(&[T, MV], "REFRESH MATERIALIZED VIEW CONCURRENTLY mv"),
    case(&[T, MV], "DROP MATERIALIZED VIEW mv"),
    // Partitions
    case(&[M, M2], "ALTER TABLE m ATTACH PARTITION m2 FOR VALUES FROM (100) TO (200)"),
    // m2's validated check proves the bound: no scan of m2.
    case(&[M, M2, M2_BOUND_CHECK], "ALTER TABLE m ATTACH PARTITION m2 FOR VALUES FROM (100) TO (200)"),
    case(&[M], "ALTER TABLE m DETACH PARTITION m1"),
    case(&[M], "ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY").behind(DETACH_WAITS).since(14),
    // Rows
    case(&[T], "INSERT INTO t (id, a, v) VALUES (101, 101, 'x')"),
    case(&[T], "INSERT INTO t (id, a) SELECT g, g FROM generate_series(101, 110) g"),
    case(&[T], "UPDATE t SET a = a + 1 WHERE a < 10"),
    case(&[T], "DELETE FROM t WHERE a > 90"),
    // DROP TABLE
    case(&[T], "DROP TABLE t"),
    case(&[P_C], "DROP TABLE c"),
    // Settings and catalog changes
    case(&[T], "ALTER TABLE t SET (fillfactor = 70)"),
    case(&[T], "ALTER TABLE t RESET (fillfactor)"),
    case(&[T], "ALTER TABLE t SET (autovacuum_enabled = false)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a SET STATISTICS 500"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN v SET STORAGE EXTERNAL"),
    case(&[T], "ALTER TABLE t ALTER COLUMN s SET COMPRESSION pglz").since(14),
    case(&[T], "ALTER TABLE t REPLICA IDENTITY FULL"),
    case(&[T], "ALTER TABLE t REPLICA IDENTITY USING INDEX t_pkey"),
    case(&[T], "ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
    case(&[T], "ALTER TABLE t FORCE ROW LEVEL SECURITY"),
    case(&[T], "CREATE POLICY t_everyone ON t USING (true)"),
    case(&[T], "ALTER TABLE t OWNER TO bellows_owner"),
    // Identity and generated columns
    case(&[G], "ALTER TABLE g ALTER COLUMN a ADD GENERATED ALWAYS AS IDENTITY"),
    case(&[G], "ALTER TABLE g ALTER COLUMN id SET GENERATED ALWAYS"),
    case(&[G], "ALTER TABLE g ALTER COLUMN id DROP IDENTITY"),
    case(&[G], "ALTER TABLE g ALTER COLUMN b DROP EXPRESSION"),
    // Several commands in one ALTER TABLE
    case(&[T], "ALTER TABLE t ADD COLUMN c int, ALTER COLUMN v TYPE varchar(20), SET (fillfactor = 70)"),
    case(
        &[T],
        "ALTER TABLE t ADD COLUMN c int DEFAULT 0, ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID",
    ),
    case(&[T], "ALTER TABLE t ALTER COLUMN a TYPE bigint, ADD CONSTRAINT a_positive CHECK (a > 0)"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ADD CONSTRAINT a_positive CHECK (a > 0)"),
    case(&[T], "ALTER TABLE t SET (fillfactor = 70), ALTER COLUMN a SET STATISTICS 500"),
    case(
        &[P_C_UNLINKED],
        "ALTER TABLE c ADD CONSTRAINT fk FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID, ALTER COLUMN p_id SET NOT NULL",
    ),
    // More forms: foreign keys pointing at the table, constraint indexes, comments on sub-objects, privileges
    case(&[P_C], "TRUNCATE p, c").except(&[rewrite(TRUNCATE_IS_NOT_A_REWRITE)]),
    case(&[P_C], "TRUNCATE p CASCADE").except(&[rewrite(TRUNCATE_IS_NOT_A_REWRITE)]),
    case(&[T], "TRUNCATE t RESTART IDENTITY").except(&[rewrite(TRUNCATE_IS_NOT_A_REWRITE)]),
    case(&[P_C], "DROP TABLE p CASCADE"),
    case(&[T, T_CONSTRAINTS], "DROP TABLE t"),
    case(&[P_C], "ALTER TABLE c ADD COLUMN q_id int DEFAULT 1 REFERENCES p (id)"),
    case(&[T], "REINDEX INDEX t_pkey"),
    case(&[T, T_CONSTRAINTS], "REINDEX INDEX CONCURRENTLY t_v_key"),
    case(&[T, T_INDEXES], "DROP INDEX IF EXISTS t_a"),
    case(&[T, T_INDEXES], "ALTER INDEX IF EXISTS t_v RENAME TO t_v_idx"),
    case(&[T], "ALTER TABLE t ALTER COLUMN a TYPE int"),
    case(&[T], "ALTER TABLE t RENAME CONSTRAINT t_pkey TO t_pk"),
    case(&[T], "ALTER TABLE t DROP COLUMN IF EXISTS missing"),
    case(&[T, T_CONSTRAINTS], "COMMENT ON CONSTRAINT a_positive ON t IS 'above zero'"),
    case(&[T, TOUCH, T_TRIGGER], "COMMENT ON TRIGGER t_touch ON t IS 'touches'"),
    case(&[T, TOUCH, T_TRIGGER], "ALTER TABLE t ENABLE ALWAYS TRIGGER t_touch"),
    case(
        &[T, TOUCH],
        "CREATE TRIGGER t_touch AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION touch()",
    ),
    case(&[T, &["CREATE POLICY t_everyone ON t USING (true)"]], "DROP POLICY t_everyone ON t"),
    case(&[T], "CREATE RULE t_no_delete AS ON DELETE TO t DO INSTEAD NOTHING"),
    case(
        &[T, &["CREATE RULE t_no_delete AS ON DELETE TO t DO INSTEAD NOTHING"]],
        "DROP RULE t_no_delete ON t",
    ),
    case(&[T], "GRANT SELECT ON t TO bellows_owner"),
    case(&[T], "REVOKE ALL ON t FROM PUBLIC"),
    case(&[T, V], "DROP VIEW v CASCADE"),
    case(&[T], "CREATE TABLE n AS WITH recent AS (SELECT id FROM t WHERE a > 50) SELECT id FROM recent"),
    case(&[&["CREATE TYPE mood AS ENUM ('sad', 'ok')"]], "ALTER TYPE mood ADD VALUE 'happy'"),
    case(
        &[&["CREATE TYPE mood AS ENUM ('sad', 'ok')"]],
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok'",
    ),
    case(&[&["CREATE TYPE mood AS ENUM ('sad', 'ok')"]], "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'"),
    // Locks on other relations: the other end of a foreign key
    case(&[P_C], "ALTER TABLE c ALTER COLUMN p_id TYPE bigint"),
    case(&[P_C], "ALTER TABLE p ALTER COLUMN id TYPE bigint"),
    case(&[P_C], "ALTER TABLE c ALTER COLUMN p_id TYPE int"),
    case(&[P_C_TEXT], "ALTER TABLE c ALTER COLUMN p_id TYPE varchar(20)"),
    case(&[P_C_TEXT], "ALTER TABLE p ALTER COLUMN id TYPE text"),
    case(&[P_C], "ALTER TABLE c DROP COLUMN p_id"),
    case(&[P_C], "ALTER TABLE p DROP COLUMN id CASCADE"),
    // Partitions: subcommands recurse into every partition; a partition's parent and the default partition
    case(&[M, MD], "ALTER TABLE m ADD COLUMN c int"),
    case(&[M, MD], "ALTER TABLE m ADD COLUMN c int DEFAULT 0"),
    case(&[M, MD], "ALTER TABLE m ALTER COLUMN id SET NOT NULL"),
    case(&[M, MD], "CREATE INDEX m_id ON m (id)"),
    case(&[M, MD], "CREATE INDEX m_id ON ONLY m (id)"),
    case(&[M, MD], "ALTER TABLE m ALTER COLUMN id TYPE bigint"),
    case(&[M, MD], "ALTER TABLE m ADD CONSTRAINT id_positive CHECK (id > 0)"),
    case(&[M, MD], "ALTER TABLE m ALTER COLUMN id SET DEFAULT 1"),
    case(&[M, MD], "ALTER TABLE m DROP COLUMN id"),
    case(&[M, MD], "ALTER TABLE m RENAME COLUMN id TO key"),
    case(&[M, MD], "ALTER TABLE m RENAME TO n"),
    case(&[M, MD], "ALTER TABLE m ALTER COLUMN id SET STATISTICS 500"),
    case(&[M, MD], "DROP TABLE m1"),
    case(&[M, MD], "DROP TABLE md"),
    case(&[M], "DROP TABLE m"),
    case(&[M, MD, M2], "ALTER TABLE m ATTACH PARTITION m2 FOR VALUES FROM (100) TO (200)"),
    case(&[M, MD], "CREATE TABLE m3 PARTITION OF m FOR VALUES FROM (200) TO (300)"),
    case(&[M, MD], "ALTER TABLE m DETACH PARTITION m1"),
    // Inheritance
    case(&[IP_IC], "ALTER TABLE ic INHERIT ip"),
    case(&[IP_IC, IC_INHERITS], "ALTER TABLE ic NO INHERIT ip"),
    case(&[IP_IC], "CREATE TABLE ic2 () INHERITS (ip)"),
    case(&[IP_IC, IC_INHERITS], "ALTER TABLE ip ADD COLUMN b int"),
    case(&[IP_IC, IC_INHERITS], "ALTER TABLE ONLY ip ALTER COLUMN a SET DEFAULT 0"),
    // Statements that lock tables other than the ones they name, or that had no lock before
    case(&[T, S], "ALTER TABLE t SET SCHEMA s"),
    case(&[DOMAINS], "ALTER DOMAIN pos ADD CONSTRAINT pos_small CHECK (VALUE < 1000)"),
    case(&[DOMAINS], "ALTER DOMAIN pos ADD CONSTRAINT pos_small CHECK (VALUE < 1000) NOT VALID"),
    case(&[DOMAINS], "ALTER DOMAIN pos SET NOT NULL"),
    case(&[DOMAINS], "ALTER DOMAIN pos DROP NOT NULL"),
    case(&[DOMAINS], "ALTER DOMAIN pos VALIDATE CONSTRAINT pos_check"),
    case(&[DOMAINS], "ALTER DOMAIN pos DROP CONSTRAINT pos_check"),
    case(&[DOMAINS], "ALTER TABLE dt ADD COLUMN e pos"),
    case(&[DOMAINS], "ALTER TABLE dt ADD COLUMN e plain"),
    case(&[T], "CREATE STATISTICS t_a_v ON a, v FROM t"),
    case(&[T], "CREATE FUNCTION t_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t'"),
    case(
        &[T],
        "CREATE FUNCTION t_count() RETURNS bigint LANGUAGE plpgsql AS 'BEGIN RETURN (SELECT count(*) FROM t); END'",
    ),
    case(&[T], "CREATE FUNCTION t_count() RETURNS bigint BEGIN ATOMIC SELECT count(*) FROM t; END").since(14),
    case(&[T, TOUCH], "DROP FUNCTION touch()"),
    case(&[T, T_INDEXES], "CREATE INDEX IF NOT EXISTS t_a ON t (a)"),
    case(&[T], "CREATE TABLE IF NOT EXISTS t (id int)"),
    case(&[T], "SELECT count(*) FROM t"),
    case(&[T, P_C], "INSERT INTO t (id, a) SELECT id + 1000, id FROM p"),
    case(&[T, P_C], "UPDATE t SET a = 0 WHERE id IN (SELECT p_id FROM c)"),
    // Every row of a table, in one transaction
    case(&[T], "UPDATE t SET a = a + 1"),
    case(&[T], "DELETE FROM t"),
    // Statements that lock no table
    case(&[NONE], "CREATE SCHEMA s"),
    case(&[NONE], "CREATE TYPE mood AS ENUM ('sad', 'ok')"),
    case(&[NONE], "CREATE SEQUENCE counter"),
];
