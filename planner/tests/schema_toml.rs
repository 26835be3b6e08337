//! The schema.toml writer: what it writes loads back to an equal `Schema`, for every
//! example and for a schema that uses every key, odd names and types from outside
//! `pg_catalog`; and the same schema always gives the same bytes.

use std::path::Path;

use planner::load_schema;
use planner::render::render_schema_toml;

/// Writes `source`'s schema, loads it back, and checks both are equal; returns the text.
fn round_trip(path: &str, source: &str) -> String {
    let schema = load_schema(path, source).unwrap_or_else(|e| panic!("{path} does not load:\n{e}"));
    let written = render_schema_toml(&schema);
    let again = load_schema("written.toml", &written).unwrap_or_else(|e| panic!("the schema written from {path} does not load:\n{e}\n{written}"));
    assert_eq!(again, schema, "{path} does not round-trip:\n{written}");
    assert_eq!(render_schema_toml(&again), written, "{path}: writing is not a fixed point");
    written
}

#[test]
fn every_example_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("schema.toml")];
    for entry in std::fs::read_dir(root.join("examples")).expect("examples/ exists") {
        let dir = entry.expect("readable entry").path();
        files.extend(["before.toml", "after.toml"].map(|f| dir.join(f)).into_iter().filter(|p| p.exists()));
    }
    assert!(files.len() > 40, "only {} schema files found", files.len());
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable file");
        round_trip(&file.display().to_string(), &source);
    }
}

const EVERYTHING: &str = r#"
[enums.mood]
values = ["happy", "sad", "it's \"ok\""]

[enums."Billing.Status"]
values = ["open"]

[tables.orgs]
primary_key = ["id"]
primary_key_name = "orgs_pk"
columns = [ { name = "id", type = "int8", identity = "by default" } ]

[tables.'billing."line.items"']
comment = "two\nlines and a \"quote\""
renamed_from = "items"
primary_key = ["id", "Org Id"]
columns = [
  { name = "id", type = "bigint", nullable = false, identity = "always", comment = "the key" },
  { name = "Org Id", type = "bigint", nullable = false },
  { name = "order", type = "varchar(20)[][]", default = "'{}'" },
  { name = "mood", type = "mood", default = "'ok'", renamed_from = "feeling" },
  { name = "status", type = "\"Billing\".\"Status\"" },
  { name = "tags", type = "public.citext[]" },
  { name = "raw", type = "pg_catalog.int2vector" },
  { name = "flag", type = "\"char\"" },
  { name = "amount", type = "numeric(12,2)", nullable = false, backfill = "0", using = "amount::numeric(12,2)" },
  { name = "cents", type = "bigint", generated = "(amount * 100)::bigint" },
  { name = "at", type = "timestamp(3) with time zone", default = "now()" },
]
indexes = [
  { name = "items_lower_idx", columns = ["(lower(\"order\"::text))", "id"], unique = true, where = "amount > 0", include = ["mood"] },
  { name = "items_tags_idx", columns = ["tags"], method = "GIN" },
]
uniques = [ { name = "items_order_key", columns = ["order", "id"] } ]
checks = [ { name = "positive", expression = "amount >= 0 AND mood IN ('happy', 'sad')" } ]
foreign_keys = [
  { name = "items_org_fk", columns = ["Org Id"], references = "orgs", on_delete = "set null", on_update = "CASCADE", deferrable = true },
  { name = "items_self_fk", columns = ["id", "Org Id"], references = 'billing."line.items"', referenced_columns = ["id", "Org Id"], initially_deferred = true },
]

[tables.empty]
"#;

#[test]
fn every_key_and_odd_names_round_trip() {
    let written = round_trip("everything.toml", EVERYTHING);
    assert!(written.contains("[tables.\"billing.\\\"line.items\\\"\"]"), "{written}");
    assert!(written.contains("type = \"public.citext[]\""), "{written}");
    assert!(written.contains("type = \"pg_catalog.int2vector\""), "{written}");
    assert!(written.contains("primary_key_name = \"orgs_pk\""), "{written}");
    assert!(written.contains("[tables.empty]\ncolumns = []\n"), "{written}");
}

#[test]
fn output_is_deterministic() {
    let schema = load_schema("everything.toml", EVERYTHING).expect("loads");
    let first = render_schema_toml(&schema);
    for _ in 0..5 {
        assert_eq!(render_schema_toml(&schema.clone()), first);
    }
}

/// Index keys with options (an operator class, a collation, DESC, NULLS FIRST/LAST)
/// load, are written back, count in the checksum, change the plan when they change,
/// and are built concurrently with their options.
#[test]
fn index_key_options_round_trip_and_are_built() {
    let with = |keys: &str| {
        format!(
            "[tables.docs]\nprimary_key = [\"id\"]\ncolumns = [ {{ name = \"id\", type = \"bigint\", nullable = false }}, {{ name = \"Title\", type = \"text\" }}, {{ name = \"at\", type = \"timestamptz\" }} ]\nindexes = [ {{ name = \"docs_idx\", columns = [{keys}] }} ]\n"
        )
    };
    let source = with(r#""\"Title\" COLLATE \"C\" text_pattern_ops", "at DESC NULLS LAST", "(lower(\"Title\")) DESC""#);
    let written = round_trip("options.toml", &source);
    assert!(written.contains(r#"\"Title\" COLLATE \"C\" text_pattern_ops"#), "{written}");
    let schema = load_schema("options.toml", &source).expect("loads");
    let plain = load_schema("plain.toml", &with(r#""Title", "at", "(lower(\"Title\"))""#)).expect("loads");
    assert_ne!(schema.checksum(), plain.checksum());
    let plan = planner::make_plan(&plain, &schema, planner::PlanOptions::default()).expect("plans");
    let sql: Vec<&str> = plan.steps().flat_map(|s| s.statements()).collect();
    assert!(
        sql.iter()
            .any(|s| s.contains(r#"CONCURRENTLY"#) && s.contains(r#"("Title" COLLATE "C" text_pattern_ops, at DESC NULLS LAST, (lower("Title")) DESC)"#)),
        "{sql:#?}"
    );
    let unknown = load_schema("bad.toml", &with(r#""Titel DESC""#)).expect_err("an unknown column");
    assert!(unknown.to_string().contains("column `titel`"), "{unknown}");
}
