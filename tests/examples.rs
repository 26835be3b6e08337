//! Every scenario under `examples/`: its plan in text and JSON is kept as an insta
//! snapshot, and every SQL statement the planner emits parses with pg_query.
//! (PL/pgSQL bodies are checked by running the plans on a real server, in
//! `tests/examples_apply.rs`: pg_query's own `parse_plpgsql` is broken in 18.1.)

mod support;

use std::path::Path;

use planner::render::{render_json, render_sql, render_text};
use planner::{make_plan, Plan, PlanOptions, Schema};
use support::examples::{before_and_after, scenarios as examples};

fn plan_of(dir: &Path) -> (Schema, Result<Plan, planner::PlanError>) {
    let (before, after) = before_and_after(dir);
    let plan = make_plan(&before, &after, PlanOptions::default());
    (after, plan)
}

fn name(dir: &Path) -> String {
    dir.file_name().expect("a folder name").to_string_lossy().into_owned()
}

#[test]
fn there_are_enough_scenarios() {
    assert!(examples().len() >= 15, "at least 15 example scenarios");
}

#[test]
fn plans_match_their_snapshots() {
    for dir in examples() {
        let name = name(&dir);
        match plan_of(&dir).1 {
            Ok(plan) => {
                insta::assert_snapshot!(format!("{name}.text"), render_text(&plan, false));
                insta::assert_snapshot!(format!("{name}.json"), render_json(&plan));
            }
            Err(error) => {
                assert!(name.contains("refused"), "{name} was refused unexpectedly: {error}");
                insta::assert_snapshot!(format!("{name}.refused"), format!("{error}\nhelp: {}", error.help().unwrap_or_default()));
            }
        }
    }
}

#[test]
fn refused_examples_are_refused_and_others_are_not() {
    for dir in examples() {
        let refused = plan_of(&dir).1.is_err();
        assert_eq!(refused, name(&dir).contains("refused"), "{}", name(&dir));
    }
}

#[test]
fn every_emitted_statement_parses() {
    let mut checked = 0;
    for dir in examples() {
        let (_, Ok(plan)) = plan_of(&dir) else { continue };
        for step in plan.steps() {
            let backfill = step.backfill.iter().flat_map(|b| [&b.batch_sql, &b.bound_sql]);
            for statement in step.sql.iter().chain(&step.undo).chain(backfill) {
                let parsed = pg_query::parse(statement, 0)
                    .unwrap_or_else(|e| panic!("{}: step {} emits SQL that does not parse: {e}\n{statement}", name(&dir), step.id));
                assert!(!parsed.protobuf.stmts.is_empty(), "{}: empty statement in step {}", name(&dir), step.id);
                checked += 1;
            }
        }
        let script = render_sql(&plan);
        pg_query::parse(&script, 0).unwrap_or_else(|e| panic!("{}: the SQL rendering does not parse: {e}", name(&dir)));
    }
    assert!(checked > 50, "only {checked} statements checked");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    for dir in examples() {
        if let (_, Ok(first)) = plan_of(&dir) {
            let (_, second) = plan_of(&dir);
            let second = second.expect("planned once, plans again");
            assert_eq!(render_json(&first), render_json(&second), "{}", name(&dir));
            assert_eq!(first.fingerprint, second.fingerprint);
        }
    }
}

/// The executor stores a plan's JSON and runs it later, perhaps with a newer bellows:
/// read back, it is the same plan with the same fingerprint.
#[test]
fn every_plan_reads_back_from_its_json() {
    let mut read = 0;
    for dir in examples() {
        let Ok(plan) = plan_of(&dir).1 else { continue };
        let json = render_json(&plan);
        let back = Plan::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", name(&dir)));
        assert_eq!(back, plan, "{}", name(&dir));
        assert_eq!(render_json(&back), json, "{}", name(&dir));
        read += 1;
    }
    assert!(read >= 20, "only {read} plans read back");
}

#[test]
fn a_plan_from_a_newer_bellows_or_edited_by_hand_is_refused() {
    let (_, Ok(plan)) = plan_of(&examples()[0]) else {
        panic!("the first example plans")
    };
    let json = render_json(&plan);
    let newer = json.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    let error = Plan::from_json(&newer).expect_err("a newer format is refused").to_string();
    assert!(error.contains("format_version is 2"), "{error}");
    let edited = json.replacen("CREATE TABLE", "CREATE UNLOGGED TABLE", 1);
    assert_ne!(edited, json, "the first example creates a table");
    let error = Plan::from_json(&edited).expect_err("an edited plan is refused").to_string();
    assert!(error.contains("does not match its content"), "{error}");
}
