//! The one error shape at the UI boundary: `{code, message, id}`.
//! Codes and messages are safe to show; details go to the log under the id.

use aliquot_domain::DomainError;
use aliquot_store::StoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    InvalidInput,
    Conflict,
    NotFound,
    LockedOut,
    InvalidCredentials,
    /// The workstation is at its limit for this kind of work (password checks); try again.
    Busy,
    /// A tube to place has not been received: the UI offers "receive and place".
    NotReceived,
    /// The hub did not answer (no network, hub down): the workstation keeps working and
    /// tries again.
    HubUnreachable,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code:?}: {message}")]
#[ts(export)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Set for internal errors: the reference to quote when asking for help, also in the log.
    pub id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            id: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidInput, message)
    }

    /// Logs the full error once, here at the boundary, and returns only a reference to it.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string()[20..].to_owned();
        tracing::error!(error_id = %id, error = %detail, "internal error");
        ApiError {
            code: ErrorCode::Internal,
            message: format!(
                "Something went wrong on this workstation; nothing was changed. Reference {id}."
            ),
            id: Some(id),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = match &e {
            DomainError::Invalid { .. }
            | DomainError::WrongPassword
            | DomainError::ResetTokenInvalid
            | DomainError::CannotDeactivateSelf
            | DomainError::CheckCharacterMismatch { .. }
            | DomainError::NotEnoughVolume { .. } => ErrorCode::InvalidInput,
            DomainError::AlreadyInitialised
            | DomainError::UsernameTaken(_)
            | DomainError::AlreadyDeactivated
            | DomainError::LastAdmin
            | DomainError::BlockUsedUp { .. }
            | DomainError::NoBlock { .. }
            | DomainError::BlockOverlap { .. }
            | DomainError::RangeOverlap { .. }
            | DomainError::RangeBelowUsed { .. }
            | DomainError::Taken(_)
            | DomainError::CodeTaken { .. }
            | DomainError::CodeNotIssued { .. }
            | DomainError::StaleStatus { .. }
            | DomainError::InvalidTransition { .. }
            | DomainError::PositionOccupied { .. }
            | DomainError::BoxFull
            | DomainError::NotEmpty { .. }
            | DomainError::Voided(_)
            | DomainError::Refused(_) => ErrorCode::Conflict,
            DomainError::NotFound(_) => ErrorCode::NotFound,
            DomainError::NotReceived { .. } => ErrorCode::NotReceived,
        };
        ApiError::new(code, sentence(&e.to_string()))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Forbidden(_) => {
                ApiError::new(ErrorCode::Forbidden, "Your role does not allow this.")
            }
            StoreError::Unauthenticated => ApiError::new(
                ErrorCode::Unauthenticated,
                "Your session has ended. Please sign in again.",
            ),
            StoreError::InvalidCredentials => ApiError::new(
                ErrorCode::InvalidCredentials,
                "The user name or password is not correct.",
            ),
            StoreError::LockedOut => ApiError::new(
                ErrorCode::LockedOut,
                "Too many failed sign-ins for this name. Try again in 15 minutes or ask an administrator.",
            ),
            StoreError::Busy => ApiError::new(
                ErrorCode::Busy,
                "The workstation is busy checking other sign-ins. Try again in a moment.",
            ),
            other @ (StoreError::Corrupt(_)
            | StoreError::Backup(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Io(_)
            | StoreError::Decode(_)
            | StoreError::SchemaNewer { .. }) => ApiError::internal(&other),
        }
    }
}

/// "no such user" → "No such user."
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// A lower-case error text from a library made into a sentence for people.
pub(crate) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>() + ".")
        .unwrap_or_default()
}
