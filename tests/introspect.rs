//! Introspection against a real PostgreSQL, connected as an ordinary role that owns the tables (not a superuser):
//! every example schema created on a live database reads back as a schema that plans to nothing against the file;
//! the schema.toml written from it loads back equal; and what the model has no field for (NOT VALID constraints,
//! INVALID indexes, row estimates, features it cannot express) is reported, not dropped.

mod support;

use executor::{introspect_url, DatabaseUrl, Feature, Introspection, Treatment};
use planner::model::{IndexKey, QualifiedName, Schema, TypeBase};
use planner::render::render_schema_toml;
use planner::{load_schema, make_plan, PlanOptions};
use sqlx::{Connection, PgConnection};
use support::blocking::block_on;
use support::owner::{owned_database, Owner};
use support::script::{create_schema, run_script};

fn read(url: &str) -> Introspection {
    block_on(|| async {
        introspect_url(&DatabaseUrl::new(url))
            .await
            .unwrap_or_else(|e| panic!("introspection failed: {e}"))
    })
}

fn run(url: &str, script: &str) {
    block_on(|| async {
        let mut connection = PgConnection::connect(url).await.expect("connects");
        run_script(&mut connection, script, "setup").await;
        let _ = connection.close().await;
    });
}

/// The plan from `current` to `desired`, as its change lines (empty when there is nothing to do).
fn changes(current: &Schema, desired: &Schema) -> Vec<String> {
    let plan = make_plan(current, desired, PlanOptions::default()).unwrap_or_else(|e| panic!("does not plan: {e}"));
    assert_eq!(plan.is_empty(), plan.changes.is_empty(), "steps without changes or changes without steps");
    plan.changes
}

/// Creates `desired` on a fresh owned database; returns the database and what introspection reads there.
fn created(desired: &Schema, what: &str) -> (Owner, Introspection) {
    let owner = owned_database();
    block_on(|| create_schema(&owner.url, desired, what));
    let live = read(&owner.url);
    (owner, live)
}

/// The round trip for one schema file: create it, read it back, plan to nothing; write it, load it, plan to nothing.
/// Returns the live schema.
fn round_trip(path: &std::path::Path) -> Schema {
    let what = path.display().to_string();
    let desired = support::examples::load(path);
    let (owner, live) = created(&desired, &what);
    assert_eq!(
        changes(&live.schema, &desired),
        Vec::<String>::new(),
        "{what}: the live schema differs from the file"
    );
    assert!(live.unsupported.is_empty(), "{what}: {:?}", live.unsupported);
    let written = render_schema_toml(&live.schema);
    let loaded = load_schema("introspected.toml", &written).unwrap_or_else(|e| panic!("{what}: the written schema does not load:\n{e}\n{written}"));
    assert_eq!(loaded, live.schema, "{what}: the written schema loads differently:\n{written}");
    let again = read(&owner.url);
    assert_eq!(
        changes(&again.schema, &loaded),
        Vec::<String>::new(),
        "{what}: the written schema plans changes"
    );
    live.schema
}

#[test]
fn every_example_reads_back_as_a_schema_that_plans_to_nothing() {
    round_trip(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.toml"));
    let mut differing = 0;
    for dir in support::examples::scenarios() {
        let (before, after) = support::examples::before_and_after(&dir);
        let live_before = round_trip(&dir.join("before.toml"));
        round_trip(&dir.join("after.toml"));
        // The comparison is not blind: a live `before` still differs from `after` where the files do.
        if before != after {
            differing += 1;
            let planned = make_plan(&live_before, &after, PlanOptions::default()).map(|p| p.changes);
            assert_ne!(
                planned.ok(),
                Some(Vec::new()),
                "{}: the live before.toml plans to nothing against after.toml",
                dir.display()
            );
        }
    }
    assert!(differing >= 20, "only {differing} examples change anything");
}

#[test]
fn reads_as_an_ordinary_role_that_owns_the_tables() {
    let owner = owned_database();
    let superuser: bool = block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("the owner logs in with its password");
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut connection)
            .await
            .expect("reads its role")
    });
    assert!(!superuser);
    let refused = block_on(|| async { introspect_url(&DatabaseUrl::new(owner.url_with_password("wrong"))).await });
    let message = refused.expect_err("a wrong password is refused").to_string();
    assert!(message.contains("password authentication failed"), "{message}");
    assert!(!message.contains("wrong"), "{message}");
}

