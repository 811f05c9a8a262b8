//! What travels between a workstation and the hub. JSON over HTTPS; every request names
//! the protocol version it speaks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The protocol this build speaks. The hub refuses a request of a version it does not
/// know, with `protocol_unsupported`, before reading anything else.
pub const PROTOCOL_VERSION: u32 = 1;

/// At most this many commands go in one push; the rest wait for the next.
pub const MAX_PUSH_BATCH: usize = 500;

/// At most this many row changes come in one pull page (a page may hold more when one
/// hub transaction changed more rows: pages are cut only between transactions).
pub const MAX_PULL_PAGE: i64 = 5_000;

/// A certificate's SHA-256 as colon-separated hex pairs: how the hub prints its
/// fingerprint and how a workstation pins it.
pub fn certificate_fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// One command as it leaves a workstation's outbox, with everything its replay needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushedCommand {
    /// The device's outbox sequence: 1, 2, 3 … with no gap.
    pub seq: i64,
    pub command_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub actor_id: Uuid,
    pub kind: String,
    pub schema_version: i64,
    /// The command, as the outbox holds it (`aliquot_domain::Command` in JSON).
    pub payload: serde_json::Value,
}

impl PushedCommand {
    /// What makes two deliveries "the same command": a resend carries the same hash, a
    /// different command under a reused id does not.
    pub fn payload_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [
            self.kind.as_str(),
            &self.schema_version.to_string(),
            &self
                .recorded_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            &self.actor_id.to_string(),
            &self.payload.to_string(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hex::encode(hasher.finalize())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    /// The pushing workstation; it must be the one the credential belongs to.
    pub device_id: String,
    pub commands: Vec<PushedCommand>,
    /// The workstation's audit rows the hub has not acknowledged yet, in order (the rows
    /// of these commands among them): the hub checks the device's hash chain with them.
    #[serde(default)]
    pub audit: Vec<aliquot_domain::audit::StoredAuditRow>,
}

/// At most this many audit rows go in one push.
pub const MAX_PUSH_AUDIT: i64 = 5_000;

/// How the hub decided one command. Stored with its claim, so a resend gets the same
/// answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Executed; its effects carry this change number in the hub's feed.
    Applied { change: i64 },
    /// Refused by a rule of the lab. The device's sequence moved past it, so nothing
    /// after it waits; the technician sees it in Sync issues.
    Rejected {
        reason_code: String,
        details: serde_json::Value,
        message: String,
    },
    /// Not decided: kept for an administrator's review (the device's audit chain broke).
    Held { why: String },
}

/// The answer for one pushed command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResult {
    pub seq: i64,
    pub command_id: Uuid,
    pub outcome: Outcome,
    /// This answer is the one stored when the command first arrived (a resend).
    #[serde(default)]
    pub duplicate: bool,
}

/// Why the hub stopped reading a batch before its end. The commands after the stop are
/// not decided; the workstation sends them again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stop", rename_all = "snake_case")]
pub enum Stopped {
    /// A gap: the hub expects this sequence number next.
    OutOfOrder { expected_seq: i64 },
    /// The hub could not decide now (its database, its disk); nothing was refused.
    RetryLater { why: String },
    /// A command of a kind or schema version this hub does not know: the hub needs an
    /// update before it can decide it, and nothing after it is read meanwhile.
    UpgradeHub { kind: String, schema_version: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<CommandResult>,
    pub stopped: Option<Stopped>,
    /// The device's last decided sequence number on the hub.
    pub last_seq: i64,
    /// The device's last audit row the hub has checked and kept.
    #[serde(default)]
    pub audit_acked_seq: i64,
}

/// One row change in the hub's feed: the row's whole image after the change, or `None`
/// when the row was removed. The key and the image are JSON objects of columns, carried
/// as the hub stored them: neither side parses them on the way (a workstation hands them
/// to SQLite as they came), which is most of what a pull of millions of rows costs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowChange {
    pub change: i64,
    pub table: String,
    pub key: Box<RawValue>,
    pub row: Option<Box<RawValue>>,
}

