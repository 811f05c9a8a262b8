//! A workstation leaving its hub. Its copy of the lab is the hub's (nothing may wait to be
//! sent), so it is set aside whole rather than kept as a second, silent lab: leaving ends
//! every session and stops sync at once, and the next start moves the database and its
//! audit anchor into `archive/` before opening a fresh store, which starts at the first
//! screen (join a hub again, or set up a lab). Nothing is deleted.

use crate::anchor::{ANCHOR_FILE, ANCHOR_KEY_FILE};
use crate::db::DB_FILE_NAME;
use crate::{format_utc, Result, Store};
use aliquot_domain::DomainError;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// Written by [`Store::leave_hub`]; holds the archive folder's name.
pub const LEAVING_FILE: &str = "leaving-hub";

/// The files that make up a workstation's store, set aside together.
const STORE_FILES: [&str; 5] = [
    DB_FILE_NAME,
    "aliquot.db-wal",
    "aliquot.db-shm",
    ANCHOR_FILE,
    ANCHOR_KEY_FILE,
];

impl Store {
    /// Ends this workstation's link with its hub, if everything it did has reached the hub:
    /// no command waits and every audit row was sent. Returns the folder the store will be
    /// moved to when the workstation starts again. `device_name` must be this workstation's
    /// name at the hub, typed to confirm.
    pub async fn leave_hub(&self, device_name: &str) -> Result<PathBuf> {
        let Some(dir) = self.dir.clone() else {
            return Err(DomainError::Refused("a copy of a store cannot leave a hub".into()).into());
        };
        let archive = format!("left-hub-{}", self.clock.now().format("%Y%m%dT%H%M%SZ"));
        // Refuse new work from here on; given back if leaving is refused.
        *self.left_hub.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(dir.join("archive").join(&archive));
        let result = self.end_link(&dir, device_name, &archive).await;
        if result.is_err() {
            *self.left_hub.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        result.map(|()| dir.join("archive").join(archive))
    }

    async fn end_link(&self, dir: &Path, device_name: &str, archive: &str) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let link = sqlx::query!(
            "SELECT device_name, audit_pushed_seq FROM sync_state WHERE singleton = 1"
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(link) = link else {
            return Err(
                DomainError::Refused("this workstation is not connected to a hub".into()).into(),
            );
        };
        if device_name.trim() != link.device_name {
            return Err(DomainError::Invalid {
                field: "device_name",
                problem: format!(
                    "type this workstation's name, {:?}, to confirm",
                    link.device_name
                ),
            }
            .into());
        }
        let waiting =
            sqlx::query_scalar!("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'held')")
                .fetch_one(&mut *tx)
                .await?;
        if waiting > 0 {
            return Err(DomainError::Refused(format!(
                "{} reached the hub yet; sync, then disconnect",
                counted(waiting, "change", "changes")
            ))
            .into());
        }
        let audit_head = sqlx::query_scalar!("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
            .fetch_one(&mut *tx)
            .await?;
        if audit_head > link.audit_pushed_seq {
            return Err(DomainError::Refused(format!(
                "{} reached the hub yet; sync, then disconnect",
                counted(
                    audit_head - link.audit_pushed_seq,
                    "audit entry",
                    "audit entries"
                )
            ))
            .into());
        }
        let now = format_utc(self.clock.now());
        sqlx::query!(
            "UPDATE sessions SET revoked_at = ?1, revoked_why = 'the workstation left its hub'
             WHERE revoked_at IS NULL",
            now
        )
        .execute(&mut *tx)
        .await?;
        // The marker is written before the commit: a crash between the two leaves a marker
        // for a store whose sessions stand, which the next start sets aside all the same
        // (everything it held had reached the hub, and no new work was let in).
        write_marker(dir, archive)?;
        if let Err(e) = tx.commit().await {
            let _ = std::fs::remove_file(dir.join(LEAVING_FILE));
            return Err(e.into());
        }
        self.syncing.store(false, Ordering::SeqCst);
        tracing::info!(device = %link.device_name, %archive, "left the hub");
        Ok(())
    }

    /// Where the store is set aside at the next start, once this workstation has left its
    /// hub (no more work until then).
    pub fn left_hub_archive(&self) -> Option<PathBuf> {
        self.left_hub
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// "1 change made here has not", "3 changes made here have not".
fn counted(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one} made here has not")
    } else {
        format!("{n} {many} made here have not")
    }
}

fn write_marker(dir: &Path, archive: &str) -> Result<()> {
    let tmp = dir.join(format!("{LEAVING_FILE}.tmp"));
    std::fs::write(&tmp, archive)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, dir.join(LEAVING_FILE))?;
    Ok(())
}

/// Before the store opens: if the workstation left its hub, moves its store files into the
/// archive folder the marker names, then removes the marker. Each move is a rename, so a
/// start killed midway finishes the job on the next one.
pub(crate) fn set_aside_after_leaving(dir: &Path) -> Result<()> {
    let marker = dir.join(LEAVING_FILE);
    let archive = match std::fs::read_to_string(&marker) {
        Ok(name) => name.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if archive.is_empty() || archive.contains(['/', '\\']) || archive.starts_with('.') {
        return Err(DomainError::Refused(format!(
            "{} names no archive folder; remove it to open the store as it is",
            marker.display()
        ))
        .into());
    }
    let target = dir.join("archive").join(&archive);
    std::fs::create_dir_all(&target)?;
    for name in STORE_FILES {
        match std::fs::rename(dir.join(name), target.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::remove_file(&marker)?;
    tracing::info!(archive = %target.display(), "the store of the hub this workstation left was set aside");
    Ok(())
}
