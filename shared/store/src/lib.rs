//! Aliquot's local store: SQLite through sqlx, and the one command executor.
//!
//! Every change to domain data goes through [`Store::execute`]. Reads are plain functions
//! on [`Store`]. SQL lives only in this crate.

pub mod anchor;
pub mod audit;
pub mod auth;
mod db;
mod executor;
pub mod instruments;
pub mod joining;
pub mod lab_tables;
pub mod labels;
pub mod leaving;
pub mod lookup;
pub mod notifications;
pub mod outbox;
mod password;
pub mod printing;
pub mod query;
pub mod registration;
pub mod reports;
pub mod result_import;
pub mod result_sets;
pub mod runs;
pub mod samples;
pub mod saved_reports;
pub mod seed;
pub mod settings;
pub mod setup;
pub mod storage;
pub mod sync;
pub mod sync_issues;
pub mod users;
pub mod watch_folders;

pub use db::{default_data_dir, BackupReport, SchemaVersion, DB_FILE_NAME};
pub use executor::{AlongWith, Executed, Recorded, Replay, Savepoint, WriteTx};
pub use password::{hash_password, verify_password, PASSWORD_PARAMS};

use aliquot_domain::{Clock, DomainError, Permission};
use std::sync::Arc;
use thiserror::Error;

/// The open store: one pool, the injected clock and this workstation's device id.
#[derive(Clone)]
pub struct Store {
    pool: sqlx::SqlitePool,
    clock: Arc<dyn Clock>,
    device_id: String,
    /// The few threads that run argon2 (bounded memory, "busy" past the queue).
    passwords: password::PasswordWorkers,
    /// When each (user, permission) refusal was last written to the audit trail.
    refusals: Arc<std::sync::Mutex<auth::RefusalLog>>,
    /// The audit chain's head kept outside the database (none for a backup copy).
    anchor: Option<Arc<anchor::AuditAnchor>>,
    /// Enrolled with a hub: lab commands record their before-images for rebases.
    syncing: Arc<std::sync::atomic::AtomicBool>,
    /// The data directory (none for a backup copy).
    dir: Option<std::path::PathBuf>,
    /// The database file (the audit chain walk opens it read-only).
    db_file: std::path::PathBuf,
    /// Left its hub: no more work until the workstation starts again (see `leaving`).
    left_hub: Arc<std::sync::Mutex<Option<std::path::PathBuf>>>,
    /// Copying the lab from its hub (see `joining`).
    joining: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("your role may not do this ({0:?})")]
    Forbidden(Permission),
    #[error("not signed in, or the session has ended")]
    Unauthenticated,
    #[error("the user name or password is not correct")]
    InvalidCredentials,
    #[error("too many failed sign-ins")]
    LockedOut,
    #[error("the workstation is busy checking other passwords")]
    Busy,
    #[error("the database file failed its integrity check: {0}")]
    Corrupt(String),
    #[error("backup failed: {0}")]
    Backup(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data could not be read: {0}")]
    Decode(String),
    #[error(
        "this database was last opened by a newer Aliquot (its schema is at {found}; this \
         program knows up to {known}): run that version or a later one"
    )]
    SchemaNewer { found: i64, known: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    /// The data directory this store was opened in (none for a backup copy).
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }
    pub fn device_id(&self) -> &str {
        &self.device_id
    }
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
    /// Closes the pool, after writing the audit anchor at the final head.
    pub async fn close(&self) {
        if let Some(anchor) = &self.anchor {
            match self.audit_head().await {
                Ok(head) => anchor.flush(&head),
                Err(e) => tracing::warn!(error = %e, "could not read the audit head on close"),
            }
        }
        self.pool.close().await;
    }
}

/// Parses a stored UTC instant (see `aliquot_domain::audit::format_utc`).
pub(crate) fn parse_utc(s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::Decode(format!("timestamp {s:?}: {e}")))
}

pub(crate) use aliquot_domain::audit::format_utc;

/// A search box's text as a `LIKE` prefix pattern: none when empty, and the pattern's own
/// wildcards removed so a typed `%` or `_` matches nothing special.
pub(crate) fn starts_with(search: Option<&str>) -> Option<String> {
    let text = search?.trim().replace(['%', '_'], "");
    (!text.is_empty()).then(|| format!("{text}%"))
}
