//! Samples: types, kits, lineage, and the one state machine for sample status.
//!
//! Every status change anywhere (the UI, placement, check-out and check-in, aliquoting,
//! discard approval, and later the hub's replay) asks [`transition`], which consults the
//! single table [`VALID_TRANSITIONS`]. Each entry also names the path that may take it, so
//! "stored" is reached only by placing a tube and "disposed" only by an approved discard.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A kind of material a tube holds, by its code (`plasma`, `buffy_coat`). The lab keeps its
/// own list (the store's `sample_types` table, each with the short code printed on labels);
/// a command naming a type the lab does not have, or has retired, is refused by the store.
// A newtype struct is its inner string on the wire (serde's rule for newtypes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SampleType(String);

impl SampleType {
    /// The types every lab starts with (migration 0019 writes them with these short codes).
    pub const PLASMA: &'static str = "plasma";
    pub const SERUM: &'static str = "serum";
    pub const WHOLE_BLOOD: &'static str = "whole_blood";
    pub const BUFFY_COAT: &'static str = "buffy_coat";
    pub const URINE: &'static str = "urine";
    pub const SALIVA: &'static str = "saliva";

    /// A type by its code, as stored; whether the lab has it is the store's question.
    pub fn new(code: impl Into<String>) -> Self {
        SampleType(code.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new sample type's code, short code and name, checked. The code is stored on every
/// tube and the short code printed on its label, so both are plain and short.
pub fn validate_sample_type(
    code: &str,
    short_code: &str,
    label: &str,
) -> Result<(String, String, String), DomainError> {
    let code = code.trim();
    let code_ok = (1..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        return Err(DomainError::invalid(
            "code",
            "1 to 32 lower-case letters, digits or _, starting with a letter (e.g. csf or pbmc_viable)",
        ));
    }
    let short = short_code.trim();
    let short_ok = (2..=4).contains(&short.len())
        && short
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !short_ok {
        return Err(DomainError::invalid(
            "short_code",
            "2 to 4 capital letters or digits, printed on every label (e.g. CS)",
        ));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 40 {
        return Err(DomainError::invalid(
            "label",
            "a name of 1 to 40 characters",
        ));
    }
    Ok((code.to_owned(), short.to_owned(), label.to_owned()))
}

macro_rules! statuses {
    ($($variant:ident => $name:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        #[ts(export)]
        pub enum SampleStatus { $($variant),* }

        impl SampleStatus {
            pub const ALL: &'static [SampleStatus] = &[$(SampleStatus::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $(SampleStatus::$variant => $name),* }
            }
            pub fn parse(s: &str) -> Option<SampleStatus> {
                SampleStatus::ALL.iter().copied().find(|t| t.as_str() == s)
            }
        }
    };
}

statuses! {
    Collected => "collected";
    InTransit => "in_transit";
    Received => "received";
    Processing => "processing";
    Stored => "stored";
    CheckedOut => "checked_out";
    Depleted => "depleted";
    Disposed => "disposed";
}

impl SampleStatus {
    /// Whether a sample in this status keeps a storage position. A checked-out tube keeps
    /// its position reserved so it goes back where it came from.
    pub fn holds_position(self) -> bool {
        matches!(self, SampleStatus::Stored | SampleStatus::CheckedOut)
    }
}

/// How a new sample came to be; the domain, not the caller, picks its first status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Collected from a participant (a kit registration).
    Collection,
    /// Made in the lab from a parent tube (aliquot or derivative).
    Aliquot,
}

pub fn initial_status(origin: Origin) -> SampleStatus {
    match origin {
        Origin::Collection => SampleStatus::Collected,
        // An aliquot is made at the bench: it is already in the lab's hands.
        Origin::Aliquot => SampleStatus::Received,
    }
}

/// The path a status change comes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Via {
    /// A technician's explicit status change.
    Manual,
    /// Receiving tubes by scanning them at the bench, in a batch or as a placement's first
    /// step ("receive and place").
    Receipt,
    /// Putting a tube into a box position.
    Placement,
    CheckOut,
    CheckIn,
    /// Aliquoting used up the parent's volume.
    Aliquot,
    /// A lab manager approved a discard request.
    Discard,
    /// A stored tube taken out of its box onto the bench, for good (not a check-out).
    Unplace,
}

impl Via {
    pub const ALL: [Via; 8] = [
        Via::Manual,
        Via::Receipt,
        Via::Placement,
        Via::CheckOut,
        Via::CheckIn,
        Via::Aliquot,
        Via::Discard,
        Via::Unplace,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Manual => "manual",
            Via::Receipt => "receipt",
            Via::Placement => "placement",
            Via::CheckOut => "check_out",
            Via::CheckIn => "check_in",
            Via::Aliquot => "aliquot",
            Via::Discard => "discard",
            Via::Unplace => "unplace",
        }
    }
}

use SampleStatus as S;

/// THE table of valid status changes: (from, to, the path allowed to make it).
pub const VALID_TRANSITIONS: &[(SampleStatus, SampleStatus, Via)] = &[
    (S::Collected, S::InTransit, Via::Manual),
    (S::Collected, S::Received, Via::Manual),
    (S::InTransit, S::Received, Via::Manual),
    (S::Collected, S::Received, Via::Receipt),
    (S::InTransit, S::Received, Via::Receipt),
    (S::Received, S::InTransit, Via::Manual),
    (S::Received, S::Processing, Via::Manual),
    (S::Received, S::Depleted, Via::Manual),
    (S::Processing, S::Received, Via::Manual),
    (S::Processing, S::Depleted, Via::Manual),
    (S::CheckedOut, S::Depleted, Via::Manual),
    (S::Received, S::Stored, Via::Placement),
    (S::Processing, S::Stored, Via::Placement),
    (S::Stored, S::CheckedOut, Via::CheckOut),
    (S::CheckedOut, S::Stored, Via::CheckIn),
    (S::Stored, S::Received, Via::Unplace),
    (S::Received, S::Depleted, Via::Aliquot),
    (S::Processing, S::Depleted, Via::Aliquot),
    (S::Stored, S::Depleted, Via::Aliquot),
    (S::CheckedOut, S::Depleted, Via::Aliquot),
    (S::Collected, S::Disposed, Via::Discard),
    (S::InTransit, S::Disposed, Via::Discard),
    (S::Received, S::Disposed, Via::Discard),
    (S::Processing, S::Disposed, Via::Discard),
    (S::Stored, S::Disposed, Via::Discard),
    (S::CheckedOut, S::Disposed, Via::Discard),
    (S::Depleted, S::Disposed, Via::Discard),
];

/// The statuses `from` may go to through `via`.
pub fn next_statuses(from: SampleStatus, via: Via) -> Vec<SampleStatus> {
    VALID_TRANSITIONS
        .iter()
        .filter(|(f, _, v)| *f == from && *v == via)
        .map(|(_, t, _)| *t)
        .collect()
}

/// Compare-and-set: the caller states the status it expects; if the sample has moved on,
/// the answer names the current status so the technician can decide again.
pub fn transition(
    expected: SampleStatus,
    current: SampleStatus,
    to: SampleStatus,
    via: Via,
) -> Result<(), DomainError> {
    if expected != current {
        return Err(DomainError::StaleStatus {
            expected: expected.as_str(),
            current: current.as_str(),
        });
    }
    if VALID_TRANSITIONS.contains(&(current, to, via)) {
        Ok(())
    } else {
        Err(DomainError::InvalidTransition {
            from: current.as_str(),
            to: to.as_str(),
            via: via.as_str(),
        })
    }
}

/// What a technician's status change does on the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionStep {
    /// The sample moves from `expected` to `to`.
    Change,
    /// The sample is already at `to` (another workstation made the same change first):
    /// nothing to do, and nothing refused.
    AlreadyThere,
}