#[test]
fn other_schemas_and_names_that_need_quoting_keep_their_exact_names() {
    let dir = support::examples::scenarios()
        .into_iter()
        .find(|d| d.ends_with("21-schemas-and-quoting"))
        .expect("example 21");
    let desired = support::examples::load(&dir.join("after.toml"));
    let (_, live) = created(&desired, "example 21");
    let line_items = &live.schema.tables[&QualifiedName::new("Billing", "Line Items")];
    assert_eq!(line_items.foreign_keys[0].references, QualifiedName::new("billing", "order"));
    let order = &live.schema.tables[&QualifiedName::new("billing", "order")];
    let names: Vec<&str> = order.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "user", "Total Amount", "say \"hi\""]);
    assert_eq!(order.indexes[0].name, "Order By User");
    assert_eq!(order.indexes[0].keys, [IndexKey::Column("user".into())]);
    let written = render_schema_toml(&live.schema);
    assert!(
        written.contains("[tables.\"Billing.Line Items\"]") && written.contains("[tables.\"billing.order\"]"),
        "{written}"
    );
}

#[test]
fn not_valid_constraints_and_invalid_indexes_are_listed() {
    let owner = owned_database();
    run(
        &owner.url,
        "CREATE TABLE p (id bigint PRIMARY KEY);
         CREATE TABLE t (id bigint PRIMARY KEY, a int, p_id bigint);
         INSERT INTO t SELECT g, g % 10, NULL FROM generate_series(1, 100) g;
         ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID;
         ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID;
         ALTER TABLE t ADD CONSTRAINT t_a_small CHECK (a < 100);",
    );
    // A unique index over duplicates fails to build concurrently and stays behind, INVALID.
    let failed = block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        sqlx::raw_sql("CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a)")
            .execute(&mut connection)
            .await
    });
    assert!(failed.is_err(), "the unique build should fail on duplicates");
    let live = read(&owner.url);
    let t = QualifiedName::new("public", "t");
    let not_valid: Vec<(&QualifiedName, &str)> = live.not_valid_constraints.iter().map(|c| (&c.table, c.name.as_str())).collect();
    assert_eq!(not_valid, [(&t, "t_a_positive"), (&t, "t_p_fk")]);
    let invalid: Vec<(&QualifiedName, &str)> = live.invalid_indexes.iter().map(|i| (&i.table, i.name.as_str())).collect();
    assert_eq!(invalid, [(&t, "t_a_key")]);
    // Both exist, so both are in the schema.
    let table = &live.schema.tables[&t];
    assert_eq!(table.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["t_a_positive", "t_a_small"]);
    assert!(table.indexes.iter().any(|i| i.name == "t_a_key" && i.unique));
}

#[test]
fn row_estimates_are_unknown_until_analyze() {
    let owner = owned_database();
    run(
        &owner.url,
        "CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1500); CREATE TABLE empty (id int);",
    );
    let t = QualifiedName::new("public", "t");
    let empty = QualifiedName::new("public", "empty");
    let before = read(&owner.url);
    assert_eq!(before.row_estimates[&t], None, "never analysed");
    run(&owner.url, "ANALYZE t; ANALYZE empty;");
    let after = read(&owner.url);
    assert_eq!(after.row_estimates[&t], Some(1500));
    assert_eq!(after.row_estimates[&empty], Some(0));
}

#[test]
fn system_bellows_and_extension_objects_are_not_read() {
    let owner = owned_database();
    run(
        &owner.superuser_url,
        &format!(
            "CREATE EXTENSION citext;
             CREATE TABLE ext_table (id int);
             CREATE TYPE ext_enum AS ENUM ('a');
             ALTER EXTENSION citext ADD TABLE ext_table;
             ALTER EXTENSION citext ADD TYPE ext_enum;
             ALTER TABLE ext_table OWNER TO {0};
             CREATE SCHEMA bellows AUTHORIZATION {0};",
            owner.role
        ),
    );
    run(
        &owner.url,
        "CREATE TABLE bellows.migrations (id int);
         CREATE TEMPORARY TABLE scratch (id int);
         CREATE TYPE mood AS ENUM ('ok');
         CREATE TABLE users (id int, email citext, mood mood);",
    );
    let live = read(&owner.url);
    let tables: Vec<String> = live.schema.tables.keys().map(|n| n.to_string()).collect();
    assert_eq!(tables, ["public.users"]);
    let enums: Vec<String> = live.schema.enums.keys().map(|n| n.to_string()).collect();
    assert_eq!(enums, ["public.mood"]);
    let email = &live.schema.tables[&QualifiedName::new("public", "users")].columns[1];
    assert_eq!(email.ty.base, TypeBase::User(QualifiedName::new("public", "citext")));
    let written = render_schema_toml(&live.schema);
    assert!(written.contains("type = \"public.citext\"") && written.contains("type = \"mood\""), "{written}");
    assert_eq!(load_schema("written.toml", &written).expect("loads"), live.schema);
}

