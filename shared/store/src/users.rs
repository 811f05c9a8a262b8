//! Accounts: the user-changing commands' apply functions and user queries.

use crate::executor::Change;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::account::{self, ResetTokenState, UserSort, UserState};
use aliquot_domain::paging::{Page, PageRequest, SortOrder};
use aliquot_domain::{Actor, DomainError, Role};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::SqliteConnection;
use uuid::Uuid;

/// A user as the rest of the application sees one (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

struct UserRow {
    id: String,
    username: String,
    display_name: String,
    role: String,
    active: i64,
    created_at: String,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(UserRecord {
            id: parse_uuid(&r.id)?,
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::Decode(format!("role {:?}", r.role)))?,
            username: r.username,
            display_name: r.display_name,
            active: r.active != 0,
            created_at: parse_utc(&r.created_at)?,
        })
    }
}

impl UserRecord {
    /// The audited view of a user: no secrets.
    fn audit_value(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.as_str(),
            "active": self.active,
        })
    }
    fn state(&self) -> UserState {
        UserState {
            id: self.id,
            role: self.role,
            active: self.active,
        }
    }
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Decode(format!("id {s:?}: {e}")))
}

async fn load(conn: &mut SqliteConnection, user_id: Uuid) -> Result<UserRecord> {
    let id = user_id.to_string();
    let row = sqlx::query_as!(
        UserRow,
        "SELECT id, username, display_name, role, active, created_at FROM users WHERE id = ?1",
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(DomainError::NotFound("user"))?;
    row.try_into()
}

async fn active_admins(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM users WHERE role = 'admin' AND active = 1"#
    )
    .fetch_one(conn)
    .await?)
}