impl RowChange {
    /// The key as a JSON value (for the few places that look inside one).
    pub fn key_value(&self) -> serde_json::Value {
        serde_json::from_str(self.key.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The row image as a JSON value, `None` for a removal.
    pub fn row_value(&self) -> Option<serde_json::Value> {
        self.row
            .as_ref()
            .map(|r| serde_json::from_str(r.get()).unwrap_or(serde_json::Value::Null))
    }
}

impl PartialEq for RowChange {
    fn eq(&self, other: &Self) -> bool {
        self.change == other.change
            && self.table == other.table
            && self.key.get() == other.key.get()
            && self.row.as_ref().map(|r| r.get()) == other.row.as_ref().map(|r| r.get())
    }
}

/// Rows in one line of a snapshot.
pub const SNAPSHOT_CHUNK: usize = 1_000;

/// One line of a snapshot: how a workstation that holds nothing yet copies the lab. The
/// hub reads every lab table in one read transaction (parents first, each in key order)
/// and sends its rows a run at a time, then the end: the feed position the copy is at.
/// A copy cut short is resumed with [`SnapshotFrom`]: the rest, read at the hub's state
/// then, each table whole at one state; the workstation then pulls the feed from the first
/// attempt's cursor, skipping for each table the changes its copy already holds.
///
/// One JSON object a line: `{"start":{"rows":…,"cursor":…}}`, then
/// `{"rows":{"table":…,"columns":[…],"rows":[[…],…]}}` lines, then
/// `{"end":{"cursor":…,"rows":…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotPart {
    /// The copy begins: `rows` rows to come, for the joining workstation's progress bar,
    /// read at the feed position `cursor`.
    Start {
        rows: i64,
        #[serde(default)]
        cursor: i64,
    },
    /// A run of one table's rows, each the values of `columns` in that order.
    Rows {
        table: String,
        columns: Vec<String>,
        rows: Vec<Vec<serde_json::Value>>,
    },
    /// The copy is whole: it is the lab at `cursor`, `rows` rows in all.
    End { cursor: i64, rows: i64 },
}

/// Where a resumed snapshot starts: the rows of `table` whose key comes after `after` (the
/// key's values, in the key's column order), then every later table. `after` holds only
/// while the hub is still at `at_cursor` (the state the rows before it were read at);
/// otherwise the hub sends `table` whole, and its `Start` line's cursor says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotFrom {
    pub table: String,
    pub after: Vec<serde_json::Value>,
    pub at_cursor: i64,
}

/// A table's size and the digest of its rows at a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub table: String,
    pub rows: i64,
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<RowChange>,
    /// Store this with the applied page; the next pull starts here.
    pub next_cursor: i64,
    pub has_more: bool,
    /// The calling device's commands decided at or before `next_cursor` (their effects,
    /// or their absence when refused, are in the pages up to it), so a workstation whose
    /// push answer was lost still learns each outcome.
    pub decided: Vec<CommandResult>,
    /// Every lab table's digest at `next_cursor`, sent with the last page.
    pub digests: Option<Vec<TableDigest>>,
    /// Below how many numbers left a workstation asks for its next lease (the hub's
    /// lease policy).
    pub low_water: LowWater,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowWater {
    pub participant: i64,
    pub sample: i64,
}

/// Exchanges a one-time enrollment code for a device credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub protocol: u32,
    pub code: String,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_name: String,
    /// Shown once; the hub keeps only its hash.
    pub credential: String,
    pub hub_id: String,
}

/// Asks the hub for the next block of numbers for this workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseRequest {
    pub protocol: u32,
    pub device_id: String,
    /// `participant` (with the site) or `sample`.
    pub kind: String,
    pub site_id: Option<Uuid>,
}

/// The block leased; its row arrives with the next pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseResponse {
    pub block_id: Uuid,
    pub prefix: String,
    pub first: i64,
    pub last: i64,
}

/// A refusal from the hub, in the core's one error shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubError {
    pub code: String,
    pub message: String,
}
