//! Account rules: what a valid username and password are, how login throttling and
//! session expiry behave. Pure functions of their inputs and "now".

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Failures in a row (per username, whether or not the user exists) before a lockout.
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCKOUT: Duration = Duration::minutes(15);

/// A session ends after this long without a call...
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// ...and in any case this long after login.
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);

pub const RESET_TOKEN_LIFETIME: Duration = Duration::hours(1);

/// Usernames are compared case-insensitively; we store them lower-cased.
pub fn normalise_username(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim().to_lowercase();
    if name.len() < 2 || name.len() > 64 {
        return Err(DomainError::invalid(
            "username",
            "must be 2 to 64 characters",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(DomainError::invalid(
            "username",
            "may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(name)
}

pub fn validate_display_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(DomainError::invalid(
            "display_name",
            "must be 1 to 120 characters",
        ));
    }
    if name.chars().any(crate::registration::is_unsafe_text_char) {
        return Err(DomainError::invalid(
            "display_name",
            "must not contain control or text-direction characters",
        ));
    }
    Ok(name.to_owned())
}

/// Length is what makes a password strong (ASVS 6.2.1); no composition rules.
pub fn validate_new_password(password: &str, username: &str) -> Result<(), DomainError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(DomainError::invalid(
            "password",
            "must not contain the username",
        ));
    }
    Ok(())
}

/// Stored throttle state of one username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginThrottle {
    pub failures: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginThrottle {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The state after one more failed attempt. A lockout restarts the count.
    pub fn after_failure(self, now: DateTime<Utc>) -> LoginThrottle {
        let failures = if self.locked_until.is_some_and(|until| now >= until) {
            1
        } else {
            self.failures + 1
        };
        if failures >= MAX_FAILED_LOGINS {
            LoginThrottle {
                failures,
                locked_until: Some(now + LOCKOUT),
            }
        } else {
            LoginThrottle {
                failures,
                locked_until: None,
            }
        }
    }
}

/// Stored timestamps of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl SessionTimes {
    pub fn expires_at(&self) -> DateTime<Utc> {
        (self.last_seen_at + SESSION_IDLE).min(self.created_at + SESSION_ABSOLUTE)
    }
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap()
    }

    #[rstest]
    #[case("Alice", Ok("alice"))]
    #[case("  bob.smith ", Ok("bob.smith"))]
    #[case("a", Err(()))]
    #[case("ab", Ok("ab"))]
    #[case(&"x".repeat(64), Ok(&*Box::leak("x".repeat(64).into_boxed_str())))]
    #[case(&"x".repeat(65), Err(()))]
    #[case("robert'); drop", Err(()))]
    fn usernames(#[case] raw: &str, #[case] expected: Result<&str, ()>) {
        assert_eq!(
            normalise_username(raw).map_err(|_| ()),
            expected.map(str::to_owned)
        );
    }

    #[rstest]
    #[case("short", false)]
    #[case("correct horse battery", true)]
    #[case("alice-is-my-password", false)]
    // The length limits themselves.
    #[case(&"p".repeat(MIN_PASSWORD_CHARS - 1), false)]
    #[case(&"p".repeat(MIN_PASSWORD_CHARS), true)]
    #[case(&"p".repeat(MAX_PASSWORD_CHARS), true)]
    #[case(&"p".repeat(MAX_PASSWORD_CHARS + 1), false)]
    fn passwords(#[case] password: &str, #[case] ok: bool) {
        assert_eq!(validate_new_password(password, "alice").is_ok(), ok);
    }

    #[rstest]
    #[case("", false)]
    #[case("   ", false)]
    #[case("A", true)]
    #[case(&"é".repeat(120), true)]
    #[case(&"é".repeat(121), false)]
    #[case("Ada \u{202E}", false)]
    fn display_names(#[case] name: &str, #[case] ok: bool) {
        assert_eq!(validate_display_name(name).is_ok(), ok, "{name:?}");
    }

    #[test]
    fn lockout_after_max_failures_then_expires() {
        let mut t = LoginThrottle::default();
        for _ in 0..MAX_FAILED_LOGINS - 1 {
            t = t.after_failure(t0());
            assert!(!t.is_locked(t0()));
        }
        t = t.after_failure(t0());
        assert!(t.is_locked(t0()));
        assert!(t.is_locked(t0() + LOCKOUT - Duration::seconds(1)));
        assert!(!t.is_locked(t0() + LOCKOUT));
        // After the lockout the count starts again.
        let t = t.after_failure(t0() + LOCKOUT);
        assert_eq!(t.failures, 1);
    }

    #[test]
    fn session_idle_and_absolute_expiry() {
        let s = SessionTimes {
            created_at: t0(),
            last_seen_at: t0(),
        };
        assert!(!s.is_expired(t0() + SESSION_IDLE - Duration::seconds(1)));
        assert!(s.is_expired(t0() + SESSION_IDLE));
        // Kept alive by activity, it still ends at the absolute limit.
        let busy = SessionTimes {
            created_at: t0(),
            last_seen_at: t0() + SESSION_ABSOLUTE - Duration::minutes(1),
        };
        assert!(busy.is_expired(t0() + SESSION_ABSOLUTE));
    }
}

