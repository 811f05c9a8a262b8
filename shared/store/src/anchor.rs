//! The audit trail's anchor outside the database (issue 11, defect 5).
//!
//! The hash chain alone cannot show that its newest rows were removed, or that a row was
//! edited and every later hash recomputed: both leave a chain that verifies. So the chain's
//! head is also kept in a file beside the database, sealed with an HMAC whose key is a
//! second file readable only by the workstation's user. The file holds two points: the
//! newest head (moved forward after every audited commit, by a background thread) and the
//! point through which the chain was last verified. At start-up the chain is checked from
//! the verified point to its end and against the head; a failure is an audit entry and a
//! notification to every administrator. Someone who can read the key file (the same OS
//! user, or root) can forge everything; that is outside what this defends (SECURITY.md).

use crate::{Result, Store, StoreError};
use aliquot_domain::audit::{AuditAction, AuditContext, AuditEntry, GENESIS_HASH};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use uuid::Uuid;

pub const ANCHOR_FILE: &str = "audit-anchor.json";
pub const ANCHOR_KEY_FILE: &str = "audit-anchor.key";

/// One point of the chain: an entry's sequence number and hash (0 and the genesis hash
/// before the first entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: String,
}

impl ChainPoint {
    pub fn genesis() -> ChainPoint {
        ChainPoint {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AnchorRecord {
    device_id: String,
    head: ChainPoint,
    verified: ChainPoint,
    mac: String,
}

/// What the start-up check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorCheck {
    /// Entries walked (from the verified point to the end).
    pub entries_checked: i64,
    /// Each thing found wrong, in words for an administrator; empty when all is well.
    pub problems: Vec<String>,
}

struct Pending {
    head: Option<ChainPoint>,
    verified: ChainPoint,
    closed: bool,
}

struct Shared {
    dir: PathBuf,
    key: [u8; 32],
    device_id: String,
    pending: Mutex<Pending>,
    wake: Condvar,
    /// The last record written, so that nothing older overwrites it.
    written: Mutex<Option<ChainPoint>>,
}

/// The anchor of one data directory. Dropping the last handle stops its writer thread.
pub(crate) struct AuditAnchor {
    shared: Arc<Shared>,
    /// The key file did not exist and was made now.
    key_created: bool,
    /// The record as found on disk at open (`Err` when unreadable or altered).
    found: Option<std::result::Result<AnchorRecord, String>>,
}

impl Drop for AuditAnchor {
    fn drop(&mut self) {
        if let Ok(mut p) = self.shared.pending.lock() {
            p.closed = true;
        }
        self.shared.wake.notify_all();
    }
}

/// The HMAC over what an anchor record says; `None` never happens for a 32-byte key (HMAC
/// takes keys of any length) but is kept as a refusal, not a panic.
fn anchor_mac(
    key: &[u8; 32],
    device_id: &str,
    head: &ChainPoint,
    verified: &ChainPoint,
) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(
        format!(
            "aliquot-audit-anchor/1\n{device_id}\n{}\n{}\n{}\n{}",
            head.seq, head.hash, verified.seq, verified.hash
        )
        .as_bytes(),
    );
    Some(mac)
}

fn seal(key: &[u8; 32], device_id: &str, head: &ChainPoint, verified: &ChainPoint) -> String {
    anchor_mac(key, device_id, head, verified)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

fn unsealed(key: &[u8; 32], record: &AnchorRecord) -> bool {
    match (
        hex::decode(&record.mac),
        anchor_mac(key, &record.device_id, &record.head, &record.verified),
    ) {
        (Ok(given), Some(mac)) => mac.verify_slice(&given).is_ok(),
        _ => false,
    }
}

/// Reads the key, or makes one readable only by this user.
fn load_or_create_key(dir: &Path) -> std::io::Result<([u8; 32], bool)> {
    let path = dir.join(ANCHOR_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not an anchor key", path.display()),
                )
            })?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not an anchor key", path.display()),
                )
            })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0_u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path)?;
            std::io::Write::write_all(&mut file, hex::encode(key).as_bytes())?;
            file.sync_all()?;
            Ok((key, true))
        }
        Err(e) => Err(e),
    }
}

