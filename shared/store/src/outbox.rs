//! The outbox: every executed command, in order, waiting for the hub.

use crate::{format_utc, Result, Store};
use aliquot_domain::{Command, CommandKind};
use sqlx::SqliteConnection;
use uuid::Uuid;

pub(crate) struct OutboxEntry<'a> {
    pub command_id: Uuid,
    pub device_id: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub kind: CommandKind,
    pub schema_version: i64,
    pub actor_id: Uuid,
    pub command: &'a Command,
}

pub(crate) async fn append(conn: &mut SqliteConnection, entry: &OutboxEntry<'_>) -> Result<()> {
    let command_id = entry.command_id.to_string();
    let recorded_at = format_utc(entry.recorded_at);
    let kind = entry.kind.as_str();
    let actor_id = entry.actor_id.to_string();
    let payload = serde_json::to_string(entry.command)
        .map_err(|e| crate::StoreError::Decode(format!("command payload: {e}")))?;
    sqlx::query!(
        r#"INSERT INTO outbox (command_id, device_id, recorded_at, kind, schema_version, actor_id, payload)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#,
        command_id,
        entry.device_id,
        recorded_at,
        kind,
        entry.schema_version,
        actor_id,
        payload
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One outbox row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub command_id: String,
    pub device_id: String,
    pub recorded_at: String,
    pub kind: String,
    pub schema_version: i64,
    pub actor_id: String,
    pub payload: String,
}

impl Store {
    /// Commands the hub has not decided yet.
    pub async fn outbox_pending(&self) -> Result<i64> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM outbox WHERE status = 'pending'"#
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The oldest `limit` commands after `after_seq`, in order.
    pub async fn outbox_after(&self, after_seq: i64, limit: i64) -> Result<Vec<OutboxRow>> {
        Ok(sqlx::query_as!(
            OutboxRow,
            r#"SELECT seq AS "seq!", command_id, device_id, recorded_at, kind, schema_version, actor_id, payload
               FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2"#,
            after_seq,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
