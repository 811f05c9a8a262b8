//! The one command executor: the only path by which domain data changes.
//!
//! permission → BEGIN IMMEDIATE → load state + domain rule + write → audit entry → outbox
//! row → COMMIT. Any error before the commit drops the transaction, which rolls back
//! everything, so a refused command leaves no trace at all.

use crate::{audit, outbox, settings, users, Result, Store, StoreError};
use aliquot_domain::audit::{AuditAction, AuditContext, AuditEntry};
use aliquot_domain::{Actor, Command, COMMAND_SCHEMA_VERSION};
use sqlx::SqliteConnection;
use uuid::Uuid;

/// What a command changed, as the audit trail records it. Returned by each area's apply.
pub(crate) struct Change {
    pub entity_type: &'static str,
    pub entity_id: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub subject_user_id: Option<Uuid>,
}

/// The receipt of an executed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub command_id: Uuid,
    pub audit_seq: i64,
    pub entity_id: String,
}

impl Store {
    pub async fn execute(&self, actor: &Actor, command: Command) -> Result<Executed> {
        let kind = command.kind();
        let permission = kind.permission();
        if !actor.role.may(permission) {
            return Err(StoreError::Forbidden(permission));
        }
        let now = self.clock.now();
        let command_id = Uuid::now_v7();

        // IMMEDIATE takes the write lock now, so the state we load cannot change under us.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let change = apply(&mut tx, actor, &command, now).await?;
        let audit_seq = audit::append(
            &mut tx,
            &AuditEntry {
                actor_id: actor.user_id,
                actor_name: actor.username.clone(),
                at: now,
                action: AuditAction::of_command(kind),
                entity_type: change.entity_type,
                entity_id: change.entity_id.clone(),
                old_value: change.old,
                new_value: change.new,
                reason: command.reason().map(str::to_owned),
                context: AuditContext {
                    device_id: self.device_id.clone(),
                    command_id: Some(command_id),
                    subject_user_id: change.subject_user_id,
                },
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            &outbox::OutboxEntry {
                command_id,
                device_id: self.device_id.clone(),
                recorded_at: now,
                kind,
                schema_version: COMMAND_SCHEMA_VERSION,
                actor_id: actor.user_id,
                command: &command,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Executed {
            command_id,
            audit_seq,
            entity_id: change.entity_id,
        })
    }
}

/// Routes a command to its area. Exhaustive, so a new command kind cannot be forgotten.
async fn apply(
    conn: &mut SqliteConnection,
    actor: &Actor,
    command: &Command,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Change> {
    match command {
        Command::CreateFirstAdmin {
            user_id,
            username,
            display_name,
            password_hash,
        } => {
            users::create_first_admin(conn, *user_id, username, display_name, password_hash, now)
                .await
        }
        Command::CreateUser {
            user_id,
            username,
            display_name,
            role,
            password_hash,
        } => {
            users::create_user(
                conn,
                *user_id,
                username,
                display_name,
                *role,
                password_hash,
                now,
            )
            .await
        }
        Command::ChangeRole { user_id, role, .. } => {
            users::change_role(conn, *user_id, *role, now).await
        }
        Command::DeactivateUser { user_id, .. } => {
            users::deactivate(conn, actor, *user_id, now).await
        }
        Command::ChangePassword { password_hash } => {
            users::change_password(conn, actor, password_hash, now).await
        }
        Command::IssuePasswordReset {
            user_id,
            reset_id,
            token_hash,
            expires_at,
            ..
        } => {
            users::issue_reset(
                conn,
                actor,
                *user_id,
                *reset_id,
                token_hash,
                *expires_at,
                now,
            )
            .await
        }
        Command::RedeemPasswordReset {
            token_hash,
            password_hash,
        } => users::redeem_reset(conn, actor, token_hash, password_hash, now).await,
        Command::ChangeSetting { setting, .. } => {
            settings::change(conn, actor, setting.clone(), now).await
        }
    }
}
