//! Which key a batched backfill walks: the primary key, else a unique key of NOT NULL
//! columns; a table with neither is refused with what to add (issue 9).

use planner::plan::{make_plan, Plan, PlanOptions};
use planner::PlanError;

/// `events` without a primary key, its other keys given by `keys` (TOML lines).
fn before(keys: &str) -> String {
    format!(
        r#"
[tables.events]
columns = [
  {{ name = "tenant", type = "integer", nullable = false }},
  {{ name = "seq", type = "bigint", nullable = false }},
  {{ name = "code", type = "text" }},
  {{ name = "note", type = "text" }},
]
{keys}
"#
    )
}

fn plan(keys: &str) -> Result<Plan, PlanError> {
    let before = before(keys);
    let after = before.replace(
        r#"{ name = "note", type = "text" },"#,
        r#"{ name = "note", type = "text" }, { name = "kind", type = "text", nullable = false, backfill = "'k' || seq" },"#,
    );
    let before = planner::load_schema("before.toml", &before).expect("loads");
    let after = planner::load_schema("after.toml", &after).expect("loads");
    make_plan(&before, &after, PlanOptions::default())
}

fn key(plan: &Plan) -> Vec<(String, String)> {
    let backfill = plan.steps().find_map(|s| s.backfill.as_ref()).expect("a backfill step");
    backfill.key.iter().map(|k| (k.name.clone(), k.ty.clone())).collect()
}

#[test]
fn a_unique_constraint_of_not_null_columns_stands_in_for_the_primary_key() {
    let plan = plan(r#"uniques = [ { name = "events_tenant_seq", columns = ["tenant", "seq"] } ]"#).expect("plans");
    assert_eq!(
        key(&plan),
        [("tenant".to_string(), "integer".to_string()), ("seq".to_string(), "bigint".to_string())]
    );
}

#[test]
fn so_does_a_plain_unique_index_of_not_null_columns() {
    let plan = plan(r#"indexes = [ { name = "events_seq", columns = ["seq"], unique = true } ]"#).expect("plans");
    assert_eq!(key(&plan), [("seq".to_string(), "bigint".to_string())]);
}

#[test]
fn a_unique_key_with_a_nullable_column_or_a_partial_index_is_no_key() {
    for keys in [
        r#"uniques = [ { name = "events_code", columns = ["code"] } ]"#,
        r#"indexes = [ { name = "events_seq", columns = ["seq"], unique = true, where = "tenant > 0" } ]"#,
        r#"indexes = [ { name = "events_seq", columns = ["seq"] } ]"#,
        "",
    ] {
        let error = plan(keys).expect_err(keys).to_string();
        assert!(error.contains("has no primary key and no unique key of NOT NULL columns"), "{keys}: {error}");
    }
}
