//! Helpers shared by the planner's integration tests.

use planner::Plan;

/// The ids of a plan's steps, in order.
pub fn ids(plan: &Plan) -> Vec<&str> {
    plan.steps().map(|s| s.id.as_str()).collect()
}

/// Where step `id` stands in the plan; panics with the plan's ids when it is absent.
pub fn position(plan: &Plan, id: &str) -> usize {
    ids(plan)
        .iter()
        .position(|s| *s == id)
        .unwrap_or_else(|| panic!("no step {id} in {:?}", ids(plan)))
}
