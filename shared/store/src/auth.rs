//! Sign-in, sessions and their end. Sessions are this workstation's security state, not
//! domain data: they are not commands and do not go to the outbox, but every sign-in,
//! failed sign-in and sign-out is written to the audit chain in the same transaction.

use crate::users::{parse_uuid, UserRecord};
use crate::{audit, format_utc, parse_utc, password, Result, Store, StoreError};
use aliquot_domain::account::{self, LoginThrottle, SessionTimes};
use aliquot_domain::audit::{AuditAction, AuditContext, AuditEntry};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::Actor;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use uuid::Uuid;

/// Session activity is written at most this often (a read is not a write).
pub const SESSION_SEEN_GRANULARITY: chrono::Duration = chrono::Duration::minutes(1);

/// A fresh random secret (256 bits) as hex: session tokens and reset tokens.
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Tokens are stored only as this hash.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An open session as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OpenSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: aliquot_domain::Role,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in session as the API sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_id: Uuid,
    pub user: UserRecord,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            username: self.user.username.clone(),
            role: self.user.role,
        }
    }
}

/// The name a sign-in is throttled and audited under: the normalised username, or for odd
/// input a bounded, printable form of it (odd input is still throttled and audited).
fn throttle_key(username: &str) -> String {
    account::normalise_username(username).unwrap_or_else(|_| {
        username
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect::<String>()
            .to_lowercase()
    })
}

/// A hash to verify against when the user does not exist, so that answering "no such user"
/// takes as long as "wrong password" (no account enumeration by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| password::hash_password("decoy password never matches").unwrap_or_default())
}

