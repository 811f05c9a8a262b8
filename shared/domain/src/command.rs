//! Commands: every change to domain data, as data. The store's one executor runs them;
//! the outbox carries them to the hub, which runs them again through the same rules.

use crate::access::{Permission, Role};
use crate::settings::Setting;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Version of the command payload format written to the outbox.
pub const COMMAND_SCHEMA_VERSION: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// The very first account, made on a fresh data directory. Refused once any user exists.
    CreateFirstAdmin {
        user_id: Uuid,
        username: String,
        display_name: String,
        /// argon2id PHC string; plain passwords never leave the API layer.
        password_hash: String,
    },
    CreateUser {
        user_id: Uuid,
        username: String,
        display_name: String,
        role: Role,
        password_hash: String,
    },
    ChangeRole {
        user_id: Uuid,
        role: Role,
        reason: String,
    },
    DeactivateUser {
        user_id: Uuid,
        reason: String,
    },
    /// The actor changes their own password (the API checked the current one).
    ChangePassword {
        password_hash: String,
    },
    IssuePasswordReset {
        user_id: Uuid,
        reset_id: Uuid,
        /// SHA-256 of the one-time token; the token itself is shown once to the admin.
        token_hash: String,
        expires_at: DateTime<Utc>,
        reason: String,
    },
    RedeemPasswordReset {
        token_hash: String,
        password_hash: String,
    },
    ChangeSetting {
        setting: Setting,
        reason: String,
    },
}

/// The kinds of command, for permissions, the outbox and tests that must cover all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    CreateFirstAdmin,
    CreateUser,
    ChangeRole,
    DeactivateUser,
    ChangePassword,
    IssuePasswordReset,
    RedeemPasswordReset,
    ChangeSetting,
}

impl CommandKind {
    pub const ALL: [CommandKind; 8] = [
        CommandKind::CreateFirstAdmin,
        CommandKind::CreateUser,
        CommandKind::ChangeRole,
        CommandKind::DeactivateUser,
        CommandKind::ChangePassword,
        CommandKind::IssuePasswordReset,
        CommandKind::RedeemPasswordReset,
        CommandKind::ChangeSetting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::CreateFirstAdmin => "create_first_admin",
            CommandKind::CreateUser => "create_user",
            CommandKind::ChangeRole => "change_role",
            CommandKind::DeactivateUser => "deactivate_user",
            CommandKind::ChangePassword => "change_password",
            CommandKind::IssuePasswordReset => "issue_password_reset",
            CommandKind::RedeemPasswordReset => "redeem_password_reset",
            CommandKind::ChangeSetting => "change_setting",
        }
    }

    /// What the actor's role must allow for this command.
    pub fn permission(self) -> Permission {
        match self {
            CommandKind::CreateFirstAdmin
            | CommandKind::CreateUser
            | CommandKind::ChangeRole
            | CommandKind::DeactivateUser => Permission::ManageUsers,
            CommandKind::ChangePassword | CommandKind::RedeemPasswordReset => {
                Permission::ChangeOwnPassword
            }
            CommandKind::IssuePasswordReset => Permission::ResetPasswords,
            CommandKind::ChangeSetting => Permission::ChangeSettings,
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::CreateFirstAdmin { .. } => CommandKind::CreateFirstAdmin,
            Command::CreateUser { .. } => CommandKind::CreateUser,
            Command::ChangeRole { .. } => CommandKind::ChangeRole,
            Command::DeactivateUser { .. } => CommandKind::DeactivateUser,
            Command::ChangePassword { .. } => CommandKind::ChangePassword,
            Command::IssuePasswordReset { .. } => CommandKind::IssuePasswordReset,
            Command::RedeemPasswordReset { .. } => CommandKind::RedeemPasswordReset,
            Command::ChangeSetting { .. } => CommandKind::ChangeSetting,
        }
    }

    /// The reason the user gave, if the command carries one; it goes into the audit entry.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Command::ChangeRole { reason, .. }
            | Command::DeactivateUser { reason, .. }
            | Command::IssuePasswordReset { reason, .. }
            | Command::ChangeSetting { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// A reason is required wherever the audit trail must say why (Annex 11 §9).
pub fn validate_reason(reason: &str) -> Result<String, crate::DomainError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::DomainError::invalid("reason", "please say why"));
    }
    if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(crate::DomainError::invalid(
            "reason",
            "must be at most 500 printable characters",
        ));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = CommandKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CommandKind::ALL.len());
    }

    #[test]
    fn serialized_kind_matches_kind_name() {
        let cmd = Command::ChangeSetting {
            setting: Setting::LabelCopies(2),
            reason: "r".into(),
        };
        let json = serde_json::to_value(&cmd).unwrap();
        assert_eq!(json["kind"], cmd.kind().as_str());
    }
}