/// Objects with a feature the model lacks, and the report each must give.
const UNSUPPORTED: &str = "
CREATE TABLE t (
  id bigint PRIMARY KEY,
  serial_id serial,
  name text COLLATE \"C\",
  during tstzrange,
  span interval day,
  code text,
  CONSTRAINT t_code_key UNIQUE (code) INCLUDE (name),
  CONSTRAINT t_during_excl EXCLUDE USING gist (during WITH &&),
  CONSTRAINT t_name_check CHECK (name <> '') NO INHERIT
);
CREATE INDEX t_name_desc_idx ON t (name DESC);
CREATE INDEX t_code_pattern_idx ON t (code text_pattern_ops);
CREATE TABLE d2 (x bigint, y int, PRIMARY KEY (x, y));
CREATE TABLE d (id bigint PRIMARY KEY, a bigint, b int,
  CONSTRAINT d_a_key UNIQUE (a) DEFERRABLE,
  CONSTRAINT d_full_fk FOREIGN KEY (a, b) REFERENCES d2 (x, y) MATCH FULL);
CREATE TABLE events (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE UNLOGGED TABLE cache (k text);
CREATE TABLE parent (id int);
CREATE TABLE child (extra int) INHERITS (parent);
CREATE TYPE nothing AS ENUM ();
";

#[test]
fn what_the_model_cannot_express_is_reported() {
    let owner = owned_database();
    run(&owner.url, UNSUPPORTED);
    let live = read(&owner.url);
    let mut reports: Vec<(String, Feature, Treatment)> = live.unsupported.iter().map(|u| (u.object.clone(), u.feature, u.treatment)).collect();
    reports.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    use Feature::*;
    use Treatment::*;
    let expected = [
        ("column public.t.name", ColumnCollation, ReadWithout),
        ("column public.t.serial_id", SerialSequence, ReadWithout),
        ("column public.t.span", UnreadableType, ReadWithout),
        ("constraint d_a_key on public.d", DeferrableKey, ReadWithout),
        ("constraint d_full_fk on public.d", MatchFull, ReadWithout),
        ("constraint t_code_key on public.t", ConstraintInclude, ReadWithout),
        ("constraint t_during_excl on public.t", Exclusion, LeftOut),
        ("constraint t_name_check on public.t", NoInherit, ReadWithout),
        ("enum public.nothing", EmptyEnum, LeftOut),
        ("index public.t_code_pattern_idx", IndexKeyOptions, ReadWithout),
        ("index public.t_name_desc_idx", IndexKeyOptions, ReadWithout),
        ("table public.cache", Unlogged, ReadWithout),
        ("table public.child", Inheritance, ReadWithout),
        ("table public.events", PartitionedTable, ReadWithout),
    ];
    let expected: Vec<(String, Feature, Treatment)> = expected.iter().map(|(o, f, t)| (o.to_string(), *f, *t)).collect();
    assert_eq!(reports, expected, "{:#?}", live.unsupported);
    let events = live.unsupported.iter().find(|u| u.feature == PartitionedTable).expect("reported");
    assert_eq!(events.definition.as_deref(), Some("PARTITION BY RANGE (at) (2 partitions)"));
    // What is read without its feature is in the schema; what is left out is not.
    let t = &live.schema.tables[&QualifiedName::new("public", "t")];
    assert!(
        t.indexes.iter().all(|i| i.name != "t_during_excl"),
        "the exclusion constraint's index goes with it"
    );
    assert!(t.indexes.iter().any(|i| i.name == "t_name_desc_idx"));
    assert!(t.uniques.iter().any(|u| u.name == "t_code_key"));
    let tables: Vec<String> = live.schema.tables.keys().map(|n| n.name.clone()).collect();
    assert_eq!(tables, ["cache", "child", "d", "d2", "events", "parent", "t"], "partitions are left out");
    assert!(!live.schema.enums.contains_key(&QualifiedName::new("public", "nothing")));
    // Even so, the schema written from it loads, and plans to nothing against the database.
    let written = render_schema_toml(&live.schema);
    let loaded = load_schema("written.toml", &written).unwrap_or_else(|e| panic!("does not load:\n{e}\n{written}"));
    assert_eq!(changes(&live.schema, &loaded), Vec::<String>::new());
}
