//! Refusals as records of the lab: the hub writes one for each command it refuses, every
//! workstation pulls them, and `resolve_sync_issue` settles one. A workstation's own list
//! of what waits or was refused is the outbox (`sync.rs`); this is the lab's.

use crate::executor::{Change, Ctx};
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::command::SyncIssueResolution;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{DomainError, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// A command the hub refused, on whichever workstation, and how it was settled.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LabSyncIssue {
    pub command_id: Uuid,
    pub device_name: String,
    pub kind: String,
    pub actor_name: String,
    pub recorded_at: DateTime<Utc>,
    pub decided_at: DateTime<Utc>,
    pub reason_code: String,
    pub message: String,
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
    pub resolution: Option<SyncIssueResolution>,
    pub resolution_reason: Option<String>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub(crate) async fn resolve(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command_id: Uuid,
    resolution: SyncIssueResolution,
    reason: &str,
) -> Result<Change> {
    let id = command_id.to_string();
    let issue = sqlx::query!(
        "SELECT actor_id, resolution FROM sync_issues WHERE command_id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("sync issue"))?;
    // Whoever did it knows best what became of it; a lab manager settles anyone's.
    if issue.actor_id != ctx.actor.user_id.to_string() && ctx.actor.role != Role::LabManager {
        return Err(DomainError::Refused(
            "Only the person who did this, or a lab manager, may settle it.".into(),
        )
        .into());
    }
    if let Some(earlier) = issue.resolution {
        // Settled meanwhile on another workstation: recorded, nothing changed.
        return Ok(Change {
            entity_type: "sync_issue",
            entity_id: id,
            old: Some(json!({"resolution": earlier})),
            new: Some(json!({"resolution": resolution.as_str(), "already": true})),
            subject_user_id: None,
        });
    }
    let (how, by, at) = (
        resolution.as_str(),
        ctx.actor.user_id.to_string(),
        format_utc(ctx.now),
    );
    sqlx::query!(
        "UPDATE sync_issues SET resolution = ?1, resolution_reason = ?2, resolved_by = ?3, resolved_at = ?4
         WHERE command_id = ?5",
        how,
        reason,
        by,
        at,
        id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "sync_issue",
        entity_id: id,
        old: Some(json!({"resolution": null})),
        new: Some(json!({"resolution": how})),
        subject_user_id: None,
    })
}

impl Store {
    /// The lab's refused commands, every workstation's, newest first; `open_only` leaves out
    /// the settled ones.
    pub async fn lab_sync_issues(
        &self,
        open_only: bool,
        page: PageRequest,
    ) -> Result<Page<LabSyncIssue>> {
        let page = page.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM sync_issues WHERE ?1 = 0 OR resolved_at IS NULL"#,
            open_only
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT i.command_id AS "command_id!", i.device_name, i.kind, i.recorded_at, i.decided_at, i.reason_code,
                      i.message, i.details, i.resolution, i.resolution_reason, i.resolved_at,
                      COALESCE(a.username, i.actor_id) AS "actor_name!: String",
                      r.username AS resolved_by_name
               FROM sync_issues i
               LEFT JOIN users a ON a.id = i.actor_id
               LEFT JOIN users r ON r.id = i.resolved_by
               WHERE ?1 = 0 OR i.resolved_at IS NULL
               ORDER BY i.decided_at DESC, i.command_id DESC LIMIT ?2 OFFSET ?3"#,
            open_only,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let decode = |what: &str, e: serde_json::Error| StoreError::Decode(format!("{what}: {e}"));
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(LabSyncIssue {
                command_id: crate::users::parse_uuid(&r.command_id)?,
                device_name: r.device_name,
                kind: r.kind,
                actor_name: r.actor_name,
                recorded_at: parse_utc(&r.recorded_at)?,
                decided_at: parse_utc(&r.decided_at)?,
                reason_code: r.reason_code,
                message: r.message,
                details: serde_json::from_str(&r.details).map_err(|e| decode("details", e))?,
                resolution: r
                    .resolution
                    .map(|s| serde_json::from_value(json!(s)))
                    .transpose()
                    .map_err(|e| decode("resolution", e))?,
                resolution_reason: r.resolution_reason,
                resolved_by_name: r.resolved_by_name,
                resolved_at: r.resolved_at.as_deref().map(parse_utc).transpose()?,
            });
        }
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }
}
