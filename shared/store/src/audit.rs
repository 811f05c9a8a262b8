//! The audit trail in SQLite: one typed append, a paged chain verification, a paged list.
//! Rows cannot be changed or removed: triggers in the schema abort UPDATE and DELETE.

use crate::{format_utc, Result, Store};
use aliquot_domain::audit::{AuditEntry, ChainBreak, StoredAuditRow, GENESIS_HASH};
use aliquot_domain::paging::{Page, PageRequest, SortOrder};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// What an auditor narrows the trail to; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An action name as recorded ("register_kit", "login_failed").
    pub action: Option<String>,
    pub actor_name: Option<String>,
    /// The id of what was changed (a sample, a user, a session).
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}

/// Appends `entry` to the chain inside the caller's transaction; returns its sequence number.
/// The only function that writes `audit_log` (predecessor finding C-03).
/// The caller commits with `Store::commit_audited`, which moves the anchor to the new head.
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    entry: &AuditEntry,
) -> Result<crate::anchor::ChainPoint> {
    append_after(conn, entry, None).await
}

/// Appends after `head` when the caller holds the chain's head already (it appended the
/// last entry in this same write transaction), else after the newest entry stored.
pub(crate) async fn append_after(
    conn: &mut SqliteConnection,
    entry: &AuditEntry,
    head: Option<&crate::anchor::ChainPoint>,
) -> Result<crate::anchor::ChainPoint> {
    let (prev_seq, prev_hash) = match head {
        Some(head) => (head.seq, head.hash.clone()),
        None => {
            sqlx::query!(r#"SELECT seq AS "seq!", hash FROM audit_log ORDER BY seq DESC LIMIT 1"#)
                .fetch_optional(&mut *conn)
                .await?
                .map(|h| (h.seq, h.hash))
                .unwrap_or((0, GENESIS_HASH.to_owned()))
        }
    };
    let row = StoredAuditRow::chain(entry, prev_seq, &prev_hash);
    sqlx::query!(
        r#"INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity_type, entity_id,
                                  old_value, new_value, reason, context, prev_hash, hash)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"#,
        row.seq,
        row.at,
        row.actor_id,
        row.actor_name,
        row.action,
        row.entity_type,
        row.entity_id,
        row.old_value,
        row.new_value,
        row.reason,
        row.context,
        row.prev_hash,
        row.hash
    )
    .execute(&mut *conn)
    .await?;
    Ok(crate::anchor::ChainPoint {
        seq: row.seq,
        hash: row.hash,
    })
}

/// Result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainVerification {
    pub entries_checked: i64,
    pub first_break: Option<ChainBreak>,
    /// What the anchor check found (cut or re-chained entries, an altered anchor file).
    pub anchor_problems: Vec<String>,
}

impl Store {
    /// Walks the audit chain from the first entry, a batch at a time (constant memory), and
    /// reports the first broken link.
    /// What an auditor asks for: the whole chain walked from its first entry (nothing
    /// edited), and checked against its anchor outside the database (nothing cut, nothing
    /// re-chained). A backup copy has no anchor; only its chain is walked.
    pub async fn verify_audit_chain(&self) -> Result<ChainVerification> {
        let (entries_checked, first_break) = self
            .verify_audit_from(&crate::anchor::ChainPoint::genesis())
            .await?;
        let anchor_problems = match &self.anchor {
            // What the anchor file says now, not what it said at start-up.
            Some(anchor) => {
                self.check_audit_anchor(&anchor.current()?, false, false)
                    .await?
                    .problems
            }
            None => Vec::new(),
        };
        Ok(ChainVerification {
            entries_checked,
            first_break,
            anchor_problems,
        })
    }

    /// The chain's rows after `after_seq`, in order, as stored (what the hub checks).
    pub async fn audit_rows_after(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredAuditRow>> {
        Ok(sqlx::query_as!(
            StoredAuditRow,
            r#"SELECT seq AS "seq!", at, actor_id, actor_name, action, entity_type, entity_id,
                      old_value, new_value, reason, context, prev_hash, hash
               FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"#,
            after_seq,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of the audit trail, oldest or newest first, narrowed by `filter`.
    pub async fn list_audit(
        &self,
        request: PageRequest,
        order: SortOrder,
        filter: &AuditFilter,
    ) -> Result<Page<StoredAuditRow>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let order_key = order.sql();
        let (action, actor, entity) = (&filter.action, &filter.actor_name, &filter.entity_id);
        let from = filter.from.map(format_utc);
        let until = filter.until.map(format_utc);
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log
               WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor_name = ?2)
                 AND (?3 IS NULL OR entity_id = ?3) AND (?4 IS NULL OR at >= ?4)
                 AND (?5 IS NULL OR at < ?5)"#,
            action,
            actor,
            entity,
            from,
            until
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query_as!(
            StoredAuditRow,
            r#"SELECT seq AS "seq!", at, actor_id, actor_name, action, entity_type, entity_id,
                      old_value, new_value, reason, context, prev_hash, hash
               FROM audit_log
               WHERE (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR actor_name = ?5)
                 AND (?6 IS NULL OR entity_id = ?6) AND (?7 IS NULL OR at >= ?7)
                 AND (?8 IS NULL OR at < ?8)
               ORDER BY CASE WHEN ?3 = 'ASC' THEN seq END ASC,
                        CASE WHEN ?3 = 'DESC' THEN seq END DESC
               LIMIT ?1 OFFSET ?2"#,
            limit,
            offset,
            order_key,
            action,
            actor,
            entity,
            from,
            until
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::new(rows, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Number of entries in the audit trail.
    pub async fn audit_len(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM audit_log"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
