//! The workstation's side of sync, in SQL: the hub link, the outbox's fate, the undo log
//! that lets a pull take pending commands back, and the pull itself (undo, apply the
//! hub's rows, settle what the hub decided, run the rest again: one transaction).
//!
//! The decisions (what an answer means, when to retry) are `aliquot_sync::plan`; the
//! network is `aliquot_api::sync`. Nothing here decides a command: pulled rows are the
//! hub's decisions, applied as they are.

use crate::executor::{Recorded, Replay, WriteTx};
use crate::lab_tables::{self, LabTable, LAB_TABLES};
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::numbering::BlockKind;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Actor, Command, DomainError, Role};
use aliquot_sync::plan::{self, OutboxStatus, RecordSyncState};
use aliquot_sync::{CommandResult, LowWater, Outcome, PullResponse, PushedCommand};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use std::collections::HashMap;
use ts_rs::TS;
use uuid::Uuid;

/// The hub this workstation is enrolled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLink {
    pub hub_url: String,
    pub hub_id: String,
    pub device_name: String,
    pub credential: String,
    pub fingerprint: String,
    pub cursor: i64,
    pub connected_at: DateTime<Utc>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub diverged: Vec<String>,
    /// The last audit row the hub checked and kept.
    pub audit_pushed_seq: i64,
}

/// The outbox's counts, for the status bar and the sync screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OutboxCounts {
    /// Waiting for the hub.
    #[ts(type = "number")]
    pub pending: i64,
    /// Pending, and a rebase could not apply them on the hub's newer state here.
    #[ts(type = "number")]
    pub likely_conflicts: i64,
    /// Refused by the hub and not yet settled (`resolve_sync_issue`).
    #[ts(type = "number")]
    pub rejected: i64,
    #[ts(type = "number")]
    pub held: i64,
    #[ts(type = "number")]
    pub applied: i64,
}

/// One outbox row as the sync lists show it (Sync issues, and every command).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SyncIssue {
    #[ts(type = "number")]
    pub seq: i64,
    pub command_id: Uuid,
    pub kind: String,
    pub recorded_at: DateTime<Utc>,
    pub actor_name: String,
    pub status: String,
    /// The hub's reason code when it refused; `likely_conflict` while only the rebase
    /// failed here.
    pub reason_code: Option<String>,
    pub message: Option<String>,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
}