fn write_record(shared: &Shared, head: &ChainPoint, verified: &ChainPoint) -> std::io::Result<()> {
    let record = AnchorRecord {
        device_id: shared.device_id.clone(),
        head: head.clone(),
        verified: verified.clone(),
        mac: seal(&shared.key, &shared.device_id, head, verified),
    };
    let text = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    let tmp = shared.dir.join(format!("{ANCHOR_FILE}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, &text)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, shared.dir.join(ANCHOR_FILE))?;
    // The rename itself reaches the disk with the directory.
    if let Ok(dir) = std::fs::File::open(&shared.dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Writes the newest head whenever it moves, coalescing bursts of commits.
fn run_writer(shared: Arc<Shared>) {
    loop {
        let (head, verified) = {
            let Ok(mut p) = shared.pending.lock() else {
                return;
            };
            while p.head.is_none() && !p.closed {
                p = match shared.wake.wait(p) {
                    Ok(p) => p,
                    Err(_) => return,
                };
            }
            match p.head.take() {
                Some(head) => (head, p.verified.clone()),
                None => return, // closed with nothing left to write
            }
        };
        write_if_newer(&shared, &head, &verified);
    }
}

fn write_if_newer(shared: &Shared, head: &ChainPoint, verified: &ChainPoint) {
    let Ok(mut written) = shared.written.lock() else {
        return;
    };
    if written.as_ref().is_some_and(|w| w.seq > head.seq) {
        return;
    }
    match write_record(shared, head, verified) {
        Ok(()) => *written = Some(head.clone()),
        Err(e) => tracing::error!(error = %e, "could not write the audit anchor"),
    }
}

/// The anchor record on disk: `None` when there is none, `Err` when it is unreadable or
/// its seal does not match.
fn read_record(
    dir: &Path,
    key: &[u8; 32],
) -> Result<Option<std::result::Result<AnchorRecord, String>>> {
    match std::fs::read(dir.join(ANCHOR_FILE)) {
        Ok(bytes) => Ok(Some(
            serde_json::from_slice::<AnchorRecord>(&bytes)
                .map_err(|_| "the audit anchor file cannot be read".to_owned())
                .and_then(|r| {
                    if unsealed(key, &r) {
                        Ok(r)
                    } else {
                        Err("the audit anchor file does not carry this workstation's seal: it was altered or replaced".to_owned())
                    }
                }),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io(e)),
    }
}

impl AuditAnchor {
    /// The anchor record as the file says now.
    pub(crate) fn current(&self) -> Result<Option<std::result::Result<AnchorRecord, String>>> {
        read_record(&self.shared.dir, &self.shared.key)
    }

    pub(crate) fn open(dir: &Path, device_id: &str) -> Result<AuditAnchor> {
        let (key, key_created) = load_or_create_key(dir)?;
        let found = read_record(dir, &key)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            key,
            device_id: device_id.to_owned(),
            pending: Mutex::new(Pending {
                head: None,
                verified: ChainPoint::genesis(),
                closed: false,
            }),
            wake: Condvar::new(),
            written: Mutex::new(None),
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("aliquot-audit-anchor".into())
            .spawn(move || run_writer(writer))?;
        Ok(AuditAnchor {
            shared,
            key_created,
            found,
        })
    }

    /// A new head was committed: write it soon (coalesced, off the caller's path).
    pub(crate) fn advance(&self, head: ChainPoint) {
        if let Ok(mut p) = self.shared.pending.lock() {
            if p.head.as_ref().is_none_or(|h| h.seq < head.seq) {
                p.head = Some(head);
            }
        }
        self.shared.wake.notify_all();
    }

    /// Writes `head` now, keeping the verified point (on close).
    pub(crate) fn flush(&self, head: &ChainPoint) {
        let verified = match self.shared.pending.lock() {
            Ok(p) => p.verified.clone(),
            Err(_) => return,
        };
        write_if_newer(&self.shared, head, &verified);
    }

    /// Writes `head` now, verified through `verified` (start-up).
    fn settle(&self, head: &ChainPoint, verified: ChainPoint) {
        if let Ok(mut p) = self.shared.pending.lock() {
            p.verified = verified.clone();
        }
        write_if_newer(&self.shared, head, &verified);
    }
}

fn describe_break(broken: &aliquot_domain::audit::ChainBreak) -> String {
    use aliquot_domain::audit::ChainBreak;
    match broken {
        ChainBreak::HashMismatch { seq } => format!("entry {seq} was edited"),
        ChainBreak::BrokenLink { seq } => {
            format!("entry {seq} does not follow the one before it")
        }
        ChainBreak::Gap {
            expected_seq,
            found_seq,
        } => format!("entries {expected_seq} to {} are missing", found_seq - 1),
    }
}

impl Store {
    /// Checks the audit trail against its anchor: from the last verified point to the end,
    /// and the anchored head. Called by `Store::open`; problems raise the alarm there.
    pub(crate) async fn check_audit_anchor(
        &self,
        found: &Option<std::result::Result<AnchorRecord, String>>,
        key_created: bool,
        walk: bool,
    ) -> Result<AnchorCheck> {
        let mut problems = Vec::new();
        let head = self.audit_head().await?;
        let has_rows = head.seq > 0;
        let mut start = ChainPoint::genesis();
        match found {
            None if has_rows && key_created => problems.push(
                "the audit anchor key was missing: the trail could not be checked against its anchor, and a new key was made".to_owned(),
            ),
            None if has_rows => problems.push(
                "the audit anchor file is missing: the newest entries cannot be shown to be all there".to_owned(),
            ),
            None => {}
            Some(Err(why)) => problems.push(why.clone()),
            Some(Ok(record)) => {
                if record.device_id != self.device_id {
                    problems.push(format!(
                        "the audit anchor belongs to another workstation ({}): this database was replaced",
                        record.device_id
                    ));
                }
                match self.audit_hash_at(record.verified.seq).await? {
                    Some(hash) if hash == record.verified.hash => start = record.verified.clone(),
                    Some(_) => problems.push(format!(
                        "audit entry {} no longer has the hash it was verified with: the trail before it was edited and re-chained",
                        record.verified.seq
                    )),
                    None => problems.push(format!(
                        "audit entry {} was verified before and is gone: the trail was cut",
                        record.verified.seq
                    )),
                }
                match self.audit_hash_at(record.head.seq).await? {
                    Some(hash) if hash == record.head.hash => {}
                    Some(_) => problems.push(format!(
                        "audit entry {} no longer has its anchored hash: the trail was edited and re-chained",
                        record.head.seq
                    )),
                    None => problems.push(format!(
                        "the audit trail ends at entry {} but reached entry {}: its newest entries were removed",
                        head.seq, record.head.seq
                    )),
                }
            }
        }
        let walked = if walk {
            self.verify_audit_from(&start).await?
        } else {
            (0, None)
        };
        if let Some(broken) = walked.1 {
            problems.push(format!(
                "the audit trail does not verify after entry {}: {}",
                start.seq,
                describe_break(&broken)
            ));
        }
        Ok(AnchorCheck {
            entries_checked: walked.0,
            problems,
        })
    }

    /// Runs the start-up check; raises the alarm when it finds anything; anchors the
    /// current head as verified so the next start checks only what comes after.
    pub(crate) async fn start_audit_anchor(&self, anchor: &AuditAnchor) -> Result<AnchorCheck> {
        let check = self
            .check_audit_anchor(&anchor.found, anchor.key_created, true)
            .await?;
        if !check.problems.is_empty() {
            tracing::error!(problems = ?check.problems, "the audit trail failed its start-up check");
            self.raise_audit_alarm(&check.problems.join("; ")).await?;
        }
        let head = self.audit_head().await?;
        anchor.settle(&head, head.clone());
        Ok(check)
    }

    /// An audit entry and a notification to every active administrator, in one transaction.
    async fn raise_audit_alarm(&self, what: &str) -> Result<()> {
        let now = self.clock.now();
        let entry = AuditEntry {
            actor_id: Uuid::nil(),
            actor_name: "system".to_owned(),
            at: now,
            action: AuditAction::AuditChainAlarm,
            entity_type: "audit_trail",
            entity_id: self.device_id.clone(),
            old_value: None,
            new_value: None,
            reason: Some(what.to_owned()),
            context: AuditContext {
                device_id: self.device_id.clone(),
                command_id: None,
                subject_user_id: None,
            },
        };
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let admins =
            sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' AND active = 1")
                .fetch_all(&mut *tx)
                .await?;
        let message = format!("The audit trail failed its start-up check: {what}.");
        for admin in admins {
            crate::notifications::notify(
                &mut tx,
                crate::notifications::Notify {
                    id: uuid::Uuid::now_v7(),
                    at: now,
                    user_id: &admin,
                    kind: "audit_chain_alarm",
                    message: &message,
                    entity_type: "audit_trail",
                    entity_id: &self.device_id,
                },
            )
            .await?;
        }
        let head = crate::audit::append(&mut tx, &entry).await?;
        self.commit_audited(tx, head).await
    }

    /// The newest entry of the chain (genesis when empty).
    pub(crate) async fn audit_head(&self) -> Result<ChainPoint> {
        let row =
            sqlx::query!(r#"SELECT seq AS "seq!", hash FROM audit_log ORDER BY seq DESC LIMIT 1"#)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row
            .map(|r| ChainPoint {
                seq: r.seq,
                hash: r.hash,
            })
            .unwrap_or_else(ChainPoint::genesis))
    }

    async fn audit_hash_at(&self, seq: i64) -> Result<Option<String>> {
        if seq == 0 {
            return Ok(Some(GENESIS_HASH.to_owned()));
        }
        Ok(
            sqlx::query_scalar!("SELECT hash FROM audit_log WHERE seq = ?1", seq)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Walks the chain from `start` to its end: entries checked, and the first break.
    ///
    /// One read of the whole chain on a read-only connection of its own, on a blocking
    /// thread: a single statement, so a snapshot, and each row checked in SQLite's own
    /// buffers (`ChainChecker` over `AuditRowRef`), as sqlx would copy every row through its
    /// worker thread (10 µs a row; this walk is about 1 µs, see BENCHMARKS.md).
    pub(crate) async fn verify_audit_from(
        &self,
        start: &ChainPoint,
    ) -> Result<(i64, Option<aliquot_domain::audit::ChainBreak>)> {
        let db = self.db_file.clone();
        let start = start.clone();
        tokio::task::spawn_blocking(move || walk_chain(&db, &start))
            .await
            .map_err(|e| StoreError::Decode(format!("the audit trail walk stopped: {e}")))?
            .map_err(|e| StoreError::Decode(format!("the audit trail could not be read: {e}")))
    }

    /// Commits a transaction that appended to the audit trail, then moves the anchor.
    pub(crate) async fn commit_audited(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Sqlite>,
        head: ChainPoint,
    ) -> Result<()> {
        tx.commit().await?;
        if let Some(anchor) = &self.anchor {
            anchor.advance(head);
        }
        Ok(())
    }
}

/// The chain from after `start` to its end, checked row by row: (rows checked good, first break).
fn walk_chain(
    db: &std::path::Path,
    start: &ChainPoint,
) -> rusqlite::Result<(i64, Option<aliquot_domain::audit::ChainBreak>)> {
    use aliquot_domain::audit::{AuditRowRef, ChainChecker};
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // The walk reads the whole table once: mapped pages are read where they lie instead of
    // copied into this connection's small cache.
    conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
    let mut statement = conn.prepare(
        "SELECT seq, at, actor_id, actor_name, action, entity_type, entity_id,
                old_value, new_value, reason, context, prev_hash, hash
         FROM audit_log WHERE seq > ?1 ORDER BY seq",
    )?;
    let mut rows = statement.query([start.seq])?;
    let mut checker = ChainChecker::after(start.seq, &start.hash);
    while let Some(row) = rows.next()? {
        let text = |i: usize| -> rusqlite::Result<&str> { Ok(row.get_ref(i)?.as_str()?) };
        let optional =
            |i: usize| -> rusqlite::Result<Option<&str>> { Ok(row.get_ref(i)?.as_str_or_null()?) };
        let read = AuditRowRef {
            seq: row.get_ref(0)?.as_i64()?,
            at: text(1)?,
            actor_id: text(2)?,
            actor_name: text(3)?,
            action: text(4)?,
            entity_type: text(5)?,
            entity_id: text(6)?,
            old_value: optional(7)?,
            new_value: optional(8)?,
            reason: optional(9)?,
            context: text(10)?,
            prev_hash: text(11)?,
            hash: text(12)?,
        };
        if let Err(broken) = checker.check(read) {
            return Ok((checker.checked(), Some(broken)));
        }
    }
    Ok((checker.checked(), None))
}
