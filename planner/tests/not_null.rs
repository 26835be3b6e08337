//! Where the NOT NULL recipe puts its check: never in front of the old application
//! version when that version can violate it (issue 8, defect 2).

use planner::change::Change;
use planner::model::QualifiedName;
use planner::plan::{make_plan, plan_changes, Plan, PlanOptions};
use planner::Phase;

const BEFORE: &str = r#"
[tables.users]
primary_key = ["id"]
columns = [ { name = "id", type = "bigint", nullable = false }, { name = "email", type = "text" } ]
"#;

fn plan(email: &str) -> Plan {
    let after = BEFORE.replace(r#"{ name = "email", type = "text" }"#, email);
    let before = planner::load_schema("before.toml", BEFORE).expect("loads");
    let after = planner::load_schema("after.toml", &after).expect("loads");
    make_plan(&before, &after, PlanOptions::default()).expect("plans")
}

/// The phase of each NOT NULL step, by its action.
fn phases(plan: &Plan) -> Vec<(String, Phase)> {
    plan.steps()
        .filter(|s| s.id.contains("not-null"))
        .map(|s| (s.id.split(':').next().unwrap_or_default().to_string(), s.phase))
        .collect()
}

fn placed(phase: Phase, later: Phase) -> Vec<(String, Phase)> {
    vec![
        ("add-not-null-check".to_string(), phase),
        ("validate-not-null-check".to_string(), later),
        ("set-not-null".to_string(), later),
    ]
}

#[test]
fn a_check_the_old_version_can_violate_waits_for_contract() {
    let no_fill = plan(r#"{ name = "email", type = "text", nullable = false }"#);
    assert_eq!(phases(&no_fill), placed(Phase::Contract, Phase::Contract));
    let validate = no_fill.steps().find(|s| s.id.starts_with("validate")).expect("a validation");
    assert_eq!(validate.preconditions[0].sql, "SELECT count(*) FROM public.users WHERE email IS NULL");
    let fill = plan(r#"{ name = "email", type = "text", nullable = false, backfill = "'x' || id" }"#);
    assert_eq!(phases(&fill), placed(Phase::Contract, Phase::Contract));
    let constant = plan(r#"{ name = "email", type = "text", nullable = false, backfill = "'none'" }"#);
    assert_eq!(phases(&constant), placed(Phase::Expand, Phase::Backfill));
    assert!(constant.steps().all(|s| s.preconditions.is_empty()), "a constant fill cannot leave a NULL");
}

#[test]
fn set_not_null_from_a_migration_waits_for_contract_too() {
    // plan --sql gives the column as it is (still nullable).
    let before = planner::load_schema("before.toml", BEFORE).expect("loads");
    let mut after = before.clone();
    let t = QualifiedName::new("public", "users");
    let table = after.tables.get_mut(&t).expect("users");
    let column = table.column("email").expect("email").clone();
    table.columns[1].nullable = false;
    let change = Change::SetNotNull { table: t, column };
    let plan = plan_changes(&before, &after, &[change], PlanOptions::default()).expect("plans");
    assert_eq!(phases(&plan), placed(Phase::Contract, Phase::Contract));
}
