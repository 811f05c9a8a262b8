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
    #[error("{code} is not on a pre-printed roll registered at this workstation")]
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
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}
