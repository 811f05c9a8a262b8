//! The hub's SQL on SQLite: its own tables (devices, enrollment codes, claims, the change
//! counter and feed), the feed's triggers on the lab tables, and the reads of a pull. On
//! PostgreSQL the record's part is `pg` and this module keeps only what a process's copy
//! of the lab needs (its triggers, its position in the feed, its digests and snapshot).
//! Lab rows themselves change only through the shared executor
//! (`aliquot_store::Store::replay`).

use crate::HubFailure;
use aliquot_domain::numbering::LeasePolicy;
use aliquot_domain::paging::{Page, ValidPage};
use aliquot_domain::{Actor, Role};
use aliquot_store::lab_tables::{self, LabTable, LAB_TABLES};
use aliquot_sync::plan::Claim;
use aliquot_sync::{CommandResult, Outcome, RowChange, TableDigest};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use uuid::Uuid;

const MIGRATIONS: &[(i64, &str)] = &[
    (1001, include_str!("../migrations/1001_hub.sql")),
    (1002, include_str!("../migrations/1002_lease_policy.sql")),
    (1003, include_str!("../migrations/1003_device_chains.sql")),
];

/// The newest of the hub's own migrations this build has.
pub const HUB_SCHEMA: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

type Result<T> = std::result::Result<T, HubFailure>;

fn utc(at: DateTime<Utc>) -> String {
    aliquot_domain::audit::format_utc(at)
}

fn parse_utc(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| HubFailure::internal(format!("stored time {s:?}: {e}")))
}