impl Store {
    /// Signs a user in. Every failure — unknown user, wrong password, deactivated account —
    /// answers `InvalidCredentials`; too many failures for the name answer `LockedOut`.
    ///
    /// The attempt is counted *before* the password is verified, in one write transaction
    /// with the lock check, so concurrent guesses cannot all pass the check first: at most
    /// `MAX_FAILED_LOGINS` verifications run per name and lockout, however many arrive.
    pub async fn login(&self, username: &str, password: &str) -> Result<(String, Session)> {
        let name = throttle_key(username);
        // A place in the hashing queue first: a caller turned away as busy has used nothing.
        let slot = self.passwords.reserve()?;
        if !self
            .count_attempt(&name, None, AuditAction::LoginFailed)
            .await?
        {
            return Err(StoreError::LockedOut);
        }
        let stored = sqlx::query!(
            "SELECT id, password_hash, active FROM users WHERE username = ?1",
            name
        )
        .fetch_optional(&self.pool)
        .await?;
        // Verify even when there is no such user, against a decoy hash.
        let hash = stored
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let password_ok = slot.verify(password.to_owned(), hash).await?;
        let user_id = match stored {
            Some(u) if password_ok && u.active != 0 => parse_uuid(&u.id)?,
            _ => {
                let locked = self
                    .record_failure(&name, None, AuditAction::LoginFailed, "wrong credentials")
                    .await?;
                return Err(if locked {
                    StoreError::LockedOut
                } else {
                    StoreError::InvalidCredentials
                });
            }
        };

        let token = new_token();
        let hash = token_hash(&token);
        let session_id = Uuid::now_v7();
        let (sid, uid, at) = (
            session_id.to_string(),
            user_id.to_string(),
            format_utc(self.clock.now()),
        );
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query!("DELETE FROM login_throttle WHERE username = ?1", name)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            sid,
            hash,
            uid,
            at
        )
        .execute(&mut *tx)
        .await?;
        let head = audit::append(
            &mut tx,
            &self.security_entry(user_id, &name, AuditAction::LoginSucceeded, &sid, None),
        )
        .await?;
        self.commit_audited(tx, head).await?;
        let session = self.session(&token).await?;
        Ok((token, session))
    }

    /// Checks the signed-in user's current password before a change, throttled and audited
    /// like a sign-in under the same name: a stolen open session cannot guess it.
    pub async fn check_own_password(&self, actor: &Actor, password: &str) -> Result<()> {
        let slot = self.passwords.reserve()?;
        let name = throttle_key(&actor.username);
        if !self
            .count_attempt(
                &name,
                Some(actor.user_id),
                AuditAction::PasswordChangeRefused,
            )
            .await?
        {
            return Err(StoreError::LockedOut);
        }
        let stored = self
            .password_hash_of(actor.user_id)
            .await?
            .ok_or(StoreError::Unauthenticated)?;
        if slot.verify(password.to_owned(), stored).await? {
            sqlx::query!("DELETE FROM login_throttle WHERE username = ?1", name)
                .execute(&self.pool)
                .await?;
            return Ok(());
        }
        if self
            .record_failure(
                &name,
                Some(actor.user_id),
                AuditAction::PasswordChangeRefused,
                "wrong current password",
            )
            .await?
        {
            return Err(StoreError::LockedOut);
        }
        Err(aliquot_domain::DomainError::WrongPassword.into())
    }

    /// An argon2id hash of a new password, on the bounded hashing threads (or `Busy`).
    pub async fn hash_new_password(&self, password: &str) -> Result<String> {
        self.passwords.reserve()?.hash(password.to_owned()).await
    }

    /// Counts one attempt for `name` (as a failure until it succeeds). False when the name
    /// is locked: the refusal is audited in the same transaction and nothing is verified.
    async fn count_attempt(
        &self,
        name: &str,
        user: Option<Uuid>,
        refused: AuditAction,
    ) -> Result<bool> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = self.clock.now();
        let row = sqlx::query!(
            "SELECT failures, locked_until FROM login_throttle WHERE username = ?1",
            name
        )
        .fetch_optional(&mut *tx)
        .await?;
        let before = match row {
            Some(r) => LoginThrottle {
                failures: r.failures,
                locked_until: r.locked_until.as_deref().map(parse_utc).transpose()?,
            },
            None => LoginThrottle::default(),
        };
        if before.is_locked(now) {
            // A locked name stays locked until its time runs out; attempts do not extend it.
            let head = audit::append(
                &mut tx,
                &self.attempt_entry(name, user, refused, "locked out"),
            )
            .await?;
            self.commit_audited(tx, head).await?;
            return Ok(false);
        }
        let after = before.after_failure(now);
        let locked_until = after.locked_until.map(format_utc);
        let at = format_utc(now);
        sqlx::query!(
            r#"INSERT INTO login_throttle (username, failures, locked_until, last_failure) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (username) DO UPDATE SET failures = excluded.failures,
                   locked_until = excluded.locked_until, last_failure = excluded.last_failure"#,
            name,
            after.failures,
            locked_until,
            at
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Audits a failed attempt that `count_attempt` already counted. True when the name is
    /// now locked.
    async fn record_failure(
        &self,
        name: &str,
        user: Option<Uuid>,
        action: AuditAction,
        why: &str,
    ) -> Result<bool> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let locked_until = sqlx::query_scalar!(
            "SELECT locked_until FROM login_throttle WHERE username = ?1",
            name
        )
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
        let throttle = LoginThrottle {
            failures: 0,
            locked_until: locked_until.as_deref().map(parse_utc).transpose()?,
        };
        let head = audit::append(&mut tx, &self.attempt_entry(name, user, action, why)).await?;
        self.commit_audited(tx, head).await?;
        Ok(throttle.is_locked(self.clock.now()))
    }

    /// A failed sign-in is recorded under the name tried (there may be no such user); a
    /// refused password change under the signed-in user, so it is found with that user.
    fn attempt_entry(
        &self,
        name: &str,
        user: Option<Uuid>,
        action: AuditAction,
        why: &str,
    ) -> AuditEntry {
        match user {
            Some(id) => self.device_entry(id, name, action, "user", &id.to_string(), Some(why)),
            None => self.security_entry(Uuid::nil(), name, action, name, Some(why)),
        }
    }

    fn security_entry(
        &self,
        actor_id: Uuid,
        actor_name: &str,
        action: AuditAction,
        entity_id: &str,
        reason: Option<&str>,
    ) -> AuditEntry {
        self.device_entry(actor_id, actor_name, action, "session", entity_id, reason)
    }

    /// An audit entry for this workstation's own state (sessions, the print queue), which
    /// changes outside the executor and is never synced, but is still accounted for.
    pub(crate) fn device_entry(
        &self,
        actor_id: Uuid,
        actor_name: &str,
        action: AuditAction,
        entity_type: &'static str,
        entity_id: &str,
        reason: Option<&str>,
    ) -> AuditEntry {
        AuditEntry {
            actor_id,
            actor_name: actor_name.to_owned(),
            at: self.clock.now(),
            action,
            entity_type,
            entity_id: entity_id.to_owned(),
            old_value: None,
            new_value: None,
            reason: reason.map(str::to_owned),
            context: AuditContext {
                device_id: self.device_id.clone(),
                command_id: None,
                subject_user_id: (!actor_id.is_nil()).then_some(actor_id),
            },
        }
    }

    /// The session behind `token`, if it is valid now: not revoked, not expired, and its user
    /// active (predecessor finding C-01). Each valid call extends the idle window.
    /// Whether the session behind `token` is still valid, without counting as activity:
    /// an open event stream asks this and must not keep an idle session alive.
    pub async fn session_is_open(&self, token: &str) -> Result<bool> {
        let hash = token_hash(token);
        let row = sqlx::query!(
            r#"SELECT s.created_at, s.last_seen_at, s.revoked_at, u.active
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.token_hash = ?1"#,
            hash
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let times = SessionTimes {
            created_at: parse_utc(&row.created_at)?,
            last_seen_at: parse_utc(&row.last_seen_at)?,
        };
        Ok(row.revoked_at.is_none() && row.active != 0 && !times.is_expired(self.clock.now()))
    }

    pub async fn session(&self, token: &str) -> Result<Session> {
        let hash = token_hash(token);
        let row = sqlx::query!(
            r#"SELECT s.id, s.created_at, s.last_seen_at, s.revoked_at,
                      u.id AS user_id, u.username, u.display_name, u.role, u.active, u.created_at AS user_created_at
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.token_hash = ?1"#,
            hash
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::Unauthenticated)?;
        let now = self.clock.now();
        let times = SessionTimes {
            created_at: parse_utc(&row.created_at)?,
            last_seen_at: parse_utc(&row.last_seen_at)?,
        };
        if row.revoked_at.is_some() || row.active == 0 || times.is_expired(now) {
            return Err(StoreError::Unauthenticated);
        }
        // A read must not depend on a write: the idle window is extended at most once a
        // minute, best effort and briefly, so a held write lock or a full disk does not fail
        // `whoami` (a missed update only shortens the idle window).
        let refreshed = if now - times.last_seen_at >= SESSION_SEEN_GRANULARITY {
            let seen = format_utc(now);
            let update = sqlx::query!(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
                row.id,
                seen
            )
            .execute(&self.pool);
            match tokio::time::timeout(std::time::Duration::from_millis(250), update).await {
                Ok(Ok(_)) => SessionTimes {
                    last_seen_at: now,
                    ..times
                },
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not record session activity");
                    times
                }
                Err(_) => {
                    tracing::warn!("session activity not recorded: the database is busy");
                    times
                }
            }
        } else {
            times
        };
        Ok(Session {
            session_id: parse_uuid(&row.id)?,
            expires_at: refreshed.expires_at(),
            user: UserRecord {
                id: parse_uuid(&row.user_id)?,
                username: row.username,
                display_name: row.display_name,
                role: aliquot_domain::Role::parse(&row.role)
                    .ok_or_else(|| StoreError::Decode(format!("role {:?}", row.role)))?,
                active: true,
                created_at: parse_utc(&row.user_created_at)?,
            },
        })
    }

    /// The sessions that are open now (not signed out or revoked, not expired, their user
    /// active), most recently used first. Tokens are never shown; only their sessions' ids.
    pub async fn open_sessions(&self, request: PageRequest) -> Result<Page<OpenSession>> {
        let page = request.validate()?;
        let now = self.clock.now();
        let idle_since = format_utc(now - account::SESSION_IDLE);
        let born_since = format_utc(now - account::SESSION_ABSOLUTE);
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.revoked_at IS NULL AND u.active = 1 AND s.last_seen_at > ?1 AND s.created_at > ?2"#,
            idle_since,
            born_since
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            r#"SELECT s.id, s.created_at, s.last_seen_at, u.id AS user_id, u.username, u.display_name, u.role
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.revoked_at IS NULL AND u.active = 1 AND s.last_seen_at > ?1 AND s.created_at > ?2
               ORDER BY s.last_seen_at DESC, s.id LIMIT ?3 OFFSET ?4"#,
            idle_since,
            born_since,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let times = SessionTimes {
                    created_at: parse_utc(&r.created_at)?,
                    last_seen_at: parse_utc(&r.last_seen_at)?,
                };
                Ok(OpenSession {
                    id: parse_uuid(&r.id)?,
                    user_id: parse_uuid(&r.user_id)?,
                    username: r.username,
                    display_name: r.display_name,
                    role: aliquot_domain::Role::parse(&r.role)
                        .ok_or_else(|| StoreError::Decode(format!("role {:?}", r.role)))?,
                    created_at: times.created_at,
                    last_seen_at: times.last_seen_at,
                    expires_at: times.expires_at(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Ends someone's session (a workstation left signed in, a lost badge); audited with the
    /// reason. Ending an already ended session is "not found", so nothing is recorded twice.
    pub async fn revoke_session(
        &self,
        actor: &Actor,
        session_id: Uuid,
        reason: &str,
    ) -> Result<()> {
        let (sid, at) = (session_id.to_string(), format_utc(self.clock.now()));
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query!(
            "UPDATE sessions SET revoked_at = ?2, revoked_why = 'revoked by an administrator' WHERE id = ?1 AND revoked_at IS NULL",
            sid,
            at
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(aliquot_domain::DomainError::NotFound("open session").into());
        }
        let head = audit::append(
            &mut tx,
            &self.device_entry(
                actor.user_id,
                &actor.username,
                AuditAction::SessionRevoked,
                "session",
                &sid,
                Some(reason),
            ),
        )
        .await?;
        self.commit_audited(tx, head).await?;
        Ok(())
    }

    /// Ends the session behind `token`; the next call with it is refused.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let session = self.session(token).await?;
        let (sid, at) = (session.session_id.to_string(), format_utc(self.clock.now()));
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query!(
            "UPDATE sessions SET revoked_at = ?2, revoked_why = 'signed out' WHERE id = ?1",
            sid,
            at
        )
        .execute(&mut *tx)
        .await?;
        let head = audit::append(
            &mut tx,
            &self.security_entry(
                session.user.id,
                &session.user.username,
                AuditAction::Logout,
                &sid,
                None,
            ),
        )
        .await?;
        self.commit_audited(tx, head).await?;
        Ok(())
    }
}

/// Ends every open session of `user_id` but `keep`, in the caller's transaction.
pub(crate) async fn end_other_sessions(
    conn: &mut sqlx::SqliteConnection,
    user_id: Uuid,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let (uid, keep, at) = (user_id.to_string(), keep.to_string(), format_utc(now));
    sqlx::query!(
        "UPDATE sessions SET revoked_at = ?3, revoked_why = 'password changed' WHERE user_id = ?1 AND id <> ?2 AND revoked_at IS NULL",
        uid,
        keep,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// When each (user, permission) refusal was last written to the audit trail, and how many
/// were refused since. Bounded: old keys are dropped once it grows.
#[derive(Default)]
pub(crate) struct RefusalLog {
    last: std::collections::HashMap<(Uuid, aliquot_domain::Permission), (DateTime<Utc>, u32)>,
}

/// One audit entry per user and permission in this window; the ones in between are counted
/// in the next entry, so a script hammering a forbidden call cannot flood the trail.
pub const REFUSAL_AUDIT_WINDOW: chrono::Duration = chrono::Duration::minutes(1);
const REFUSAL_LOG_KEYS: usize = 4096;

impl RefusalLog {
    /// `Some(n)` when this refusal is to be written, `n` being the refusals not written
    /// since the last entry for the key; `None` when it is only counted.
    fn note(&mut self, key: (Uuid, aliquot_domain::Permission), now: DateTime<Utc>) -> Option<u32> {
        if self.last.len() >= REFUSAL_LOG_KEYS {
            self.last
                .retain(|_, (at, _)| now - *at < REFUSAL_AUDIT_WINDOW);
        }
        match self.last.get_mut(&key) {
            Some((at, skipped)) if now - *at < REFUSAL_AUDIT_WINDOW => {
                *skipped += 1;
                None
            }
            Some((at, skipped)) => {
                let before = *skipped;
                *at = now;
                *skipped = 0;
                Some(before)
            }
            None => {
                self.last.insert(key, (now, 0));
                Some(0)
            }
        }
    }
}

impl Store {
    /// Audits a permission refusal (Part 11 §11.10(d), ASVS 16.3.2), rate-limited per user
    /// and permission. Best effort: a refusal is answered whether or not this is written.
    pub async fn record_refusal(&self, actor: &Actor, permission: aliquot_domain::Permission) {
        let now = self.clock.now();
        let skipped = match self.refusals.lock() {
            Ok(mut log) => log.note((actor.user_id, permission), now),
            Err(_) => Some(0),
        };
        let Some(skipped) = skipped else { return };
        // The permission's name as the API spells it ("manage_users").
        let what = serde_json::to_value(permission)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{permission:?}"));
        let mut why = format!("the role {} may not {what}", actor.role.as_str());
        if skipped > 0 {
            why.push_str(&format!(
                " ({skipped} more refused in the minute before, not recorded one by one)"
            ));
        }
        let entry = self.device_entry(
            actor.user_id,
            &actor.username,
            AuditAction::PermissionDenied,
            "user",
            &actor.user_id.to_string(),
            Some(&why),
        );
        let written = async {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let head = audit::append(&mut tx, &entry).await?;
            self.commit_audited(tx, head).await?;
            Ok::<_, StoreError>(())
        };
        if let Err(e) = written.await {
            tracing::warn!(error = %e, "could not audit a refused request");
        }
    }
}
