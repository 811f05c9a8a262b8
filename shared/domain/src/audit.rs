//! The audit entry and its hash chain. The store appends entries through one typed
//! function; the hash makes any later edit of a stored row detectable.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

/// The hash that the first entry of a chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened: a command, or one of the security events that are not commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Command(crate::CommandKind),
    LoginSucceeded,
    LoginFailed,
    Logout,
    /// An administrator ended someone's session.
    SessionRevoked,
    /// Print-queue bookkeeping a person asked for (device state, audited like sessions).
    PrintJobCancelled,
    PrintJobRetried,
    /// A person confirmed that a job held after an interruption did print.
    PrintJobConfirmed,
    /// A wrong current password when changing one's own password (throttled like sign-in).
    PasswordChangeRefused,
    /// A role asked for what it may not do (rate-limited: one entry per user, permission and
    /// minute, counting the ones in between).
    PermissionDenied,
    /// The start-up check found the audit trail cut or re-chained (it no longer reaches the
    /// head kept outside the database, or a keyed checkpoint no longer matches).
    AuditChainAlarm,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Command(kind) => kind.as_str(),
            AuditAction::LoginSucceeded => "login_succeeded",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Logout => "logout",
            AuditAction::SessionRevoked => "session_revoked",
            AuditAction::PrintJobCancelled => "print_job_cancelled",
            AuditAction::PrintJobRetried => "print_job_retried",
            AuditAction::PrintJobConfirmed => "print_job_confirmed",
            AuditAction::PasswordChangeRefused => "password_change_refused",
            AuditAction::PermissionDenied => "permission_denied",
            AuditAction::AuditChainAlarm => "audit_chain_alarm",
        }
    }

    pub fn of_command(kind: crate::CommandKind) -> AuditAction {
        AuditAction::Command(kind)
    }
}

/// One change as the audit trail records it, before it has a place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub actor_id: Uuid,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub action: AuditAction,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// Where it happened: device id, command id, transport. Typed keys, not free text.
    pub context: AuditContext,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[ts(export)]
pub struct AuditContext {
    pub device_id: String,
    pub command_id: Option<Uuid>,
    /// Set when the change affected someone other than the actor (e.g. a reset issued by an
    /// admin for a user), so "who was affected" is answerable without parsing values.
    pub subject_user_id: Option<Uuid>,
}

/// The fields that are hashed, in a fixed order, exactly as stored.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: i64,
    at: &'a str,
    actor_id: &'a str,
    actor_name: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    old_value: Option<&'a str>,
    new_value: Option<&'a str>,
    reason: Option<&'a str>,
    context: &'a str,
    prev_hash: &'a str,
}

