//! Notifications: written inside the command that causes them; each belongs to one user,
//! and every read or change filters by that owner (finding I-11).

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::DomainError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub kind: String,
    pub message: String,
    pub entity_type: String,
    pub entity_id: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One notification to write. Inside a command, `id` is derived from the command's id
/// (`aliquot_domain::derived_id`), so the hub's replay writes the same row.
pub(crate) struct Notify<'a> {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub message: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
}

pub(crate) async fn notify(conn: &mut SqliteConnection, n: Notify<'_>) -> Result<()> {
    let id = n.id.to_string();
    let at = format_utc(n.at);
    sqlx::query!(
        "INSERT INTO notifications (id, user_id, kind, message, entity_type, entity_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        id, n.user_id, n.kind, n.message, n.entity_type, n.entity_id, at
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn mark_read(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    notification_id: Uuid,
) -> Result<Applied> {
    let (id, owner, at) = (
        notification_id.to_string(),
        ctx.actor.user_id.to_string(),
        format_utc(ctx.now),
    );
    // Someone else's notification is "not found", exactly like one that does not exist.
    let found = sqlx::query!(
        "SELECT read_at, kind FROM notifications WHERE id = ?1 AND user_id = ?2",
        id,
        owner
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DomainError::NotFound("notification"))?;
    let read_at = found.read_at;
    if read_at.is_none() {
        sqlx::query!(
            "UPDATE notifications SET read_at = ?1 WHERE id = ?2 AND user_id = ?3",
            at,
            id,
            owner
        )
        .execute(&mut *conn)
        .await?;
    }
    let mut applied = Applied::from(Change {
        entity_type: "notification",
        entity_id: id,
        old: Some(json!({"read": read_at.is_some()})),
        new: Some(json!({"read": true})),
        subject_user_id: Some(ctx.actor.user_id),
    });
    // A notice only this workstation holds is read here alone: the hub has no such row.
    applied.local = crate::lab_tables::is_workstation_notification(&found.kind);
    Ok(applied)
}

impl Store {
    /// The user's own notifications, newest first.
    pub async fn notifications(
        &self,
        user_id: Uuid,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<Page<NotificationRecord>> {
        let page = page.validate()?;
        let (owner, unread, limit, offset) = (
            user_id.to_string(),
            i64::from(unread_only),
            page.limit(),
            page.offset(),
        );
        let total = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND (?2 = 0 OR read_at IS NULL)",
            owner,
            unread
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!", kind, message, entity_type, entity_id, created_at, read_at FROM notifications
               WHERE user_id = ?1 AND (?2 = 0 OR read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"#,
            owner, unread, limit, offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(NotificationRecord {
                    id: parse_uuid(&r.id)?,
                    kind: r.kind,
                    message: r.message,
                    entity_type: r.entity_type,
                    entity_id: r.entity_id,
                    created_at: parse_utc(&r.created_at)?,
                    read_at: r.read_at.as_deref().map(parse_utc).transpose()?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }
}
