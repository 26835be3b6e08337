//! Ordering, entered through whole plans: dependencies between steps of different
//! changes, phase order, stable ties, and byte-identical output.

mod support;

use planner::step::Phase;
use planner::{load_schema, make_plan, Plan, PlanError, PlanOptions, Schema};
use support::{ids, position};

fn plan(before: &str, after: &str) -> Plan {
    let before = load_schema("before.toml", before).expect("before loads");
    let after = load_schema("after.toml", after).expect("after loads");
    make_plan(&before, &after, PlanOptions::default()).expect("plans")
}

const PARENT: &str = "[tables.parent]\nprimary_key = [\"id\"]\ncolumns = [ { name = \"id\", type = \"bigint\" } ]\n";
const CHILD: &str = "[tables.child]\nprimary_key = [\"id\"]\ncolumns = [ { name = \"id\", type = \"bigint\" }, { name = \"parent_id\", type = \"bigint\" } ]\n";
const FK: &str = "foreign_keys = [ { name = \"child_parent_fk\", columns = [\"parent_id\"], references = \"parent\" } ]\n";

#[test]
fn referenced_table_is_created_before_the_foreign_key() {
    // `child` sorts before `parent`, yet its foreign key waits for `parent`.
    let p = plan("", &format!("{CHILD}{FK}{PARENT}"));
    assert!(position(&p, "create-table:public.parent") < position(&p, "add-foreign-key:public.child.child_parent_fk"));
    let fk = p.steps().find(|s| s.id == "add-foreign-key:public.child.child_parent_fk").expect("fk step");
    assert!(fk.depends_on.contains(&"create-table:public.parent".to_string()), "{:?}", fk.depends_on);
}

#[test]
fn foreign_keys_are_dropped_before_the_tables_they_point_to() {
    let before = format!("{PARENT}{CHILD}{FK}");
    let after = CHILD.to_string();
    let p = plan(&before, &after);
    assert!(position(&p, "drop-constraint:public.child.child_parent_fk") < position(&p, "drop-table:public.parent"));
}

#[test]
fn index_comes_before_using_index_and_validate_before_set_not_null() {
    let before = "[tables.t]\ncolumns = [ { name = \"id\", type = \"bigint\" } ]\n";
    let after = "[tables.t]\nprimary_key = [\"id\"]\ncolumns = [ { name = \"id\", type = \"bigint\" } ]\n";
    let p = plan(before, after);
    assert!(position(&p, "create-index:public.t.t_pkey") < position(&p, "attach-primary-key:public.t.t_pkey"));
    assert!(position(&p, "validate-not-null-check:public.t.id") < position(&p, "set-not-null:public.t.id"));
    assert!(position(&p, "set-not-null:public.t.id") < position(&p, "attach-primary-key:public.t.t_pkey"));
}

#[test]
fn phases_come_in_order_and_steps_stay_in_their_phase() {
    let before = format!("{PARENT}{CHILD}");
    let after = format!("{PARENT}[tables.child]\nprimary_key = [\"id\"]\ncolumns = [ {{ name = \"id\", type = \"bigint\" }}, {{ name = \"parent_id\", type = \"bigint\", nullable = false, backfill = \"0\" }} ]\n{FK}");
    let p = plan(&before, &after);
    let phases: Vec<Phase> = p.steps().map(|s| s.phase).collect();
    let mut sorted = phases.clone();
    sorted.sort();
    assert_eq!(phases, sorted);
    for phase in &p.phases {
        assert!(phase.steps.iter().all(|s| s.phase == phase.name));
    }
}

#[test]
fn every_dependency_points_to_an_earlier_step() {
    let before = format!("{PARENT}{CHILD}{FK}");
    let after = format!("[tables.child]\nprimary_key = [\"id\"]\ncolumns = [ {{ name = \"id\", type = \"bigint\" }}, {{ name = \"parent_ref\", type = \"bigint\", renamed_from = \"parent_id\" }} ]\n{PARENT}");
    let p = plan(&before, &after);
    let order = ids(&p);
    for (i, step) in p.steps().enumerate() {
        for dependency in &step.depends_on {
            let at = order.iter().position(|s| s == dependency).expect("dependency is a step of the plan");
            assert!(at < i, "{} depends on later step {dependency}", step.id);
        }
    }
}

#[test]
fn ties_are_broken_the_same_way_every_time() {
    let many: String = (0..30)
        .map(|i| format!("[tables.t{i:02}]\ncolumns = [ {{ name = \"id\", type = \"int\" }} ]\n"))
        .collect();
    let first = plan("", &many);
    for _ in 0..5 {
        let again = plan("", &many);
        assert_eq!(ids(&first), ids(&again));
        assert_eq!(first.fingerprint, again.fingerprint);
    }
    let expected: Vec<String> = (0..30).map(|i| format!("create-table:public.t{i:02}")).collect();
    assert_eq!(ids(&first), expected);
}

#[test]
fn identity_on_a_nullable_column_waits_for_not_null() {
    let before = "[tables.t]\nprimary_key = [\"k\"]\ncolumns = [ { name = \"k\", type = \"bigint\" }, { name = \"id\", type = \"bigint\" } ]\n";
    let after =
        "[tables.t]\nprimary_key = [\"k\"]\ncolumns = [ { name = \"k\", type = \"bigint\" }, { name = \"id\", type = \"bigint\", identity = \"always\" } ]\n";
    let p = plan(before, after);
    assert!(position(&p, "set-not-null:public.t.id") < position(&p, "add-identity:public.t.id"));
}

#[test]
fn names_with_dots_do_not_collide_in_step_ids() {
    let a = "[tables.'billing.\"line.items\"']\ncolumns = [ { name = \"x\", type = \"int\" } ]\n[tables.'\"billing.line\".items']\ncolumns = [ { name = \"x\", type = \"int\" } ]\n";
    let p = plan("", a);
    let ids = ids(&p);
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

/// Two steps with one id are reported as what they are, not as a dependency cycle.
#[test]
fn a_duplicate_step_id_is_reported_as_such() {
    use planner::plan::{plan_statements, Statement};
    use planner::step::{Draft, Step, StepKind};
    let step = || {
        Statement::AsWritten(
            Box::new(Draft::from(Step::new("statement:x".into(), StepKind::Sql, Phase::Expand, "x".into()))),
            Default::default(),
        )
    };
    let error = plan_statements(&Schema::default(), &Schema::default(), vec![step(), step()], PlanOptions::default()).expect_err("refused");
    assert_eq!(error, PlanError::DuplicateStep { id: "statement:x".into() });
    assert_eq!(error.to_string(), "two steps share the id statement:x");
}
