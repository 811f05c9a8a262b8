//! Workstations and a hub, end to end over HTTPS on loopback, in one process: enrollment
//! with a pinned certificate, accounts from the hub, offline work, push, pull and rebase,
//! convergence. (Real processes through a fault proxy are in tests/sync_processes.)

#[path = "../support/backend.rs"]
mod backend;
mod database_outage;
mod harness;
mod joining;
mod leasing;
mod moving;
mod offline;
mod security;

pub use harness::*;
