//! The plan fingerprint: a hash of the plan's canonical rendering (its JSON, with the
//! fingerprint itself empty), recorded by the executor so that a different plan is
//! never applied over a half-applied one.

use super::Plan;
use crate::digest::sha256_hex;

pub fn of(plan: &Plan) -> String {
    let mut canonical = plan.clone();
    canonical.fingerprint.clear();
    sha256_hex(serde_json::to_string(&canonical).expect("invariant: a plan serialises").as_bytes())
}