/// What the store loads about a user before deciding a change to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub id: uuid::Uuid,
    pub role: crate::Role,
    pub active: bool,
}

/// May `actor_id` deactivate `target`, with `active_admins` active administrators in all?
pub fn check_deactivation(
    actor_id: uuid::Uuid,
    target: &UserState,
    active_admins: i64,
) -> Result<(), DomainError> {
    if target.id == actor_id {
        return Err(DomainError::CannotDeactivateSelf);
    }
    if !target.active {
        return Err(DomainError::AlreadyDeactivated);
    }
    if target.role == crate::Role::Admin && active_admins <= 1 {
        return Err(DomainError::LastAdmin);
    }
    Ok(())
}

/// A role change may not leave the workstation without an active administrator.
pub fn check_role_change(
    target: &UserState,
    new_role: crate::Role,
    active_admins: i64,
) -> Result<(), DomainError> {
    if !target.active {
        return Err(DomainError::AlreadyDeactivated);
    }
    if target.role == crate::Role::Admin && new_role != crate::Role::Admin && active_admins <= 1 {
        return Err(DomainError::LastAdmin);
    }
    Ok(())
}

/// A stored reset token, as loaded for redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetTokenState {
    pub user_id: uuid::Uuid,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub user_active: bool,
}

/// Single use, unexpired, for an active user. Every failure reads the same to the caller.
pub fn check_reset_redeemable(
    token: Option<&ResetTokenState>,
    now: DateTime<Utc>,
) -> Result<uuid::Uuid, DomainError> {
    match token {
        Some(t) if !t.used && now < t.expires_at && t.user_active => Ok(t.user_id),
        _ => Err(DomainError::ResetTokenInvalid),
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::Role;
    use chrono::TimeZone;
    use rstest::rstest;
    use uuid::Uuid;

    fn user(n: u128, role: Role, active: bool) -> UserState {
        UserState {
            id: Uuid::from_u128(n),
            role,
            active,
        }
    }

    #[rstest]
    #[case(user(1, Role::Technician, true), 1, Ok(()))]
    #[case(
        user(9, Role::Technician, true),
        1,
        Err(DomainError::CannotDeactivateSelf)
    )]
    #[case(
        user(1, Role::Technician, false),
        1,
        Err(DomainError::AlreadyDeactivated)
    )]
    #[case(user(1, Role::Admin, true), 1, Err(DomainError::LastAdmin))]
    #[case(user(1, Role::Admin, true), 2, Ok(()))]
    fn deactivation(
        #[case] target: UserState,
        #[case] admins: i64,
        #[case] expected: Result<(), DomainError>,
    ) {
        assert_eq!(
            check_deactivation(Uuid::from_u128(9), &target, admins),
            expected
        );
    }

    #[rstest]
    #[case(
        user(1, Role::Admin, true),
        Role::Viewer,
        1,
        Err(DomainError::LastAdmin)
    )]
    #[case(user(1, Role::Admin, true), Role::Viewer, 2, Ok(()))]
    #[case(user(1, Role::Viewer, true), Role::Admin, 1, Ok(()))]
    #[case(
        user(1, Role::Viewer, false),
        Role::Admin,
        1,
        Err(DomainError::AlreadyDeactivated)
    )]
    fn role_change(
        #[case] target: UserState,
        #[case] role: Role,
        #[case] admins: i64,
        #[case] expected: Result<(), DomainError>,
    ) {
        assert_eq!(check_role_change(&target, role, admins), expected);
    }

    #[rstest]
    #[case(false, 10, true, true)]
    #[case(true, 10, true, false)]
    #[case(false, -1, true, false)]
    // Expiring at this very moment is expired.
    #[case(false, 0, true, false)]
    #[case(false, 10, false, false)]
    fn reset_redemption(
        #[case] used: bool,
        #[case] minutes_left: i64,
        #[case] user_active: bool,
        #[case] ok: bool,
    ) {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        let token = ResetTokenState {
            user_id: Uuid::from_u128(1),
            expires_at: now + Duration::minutes(minutes_left),
            used,
            user_active,
        };
        assert_eq!(check_reset_redeemable(Some(&token), now).is_ok(), ok);
        assert!(check_reset_redeemable(None, now).is_err());
    }
}

/// Fields a user list may be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum UserSort {
    Username,
    CreatedAt,
}
