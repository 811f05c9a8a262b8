use thiserror::Error;

/// A change the domain refuses. Variants are in the lab's words; the API turns each into a
/// stable code and a message a technician can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("the first administrator already exists")]
    AlreadyInitialised,
    #[error("a user named {0} already exists")]
    UsernameTaken(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("this reset token is not valid")]
    ResetTokenInvalid,
    #[error("you cannot deactivate your own account")]
    CannotDeactivateSelf,
    #[error("the user is already deactivated")]
    AlreadyDeactivated,
    #[error("the last active administrator cannot be deactivated")]
    LastAdmin,
}

impl DomainError {
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}