pub(crate) async fn create_first_admin(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    username: &str,
    display_name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Change> {
    let existing = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM users"#)
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 {
        return Err(DomainError::AlreadyInitialised.into());
    }
    create_user(
        conn,
        user_id,
        username,
        display_name,
        Role::Admin,
        password_hash,
        now,
    )
    .await
}

pub(crate) async fn create_user(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Change> {
    let username = account::normalise_username(username)?;
    let display_name = account::validate_display_name(display_name)?;
    let taken = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM users WHERE username = ?1"#,
        username
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Err(DomainError::UsernameTaken(username).into());
    }
    let id = user_id.to_string();
    let role_name = role.as_str();
    let at = format_utc(now);
    sqlx::query!(
        r#"INSERT INTO users (id, username, display_name, role, password_hash, active, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)"#,
        id,
        username,
        display_name,
        role_name,
        password_hash,
        at
    )
    .execute(&mut *conn)
    .await?;
    let created = load(conn, user_id).await?;
    Ok(Change {
        entity_type: "user",
        entity_id: id,
        old: None,
        new: Some(created.audit_value()),
        subject_user_id: Some(user_id),
    })
}

pub(crate) async fn change_role(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Change> {
    let before = load(conn, user_id).await?;
    let admins = active_admins(conn).await?;
    account::check_role_change(&before.state(), role, admins)?;
    let id = user_id.to_string();
    let role_name = role.as_str();
    let at = format_utc(now);
    sqlx::query!(
        "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
        id,
        role_name,
        at
    )
    .execute(&mut *conn)
    .await?;
    let after = load(conn, user_id).await?;
    Ok(Change {
        entity_type: "user",
        entity_id: id,
        old: Some(before.audit_value()),
        new: Some(after.audit_value()),
        subject_user_id: Some(user_id),
    })
}

pub(crate) async fn deactivate(
    conn: &mut SqliteConnection,
    actor: &Actor,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Change> {
    let before = load(conn, user_id).await?;
    let admins = active_admins(conn).await?;
    account::check_deactivation(actor.user_id, &before.state(), admins)?;
    let id = user_id.to_string();
    let at = format_utc(now);
    sqlx::query!(
        "UPDATE users SET active = 0, deactivated_at = ?2, updated_at = ?2 WHERE id = ?1",
        id,
        at
    )
    .execute(&mut *conn)
    .await?;
    // Sessions also check `active`; revoking them too makes the end visible in the table.
    sqlx::query!(
        "UPDATE sessions SET revoked_at = ?2, revoked_why = 'user deactivated' WHERE user_id = ?1 AND revoked_at IS NULL",
        id,
        at
    )
    .execute(&mut *conn)
    .await?;
    let after = load(conn, user_id).await?;
    Ok(Change {
        entity_type: "user",
        entity_id: id,
        old: Some(before.audit_value()),
        new: Some(after.audit_value()),
        subject_user_id: Some(user_id),
    })
}

/// Opens a deactivated account again; an active one is refused (nothing to do, and the
/// request was likely meant for someone else).
pub(crate) async fn reactivate(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Change> {
    let before = load(conn, user_id).await?;
    if before.active {
        return Err(DomainError::Refused(format!(
            "{} is already active; only a deactivated account is reactivated",
            before.username
        ))
        .into());
    }
    let id = user_id.to_string();
    let at = format_utc(now);
    sqlx::query!(
        "UPDATE users SET active = 1, deactivated_at = NULL, updated_at = ?2 WHERE id = ?1",
        id,
        at
    )
    .execute(&mut *conn)
    .await?;
    let after = load(conn, user_id).await?;
    Ok(Change {
        entity_type: "user",
        entity_id: id,
        old: Some(before.audit_value()),
        new: Some(after.audit_value()),
        subject_user_id: Some(user_id),
    })
}

async fn set_password(
    conn: &mut SqliteConnection,
    user_id: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = user_id.to_string();
    let at = format_utc(now);
    let updated = sqlx::query!(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1 AND active = 1",
        id,
        password_hash,
        at
    )
    .execute(conn)
    .await?;
    if updated.rows_affected() == 1 {
        Ok(())
    } else {
        Err(DomainError::NotFound("user").into())
    }
}

pub(crate) async fn change_password(
    conn: &mut SqliteConnection,
    actor: &Actor,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Change> {
    set_password(conn, actor.user_id, password_hash, now).await?;
    Ok(Change {
        entity_type: "user",
        entity_id: actor.user_id.to_string(),
        old: None,
        new: Some(json!({ "password": "changed" })),
        subject_user_id: Some(actor.user_id),
    })
}

pub(crate) async fn issue_reset(
    conn: &mut SqliteConnection,
    actor: &Actor,
    user_id: Uuid,
    reset_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Change> {
    let target = load(conn, user_id).await?;
    if !target.active {
        return Err(DomainError::AlreadyDeactivated.into());
    }
    let (id, uid, by) = (
        reset_id.to_string(),
        user_id.to_string(),
        actor.user_id.to_string(),
    );
    let (issued, expires) = (format_utc(now), format_utc(expires_at));
    sqlx::query!(
        r#"INSERT INTO password_resets (id, token_hash, user_id, issued_by, issued_at, expires_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#,
        id,
        token_hash,
        uid,
        by,
        issued,
        expires
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "password_reset",
        entity_id: id,
        old: None,
        new: Some(json!({ "user": target.username, "expires_at": expires })),
        subject_user_id: Some(user_id),
    })
}

pub(crate) async fn redeem_reset(
    conn: &mut SqliteConnection,
    actor: &Actor,
    token_hash: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Change> {
    let row = sqlx::query!(
        r#"SELECT r.id, r.user_id, r.expires_at, r.used_at, u.active
           FROM password_resets r JOIN users u ON u.id = r.user_id
           WHERE r.token_hash = ?1"#,
        token_hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    let state = match &row {
        Some(r) => Some(ResetTokenState {
            user_id: parse_uuid(&r.user_id)?,
            expires_at: parse_utc(&r.expires_at)?,
            used: r.used_at.is_some(),
            user_active: r.active != 0,
        }),
        None => None,
    };
    let user_id = account::check_reset_redeemable(state.as_ref(), now)?;
    // The API builds the actor from the token's user; a mismatch is a bug, not a user error.
    if user_id != actor.user_id {
        return Err(DomainError::ResetTokenInvalid.into());
    }
    let reset_id = row.map(|r| r.id).unwrap_or_default();
    let at = format_utc(now);
    sqlx::query!(
        "UPDATE password_resets SET used_at = ?2 WHERE id = ?1",
        reset_id,
        at
    )
    .execute(&mut *conn)
    .await?;
    set_password(conn, user_id, password_hash, now).await?;
    let uid = user_id.to_string();
    sqlx::query!(
        "UPDATE sessions SET revoked_at = ?2, revoked_why = 'password reset' WHERE user_id = ?1 AND revoked_at IS NULL",
        uid,
        at
    )
    .execute(&mut *conn)
    .await?;
    Ok(Change {
        entity_type: "password_reset",
        entity_id: reset_id,
        old: None,
        new: Some(json!({ "used": true })),
        subject_user_id: Some(user_id),
    })
}

impl Store {
    pub async fn user_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM users"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn user(&self, user_id: Uuid) -> Result<UserRecord> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, user_id).await
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query_as!(
            UserRow,
            "SELECT id, username, display_name, role, active, created_at FROM users WHERE username = ?1",
            username
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(UserRecord::try_from).transpose()
    }

    /// The stored password hash of an active user, for verifying a password before a change.
    pub async fn password_hash_of(&self, user_id: Uuid) -> Result<Option<String>> {
        let id = user_id.to_string();
        Ok(sqlx::query_scalar!(
            "SELECT password_hash FROM users WHERE id = ?1 AND active = 1",
            id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn list_users(
        &self,
        request: PageRequest,
        sort: UserSort,
        order: SortOrder,
    ) -> Result<Page<UserRecord>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let sort_key = match (sort, order) {
            (UserSort::Username, SortOrder::Asc) => "username_asc",
            (UserSort::Username, SortOrder::Desc) => "username_desc",
            (UserSort::CreatedAt, SortOrder::Asc) => "created_asc",
            (UserSort::CreatedAt, SortOrder::Desc) => "created_desc",
        };
        let total = self.user_count().await?;
        let rows = sqlx::query_as!(
            UserRow,
            r#"SELECT id, username, display_name, role, active, created_at FROM users
               ORDER BY CASE WHEN ?3 = 'username_asc' THEN username END ASC,
                        CASE WHEN ?3 = 'username_desc' THEN username END DESC,
                        CASE WHEN ?3 = 'created_asc' THEN created_at END ASC,
                        CASE WHEN ?3 = 'created_desc' THEN created_at END DESC,
                        id
               LIMIT ?1 OFFSET ?2"#,
            limit,
            offset,
            sort_key
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(UserRecord::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Who a reset token belongs to, if it exists (redemption itself re-checks everything).
    pub async fn reset_token_owner(&self, token_hash: &str) -> Result<Option<UserRecord>> {
        let owner = sqlx::query_scalar!(
            "SELECT user_id FROM password_resets WHERE token_hash = ?1",
            token_hash
        )
        .fetch_optional(&self.pool)
        .await?;
        match owner {
            Some(id) => Ok(Some(self.user(parse_uuid(&id)?).await?)),
            None => Ok(None),
        }
    }
}