/// An audit row exactly as stored (text columns), which is what the hash covers. A
/// workstation sends its rows to the hub in this form, so the hub can check the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAuditRow {
    pub seq: i64,
    pub at: String,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub context: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredAuditRow {
    /// Places `entry` after the row with `prev_seq`/`prev_hash` and computes its hash.
    pub fn chain(entry: &AuditEntry, prev_seq: i64, prev_hash: &str) -> StoredAuditRow {
        let mut row = StoredAuditRow {
            seq: prev_seq + 1,
            at: format_utc(entry.at),
            actor_id: entry.actor_id.to_string(),
            actor_name: entry.actor_name.clone(),
            action: entry.action.as_str().to_owned(),
            entity_type: entry.entity_type.to_owned(),
            entity_id: entry.entity_id.clone(),
            old_value: entry.old_value.as_ref().map(|v| v.to_string()),
            new_value: entry.new_value.as_ref().map(|v| v.to_string()),
            reason: entry.reason.clone(),
            context: serde_json::to_string(&entry.context).unwrap_or_default(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        row.hash = row.computed_hash();
        row
    }

    pub fn computed_hash(&self) -> String {
        hex::encode(self.as_ref_row().digest(&mut Vec::new()))
    }

    /// The row borrowed, as the chain checker reads it.
    pub fn as_ref_row(&self) -> AuditRowRef<'_> {
        AuditRowRef {
            seq: self.seq,
            at: &self.at,
            actor_id: &self.actor_id,
            actor_name: &self.actor_name,
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: &self.entity_id,
            old_value: self.old_value.as_deref(),
            new_value: self.new_value.as_deref(),
            reason: self.reason.as_deref(),
            context: &self.context,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
        }
    }
}

/// An audit row borrowed from wherever it is read (a page of `StoredAuditRow`s, or the
/// store's walk over the database's own row buffers, which copies nothing).
#[derive(Debug, Clone, Copy)]
pub struct AuditRowRef<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub context: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl AuditRowRef<'_> {
    /// SHA-256 of the hashed fields, serialised into `buf` (cleared first, reused by a walk).
    fn digest(&self, buf: &mut Vec<u8>) -> [u8; 32] {
        buf.clear();
        let hashed = Hashed {
            seq: self.seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            old_value: self.old_value,
            new_value: self.new_value,
            reason: self.reason,
            context: self.context,
            prev_hash: self.prev_hash,
        };
        // Serialising a struct of strings into memory cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &hashed);
        Sha256::digest(buf.as_slice()).into()
    }
}

/// Checks rows one at a time in sequence order, from a known point of the chain: the one
/// definition of a good link, used on pages (`verify_rows`, the hub) and on the store's walk.
#[derive(Debug, Clone)]
pub struct ChainChecker {
    prev_seq: i64,
    prev_hash: String,
    checked: i64,
    buf: Vec<u8>,
}

impl ChainChecker {
    /// Continues after the row (`prev_seq`, `prev_hash`); `(0, GENESIS_HASH)` for a whole chain.
    pub fn after(prev_seq: i64, prev_hash: &str) -> ChainChecker {
        ChainChecker {
            prev_seq,
            prev_hash: prev_hash.to_owned(),
            checked: 0,
            buf: Vec::with_capacity(512),
        }
    }

    /// Checks the next row; on a break the checker stays before it.
    pub fn check(&mut self, row: AuditRowRef<'_>) -> Result<(), ChainBreak> {
        if row.seq != self.prev_seq + 1 {
            return Err(ChainBreak::Gap {
                expected_seq: self.prev_seq + 1,
                found_seq: row.seq,
            });
        }
        if row.prev_hash != self.prev_hash {
            return Err(ChainBreak::BrokenLink { seq: row.seq });
        }
        let digest = row.digest(&mut self.buf);
        let mut hex_digest = [0_u8; 64];
        // 32 bytes always fit 64 hex digits.
        let _ = hex::encode_to_slice(digest, &mut hex_digest);
        if hex_digest.as_slice() != row.hash.as_bytes() {
            return Err(ChainBreak::HashMismatch { seq: row.seq });
        }
        self.prev_seq = row.seq;
        self.prev_hash.clear();
        self.prev_hash.push_str(row.hash);
        self.checked += 1;
        Ok(())
    }

    /// Rows checked good so far.
    pub fn checked(&self) -> i64 {
        self.checked
    }

    /// The last good row's sequence number and hash.
    pub fn last(&self) -> (i64, &str) {
        (self.prev_seq, &self.prev_hash)
    }
}

/// Where a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[ts(export)]
pub enum ChainBreak {
    /// The row's content no longer matches its own hash: it was edited.
    HashMismatch {
        #[ts(type = "number")]
        seq: i64,
    },
    /// The row does not point at the hash of the row before it: rows were removed or reordered.
    BrokenLink {
        #[ts(type = "number")]
        seq: i64,
    },
    /// A sequence number is missing.
    Gap {
        #[ts(type = "number")]
        expected_seq: i64,
        #[ts(type = "number")]
        found_seq: i64,
    },
}