/// A technician's status change as compare-and-set: applied from the status they saw,
/// a no-op when someone already made the same change, and refused as stale otherwise
/// (they decide again on the current status).
pub fn transition_intent(
    expected: SampleStatus,
    current: SampleStatus,
    to: SampleStatus,
    via: Via,
) -> Result<TransitionStep, DomainError> {
    if current == to && expected != current && VALID_TRANSITIONS.contains(&(expected, to, via)) {
        return Ok(TransitionStep::AlreadyThere);
    }
    transition(expected, current, to, via).map(|()| TransitionStep::Change)
}

/// What scanning a tube at receiving finds, decided before the batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReceiptCheck {
    /// Collected or in transit: receiving it is its next step.
    Receivable,
    /// Receivable, but its participant withdrew consent: receive it, keep it apart, and
    /// request its discard.
    ConsentWithdrawn,
    /// Already in the lab's hands (received, in processing, stored or checked out).
    AlreadyReceived,
    /// Used up or disposed of: it should not be arriving at all.
    Ended,
}

impl ReceiptCheck {
    pub fn of(status: SampleStatus, consent: ConsentStatus) -> ReceiptCheck {
        if !next_statuses(status, Via::Receipt).contains(&SampleStatus::Received) {
            return match status {
                S::Depleted | S::Disposed => ReceiptCheck::Ended,
                _ => ReceiptCheck::AlreadyReceived,
            };
        }
        match consent {
            ConsentStatus::Given => ReceiptCheck::Receivable,
            ConsentStatus::Withdrawn => ReceiptCheck::ConsentWithdrawn,
        }
    }

