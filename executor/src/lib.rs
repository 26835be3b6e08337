//! The executor owns every connection to a live PostgreSQL database: introspection,
//! the `bellows` state schema, the resumable step runner and batched backfills.
//!
//! It is filled by a later issue; the planner's `Plan` (steps, phases, lock impact and
//! fingerprint) is the contract it will execute.
