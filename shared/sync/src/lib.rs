//! The sync protocol between a workstation and the hub, as data and pure decisions.
//!
//! `wire`: what travels (push, pull, enrollment), versioned. `plan`: every decision the
//! protocol makes that does not need IO — how the hub treats each pushed command (claim,
//! order, outcome), what a workstation does with the answers, when it tries again — so
//! each can be tested as a case table. The hub and the workstation's sync engine do the
//! IO around these functions and nothing else.

pub mod plan;
pub mod wire;

pub use wire::*;