    /// Whether the tube goes into the batch that the technician commits.
    pub fn joins_batch(self) -> bool {
        matches!(
            self,
            ReceiptCheck::Receivable | ReceiptCheck::ConsentWithdrawn
        )
    }

    /// What the technician does next, in the lab's words (`code` is the tube's code).
    pub fn next_step(self, code: &str) -> String {
        match self {
            ReceiptCheck::Receivable => format!("{code} is ready to receive."),
            ReceiptCheck::ConsentWithdrawn => format!(
                "{code}: the participant withdrew consent. Receive it, keep it apart and \
                 request its discard."
            ),
            ReceiptCheck::AlreadyReceived => format!(
                "{code} is already in the lab: nothing to receive. Put it with the tubes \
                 to store, or scan the next tube."
            ),
            ReceiptCheck::Ended => format!(
                "{code} is used up or disposed of and should not be here: set it aside \
                 and tell a lab manager."
            ),
        }
    }
}

/// One line of a kit template: `count` tubes of a type, each with an optional volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct KitItem {
    pub sample_type: SampleType,
    pub count: u8,
    pub volume_ul: Option<u32>,
}

pub const MAX_TUBES_PER_KIT: usize = 24;

/// Validates a kit template's lines; returns the tubes it makes, in order.
pub fn kit_tubes(items: &[KitItem]) -> Result<Vec<(SampleType, Option<u32>)>, DomainError> {
    if items.is_empty() {
        return Err(DomainError::invalid(
            "items",
            "a kit needs at least one tube",
        ));
    }
    let mut tubes = Vec::new();
    for item in items {
        if item.count == 0 {
            return Err(DomainError::invalid(
                "count",
                "each line needs at least one tube",
            ));
        }
        if item.volume_ul == Some(0) {
            return Err(DomainError::invalid(
                "volume_ul",
                "leave the volume empty or give more than 0 µL",
            ));
        }
        tubes.extend(std::iter::repeat_n(
            (item.sample_type.clone(), item.volume_ul),
            usize::from(item.count),
        ));
    }
    if tubes.len() > MAX_TUBES_PER_KIT {
        return Err(DomainError::invalid(
            "items",
            format!("a kit has at most {MAX_TUBES_PER_KIT} tubes"),
        ));
    }
    Ok(tubes)
}

