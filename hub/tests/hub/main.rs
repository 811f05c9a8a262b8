//! The hub, in process: enrollment, push rules, the conflict policy, the change feed.
//! (The same hub over HTTPS with real workstations is in tests/sync.)

#[path = "../support/backend.rs"]
mod backend;
mod bench;
mod conflicts;
mod enrollment;
mod feed;
mod outage;
mod postgres;
mod push_rules;

pub use bench::*;
