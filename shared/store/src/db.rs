//! Opening the database file: pragmas, integrity check, migrations, device identity, backup.

use crate::{format_utc, Result, Store, StoreError};
use aliquot_domain::Clock;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const DB_FILE_NAME: &str = "aliquot.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// The platform's data directory for Aliquot (XDG on Linux, AppData on Windows,
/// Application Support on macOS). Binaries let a flag or `ALIQUOT_DATA_DIR` override it.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Aliquot", "Aliquot").map(|d| d.data_dir().to_path_buf())
}

fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed command survives power loss, not only a crash (DB-02).
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // A command's savepoint journal and a sort's scratch stay in memory, and a lab of
        // a million tubes keeps its hot pages cached (SQLite's default is 2 MiB).
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32768")
        .disable_statement_logging()
}

/// The lab schema's migrations: the newest applied to the database, the newest this program
/// has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SchemaVersion {
    pub applied: i64,
    pub known: i64,
}

/// The newest lab migration applied (0 for a new database) and the newest this build has.
async fn lab_schema(pool: &sqlx::SqlitePool) -> Result<SchemaVersion> {
    let table: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    let applied: i64 = if table == 0 {
        0
    } else {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?
    };
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    Ok(SchemaVersion { applied, known })
}

impl Store {
    /// Where the lab schema stands (for a health check).
    pub async fn lab_schema(&self) -> Result<SchemaVersion> {
        lab_schema(&self.pool).await
    }
}

/// What a backup wrote and what its verification found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub audit_entries: i64,
    pub audit_chain_intact: bool,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`: checks the file's integrity,
    /// applies pending migrations and makes sure this workstation has a device id.
    pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        // Only the workstation's user may enter the data directory: the database, the
        // audit anchor and its key are not for other accounts on the machine.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        crate::leaving::set_aside_after_leaving(data_dir)?;
        let path = data_dir.join(DB_FILE_NAME);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(connect_options(&path))
            .await
            .map_err(|e| corrupt_or(e, &path))?;
        integrity_check(&pool).await?;
        let schema = lab_schema(&pool).await?;
        if schema.applied > schema.known {
            return Err(StoreError::SchemaNewer {
                found: schema.applied,
                known: schema.known,
            });
        }
        MIGRATOR.run(&pool).await?;
        let device_id = ensure_device_id(&pool, clock.now()).await?;
        crate::sync::install_undo_triggers(&pool).await?;
        let linked: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM sync_state")
            .fetch_one(&pool)
            .await?;
        let joining: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM sync_join")
            .fetch_one(&pool)
            .await?;
        let anchor = Arc::new(crate::anchor::AuditAnchor::open(data_dir, &device_id)?);
        let store = Store {
            pool,
            clock,
            device_id,
            passwords: crate::password::PasswordWorkers::start()?,
            refusals: Default::default(),
            anchor: Some(Arc::clone(&anchor)),
            syncing: Arc::new(std::sync::atomic::AtomicBool::new(linked > 0)),
            dir: Some(data_dir.to_path_buf()),
            db_file: path,
            left_hub: Default::default(),
            joining: Arc::new(std::sync::atomic::AtomicBool::new(joining > 0)),
        };
        // The audit trail is checked against its anchor before anyone signs in.
        store.start_audit_anchor(&anchor).await?;
        Ok(store)
    }

    /// Writes a consistent copy of the database to `target` with `VACUUM INTO` while the
    /// store stays in use, then opens the copy and verifies it (integrity and audit chain).
    pub async fn backup(&self, target: &Path) -> Result<BackupReport> {
        if target.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists; choose a new file name",
                target.display()
            )));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let target_text = target
            .to_str()
            .ok_or_else(|| StoreError::Backup("the backup path is not valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target_text)
            .execute(&self.pool)
            .await?;
        verify_backup(target, self.clock.clone()).await
    }
}

async fn verify_backup(target: &Path, clock: Arc<dyn Clock>) -> Result<BackupReport> {
    let options = SqliteConnectOptions::new()
        .filename(target)
        .read_only(true)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    integrity_check(&pool)
        .await
        .map_err(|e| StoreError::Backup(format!("the copy failed verification: {e}")))?;
    let copy = Store {
        pool: pool.clone(),
        clock,
        device_id: String::new(),
        passwords: crate::password::PasswordWorkers::start()?,
        refusals: Default::default(),
        anchor: None,
        syncing: Default::default(),
        dir: None,
        db_file: target.to_path_buf(),
        left_hub: Default::default(),
        joining: Default::default(),
    };
    let verification = copy.verify_audit_chain().await?;
    pool.close().await;
    if verification.first_break.is_some() {
        return Err(StoreError::Backup(
            "the copy's audit chain does not verify".into(),
        ));
    }
    Ok(BackupReport {
        path: target.to_path_buf(),
        bytes: std::fs::metadata(target)?.len(),
        audit_entries: verification.entries_checked,
        audit_chain_intact: true,
    })
}

async fn integrity_check(pool: &sqlx::SqlitePool) -> Result<()> {
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt(rows.join("; ")))
    }
}

/// A file that is not a database at all fails at connect time; say so plainly.
fn corrupt_or(e: sqlx::Error, path: &Path) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.message().contains("not a database") => {
            StoreError::Corrupt(format!("{} is not an Aliquot database", path.display()))
        }
        _ => StoreError::Database(e),
    }
}

async fn ensure_device_id(
    pool: &sqlx::SqlitePool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    if let Some(id) = sqlx::query_scalar!("SELECT id FROM workstation")
        .fetch_optional(pool)
        .await?
    {
        return Ok(id);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let at = format_utc(now);
    sqlx::query!(
        "INSERT INTO workstation (id, created_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        id,
        at
    )
    .execute(pool)
    .await?;
    // Another process may have won the race; the stored id is the one that counts.
    Ok(sqlx::query_scalar!("SELECT id FROM workstation")
        .fetch_one(pool)
        .await?)
}