/// Splitting a parent's volume into aliquots: returns the parent's remaining volume, and
/// whether the parent is now used up.
pub fn split_volume(
    parent_volume_ul: Option<u32>,
    children_ul: &[u32],
) -> Result<(Option<u32>, bool), DomainError> {
    if children_ul.is_empty() || children_ul.len() > 96 {
        return Err(DomainError::invalid(
            "children",
            "make between 1 and 96 aliquots at a time",
        ));
    }
    if children_ul.contains(&0) {
        return Err(DomainError::invalid(
            "volume_ul",
            "each aliquot needs more than 0 µL",
        ));
    }
    let taken: u64 = children_ul.iter().map(|v| u64::from(*v)).sum();
    match parent_volume_ul {
        // Volume not recorded: the lab tracks lineage only.
        None => Ok((None, false)),
        Some(have) => {
            if taken > u64::from(have) {
                return Err(DomainError::NotEnoughVolume {
                    have_ul: have,
                    asked_ul: taken,
                });
            }
            let left = have - u32::try_from(taken).unwrap_or(have);
            Ok((Some(left), left == 0))
        }
    }
}

/// Consent as recorded for a participant; shown on every one of their samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConsentStatus {
    Given,
    Withdrawn,
}

impl ConsentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Given => "given",
            ConsentStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<ConsentStatus> {
        [ConsentStatus::Given, ConsentStatus::Withdrawn]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Time a tube spent out of the freezer after a check-in, in whole seconds.
pub fn time_out_after_check_in(
    before_seconds: i64,
    out_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    before_seconds + (now - out_at).num_seconds().max(0)
}

#[cfg(test)]
mod tests {

    use rstest::rstest;

    // expected (what the technician saw), current (on the hub), to → step or refusal
    #[rstest]
    #[case::as_seen(
        SampleStatus::Received,
        SampleStatus::Received,
        SampleStatus::Processing,
        Ok(TransitionStep::Change)
    )]
    #[case::someone_did_the_same(
        SampleStatus::Received,
        SampleStatus::Processing,
        SampleStatus::Processing,
        Ok(TransitionStep::AlreadyThere)
    )]
    #[case::someone_did_otherwise(
        SampleStatus::Received,
        SampleStatus::Stored,
        SampleStatus::Processing,
        Err("stale_state")
    )]
    #[case::not_a_path(
        SampleStatus::Received,
        SampleStatus::Received,
        SampleStatus::Collected,
        Err("invalid_transition")
    )]
    // Already at `to`, but `to` is no step from what they saw: still stale.
    #[case::there_by_no_path(
        SampleStatus::Collected,
        SampleStatus::Processing,
        SampleStatus::Processing,
        Err("stale_state")
    )]
    fn a_status_change_is_compare_and_set(
        #[case] expected: SampleStatus,
        #[case] current: SampleStatus,
        #[case] to: SampleStatus,
        #[case] outcome: Result<TransitionStep, &str>,
    ) {
        assert_eq!(
            transition_intent(expected, current, to, Via::Manual).map_err(|e| e.reason_code()),
            outcome
        );
    }

    use super::*;

    /// Every (from, to, via) combination: valid exactly when it is in the table, and the
    /// error says which change was refused.
    #[test]
    fn every_transition_is_decided_by_the_table() {
        let mut valid = 0;
        for &from in SampleStatus::ALL {
            for &to in SampleStatus::ALL {
                for via in Via::ALL {
                    let result = transition(from, from, to, via);
                    let listed = VALID_TRANSITIONS.contains(&(from, to, via));
                    assert_eq!(result.is_ok(), listed, "{from:?} → {to:?} via {via:?}");
                    if listed {
                        valid += 1;
                    } else {
                        assert_eq!(
                            result.unwrap_err(),
                            DomainError::InvalidTransition {
                                from: from.as_str(),
                                to: to.as_str(),
                                via: via.as_str()
                            }
                        );
                    }
                }
            }
        }
        assert_eq!(valid, VALID_TRANSITIONS.len());
    }

    #[rstest::rstest]
    #[case(S::Collected, S::Received, Via::Manual, true)]
    #[case(S::Collected, S::Stored, Via::Manual, false)]
    #[case(S::Received, S::Stored, Via::Manual, false)] // only placement stores
    #[case(S::Received, S::Stored, Via::Placement, true)]
    #[case(S::Stored, S::Disposed, Via::Manual, false)] // only a discard approval disposes
    #[case(S::Stored, S::Disposed, Via::Discard, true)]
    #[case(S::Disposed, S::Received, Via::Manual, false)] // disposed is final
    #[case(S::Stored, S::CheckedOut, Via::CheckOut, true)]
    #[case(S::CheckedOut, S::Stored, Via::CheckIn, true)]
    #[case(S::Collected, S::CheckedOut, Via::CheckOut, false)]
    fn named_transitions(
        #[case] from: SampleStatus,
        #[case] to: SampleStatus,
        #[case] via: Via,
        #[case] ok: bool,
    ) {
        assert_eq!(transition(from, from, to, via).is_ok(), ok);
    }

    #[test]
    fn disposed_is_terminal() {
        for via in Via::ALL {
            assert!(next_statuses(S::Disposed, via).is_empty());
        }
    }

    #[test]
    fn a_stale_expectation_names_the_current_status() {
        assert_eq!(
            transition(S::Received, S::Processing, S::Processing, Via::Manual),
            Err(DomainError::StaleStatus {
                expected: "received",
                current: "processing"
            })
        );
    }

    #[test]
    fn new_samples_start_where_the_domain_says() {
        assert_eq!(initial_status(Origin::Collection), S::Collected);
        assert_eq!(initial_status(Origin::Aliquot), S::Received);
    }

    #[test]
    fn kits_expand_to_their_tubes() {
        let items = [
            KitItem {
                sample_type: SampleType::new(SampleType::PLASMA),
                count: 2,
                volume_ul: Some(500),
            },
            KitItem {
                sample_type: SampleType::new(SampleType::SERUM),
                count: 1,
                volume_ul: None,
            },
        ];
        let tubes = kit_tubes(&items).unwrap();
        assert_eq!(
            tubes,
            vec![
                (SampleType::new(SampleType::PLASMA), Some(500)),
                (SampleType::new(SampleType::PLASMA), Some(500)),
                (SampleType::new(SampleType::SERUM), None)
            ]
        );
        assert!(kit_tubes(&[]).is_err());
        assert!(kit_tubes(&[KitItem {
            sample_type: SampleType::new(SampleType::PLASMA),
            count: 25,
            volume_ul: None
        }])
        .is_err());
    }

    #[test]
    fn splitting_volume() {
        assert_eq!(
            split_volume(Some(1000), &[250, 250]).unwrap(),
            (Some(500), false)
        );
        assert_eq!(
            split_volume(Some(500), &[250, 250]).unwrap(),
            (Some(0), true)
        );
        assert_eq!(
            split_volume(Some(400), &[250, 250]).unwrap_err(),
            DomainError::NotEnoughVolume {
                have_ul: 400,
                asked_ul: 500
            }
        );
        assert_eq!(split_volume(None, &[100]).unwrap(), (None, false));
        assert!(split_volume(Some(100), &[]).is_err());
        assert!(split_volume(Some(100), &[0]).is_err());
    }

    #[test]
    fn a_new_sample_type_is_plain_and_short_with_its_boundaries() {
        assert_eq!(
            validate_sample_type(" csf ", " CS ", " Cerebrospinal fluid ").unwrap(),
            ("csf".into(), "CS".into(), "Cerebrospinal fluid".into())
        );
        let code32 = format!("a{}", "b".repeat(31));
        assert!(validate_sample_type(&code32, "AB", "x").is_ok());
        assert!(validate_sample_type(&format!("{code32}c"), "AB", "x").is_err());
        for bad in ["", "CSF", "1csf", "_csf", "cs f", "csf-2", "lêv"] {
            assert!(validate_sample_type(bad, "CS", "x").is_err(), "{bad:?}");
        }
        assert!(validate_sample_type("csf", "CSF1", "x").is_ok());
        for bad in ["C", "CSF12", "cs", "C-S", ""] {
            assert!(validate_sample_type("csf", bad, "x").is_err(), "{bad:?}");
        }
        assert!(validate_sample_type("csf", "CS", &"é".repeat(40)).is_ok());
        assert!(validate_sample_type("csf", "CS", &"é".repeat(41)).is_err());
        assert!(validate_sample_type("csf", "CS", "  ").is_err());
    }

    // Survivors of `cargo mutants` (issue 11, `scripts/mutants sample`), each killed here.

    #[test]
    fn only_stored_and_checked_out_tubes_hold_a_position() {
        let holding: Vec<SampleStatus> = SampleStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.holds_position())
            .collect();
        assert_eq!(holding, [SampleStatus::Stored, SampleStatus::CheckedOut]);
    }

    #[test]
    fn paths_and_consent_are_stored_by_their_api_names() {
        for via in Via::ALL {
            assert_eq!(serde_json::to_value(via).unwrap(), via.as_str());
        }
        for consent in [ConsentStatus::Given, ConsentStatus::Withdrawn] {
            assert_eq!(serde_json::to_value(consent).unwrap(), consent.as_str());
            assert_eq!(ConsentStatus::parse(consent.as_str()), Some(consent));
        }
        assert_eq!(ConsentStatus::parse(""), None);
        assert_eq!(ConsentStatus::parse("Given"), None);
    }

    #[test]
    fn next_statuses_are_those_of_the_status_and_path_asked_about() {
        assert_eq!(
            next_statuses(SampleStatus::Stored, Via::CheckOut),
            [SampleStatus::CheckedOut]
        );
        assert_eq!(
            next_statuses(SampleStatus::CheckedOut, Via::CheckIn),
            [SampleStatus::Stored]
        );
        assert!(next_statuses(SampleStatus::Disposed, Via::Manual).is_empty());
    }

    #[test]
    fn a_kit_holds_exactly_up_to_its_maximum_of_tubes() {
        let kit = |count: usize| {
            vec![
                KitItem {
                    sample_type: SampleType::new(SampleType::PLASMA),
                    count: 1,
                    volume_ul: None,
                };
                count
            ]
        };
        assert_eq!(
            kit_tubes(&kit(MAX_TUBES_PER_KIT)).unwrap().len(),
            MAX_TUBES_PER_KIT
        );
        assert!(kit_tubes(&kit(MAX_TUBES_PER_KIT + 1)).is_err());
    }

    #[test]
    fn up_to_96_aliquots_at_a_time() {
        assert_eq!(split_volume(None, &[10; 96]).unwrap(), (None, false));
        assert!(split_volume(None, &[10; 97]).is_err());
        assert!(split_volume(None, &[10; 95]).is_ok());
        assert!(split_volume(None, &[]).is_err());
    }

    #[test]
    fn aliquots_may_take_exactly_the_parents_volume_and_no_more() {
        assert_eq!(
            split_volume(Some(500), &[200, 300]).unwrap(),
            (Some(0), true)
        );
        assert_eq!(
            split_volume(Some(500), &[200, 200]).unwrap(),
            (Some(100), false)
        );
        assert!(matches!(
            split_volume(Some(500), &[200, 301]),
            Err(DomainError::NotEnoughVolume {
                have_ul: 500,
                asked_ul: 501
            })
        ));
    }

    #[test]
    fn time_out_of_the_freezer_adds_up_over_check_ins() {
        let out = chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let back = out + chrono::Duration::seconds(60);
        assert_eq!(time_out_after_check_in(100, out, back), 160);
        // A clock that went backwards adds nothing.
        assert_eq!(time_out_after_check_in(100, back, out), 100);
    }
}
