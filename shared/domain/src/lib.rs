//! The pure heart of Aliquot: what things are and which changes are allowed.
//!
//! Nothing here touches a database, a file, the network or the clock. Time, ids and the
//! actor come in as arguments so every rule is a plain function that tests can drive with
//! case tables.

pub mod access;
pub mod account;
pub mod audit;
pub mod command;
pub mod error;
pub mod instruments;
pub mod numbering;
pub mod paging;
pub mod printing;
pub mod qc;
pub mod query;
pub mod rackscan;
pub mod registration;
pub mod release;
pub mod reports;
pub mod result_sets;
pub mod runs;
pub mod sample;
pub mod saved_reports;
pub mod scanning;
pub mod schedule;
pub mod settings;
pub mod storage;

pub use access::{Permission, Role};
pub use command::{Command, CommandKind, COMMAND_SCHEMA_VERSION};
pub use error::DomainError;

use chrono::{DateTime, Utc};

/// Who performs a change. Built by the store from a validated session, never from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: uuid::Uuid,
    pub username: String,
    pub role: Role,
}

impl Actor {
    /// The actor for changes made by the system itself (first-run setup, demo seeding),
    /// named so the audit trail never shows an anonymous change.
    pub fn system() -> Self {
        Actor {
            user_id: uuid::Uuid::nil(),
            username: "system".to_owned(),
            role: Role::Admin,
        }
    }
}

/// An id a command creates besides the ones it carries (a notification for each approver),
/// derived from the command's id and what it is for, so a replay of the command on the hub
/// or in a rebase makes the very same id.
pub fn derived_id(command_id: uuid::Uuid, purpose: &str) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(command_id.as_bytes())
        .chain_update(purpose.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The single source of "now". Injected so rules and tests never read the wall clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, for binaries.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