/// The undo triggers: while `sync_recording` names a command, every change of a lab row
/// records the row's before-image (and the inbox triggers, below). Installed (again) at every open, from the columns
/// SQLite reports, so a new column is followed.
pub(crate) async fn install_undo_triggers(pool: &sqlx::SqlitePool) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for table in LAB_TABLES {
        let columns = lab_tables::columns(&mut tx, table).await?;
        let name = table.name;
        for (event, of, before) in [
            ("INSERT", "NEW.", None),
            ("UPDATE", "OLD.", Some("OLD.")),
            ("DELETE", "OLD.", Some("OLD.")),
        ] {
            let trigger = format!("undo_{name}_{}", event.to_lowercase());
            sqlx::query(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                .execute(&mut *tx)
                .await?;
            let before = match before {
                Some(prefix) => lab_tables::json_object_sql(&columns, prefix),
                None => "NULL".to_owned(),
            };
            let sql = format!(
                "CREATE TRIGGER {trigger} AFTER {event} ON \"{name}\"
                 WHEN EXISTS (SELECT 1 FROM sync_recording) AND {shared}
                 BEGIN
                   INSERT INTO undo_log (command_id, tbl, key, before)
                   VALUES ((SELECT command_id FROM sync_recording), '{name}', {key}, {before});
                 END",
                shared = table.shared_rows_sql(of),
                key = table.key_sql(of),
            );
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
    }
    install_inbox_triggers(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts recording before-images for `command_id` inside the command's transaction.
pub(crate) async fn start_recording(conn: &mut SqliteConnection, command_id: Uuid) -> Result<()> {
    let id = command_id.to_string();
    sqlx::query!(
        "INSERT INTO sync_recording (singleton, command_id) VALUES (1, ?1)",
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn stop_recording(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query!("DELETE FROM sync_recording")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The inbox triggers: a row inserted into `sync_inbox` (a table's name, its key and its
/// row image as JSONB, or no image when the row goes) is written into that lab table by
/// the table's own columns. Installed (again) at every open, like the undo triggers.
///
/// Row images are applied this way, pulled pages, take-backs and resyncs alike, so a page
/// of thousands of rows of many tables is one statement (`apply_images`) that keeps their
/// order, instead of a statement a row.
async fn install_inbox_triggers(tx: &mut SqliteConnection) -> Result<()> {
    for table in LAB_TABLES {
        let columns = lab_tables::columns(&mut *tx, table).await?;
        let name = table.name;
        let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let values: Vec<String> = columns
            .iter()
            .map(|c| format!("NEW.row ->> '$.\"{c}\"'"))
            .collect();
        let updates: Vec<String> = columns
            .iter()
            .filter(|c| !table.key.contains(&c.as_str()))
            .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
            .collect();
        let conflict = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        let matches: Vec<String> = table
            .key
            .iter()
            .map(|k| format!("\"{k}\" = NEW.key ->> '$.\"{k}\"'"))
            .collect();
        for (trigger, when, body) in [
            (
                format!("inbox_{name}_write"),
                "NEW.row IS NOT NULL",
                format!(
                    "INSERT INTO \"{name}\" ({}) SELECT {} WHERE TRUE ON CONFLICT ({}) {conflict}",
                    quoted.join(", "),
                    values.join(", "),
                    table.key.join(", ")
                ),
            ),
            (
                format!("inbox_{name}_remove"),
                "NEW.row IS NULL",
                format!("DELETE FROM \"{name}\" WHERE {}", matches.join(" AND ")),
            ),
        ] {
            sqlx::query(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(
                "CREATE TRIGGER {trigger} AFTER INSERT ON sync_inbox
                 WHEN NEW.tbl = '{name}' AND {when}
                 BEGIN {body}; END"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// One row image on its way into a lab table (`row` absent: the row goes).
#[derive(Serialize)]
struct Image<'a> {
    table: &'a str,
    key: &'a serde_json::value::RawValue,
    row: Option<&'a serde_json::value::RawValue>,
}

/// Applies row images in their order, in one statement: `images` is a JSON array of
/// `{table, key, row}` objects (a pulled page's changes are that already).
async fn apply_images(conn: &mut SqliteConnection, images: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_inbox (tbl, key, row)
         SELECT j.value ->> 'table', jsonb(j.value -> 'key'), jsonb(nullif(j.value -> 'row', 'null'))
         FROM json_each(?1) AS j ORDER BY j.key",
    )
    .bind(images)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM sync_inbox")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A pulled page's row changes, applied in the hub's order.
async fn write_changes(
    conn: &mut SqliteConnection,
    changes: &[aliquot_sync::RowChange],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    // A table this workstation does not know would be passed over by the inbox without a
    // word: refuse the page instead (the hub runs a newer version).
    if let Some(unknown) = changes
        .iter()
        .find(|c| lab_tables::lab_table(&c.table).is_none())
    {
        return Err(StoreError::Decode(format!(
            "a row of an unknown table {:?}",
            unknown.table
        )));
    }
    let images = serde_json::to_string(changes)
        .map_err(|e| StoreError::Decode(format!("pulled rows: {e}")))?;
    apply_images(conn, &images).await
}

impl Store {
    /// Applies the hub's feed rows, in order, inside the caller's transaction: how a hub
    /// process on PostgreSQL keeps its copy of the lab current (the same apply a
    /// workstation's pull uses, without its take-back and rebase: a hub has no outbox).
    pub async fn apply_hub_rows(
        &self,
        tx: &mut WriteTx,
        changes: &[aliquot_sync::RowChange],
    ) -> Result<()> {
        write_changes(tx.conn(), changes).await
    }
}

/// What a pull did here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullApplied {
    pub rows: usize,
    /// Commands of this workstation the page settled (decided, their outcome applied).
    pub settled: usize,
    /// Pending commands run again on the new state.
    pub rebased: usize,
    /// Of those, the ones that no longer apply here (likely conflicts).
    pub conflicts: usize,
    pub cursor: i64,
    /// Users whose role or activity the hub changed: their sessions here were ended.
    pub sessions_ended_for: Vec<Uuid>,
}

struct PendingRow {
    seq: i64,
    command_id: String,
    recorded_at: String,
    actor_id: String,
    payload: String,
}

impl Store {
    /// The hub link, if this workstation is enrolled.
    pub async fn hub_link(&self) -> Result<Option<HubLink>> {
        let row = sqlx::query!(
            r#"SELECT hub_url, hub_id, device_name, credential, fingerprint, cursor, connected_at,
                      last_push_at, last_pull_at, last_error, diverged, audit_pushed_seq
               FROM sync_state WHERE singleton = 1"#
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let opt_time = |s: Option<String>| s.as_deref().map(parse_utc).transpose();
        Ok(Some(HubLink {
            hub_url: r.hub_url,
            hub_id: r.hub_id,
            device_name: r.device_name,
            credential: r.credential,
            fingerprint: r.fingerprint,
            cursor: r.cursor,
            connected_at: parse_utc(&r.connected_at)?,
            last_push_at: opt_time(r.last_push_at)?,
            last_pull_at: opt_time(r.last_pull_at)?,
            last_error: r.last_error,
            diverged: r
                .diverged
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Decode(format!("diverged tables: {e}")))?
                .unwrap_or_default(),
            audit_pushed_seq: r.audit_pushed_seq,
        }))
    }

    /// The hub has checked and kept this workstation's audit rows up to `seq`.
    pub async fn record_audit_pushed(&self, seq: i64) -> Result<()> {
        sqlx::query!(
            "UPDATE sync_state SET audit_pushed_seq = MAX(audit_pushed_seq, ?1)",
            seq
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether lab commands record their before-images (once enrolled with a hub).
    pub fn is_syncing(&self) -> bool {
        self.syncing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Records the enrollment. Only a workstation with no lab records of its own joins a
    /// hub: it then pulls the lab, and everything it does from here on can be rebased.
    pub async fn link_hub(
        &self,
        hub_url: &str,
        hub_id: &str,
        device_name: &str,
        credential: &str,
        fingerprint: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let linked = sqlx::query_scalar!("SELECT COUNT(*) FROM sync_state")
            .fetch_one(&mut *tx)
            .await?;
        if linked > 0 {
            return Err(DomainError::Refused(
                "this workstation is connected to a hub already".into(),
            )
            .into());
        }
        let own = sqlx::query_scalar!("SELECT COUNT(*) FROM outbox")
            .fetch_one(&mut *tx)
            .await?;
        if own > 0 {
            return Err(DomainError::Refused(
                "this workstation already holds lab records of its own; a workstation joins a \
                 hub with an empty data directory and then receives the lab from the hub"
                    .into(),
            )
            .into());
        }
        let now = format_utc(self.clock.now());
        sqlx::query!(
            "INSERT INTO sync_state (singleton, hub_url, hub_id, device_name, credential, fingerprint, connected_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            hub_url,
            hub_id,
            device_name,
            credential,
            fingerprint,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.syncing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The oldest pending commands, in order, as the hub receives them. A command already
    /// decided is never sent again, except when the hub asks to resend from `from_seq`.
    pub async fn commands_to_push(&self, from_seq: i64, limit: i64) -> Result<Vec<PushedCommand>> {
        let rows = sqlx::query!(
            r#"SELECT seq AS "seq!", command_id, recorded_at, actor_id, kind, schema_version, payload
               FROM outbox WHERE status IN ('pending', 'held') AND seq >= ?1 ORDER BY seq LIMIT ?2"#,
            from_seq,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PushedCommand {
                    seq: r.seq,
                    command_id: crate::users::parse_uuid(&r.command_id)?,
                    recorded_at: parse_utc(&r.recorded_at)?,
                    actor_id: crate::users::parse_uuid(&r.actor_id)?,
                    kind: r.kind,
                    schema_version: r.schema_version,
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|e| StoreError::Decode(format!("outbox payload: {e}")))?,
                })
            })
            .collect()
    }

    /// Every command from `seq` on, decided or not (the hub lost an answer and asks
    /// again from there).
    pub async fn commands_from(&self, seq: i64, limit: i64) -> Result<Vec<PushedCommand>> {
        let rows = sqlx::query!(
            r#"SELECT seq AS "seq!", command_id, recorded_at, actor_id, kind, schema_version, payload
               FROM outbox WHERE seq >= ?1 ORDER BY seq LIMIT ?2"#,
            seq,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PushedCommand {
                    seq: r.seq,
                    command_id: crate::users::parse_uuid(&r.command_id)?,
                    recorded_at: parse_utc(&r.recorded_at)?,
                    actor_id: crate::users::parse_uuid(&r.actor_id)?,
                    kind: r.kind,
                    schema_version: r.schema_version,
                    payload: serde_json::from_str(&r.payload)
                        .map_err(|e| StoreError::Decode(format!("outbox payload: {e}")))?,
                })
            })
            .collect()
    }

    /// The newest outbox sequence number (0 when empty).
    pub async fn last_outbox_seq(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar!(r#"SELECT COALESCE(MAX(seq), 0) AS "n!: i64" FROM outbox"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Writes the hub's answers into the outbox (each row's status and result).
    pub async fn record_push_results(&self, results: &[CommandResult]) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = format_utc(self.clock.now());
        record_results(&mut tx, results, &now, false).await?;
        sqlx::query!(
            "UPDATE sync_state SET last_push_at = ?1, last_error = NULL",
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts a failed attempt and remembers why, for the status the technician sees.
    pub async fn record_sync_error(&self, why: &str) -> Result<()> {
        sqlx::query!("UPDATE sync_state SET last_error = ?1", why)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Applies one pulled page in one transaction: takes back every command the hub has
    /// not settled, applies the hub's rows, settles the commands the page decided, runs
    /// the others again (a failure is kept, flagged as a likely conflict), stores the
    /// cursor. Applying the same page twice leaves the same state.
    pub async fn apply_pull(&self, page: &PullResponse) -> Result<PullApplied> {
        let mut tx = self.begin_write().await?;
        let conn = tx.conn();
        let cursor = linked_cursor(conn).await?;
        // I9: the cursor never goes back.
        if page.next_cursor < cursor {
            return Err(StoreError::Decode(format!(
                "the hub's page ends at {} before this workstation's cursor {cursor}",
                page.next_cursor
            )));
        }
        // Take back every unsettled command, newest change first.
        take_back_unsettled(conn).await?;
        // 2. The hub's rows, in the hub's order; noting whose role or activity changed.
        let mut users_before: HashMap<String, (String, i64)> = HashMap::new();
        for change in page.changes.iter().filter(|c| c.table == "users") {
            if let Some(id) = change.key_value().get("id").and_then(|v| v.as_str()) {
                if let Some(r) = sqlx::query!("SELECT role, active FROM users WHERE id = ?1", id)
                    .fetch_optional(&mut *conn)
                    .await?
                {
                    users_before
                        .entry(id.to_owned())
                        .or_insert((r.role, r.active));
                }
            }
        }
        write_changes(conn, &page.changes).await?;
        // 3. What the hub decided of ours is settled: never rebased again.
        let now = format_utc(self.clock.now());
        record_results(conn, &page.decided, &now, true).await?;
        sqlx::query!("DELETE FROM sync_rebasing")
            .execute(&mut *conn)
            .await?;
        // 4. The rest run again on the hub's state.
        let (rebased, conflicts) = self.rebase_unsettled(&mut tx).await?;
        let conn = tx.conn();
        sqlx::query!(
            "UPDATE sync_state SET cursor = ?1, last_pull_at = ?2, last_error = NULL",
            page.next_cursor,
            now
        )
        .execute(&mut *conn)
        .await?;
        // A deactivation or role change decided on the hub ends the user's sessions here.
        let mut ended = Vec::new();
        for (id, (role, active)) in users_before {
            let after = sqlx::query!("SELECT role, active FROM users WHERE id = ?1", id)
                .fetch_optional(&mut *conn)
                .await?;
            if after.is_some_and(|a| a.role != role || a.active != active) {
                let why = "your account was changed on the hub";
                sqlx::query!(
                    "UPDATE sessions SET revoked_at = ?1, revoked_why = ?2 WHERE user_id = ?3 AND revoked_at IS NULL",
                    now,
                    why,
                    id
                )
                .execute(&mut *conn)
                .await?;
                ended.push(crate::users::parse_uuid(&id)?);
            }
        }
        self.commit_write(tx).await?;
        Ok(PullApplied {
            rows: page.changes.len(),
            settled: page.decided.len(),
            rebased,
            conflicts,
            cursor: page.next_cursor,
            sessions_ended_for: ended,
        })
    }

    /// Runs every unsettled outbox command again, in order, each recording fresh undo
    /// images; one that fails is undone and flagged.
    async fn rebase_unsettled(&self, tx: &mut WriteTx) -> Result<(usize, usize)> {
        let pending = sqlx::query_as!(
            PendingRow,
            r#"SELECT seq AS "seq!", command_id, recorded_at, actor_id, payload
               FROM outbox WHERE settled = 0 AND status != 'rejected' ORDER BY seq"#
        )
        .fetch_all(tx.conn())
        .await?;
        let (mut rebased, mut conflicts) = (0, 0);
        for p in pending {
            let command_id = crate::users::parse_uuid(&p.command_id)?;
            let command: Command = serde_json::from_str(&p.payload)
                .map_err(|e| StoreError::Decode(format!("outbox payload: {e}")))?;
            let recorded = Recorded {
                command_id,
                device_id: self.device_id.clone(),
                recorded_at: parse_utc(&p.recorded_at)?,
            };
            let savepoint = tx.savepoint().await?;
            let outcome = match actor_of(tx.conn(), &p.actor_id).await? {
                Some(actor) => {
                    start_recording(tx.conn(), command_id).await?;
                    self.replay(tx, &actor, &recorded, &command, Replay::Rebase)
                        .await
                        .map(|_| ())
                }
                None => Err(StoreError::Domain(DomainError::NotFound("user"))),
            };
            rebased += 1;
            match outcome {
                Ok(()) => {
                    stop_recording(tx.conn()).await?;
                    tx.release(savepoint).await?;
                    sqlx::query!("UPDATE outbox SET conflict = NULL WHERE seq = ?1", p.seq)
                        .execute(tx.conn())
                        .await?;
                }
                Err(StoreError::Domain(_) | StoreError::Forbidden(_))
                | Err(StoreError::Database(sqlx::Error::Database(_))) => {
                    let why = match &outcome {
                        Err(e) => e.to_string(),
                        Ok(()) => String::new(),
                    };
                    tx.rollback_to(savepoint).await?;
                    conflicts += 1;
                    sqlx::query!("UPDATE outbox SET conflict = ?1 WHERE seq = ?2", why, p.seq)
                        .execute(tx.conn())
                        .await?;
                }
                Err(other) => return Err(other),
            }
        }
        // What this workstation kept about a lab row the hub refused (labels owed for a
        // kit that was never registered, sessions of an account never created) goes too.
        sqlx::query!(
            "DELETE FROM kit_labels_owed WHERE registration_id NOT IN (SELECT id FROM kit_registrations)"
        )
        .execute(tx.conn())
        .await?;
        sqlx::query!("DELETE FROM sessions WHERE user_id NOT IN (SELECT id FROM users)")
            .execute(tx.conn())
            .await?;
        Ok((rebased, conflicts))
    }

    /// The blocks this workstation should ask the hub for: a participant block for each
    /// site and a sample block, wherever what is left of its open blocks is below the
    /// low-water mark (pending work counts as used).
    pub async fn lease_needs(&self, low_water: LowWater) -> Result<Vec<(BlockKind, Option<Uuid>)>> {
        let device = self.device_id.as_str();
        let sites = sqlx::query!(
            r#"SELECT s.id AS "id!",
                      COALESCE(SUM(CASE WHEN b.next_value <= b.last_value THEN b.last_value - b.next_value + 1 ELSE 0 END), 0) AS "left!: i64"
               FROM sites s
               LEFT JOIN number_blocks b ON b.site_id = s.id AND b.kind = 'participant' AND b.device_id = ?1
               GROUP BY s.id ORDER BY s.id"#,
            device
        )
        .fetch_all(&self.pool)
        .await?;
        let mut needs = Vec::new();
        for site in sites {
            if site.left < low_water.participant {
                needs.push((
                    BlockKind::Participant,
                    Some(crate::users::parse_uuid(&site.id)?),
                ));
            }
        }
        let samples_left = sqlx::query_scalar!(
            r#"SELECT COALESCE(SUM(last_value - next_value + 1), 0) AS "left!: i64" FROM number_blocks
               WHERE device_id = ?1 AND kind = 'sample' AND next_value <= last_value"#,
            device
        )
        .fetch_one(&self.pool)
        .await?;
        if samples_left < low_water.sample {
            needs.push((BlockKind::Sample, None));
        }
        Ok(needs)
    }

    /// Records where the last convergence check found this workstation's tables apart
    /// from the hub's (empty: none).
    pub async fn record_convergence(&self, diverged: &[String]) -> Result<()> {
        let (now, list) = (
            format_utc(self.clock.now()),
            serde_json::to_string(diverged).unwrap_or_else(|_| "[]".into()),
        );
        sqlx::query!(
            "UPDATE sync_state SET last_check_at = ?1, diverged = ?2",
            now,
            list
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces one lab table with the hub's rows (after the convergence check found it
    /// apart). Pending commands are taken back first and run again after, as in a pull.
    pub async fn resync_table(&self, table: &LabTable, rows: &[serde_json::Value]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let conn = tx.conn();
        // Take back every unsettled command, newest change first.
        take_back_unsettled(conn).await?;
        let mine = lab_tables::row_images(conn, table).await?;
        let key_of = |row: &serde_json::Value| {
            serde_json::Value::Object(
                table
                    .key
                    .iter()
                    .map(|k| ((*k).to_owned(), row[*k].clone()))
                    .collect(),
            )
            .to_string()
        };
        let raw = |text: String| {
            serde_json::value::RawValue::from_string(text)
                .map_err(|e| StoreError::Decode(format!("row image of {}: {e}", table.name)))
        };
        let theirs: std::collections::HashSet<String> = rows.iter().map(key_of).collect();
        let mut gone = Vec::new();
        for row in &mine {
            let key = key_of(row);
            if !theirs.contains(&key) {
                gone.push(raw(key)?);
            }
        }
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            kept.push((raw(key_of(row))?, raw(row.to_string())?));
        }
        let images: Vec<Image> = gone
            .iter()
            .map(|key| Image {
                table: table.name,
                key,
                row: None,
            })
            .chain(kept.iter().map(|(key, row)| Image {
                table: table.name,
                key,
                row: Some(row),
            }))
            .collect();
        let images = serde_json::to_string(&images)
            .map_err(|e| StoreError::Decode(format!("resynced rows: {e}")))?;
        apply_images(conn, &images).await?;
        sqlx::query!("DELETE FROM sync_rebasing")
            .execute(&mut *conn)
            .await?;
        self.rebase_unsettled(&mut tx).await?;
        self.commit_write(tx).await
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let r = sqlx::query!(
            r#"SELECT
                 COALESCE(SUM(o.status = 'pending'), 0) AS "pending!: i64",
                 COALESCE(SUM(o.status = 'pending' AND o.conflict IS NOT NULL), 0) AS "conflicts!: i64",
                 COALESCE(SUM(o.status = 'rejected' AND i.resolved_at IS NULL), 0) AS "rejected!: i64",
                 COALESCE(SUM(o.status = 'held'), 0) AS "held!: i64",
                 COALESCE(SUM(o.status IN ('applied', 'duplicate')), 0) AS "applied!: i64"
               FROM outbox o LEFT JOIN sync_issues i ON i.command_id = o.command_id"#
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxCounts {
            pending: r.pending,
            likely_conflicts: r.conflicts,
            rejected: r.rejected,
            held: r.held,
            applied: r.applied,
        })
    }

    /// Rejected (and not yet settled), held and likely-conflicting commands, newest first:
    /// this workstation's part of the Sync issues list.
    pub async fn sync_issues(&self, page: PageRequest) -> Result<Page<SyncIssue>> {
        self.outbox_list(page, true).await
    }

    /// Every command this workstation recorded, newest first, each with its status and
    /// the hub's reason: the per-command view of sync.
    pub async fn sync_commands(&self, page: PageRequest) -> Result<Page<SyncIssue>> {
        self.outbox_list(page, false).await
    }

    async fn outbox_list(&self, page: PageRequest, issues_only: bool) -> Result<Page<SyncIssue>> {
        let page = page.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM outbox
               WHERE ?1 = 0 OR status = 'held' OR (status = 'pending' AND conflict IS NOT NULL)
                  OR (status = 'rejected' AND NOT EXISTS (
                        SELECT 1 FROM sync_issues i WHERE i.command_id = outbox.command_id AND i.resolved_at IS NOT NULL))"#,
            issues_only
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT o.seq AS "seq!", o.command_id, o.kind, o.recorded_at, o.status, o.result, o.conflict,
                      COALESCE(u.username, o.actor_id) AS "actor_name!: String"
               FROM outbox o LEFT JOIN users u ON u.id = o.actor_id
               WHERE ?3 = 0 OR o.status = 'held' OR (o.status = 'pending' AND o.conflict IS NOT NULL)
                  OR (o.status = 'rejected' AND NOT EXISTS (
                        SELECT 1 FROM sync_issues i WHERE i.command_id = o.command_id AND i.resolved_at IS NOT NULL))
               ORDER BY o.seq DESC LIMIT ?1 OFFSET ?2"#,
            limit,
            offset,
            issues_only
        )
        .fetch_all(&self.pool)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let outcome: Option<Outcome> = r
                .result
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Decode(format!("outbox result: {e}")))?;
            let (reason_code, message, details) = match outcome {
                Some(Outcome::Rejected {
                    reason_code,
                    details,
                    message,
                }) => (Some(reason_code), Some(message), details),
                Some(Outcome::Held { why }) => {
                    (Some("held".into()), Some(why), serde_json::json!({}))
                }
                _ => (
                    r.conflict.as_ref().map(|_| "likely_conflict".to_owned()),
                    r.conflict,
                    serde_json::json!({}),
                ),
            };
            items.push(SyncIssue {
                seq: r.seq,
                command_id: crate::users::parse_uuid(&r.command_id)?,
                kind: r.kind,
                recorded_at: parse_utc(&r.recorded_at)?,
                actor_name: r.actor_name,
                status: r.status,
                reason_code,
                message,
                details,
            });
        }
        Ok(Page::new(items, page, total.max(0) as u64))
    }

    /// A record's sync state (by its audit entity id: a sample's code, a box's id), from
    /// the outbox rows of the commands that changed it here.
    pub async fn record_sync_state(
        &self,
        entity_type: &str,
        entity_id: &str,
    ) -> Result<RecordSyncState> {
        let states = self
            .records_sync_state(entity_type, &[entity_id.to_owned()])
            .await?;
        Ok(states
            .into_iter()
            .next()
            .map_or(RecordSyncState::LocalOnly, |(_, state)| state))
    }

    /// The sync state of each of `entity_ids` (a box map's tubes, a desk's kits), in one
    /// query: the outbox rows of the commands whose audit rows name each record.
    pub async fn records_sync_state(
        &self,
        entity_type: &str,
        entity_ids: &[String],
    ) -> Result<Vec<(String, RecordSyncState)>> {
        let ids =
            serde_json::to_string(entity_ids).map_err(|e| StoreError::Decode(e.to_string()))?;
        let rows = sqlx::query!(
            r#"SELECT a.entity_id AS "entity_id!", o.status AS "status!"
               FROM audit_log a JOIN outbox o ON o.command_id = json_extract(a.context, '$.command_id')
               WHERE a.entity_type = ?1 AND a.entity_id IN (SELECT value FROM json_each(?2))
               ORDER BY a.entity_id, o.seq"#,
            entity_type,
            ids
        )
        .fetch_all(&self.pool)
        .await?;
        let mut statuses: HashMap<&str, Vec<OutboxStatus>> = entity_ids
            .iter()
            .map(|id| (id.as_str(), Vec::new()))
            .collect();
        for row in &rows {
            if let (Some(list), Some(status)) = (
                statuses.get_mut(row.entity_id.as_str()),
                OutboxStatus::parse(&row.status),
            ) {
                list.push(status);
            }
        }
        let syncing = self.is_syncing();
        Ok(entity_ids
            .iter()
            .map(|id| {
                let state = plan::record_state(&statuses[id.as_str()], syncing);
                (id.clone(), state)
            })
            .collect())
    }
}

/// The feed cursor of the hub this workstation is linked to; refused when it is not.
pub(crate) async fn linked_cursor(conn: &mut SqliteConnection) -> Result<i64> {
    sqlx::query_scalar!("SELECT cursor FROM sync_state")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Domain(DomainError::Refused("not connected to a hub".into())))
}

/// Starts applying the hub's rows in `conn`'s transaction: takes back every command the
/// hub has not settled (its undo images, newest first, in one statement).
async fn take_back_unsettled(conn: &mut SqliteConnection) -> Result<()> {
    // Rows of this workstation's own (owed labels, sessions) may point at lab rows that are
    // taken back and made again: their keys are checked at commit.
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    sqlx::query!("INSERT INTO sync_rebasing (singleton) VALUES (1)")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sync_inbox (tbl, key, row)
         SELECT tbl, jsonb(key), jsonb(before) FROM undo_log ORDER BY seq DESC",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM sync_inbox")
        .execute(&mut *conn)
        .await?;
    sqlx::query!("DELETE FROM undo_log")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes the hub's answers into the outbox, one statement for all of them; `settle`
/// marks them settled too (a pull carried them: never rebased again).
async fn record_results(
    conn: &mut SqliteConnection,
    results: &[CommandResult],
    now: &str,
    settle: bool,
) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    #[derive(Serialize)]
    struct Answer {
        id: Uuid,
        status: &'static str,
        result: String,
    }
    let answers = results
        .iter()
        .map(|r| {
            Ok(Answer {
                id: r.command_id,
                status: plan::status_of(r).as_str(),
                result: serde_json::to_string(&r.outcome)
                    .map_err(|e| StoreError::Decode(format!("outcome: {e}")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let answers = serde_json::to_string(&answers)
        .map_err(|e| StoreError::Decode(format!("outcomes: {e}")))?;
    sqlx::query(
        "UPDATE outbox SET status = a.value ->> 'status', result = a.value ->> 'result',
                decided_at = ?2, attempts = attempts + 1,
                settled = CASE WHEN ?3 THEN 1 ELSE settled END,
                conflict = CASE WHEN ?3 THEN NULL ELSE conflict END
         FROM json_each(?1) AS a WHERE outbox.command_id = a.value ->> 'id'",
    )
    .bind(answers)
    .bind(now)
    .bind(settle)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The actor a pending command runs under again: the user as this workstation now knows
/// them (pulled from the hub).
async fn actor_of(conn: &mut SqliteConnection, user_id: &str) -> Result<Option<Actor>> {
    let row = sqlx::query!("SELECT username, role FROM users WHERE id = ?1", user_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        // The system actor (first-run setup) is no user.
        return Ok((user_id == Uuid::nil().to_string()).then(Actor::system));
    };
    Ok(Some(Actor {
        user_id: crate::users::parse_uuid(user_id)?,
        username: row.username,
        role: Role::parse(&row.role)
            .ok_or_else(|| StoreError::Decode(format!("stored role {:?}", row.role)))?,
    }))
}

/// The sync cursor (0 before the first pull).
pub async fn cursor(store: &Store) -> Result<i64> {
    let row = sqlx::query("SELECT cursor FROM sync_state")
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| r.get::<i64, _>(0)).unwrap_or(0))
}

pub(crate) type SqliteQuery<'q> =
    sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds one snapshot value as SQLite would have read it out of `json_array`.
pub(crate) fn bind_value(
    query: SqliteQuery<'_>,
    value: serde_json::Value,
) -> Result<SqliteQuery<'_>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => query.bind(None::<String>),
        Value::Bool(b) => query.bind(b),
        Value::String(s) => query.bind(s),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => query.bind(i),
            (None, Some(f)) => query.bind(f),
            (None, None) => return Err(StoreError::Decode(format!("a snapshot number {n}"))),
        },
        Value::Array(_) | Value::Object(_) => {
            return Err(StoreError::Decode(
                "a snapshot value that is not a column's value".into(),
            ))
        }
    })
}