/// Applies the hub's own migrations (the lab's come with the store).
pub async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM hub_schema")
        .fetch_one(&mut *tx)
        .await?;
    // An older binary never runs against a newer schema: it would not know its tables.
    if current > HUB_SCHEMA {
        return Err(HubFailure::conflict(
            "schema_newer",
            format!(
                "the hub's database was last opened by a newer aliquot-hub (its hub schema is at \
                 {current}; this program knows up to {HUB_SCHEMA}): run that version or a later one"
            ),
        ));
    }
    for (version, sql) in MIGRATIONS {
        if *version > current {
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO hub_schema (version, applied_at) VALUES (?1, ?2)")
                .bind(version)
                .bind(utc(Utc::now()))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// (Re)installs the feed's triggers on every lab table, from the columns SQLite reports,
/// so a migration that adds a column is followed at the next start. Each trigger refuses
/// a lab row change outside a hub change (one that did not take its change number), so
/// no write can slip past the feed.
pub async fn install_feed_triggers(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for table in LAB_TABLES {
        let columns = lab_tables::columns(&mut tx, table).await?;
        let name = table.name;
        for (event, image, key_of, row) in [
            ("INSERT", "NEW.", "NEW.", true),
            ("UPDATE", "NEW.", "NEW.", true),
            ("DELETE", "OLD.", "OLD.", false),
        ] {
            let trigger = format!("hub_feed_{name}_{}", event.to_lowercase());
            sqlx::query(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                .execute(&mut *tx)
                .await?;
            let row_sql = if row {
                lab_tables::json_object_sql(&columns, image)
            } else {
                "NULL".to_owned()
            };
            let sql = format!(
                "CREATE TRIGGER {trigger} AFTER {event} ON \"{name}\" WHEN {shared}
                 BEGIN
                   SELECT RAISE(ABORT, 'lab rows change only inside a hub change')
                     WHERE (SELECT open FROM hub_counter) = 0;
                   INSERT INTO hub_changes (change, tbl, key, row)
                   VALUES ((SELECT value FROM hub_counter), '{name}', {key}, {row_sql});
                 END",
                shared = table.shared_rows_sql(key_of),
                key = table.key_sql(key_of),
            );
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Takes the next change number for the transaction (and opens it for lab row changes).
pub async fn begin_change(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"UPDATE hub_counter SET value = value + 1, open = 1 WHERE singleton = 1 RETURNING value AS "value!: i64""#
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// Closes the transaction's change before it commits.
pub async fn end_change(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query!("UPDATE hub_counter SET open = 0 WHERE singleton = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where a hub process's copy of the lab stands in the feed (on PostgreSQL; on SQLite the
/// copy is the lab and this is the feed's head).
pub async fn copy_position(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar!(r#"SELECT value AS "value!: i64" FROM hub_counter"#)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Opens the copy for the feed's rows up to change `upto` (the feed triggers let lab rows
/// change only inside a change).
pub async fn open_copy_change(conn: &mut SqliteConnection, upto: i64) -> Result<()> {
    sqlx::query("UPDATE hub_counter SET value = ?1, open = 1 WHERE singleton = 1")
        .bind(upto)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Closes it: the rows the triggers recorded are the feed's own already.
pub async fn close_copy_change(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("DELETE FROM hub_changes")
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE hub_counter SET open = 0 WHERE singleton = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Empties the copy's change table (at a PostgreSQL process's start).
pub async fn clear_copy_changes(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    close_copy_change(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The row images a decision made in the copy, in order, taken out of it for PostgreSQL.
pub async fn take_copy_changes(conn: &mut SqliteConnection) -> Result<Vec<crate::pg::FeedImage>> {
    let rows = sqlx::query("SELECT change, tbl, key, row FROM hub_changes ORDER BY seq")
        .fetch_all(&mut *conn)
        .await?;
    let images = rows
        .iter()
        .map(|r| crate::pg::FeedImage {
            change: r.get(0),
            tbl: r.get(1),
            key: r.get(2),
            row: r.get(3),
        })
        .collect();
    sqlx::query("DELETE FROM hub_changes")
        .execute(&mut *conn)
        .await?;
    Ok(images)
}

/// The lab tables' digests, if the copy stands at `cursor` (read in one snapshot).
pub async fn digests_at(pool: &SqlitePool, cursor: i64) -> Result<Option<Vec<TableDigest>>> {
    let mut tx = pool.begin().await?;
    if copy_position(&mut tx).await? != cursor {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(LAB_TABLES.len());
    for table in LAB_TABLES {
        out.push(lab_tables::table_digest(&mut tx, table).await?);
    }
    tx.commit().await?;
    Ok(Some(out))
}

/// An enrolled workstation, as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    pub device_id: String,
    pub name: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
    pub revoked_why: Option<String>,
    pub last_seq: i64,
    pub last_seen_at: Option<String>,
    /// Why its audit chain broke, while its commands are held.
    pub chain_broken: Option<String>,
}

pub async fn create_enrollment(
    pool: &SqlitePool,
    code_hash: &str,
    name: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let (now, expires) = (utc(now), utc(expires_at));
    sqlx::query!(
        "INSERT INTO hub_enrollments (code_hash, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        code_hash,
        name,
        now,
        expires
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Uses a one-time code: valid, unused, unexpired, for a device id not enrolled yet.
/// Returns the device's name.
pub async fn redeem_enrollment(
    pool: &SqlitePool,
    code_hash: &str,
    device_id: &str,
    credential_hash: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let row = sqlx::query!(
        "SELECT name, expires_at, used_at FROM hub_enrollments WHERE code_hash = ?1",
        code_hash
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(enrollment_invalid());
    };
    check_enrollment(row.used_at.is_some(), parse_utc(&row.expires_at)?, now)?;
    let known = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM hub_devices WHERE device_id = ?1",
        device_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if known > 0 {
        return Err(device_enrolled());
    }
    let at = utc(now);
    sqlx::query!(
        "UPDATE hub_enrollments SET used_at = ?1, used_by = ?2 WHERE code_hash = ?3",
        at,
        device_id,
        code_hash
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO hub_devices (device_id, name, credential_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
        device_id,
        row.name,
        credential_hash,
        at
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.name)
}

pub(crate) fn enrollment_invalid() -> HubFailure {
    HubFailure::unauthorized(
        "enrollment_invalid",
        "this enrollment code is not valid; ask the hub's administrator for a new one",
    )
}

/// A found code is usable once, before it expires.
pub(crate) fn check_enrollment(
    used: bool,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    if used {
        return Err(HubFailure::unauthorized(
            "enrollment_used",
            "this enrollment code was used already; each code enrolls one workstation",
        ));
    }
    if expires_at <= now {
        return Err(HubFailure::unauthorized(
            "enrollment_expired",
            "this enrollment code has expired; ask the hub's administrator for a new one",
        ));
    }
    Ok(())
}

pub(crate) fn device_enrolled() -> HubFailure {
    HubFailure::conflict(
        "device_enrolled",
        "this workstation is enrolled already (or was revoked); a revoked workstation \
         is set up again with a new data directory",
    )
}

/// A credential's device, if there is one and it is not revoked.
pub(crate) fn usable_device(device: Option<Device>) -> Result<Device> {
    match device {
        None => Err(HubFailure::unauthorized(
            "unknown_device",
            "the hub does not know this workstation's credential; enroll it again",
        )),
        Some(d) if d.revoked_at.is_some() => Err(HubFailure::unauthorized(
            "device_revoked",
            "this workstation's access to the hub was revoked; its unsent work stays on it",
        )),
        Some(d) => Ok(d),
    }
}

/// The payload hash a claim answers with: another device's claim of the same id never
/// matches (key reuse).
pub(crate) fn claim_hash(own: bool, payload_hash: String) -> String {
    if own {
        payload_hash
    } else {
        format!("another device's: {payload_hash}")
    }
}

/// The device a credential belongs to, if it is one and not revoked.
pub async fn device_by_credential(pool: &SqlitePool, credential_hash: &str) -> Result<Device> {
    let device = sqlx::query_as!(
        Device,
        r#"SELECT device_id AS "device_id!", name, enrolled_at, revoked_at, revoked_why, last_seq, last_seen_at, chain_broken
           FROM hub_devices WHERE credential_hash = ?1"#,
        credential_hash
    )
    .fetch_optional(pool)
    .await?;
    usable_device(device)
}

pub async fn devices(pool: &SqlitePool, page: ValidPage) -> Result<Page<Device>> {
    let total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM hub_devices"#)
        .fetch_one(pool)
        .await?;
    let (limit, offset) = (page.limit(), page.offset());
    let items = sqlx::query_as!(
        Device,
        r#"SELECT device_id AS "device_id!", name, enrolled_at, revoked_at, revoked_why, last_seq, last_seen_at, chain_broken
           FROM hub_devices ORDER BY enrolled_at, device_id LIMIT ?1 OFFSET ?2"#,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total.max(0) as u64))
}

pub async fn revoke(
    pool: &SqlitePool,
    device_id: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = utc(now);
    let changed = sqlx::query!(
        "UPDATE hub_devices SET revoked_at = ?1, revoked_why = ?2 WHERE device_id = ?3 AND revoked_at IS NULL",
        at,
        why,
        device_id
    )
    .execute(pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(HubFailure::not_found(
            "no enrolled, unrevoked workstation has this id",
        ));
    }
    Ok(())
}

pub async fn touch_device(pool: &SqlitePool, device_id: &str, now: DateTime<Utc>) -> Result<()> {
    let at = utc(now);
    sqlx::query!(
        "UPDATE hub_devices SET last_seen_at = ?1 WHERE device_id = ?2",
        at,
        device_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn device_last_seq(conn: &mut SqliteConnection, device_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        "SELECT last_seq FROM hub_devices WHERE device_id = ?1",
        device_id
    )
    .fetch_one(&mut *conn)
    .await?)
}

pub async fn set_device_last_seq(
    conn: &mut SqliteConnection,
    device_id: &str,
    seq: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE hub_devices SET last_seq = ?1 WHERE device_id = ?2",
        seq,
        device_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the hub holds for each of these command ids: its claim, if this device made it.
/// A claim of another device under the same id is the same as a different payload (key
/// reuse). One read for a whole push.
pub async fn claims_of(
    conn: &mut SqliteConnection,
    command_ids: &[Uuid],
    device_id: &str,
) -> Result<HashMap<Uuid, Claim>> {
    let ids = serde_json::to_string(command_ids)
        .map_err(|e| HubFailure::internal(format!("command ids: {e}")))?;
    let rows = sqlx::query(
        "SELECT command_id, device_id, payload_hash, outcome FROM hub_claims
         WHERE command_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut claims = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: String = row.get(0);
        let (owner, payload_hash, outcome): (String, String, String) =
            (row.get(1), row.get(2), row.get(3));
        let command_id = Uuid::parse_str(&id)
            .map_err(|e| HubFailure::internal(format!("stored command id: {e}")))?;
        let outcome: Outcome = serde_json::from_str(&outcome)
            .map_err(|e| HubFailure::internal(format!("stored outcome: {e}")))?;
        claims.insert(
            command_id,
            Claim {
                payload_hash: claim_hash(owner == device_id, payload_hash),
                outcome,
            },
        );
    }
    Ok(claims)
}

#[derive(serde::Serialize)]
pub struct NewClaim {
    pub command_id: Uuid,
    pub seq: i64,
    pub payload_hash: String,
    /// The outcome as stored (JSON text).
    pub outcome: String,
    pub change: i64,
}

/// Records a push's claims, all in one statement (each with the change that decided it).
/// A refusal as a record of the lab (`sync_issues`), written in the refusal's own change
/// so every workstation pulls it.
pub async fn record_sync_issue(
    conn: &mut SqliteConnection,
    device: &crate::Device,
    pushed: &aliquot_sync::PushedCommand,
    decided_at: DateTime<Utc>,
    reason_code: &str,
    message: &str,
    details: &serde_json::Value,
) -> Result<()> {
    let (command_id, actor_id, recorded_at, decided_at, details) = (
        pushed.command_id.to_string(),
        pushed.actor_id.to_string(),
        utc(pushed.recorded_at),
        utc(decided_at),
        details.to_string(),
    );
    sqlx::query!(
        "INSERT INTO sync_issues (command_id, device_id, device_name, kind, actor_id, recorded_at, decided_at, reason_code, message, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        command_id,
        device.device_id,
        device.name,
        pushed.kind,
        actor_id,
        recorded_at,
        decided_at,
        reason_code,
        message,
        details
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn record_claims(
    conn: &mut SqliteConnection,
    device_id: &str,
    received_at: DateTime<Utc>,
    claims: &[NewClaim],
) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    let rows =
        serde_json::to_string(claims).map_err(|e| HubFailure::internal(format!("claims: {e}")))?;
    sqlx::query(
        "INSERT INTO hub_claims (command_id, device_id, seq, payload_hash, outcome, change, received_at)
         SELECT c.value ->> 'command_id', ?2, c.value ->> 'seq', c.value ->> 'payload_hash',
                c.value ->> 'outcome', c.value ->> 'change', ?3
         FROM json_each(?1) AS c ORDER BY c.key",
    )
    .bind(rows)
    .bind(device_id)
    .bind(utc(received_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A device's audit chain as the hub has checked it.
pub struct DeviceChain {
    pub seq: i64,
    pub hash: String,
    pub broken: Option<String>,
    pub restart: bool,
}

pub async fn device_chain(conn: &mut SqliteConnection, device_id: &str) -> Result<DeviceChain> {
    let r = sqlx::query!(
        "SELECT chain_seq, chain_hash, chain_broken, chain_restart FROM hub_devices WHERE device_id = ?1",
        device_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(DeviceChain {
        seq: r.chain_seq,
        hash: r.chain_hash,
        broken: r.chain_broken,
        restart: r.chain_restart != 0,
    })
}

/// The stored hash of a device's audit row, if the hub holds it.
pub async fn device_audit_hash(
    conn: &mut SqliteConnection,
    device_id: &str,
    seq: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT hash FROM hub_device_audit WHERE device_id = ?1 AND seq = ?2",
        device_id,
        seq
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// Keeps a run of a device's audit rows, in one statement.
pub async fn keep_device_audit(
    conn: &mut SqliteConnection,
    device_id: &str,
    rows: &[&aliquot_domain::audit::StoredAuditRow],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let text = serde_json::to_string(rows)
        .map_err(|e| HubFailure::internal(format!("audit rows: {e}")))?;
    sqlx::query!(
        r#"INSERT INTO hub_device_audit (device_id, seq, hash, row)
           SELECT ?1, json_extract(value, '$.seq'), json_extract(value, '$.hash'), value FROM json_each(?2)"#,
        device_id,
        text
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_device_chain(
    conn: &mut SqliteConnection,
    device_id: &str,
    seq: i64,
    hash: &str,
) -> Result<()> {
    sqlx::query!(
        "UPDATE hub_devices SET chain_seq = ?1, chain_hash = ?2, chain_restart = 0 WHERE device_id = ?3",
        seq,
        hash,
        device_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn break_device_chain(
    conn: &mut SqliteConnection,
    device_id: &str,
    why: &str,
) -> Result<()> {
    sqlx::query!(
        "UPDATE hub_devices SET chain_broken = ?1 WHERE device_id = ?2",
        why,
        device_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An administrator reviewed a broken chain: the device's commands are decided again,
/// and its chain is checked anew from the next row it sends.
pub async fn release_device_chain(pool: &SqlitePool, device_id: &str) -> Result<()> {
    let changed = sqlx::query!(
        "UPDATE hub_devices SET chain_broken = NULL, chain_restart = 1 WHERE device_id = ?1 AND chain_broken IS NOT NULL",
        device_id
    )
    .execute(pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(HubFailure::not_found(
            "no workstation with this id has its commands held",
        ));
    }
    Ok(())
}

/// Why the hub will not run a command under this actor, in the lab's words.
pub enum ActorRefusal {
    Unknown,
    Inactive,
}

/// The actor a replayed command runs under: the user as the hub knows them now (their
/// role decides the permission), refused when unknown or deactivated before the command
/// was recorded.
pub async fn actor_for_replay(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    recorded_at: DateTime<Utc>,
) -> Result<std::result::Result<Actor, ActorRefusal>> {
    let id = user_id.to_string();
    let row = sqlx::query!(
        "SELECT username, role, active, deactivated_at FROM users WHERE id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Err(ActorRefusal::Unknown));
    };
    if row.active == 0 {
        let since = row.deactivated_at.as_deref().map(parse_utc).transpose()?;
        if since.is_none_or(|since| since <= recorded_at) {
            return Ok(Err(ActorRefusal::Inactive));
        }
    }
    let role = Role::parse(&row.role)
        .ok_or_else(|| HubFailure::internal(format!("stored role {:?}", row.role)))?;
    Ok(Ok(Actor {
        user_id,
        username: row.username,
        role,
    }))
}

/// One page of the feed for a device, read in one snapshot.
pub struct FeedPage {
    pub changes: Vec<RowChange>,
    pub next_cursor: i64,
    pub has_more: bool,
    pub decided: Vec<CommandResult>,
    pub digests: Option<Vec<TableDigest>>,
}

struct FeedRow {
    change: i64,
    tbl: String,
    key: String,
    row: Option<String>,
}

impl FeedRow {
    fn into_change(self) -> Result<RowChange> {
        // Checked as JSON, never parsed into values: the text goes out as stored.
        let raw = |s: String| {
            RawValue::from_string(s).map_err(|e| HubFailure::internal(format!("feed row: {e}")))
        };
        Ok(RowChange {
            change: self.change,
            table: self.tbl,
            key: raw(self.key)?,
            row: self.row.map(raw).transpose()?,
        })
    }
}

/// The changes after `cursor`, at most `limit` rows unless one transaction changed more
/// (pages are cut only between transactions), with the device's decided commands up to
/// the page's end, and the lab tables' digests with the last page when asked.
pub async fn pull_page(
    pool: &SqlitePool,
    device_id: &str,
    cursor: i64,
    limit: i64,
    with_digests: bool,
) -> Result<FeedPage> {
    // One read transaction: the counter, the rows and the digests are one snapshot.
    let mut tx = pool.begin().await?;
    let head = sqlx::query_scalar!(r#"SELECT value AS "value!: i64" FROM hub_counter"#)
        .fetch_one(&mut *tx)
        .await?;
    let cursor = cursor.clamp(0, head);
    let fetch = limit + 1;
    let mut rows = sqlx::query_as!(
        FeedRow,
        // In (change, seq) order, which the index on change serves as it is: ordering by
        // seq alone sorted every row after the cursor for each page.
        r#"SELECT change AS "change!: i64", tbl, key, row FROM hub_changes
           WHERE change > ?1 AND change <= ?2 ORDER BY change, seq LIMIT ?3"#,
        cursor,
        head,
        fetch
    )
    .fetch_all(&mut *tx)
    .await?;
    let (next_cursor, has_more) = if rows.len() as i64 > limit {
        let cut = rows[limit as usize].change;
        if rows[0].change == cut {
            // One transaction larger than a page comes whole.
            rows = sqlx::query_as!(
                FeedRow,
                r#"SELECT change AS "change!: i64", tbl, key, row FROM hub_changes
                   WHERE change = ?1 ORDER BY change, seq"#,
                cut
            )
            .fetch_all(&mut *tx)
            .await?;
            (cut, cut < head)
        } else {
            rows.retain(|r| r.change < cut);
            (cut - 1, true)
        }
    } else {
        (head, false)
    };
    let decided_rows = sqlx::query!(
        r#"SELECT seq, command_id, outcome FROM hub_claims
           WHERE device_id = ?1 AND change > ?2 AND change <= ?3 ORDER BY seq"#,
        device_id,
        cursor,
        next_cursor
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut decided = Vec::with_capacity(decided_rows.len());
    for r in decided_rows {
        decided.push(CommandResult {
            seq: r.seq,
            command_id: Uuid::parse_str(&r.command_id)
                .map_err(|e| HubFailure::internal(format!("stored command id: {e}")))?,
            outcome: serde_json::from_str(&r.outcome)
                .map_err(|e| HubFailure::internal(format!("stored outcome: {e}")))?,
            duplicate: false,
        });
    }
    let digests = if with_digests && !has_more {
        let mut out = Vec::with_capacity(LAB_TABLES.len());
        for table in LAB_TABLES {
            out.push(lab_tables::table_digest(&mut tx, table).await?);
        }
        Some(out)
    } else {
        None
    };
    let changes = rows
        .into_iter()
        .map(FeedRow::into_change)
        .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(FeedPage {
        changes,
        next_cursor,
        has_more,
        decided,
        digests,
    })
}

/// Writes a snapshot of every lab table into `lines`, a line a run of rows (see
/// [`aliquot_sync::SnapshotPart`]), all read in one read transaction: one state of the lab,
/// the one at the cursor the first and last lines name. From `from` on when a copy is
/// resumed: the rest of that table after the key, then the tables after it. Rows go out as
/// SQLite writes them (`json_array`), never parsed here. Stops quietly when the
/// workstation hangs up.
pub async fn write_snapshot(
    pool: &SqlitePool,
    lines: &tokio::sync::mpsc::Sender<Result<String>>,
    from: Option<aliquot_sync::SnapshotFrom>,
) -> Result<()> {
    use futures_util::TryStreamExt;
    // The tables to send, each with the key its rows come after (none: all of them).
    let mut tables: Vec<(&LabTable, Option<&[serde_json::Value]>)> = Vec::new();
    match &from {
        None => tables.extend(LAB_TABLES.iter().map(|t| (t, None))),
        Some(from) => {
            let Some(first) = LAB_TABLES.iter().position(|t| t.name == from.table) else {
                return Err(HubFailure::bad_request(
                    "invalid",
                    format!(
                        "there is no lab table {:?} to resume a snapshot from",
                        from.table
                    ),
                ));
            };
            if from.after.len() != LAB_TABLES[first].key.len() {
                return Err(HubFailure::bad_request(
                    "invalid",
                    format!(
                        "the key of {} has {} columns",
                        from.table,
                        LAB_TABLES[first].key.len()
                    ),
                ));
            }
            tables.push((&LAB_TABLES[first], Some(&from.after)));
            tables.extend(LAB_TABLES[first + 1..].iter().map(|t| (t, None)));
        }
    }
    let mut tx = pool.begin().await?;
    let cursor = sqlx::query_scalar!(r#"SELECT value AS "value!: i64" FROM hub_counter"#)
        .fetch_one(&mut *tx)
        .await?;
    // Rows after a key continue a table read at this same state only; at another, the
    // table goes whole (the workstation sees the new cursor and sets its part aside).
    if from.as_ref().is_some_and(|f| f.at_cursor != cursor) {
        if let Some((_, after)) = tables.first_mut() {
            *after = None;
        }
    }
    // The count first, read in the same transaction, so the workstation can show how far
    // along its copy is.
    let mut expected = 0i64;
    for (table, after) in &tables {
        let sql = format!(
            "SELECT COUNT(*) FROM \"{}\" WHERE {} AND {}",
            table.name,
            table.shared_rows_sql(""),
            after_key_sql(table, after.is_some())
        );
        let count: i64 = bind_key(sqlx::query_scalar(&sql), after.unwrap_or_default())?
            .fetch_one(&mut *tx)
            .await?;
        expected += count;
    }
    let start = serde_json::to_string(&aliquot_sync::SnapshotPart::Start {
        rows: expected,
        cursor,
    })
    .map_err(|e| HubFailure::internal(format!("snapshot start: {e}")))?;
    if lines.send(Ok(start + "\n")).await.is_err() {
        return Ok(());
    }
    let mut total = 0i64;
    for (table, after) in &tables {
        let columns = lab_tables::columns(&mut tx, table).await?;
        let columns_json = serde_json::to_string(&columns)
            .map_err(|e| HubFailure::internal(format!("snapshot columns: {e}")))?;
        let head = format!(
            "{{\"rows\":{{\"table\":\"{}\",\"columns\":{columns_json},\"rows\":[",
            table.name
        );
        let sql = format!(
            "SELECT {} FROM \"{}\" WHERE {} AND {} ORDER BY {}",
            lab_tables::json_array_sql(&columns, ""),
            table.name,
            table.shared_rows_sql(""),
            after_key_sql(table, after.is_some()),
            table.key.join(", ")
        );
        let query = bind_key(
            sqlx::query_scalar::<_, String>(&sql),
            after.unwrap_or_default(),
        )?;
        let mut rows = query.fetch(&mut *tx);
        let (mut line, mut n) = (String::new(), 0);
        loop {
            let row = rows.try_next().await?;
            if let Some(row) = &row {
                line.push_str(if n == 0 { &head } else { "," });
                line.push_str(row);
                n += 1;
            }
            if n > 0 && (n == aliquot_sync::SNAPSHOT_CHUNK || row.is_none()) {
                line.push_str("]}}\n");
                total += n as i64;
                n = 0;
                if lines.send(Ok(std::mem::take(&mut line))).await.is_err() {
                    return Ok(());
                }
            }
            if row.is_none() {
                break;
            }
        }
    }
    let end = serde_json::to_string(&aliquot_sync::SnapshotPart::End {
        cursor,
        rows: total,
    })
    .map_err(|e| HubFailure::internal(format!("snapshot end: {e}")))?;
    let _ = lines.send(Ok(end + "\n")).await;
    tx.commit().await?;
    Ok(())
}

/// `(k1, k2) > (?, ?)` over the table's key, or `TRUE` when the whole table goes.
fn after_key_sql(table: &LabTable, resumed: bool) -> String {
    if !resumed {
        return "TRUE".to_owned();
    }
    let marks = vec!["?"; table.key.len()].join(", ");
    format!("({}) > ({marks})", table.key.join(", "))
}

/// Binds a key's values (text or whole numbers, as keys are).
fn bind_key<'q, O>(
    mut query: sqlx::query::QueryScalar<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>,
    key: &'q [serde_json::Value],
) -> Result<sqlx::query::QueryScalar<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>> {
    for value in key {
        query = match value {
            serde_json::Value::String(text) => query.bind(text.as_str()),
            serde_json::Value::Number(n) if n.is_i64() => query.bind(n.as_i64()),
            other => {
                return Err(HubFailure::bad_request(
                    "invalid",
                    format!("a key value must be text or a whole number, not {other}"),
                ))
            }
        };
    }
    Ok(query)
}

pub async fn lease_policy(pool: &SqlitePool) -> Result<LeasePolicy> {
    let r = sqlx::query!(
        "SELECT sample_prefix, sample_digits, sample_block, participant_block FROM hub_lease_policy"
    )
    .fetch_one(pool)
    .await?;
    Ok(LeasePolicy {
        sample_prefix: r.sample_prefix,
        sample_digits: u8::try_from(r.sample_digits)
            .map_err(|_| HubFailure::internal("stored sample digits"))?,
        sample_block: r.sample_block,
        participant_block: r.participant_block,
    })
}

pub async fn set_lease_policy(pool: &SqlitePool, policy: &LeasePolicy) -> Result<()> {
    let digits = i64::from(policy.sample_digits);
    sqlx::query!(
        "UPDATE hub_lease_policy SET sample_prefix = ?1, sample_digits = ?2, sample_block = ?3, participant_block = ?4",
        policy.sample_prefix,
        digits,
        policy.sample_block,
        policy.participant_block
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The newest of the hub's own migrations applied.
pub async fn hub_schema(pool: &SqlitePool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM hub_schema")
            .fetch_one(pool)
            .await?,
    )
}

/// The feed's newest change number.
pub async fn head(pool: &SqlitePool) -> Result<i64> {
    copy_position(&mut *pool.acquire().await?).await
}

/// How many lab rows the feed holds (for the hub's status line).
pub async fn feed_rows(pool: &SqlitePool) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM hub_changes")
        .fetch_one(pool)
        .await?;
    Ok(row.get::<i64, _>(0))
}