/// Checks rows in sequence order, continuing from (`prev_seq`, `prev_hash`). Returns the
/// first break, if any, and leaves (`prev_seq`, `prev_hash`) at the last good row. Pure, so
/// a caller can feed it a page at a time.
pub fn verify_rows<'a>(
    rows: impl IntoIterator<Item = &'a StoredAuditRow>,
    prev_seq: &mut i64,
    prev_hash: &mut String,
) -> Option<ChainBreak> {
    let mut checker = ChainChecker::after(*prev_seq, prev_hash);
    let broken = rows
        .into_iter()
        .find_map(|row| checker.check(row.as_ref_row()).err());
    let (seq, hash) = checker.last();
    *prev_seq = seq;
    hash.clone_into(prev_hash);
    broken
}

/// The one textual form of a UTC instant in storage: RFC 3339, microseconds, `Z`.
pub fn format_utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The action names are what the audit trail stores and auditors filter on: each one
    /// distinct, in snake case, a command's own name for a command.
    #[test]
    fn action_names_are_distinct_and_stored_as_written() {
        let mut names: Vec<&str> = [
            AuditAction::LoginSucceeded,
            AuditAction::LoginFailed,
            AuditAction::Logout,
            AuditAction::SessionRevoked,
            AuditAction::PrintJobCancelled,
            AuditAction::PrintJobRetried,
            AuditAction::PrintJobConfirmed,
            AuditAction::PasswordChangeRefused,
            AuditAction::PermissionDenied,
            AuditAction::AuditChainAlarm,
        ]
        .into_iter()
        .chain(
            crate::CommandKind::ALL
                .iter()
                .map(|k| AuditAction::of_command(*k)),
        )
        .map(AuditAction::as_str)
        .collect();
        assert_eq!(
            AuditAction::of_command(crate::CommandKind::PlaceSamples).as_str(),
            "place_samples"
        );
        assert_eq!(AuditAction::LoginFailed.as_str(), "login_failed");
        assert_eq!(AuditAction::AuditChainAlarm.as_str(), "audit_chain_alarm");
        assert!(names
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
    use chrono::TimeZone;

    fn entry(n: u32) -> AuditEntry {
        AuditEntry {
            actor_id: Uuid::nil(),
            actor_name: "system".into(),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, n).unwrap(),
            action: AuditAction::Command(crate::CommandKind::ChangeSettings),
            entity_type: "setting",
            entity_id: "lab_name".into(),
            old_value: Some(serde_json::json!("A")),
            new_value: Some(serde_json::json!(format!("B{n}"))),
            reason: Some("rename".into()),
            context: AuditContext::default(),
        }
    }

    fn chain(n: u32) -> Vec<StoredAuditRow> {
        let mut rows: Vec<StoredAuditRow> = Vec::new();
        for i in 0..n {
            let (seq, hash) = rows
                .last()
                .map(|r| (r.seq, r.hash.clone()))
                .unwrap_or((0, GENESIS_HASH.to_owned()));
            rows.push(StoredAuditRow::chain(&entry(i), seq, &hash));
        }
        rows
    }

    fn verify(rows: &[StoredAuditRow]) -> Option<ChainBreak> {
        verify_rows(rows, &mut 0, &mut GENESIS_HASH.to_owned())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), None);
    }

    #[test]
    fn edited_value_is_found() {
        let mut rows = chain(5);
        rows[2].new_value = Some("\"forged\"".into());
        assert_eq!(verify(&rows), Some(ChainBreak::HashMismatch { seq: 3 }));
    }

    #[test]
    fn removed_row_is_found() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(
            verify(&rows),
            Some(ChainBreak::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );
    }

    #[test]
    fn rehashed_forgery_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[2].reason = Some("forged".into());
        rows[2].hash = rows[2].computed_hash();
        assert_eq!(verify(&rows), Some(ChainBreak::BrokenLink { seq: 4 }));
    }
}
