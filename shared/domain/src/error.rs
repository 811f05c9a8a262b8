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
    #[error(
        "{code} has a wrong check character: it was mistyped or misread; scan or type it again"
    )]
    CheckCharacterMismatch { code: String },
    #[error(
        "this workstation's {kind} number block is used up; ask an administrator for a new block"
    )]
    BlockUsedUp { kind: &'static str },
    #[error("this workstation has no {kind} number block; ask an administrator to assign one")]
    NoBlock { kind: &'static str },
    #[error("the range overlaps the block {first}–{last} of workstation {device_id}")]
    BlockOverlap {
        first: i64,
        last: i64,
        device_id: String,
    },
    #[error("the range overlaps site {site}'s participant range {start}–{end}")]
    RangeOverlap { site: String, start: i64, end: i64 },
    #[error("the range must keep the numbers {low}–{high} already used or handed out")]
    RangeBelowUsed { low: i64, high: i64 },
    #[error("{0} is already taken")]
    Taken(String),
    #[error(
        "{code} is already used; scan the tube again or set it aside and tell the lab manager"
    )]
    CodeTaken { code: String },
    #[error("{code} was not issued to this workstation: it is on none of its number blocks or pre-printed rolls")]
    CodeNotIssued { code: String },
    #[error("the sample is {current}, not {expected} as expected; look again and decide on its current status")]
    StaleStatus {
        expected: &'static str,
        current: &'static str,
    },
    #[error("a sample cannot go from {from} to {to} by {via}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
        via: &'static str,
    },
    #[error("the parent has {have_ul} µL, the aliquots need {asked_ul} µL")]
    NotEnoughVolume { have_ul: u32, asked_ul: u64 },
    #[error("position {position} already holds {occupant}")]
    PositionOccupied { position: String, occupant: String },
    #[error(
        "{code} has not been received yet. Receive and place it in one step, or receive it \
         on the Receiving screen first."
    )]
    NotReceived { code: String },
    #[error("the box is full")]
    BoxFull,
    #[error("{what} still holds samples; move them out first")]
    NotEmpty { what: &'static str },
    #[error("{0} has been voided")]
    Voided(&'static str),
    #[error("{0}")]
    Refused(String),
}

impl DomainError {
    /// The stable name of the refusal, as a push answer and the Sync issues list carry it.
    pub fn reason_code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "invalid",
            DomainError::AlreadyInitialised => "already_initialised",
            DomainError::UsernameTaken(_) => "username_taken",
            DomainError::NotFound(_) => "not_found",
            DomainError::WrongPassword => "wrong_password",
            DomainError::ResetTokenInvalid => "reset_token_invalid",
            DomainError::CannotDeactivateSelf => "cannot_deactivate_self",
            DomainError::AlreadyDeactivated => "already_deactivated",
            DomainError::LastAdmin => "last_admin",
            DomainError::CheckCharacterMismatch { .. } => "check_character",
            DomainError::BlockUsedUp { .. } => "block_used_up",
            DomainError::NoBlock { .. } => "no_block",
            DomainError::BlockOverlap { .. } => "block_overlap",
            DomainError::RangeOverlap { .. } => "range_overlap",
            DomainError::RangeBelowUsed { .. } => "range_below_used",
            DomainError::Taken(_) => "taken",
            DomainError::CodeTaken { .. } => "code_taken",
            DomainError::CodeNotIssued { .. } => "code_not_issued",
            DomainError::StaleStatus { .. } => "stale_state",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::NotEnoughVolume { .. } => "not_enough_volume",
            DomainError::PositionOccupied { .. } => "position_occupied",
            DomainError::NotReceived { .. } => "not_received",
            DomainError::BoxFull => "box_full",
            DomainError::NotEmpty { .. } => "not_empty",
            DomainError::Voided(_) => "voided",
            DomainError::Refused(_) => "refused",
        }
    }

    /// What the refusal names, for the technician who must act on it (the occupant of a
    /// position, a sample's current status, the code that was taken).
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            DomainError::Invalid { field, problem } => json!({"field": field, "problem": problem}),
            DomainError::StaleStatus { expected, current } => {
                json!({"expected": expected, "current": current})
            }
            DomainError::PositionOccupied { position, occupant } => {
                json!({"position": position, "occupant": occupant})
            }
            DomainError::CodeTaken { code }
            | DomainError::CodeNotIssued { code }
            | DomainError::CheckCharacterMismatch { code }
            | DomainError::NotReceived { code } => json!({"code": code}),
            DomainError::InvalidTransition { from, to, via } => {
                json!({"from": from, "to": to, "via": via})
            }
            _ => json!({}),
        }
    }

    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}
